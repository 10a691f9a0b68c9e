// Diagnostics on a fixed subset of a large training set: the sample mean and its standard
// error s/√K·√(1 − K/n) (exact mean, SE 0, on the whole set; the SE matches the spread of the
// estimator over subsets), and a trainer at n = 10^9 whose step indices, logged row and
// checkpointable state do not grow with n.
import Foundation
import XCTest
import Evaluation
import Linalg
import MPI
import Synthetic
@testable import Training

final class DiagnosticsSubsetTests: XCTestCase {
    func testSampleMeanAndStandardError() {
        // x = 1, 2, 3, 4: mean 2.5, s² = 5/3.
        let all = SampleMean(sum: 10, sumOfSquares: 30, count: 4, population: 4)
        XCTAssertEqual(all.mean, 2.5)
        XCTAssertEqual(all.standardError, 0, "the whole population: exact")
        let part = SampleMean(sum: 10, sumOfSquares: 30, count: 4, population: 1_000_000_000)
        XCTAssertEqual(part.standardError, (5.0 / 3 / 4 * (1 - 4e-9)).squareRoot(), accuracy: 1e-12)
        let half = SampleMean(sum: 10, sumOfSquares: 30, count: 4, population: 8)
        XCTAssertEqual(half.standardError, (5.0 / 3 / 4 * 0.5).squareRoot(), accuracy: 1e-12)
    }

    func testStandardErrorMatchesTheSpreadOverSubsets() {
        // A population of n values; many keyed subsets of K: the estimates' sd ≈ the formula.
        let n = 2000, k = 100, trials = 300
        let values = (0..<n).map { i -> Double in
            var rng = CounterRNG(seed: 3, purpose: RNGPurpose(rawValue: 200), item: i)
            return rng.nextGaussian() * 2 + 1
        }
        let populationMean = values.reduce(0, +) / Double(n)
        var estimates: [Double] = [], ses: [Double] = []
        var idx: [Int] = []
        for t in 0..<trials {
            let subset = EvaluationSubset(population: n, requested: k, seed: UInt64(t) &+ 11)
            subset.indices(0..<k, into: &idx)
            var s = 0.0, q = 0.0
            for i in idx { s += values[i]; q += values[i] * values[i] }
            let m = SampleMean(sum: s, sumOfSquares: q, count: k, population: n)
            estimates.append(m.mean); ses.append(m.standardError)
        }
        let mean = estimates.reduce(0, +) / Double(trials)
        let sd = (estimates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(trials - 1)).squareRoot()
        let typicalSE = ses.reduce(0, +) / Double(trials)
        XCTAssertEqual(mean, populationMean, accuracy: 5 * typicalSE / Double(trials).squareRoot(), "unbiased")
        XCTAssertEqual(sd / typicalSE, 1, accuracy: 0.15, "SE \(typicalSE) vs spread \(sd)")
    }

    func testTrainerAtABillionSamplesStaysSmall() throws {
        try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        var c = TrainConfig()
        c.trainSamples = 1_000_000_000
        c.batchSize = 64
        c.signalNoise.d = 50
        c.encoder.width = 4
        c.probeTrainSamples = 20
        c.testSamples = 20
        c.diagnosticsSamples = 256
        c.mode = .multiModal
        try c.validate(ranks: comm.size)
        let problem = try makeProblem(config: c, mode: .multiModal, comm: comm)
        let trainer = Trainer(config: c, mode: .multiModal, problem: problem, comm: comm)
        // The work, counted (Feistel passes of the keyed permutations, 4^h / n ≈ 1.07 per index
        // here): O(batch) for a late step's indices, O(K) for the diagnostics subset — not O(n).
        var late: [Int] = []
        let passes = try trainer.localIndices(step: 10_000_000, into: &late)   // epoch 0, position 6.4·10^8
        XCTAssertEqual(late.count, 64)
        XCTAssertTrue(late.allSatisfy { $0 >= 0 && $0 < c.trainSamples })
        XCTAssertGreaterThanOrEqual(passes, 64)
        XCTAssertLessThanOrEqual(passes, 2 * 64, "O(batch) work for a step's indices at n = 10^9")
        let subset = EvaluationSubset(population: c.trainSamples, requested: c.diagnosticsSamples, seed: c.seed)
        var positions: [Int] = []
        let subsetPasses = subset.indices(subset.positions(rank: comm.rank, size: comm.size), into: &positions)
        XCTAssertEqual(positions.count, 256)
        XCTAssertLessThanOrEqual(subsetPasses, 2 * 256, "O(K) work for the diagnostics subset at n = 10^9")
        var row = MetricsRow()
        try problem.diagnostics(into: &row)
        XCTAssertEqual(row[.diagnosticsSamples], 256)
        XCTAssertNotNil(row[.noiseMemorization])
        XCTAssertGreaterThan(row[.noiseMemorizationSE] ?? 0, 0)
        // The resumable state is the parameters and the optimizer: nothing of size n.
        let state = trainer.initialState()
        XCTAssertEqual(state.parameters.count, problem.parameterCount)
        XCTAssertEqual(problem.parameterCount, 2 * 4 * 50)
    }
}
