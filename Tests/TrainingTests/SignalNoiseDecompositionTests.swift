import Evaluation
// Signal learning and noise memorization as Huang et al. define them (eq. 11): the
// coefficients γ_r, ρ_r,i of w_r(t) − w_r(0) over μ/‖μ‖² and ξ_i/‖ξ_i‖². Zero at step 0
// exactly; after a few training steps equal to an independent Double least-squares solve (SVD
// pseudo-inverse) of the same weight change; a rank-deficient set (K + 1 > d) still solves.
import Foundation
import Linalg
import MPI
import RunRecords
import Synthetic
import XCTest

@testable import Training

final class SignalNoiseDecompositionTests: XCTestCase {
    func smallConfig(_ mode: ModalityMode) -> TrainConfig {
        var c = TrainConfig()
        c.trainSamples = 5
        c.batchSize = 5
        c.signalNoise.d = 20
        c.encoder.width = 3
        c.encoder.initScale = 0.1
        c.probeTrainSamples = 10
        c.testSamples = 10
        c.optimizer.learningRate = 0.5
        c.mode = mode
        return c
    }

    /// max_r γ_r and mean_i max_r ρ_r,i of W − W0 over `signal`, `noise` (rows), by min ‖Vᵀc − Δw‖
    /// through the SVD of Vᵀ in Double.
    func directSolve(w: Matrix<Float>, w0: Matrix<Float>, signal: [Float], noise: Matrix<Float>) throws
        -> (signal: Double, noise: Double)
    {
        let d = signal.count
        let k = noise.rows + 1
        let vt = Matrix<Double>(rows: d, cols: k) { j, i in Double(i == 0 ? signal[j] : noise[i - 1, j]) }
        let (u, s, v) = try svd(vt)  // Vᵀ = U·S·Vᵀ', U d×k, v k×k
        var gamma = -Double.infinity
        var rhoMax = [Double](repeating: -.infinity, count: k - 1)
        for r in 0..<w.rows {
            let dw = (0..<d).map { Double(w[r, $0]) - Double(w0[r, $0]) }
            // c = V'·S⁻¹·Uᵀ·Δw
            let uDw = (0..<k).map { a in (0..<d).reduce(0.0) { $0 + u[$1, a] * dw[$1] } / s[a] }
            let c = (0..<k).map { i in (0..<k).reduce(0.0) { $0 + v[$1, i] * uDw[$1] } }
            let norms = (0..<k).map { i in (0..<d).reduce(0.0) { $0 + vt[$1, i] * vt[$1, i] } }
            gamma = max(gamma, c[0] * norms[0])
            for i in 1..<k { rhoMax[i - 1] = max(rhoMax[i - 1], c[i] * norms[i]) }
        }
        return (gamma, rhoMax.reduce(0, +) / Double(k - 1))
    }

    func check(_ mode: ModalityMode) throws {
        try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        let c = smallConfig(mode)
        try c.validate(ranks: comm.size)
        let problem = try makeProblem(config: c, mode: mode, comm: comm)
        let sn = try XCTUnwrap(problem as? SignalNoiseProblem)
        let trainer = Trainer(config: c, mode: mode, problem: problem, comm: comm)
        var state = trainer.initialState()
        let w0 = sn.image.weights
        let t0 = sn.text?.weights

        var row = MetricsRow()
        try problem.diagnostics(into: &row)
        XCTAssertEqual(row[.signalLearning], 0, "γ = 0 at initialization, exactly")
        XCTAssertEqual(row[.noiseMemorization], 0, "ρ = 0 at initialization, exactly")
        XCTAssertEqual(row[.noiseMemorizationSE], 0, "all n samples: exact")
        XCTAssertEqual(row[.diagnosticsSamples], 5)
        XCTAssertEqual(
            row[.signalInnerProduct], try Diagnostics.signalInnerProduct(weights: w0, signal: sn.data.imageSignal))
        XCTAssertNotEqual(row[.signalInnerProduct], 0, "the raw inner product includes W(0)")
        if mode == .multiModal {
            XCTAssertEqual(row[.textSignalLearning], 0)
            XCTAssertEqual(row[.textNoiseMemorization], 0)
        } else {
            XCTAssertNil(row[.textSignalLearning])
        }

        var timing = StepTiming()
        for _ in 0..<4 {
            _ = try trainer.computeGradient(&state, timing: &timing)
            trainer.applyUpdate(&state, timing: &timing)
        }
        row = MetricsRow()
        try problem.diagnostics(into: &row)
        var noise = Matrix<Float>(rows: 0, cols: 0)
        try sn.data.fillImageNoise(0..<5, into: &noise)
        let direct = try directSolve(w: sn.image.weights, w0: w0, signal: sn.data.imageSignal, noise: noise)
        let gamma = try XCTUnwrap(row[.signalLearning])
        let rho = try XCTUnwrap(row[.noiseMemorization])
        XCTAssertNotEqual(gamma, 0, "the weights moved")
        XCTAssertEqual(gamma, direct.signal, accuracy: 1e-4 * abs(direct.signal), "\(mode) γ")
        XCTAssertEqual(rho, direct.noise, accuracy: 1e-4 * abs(direct.noise), "\(mode) ρ")
        if mode == .multiModal, let text = sn.text, let t0 {
            try sn.data.fillTextNoise(0..<5, into: &noise)
            let textDirect = try directSolve(w: text.weights, w0: t0, signal: sn.data.textSignal, noise: noise)
            let g = try XCTUnwrap(row[.textSignalLearning])
            let r = try XCTUnwrap(row[.textNoiseMemorization])
            XCTAssertEqual(g, textDirect.signal, accuracy: 1e-4 * abs(textDirect.signal), "γ̃")
            XCTAssertEqual(r, textDirect.noise, accuracy: 1e-4 * abs(textDirect.noise), "ρ̃")
        }
    }

    func testCoefficientsAreZeroAtInitAndMatchADirectSolveMultiModal() throws { try check(.multiModal) }
    func testCoefficientsAreZeroAtInitAndMatchADirectSolveSingleModal() throws { try check(.singleModal) }

    func testDecompositionRecoversKnownCoefficientsAndToleratesDependentVectors() throws {
        // Independent: Δw = 3·μ/‖μ‖² + 2·ξ_1/‖ξ_1‖² − ξ_2/‖ξ_2‖² exactly in the span.
        let mu: [Float] = [2, 0, 0, 0]
        let xi = try Matrix<Float>([[1, 1, 0, 0], [0, 1, 2, 1]])
        let n0: Float = 4
        let n1: Float = 2
        let n2: Float = 6
        let w0 = Matrix<Float>(rows: 1, cols: 4) { _, j in Float(j) * 0.1 }
        let w = Matrix<Float>(rows: 1, cols: 4) { _, j in
            w0[0, j] + 3 * mu[j] / n0 + 2 * xi[0, j] / n1 - xi[1, j] / n2
        }
        var dec = try SignalNoiseDecomposition(signal: mu, noise: xi)
        XCTAssertEqual(dec.ridge, 0)
        let r = try dec.evaluate(weights: w, initial: w0)
        XCTAssertEqual(r.signal, 3, accuracy: 1e-6)
        XCTAssertEqual(r.noiseSum, 2 - 1, accuracy: 1e-6)
        XCTAssertEqual(try dec.evaluate(weights: w0, initial: w0).signal, 0)
        // Dependent (5 vectors in R^2): the Gram matrix is singular; a small ridge still solves.
        let many = Matrix<Float>(rows: 4, cols: 2) { i, j in Float(i + 1) * (j == 0 ? 1 : -0.5) + Float(i * j) }
        var singular = try SignalNoiseDecomposition(signal: [1, 0], noise: many)
        XCTAssertGreaterThan(singular.ridge, 0)
        let moved = try Matrix<Float>([[1, 1]])
        let zero = Matrix<Float>(rows: 1, cols: 2)
        XCTAssertTrue(try singular.evaluate(weights: moved, initial: zero).signal.isFinite)
    }
}
