import CAllocCount
import Foundation
import Linalg
import MPI
import ReferenceLoss
import XCTest

// The ring candidate exchange at one rank (MPI singleton) and the allocation-free `into:`
// forms: the ring equals the all-gather exchange and the one-process reference for every
// objective, similarity, negative set and stop-gradient setting, with large and tiny logit
// blocks; the `into:` forms equal the returning forms exactly, also over a stale result; the
// pair count by sorting equals a histogram; old stats records (no overlappedSeconds) decode.
// The multi-rank behaviour (uneven counts, a rank with no rows, 1–4 ranks) is checked by the
// "infomax" suite of multirank-checks.
@testable import InfoMax

final class RingExchangeTests: XCTestCase {
    private func world() throws -> Communicator {
        try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        guard comm.size == 1 else { throw XCTSkip("run outside mpirun") }
        return comm
    }

    private static let variants: [ContrastiveLoss] =
        ContrastiveObjective.allCases.flatMap { obj in
            SimilarityKind.allCases.flatMap { sim in
                NegativeSet.allCases.flatMap { neg in
                    [false, true].map { sg in
                        ContrastiveLoss(
                            objective: obj, similarity: sim, scale: 1.3, temperature: 0.4, negatives: neg,
                            stopGradient: sg)
                    }
                }
            }
        } + [ContrastiveLoss.paper(neurons: 4, temperature: 0.5), ContrastiveLoss.clip(temperature: 0.1)]

    func testRingEqualsAllgatherAndReference() throws {
        let comm = try world()
        var rng = TestRNG(seed: 91)
        let B = 13
        let k = 5
        let a: Matrix<Double> = rng.matrix(B, k)
        let p: Matrix<Double> = rng.matrix(B, k)
        let c: Matrix<Double> = rng.matrix(B, k)
        let labels = (0..<B).map { $0 % 3 == 0 ? 1 : -1 }
        for loss in Self.variants {
            let ref = try loss.evaluate(anchors: a, positives: p, candidates: c, labels: labels)
            let gather = try DistributedContrastiveLoss<Double>(communicator: comm, loss: loss, exchange: .allgather)
                .evaluate(anchors: a, positives: p, candidates: c, labels: labels)
            for block in [1, 4, 30, 1 << 22] {
                let ring = try DistributedContrastiveLoss<Double>(
                    communicator: comm, loss: loss, exchange: .ring, blockElements: block)
                let r = try ring.evaluate(anchors: a, positives: p, candidates: c, labels: labels)
                let what =
                    "\(loss.objective)/\(loss.similarity)/\(loss.negatives)/sg=\(loss.stopGradient) block \(block)"
                for (other, name) in [(ref, "reference"), (gather, "allgather")] {
                    XCTAssertEqual(
                        r.value, other.value, accuracy: 1e-12 * max(1, abs(other.value)), "\(what) loss vs \(name)")
                    XCTAssertLessThan(relativeError(r.dA, other.dA), 1e-12, "\(what) dA vs \(name)")
                    XCTAssertLessThan(relativeError(r.dPos, other.dPos), 1e-12, "\(what) dPos vs \(name)")
                    XCTAssertLessThan(relativeError(r.dC, other.dC), 1e-12, "\(what) dC vs \(name)")
                }
                if loss.stopGradient {
                    XCTAssertEqual(r.dPos.maxAbs, 0, what)
                    XCTAssertEqual(r.dC.maxAbs, 0, what)
                }
                let s = ring.lastStats
                XCTAssertGreaterThan(s.computeSeconds, 0, what)
                XCTAssertEqual(s.overlappedSeconds, 0, "\(what): one rank has nothing in flight")
                // One rank sends nothing.
                XCTAssertEqual(s.bytesSent, 0, what)
            }
        }
    }

    func testRingInFloatAgreesWithDouble() throws {
        let comm = try world()
        var rng = TestRNG(seed: 92)
        let B = 17
        let k = 6
        let h: Matrix<Double> = rng.matrix(B, k)
        let g: Matrix<Double> = rng.matrix(B, k)
        for loss in [ContrastiveLoss.clip(temperature: 0.2), ContrastiveLoss(objective: .spectral, scale: 0.5)] {
            let ref = try loss.evaluateSymmetric(h, g)
            let ring = try DistributedContrastiveLoss<Float>(
                communicator: comm, loss: loss, exchange: .ring, blockElements: 20)
            let r = try ring.evaluateSymmetric(h.converted(to: Float.self), g.converted(to: Float.self))
            XCTAssertEqual(Double(r.value), ref.value, accuracy: 1e-5 * max(1, abs(ref.value)))
            XCTAssertLessThan(relativeError(r.dFirst.converted(to: Double.self), ref.dFirst), 1e-5)
            XCTAssertLessThan(relativeError(r.dSecond.converted(to: Double.self), ref.dSecond), 1e-5)
        }
    }

    func testIntoFormsEqualReturningForms() throws {
        let comm = try world()
        var rng = TestRNG(seed: 93)
        let k = 4
        let labelsAll = (0..<12).map { $0 % 2 }
        for exchange in CandidateExchange.allCases {
            for loss in Self.variants {
                let dist = try DistributedContrastiveLoss<Double>(
                    communicator: comm, loss: loss, exchange: exchange, blockElements: 9)
                // A stale result of another shape; then the shape changes between calls.
                var into = ContrastiveResult<Double>(
                    value: 3, dA: Matrix(rows: 2, cols: 7, repeating: 1),
                    dPos: Matrix(rows: 12, cols: 4, repeating: 1), dC: Matrix(rows: 1, cols: 1, repeating: 1))
                var sym = SymmetricContrastiveResult<Double>()
                for B in [12, 12, 7, 12] {
                    let a: Matrix<Double> = rng.matrix(B, k)
                    let p: Matrix<Double> = rng.matrix(B, k)
                    let c: Matrix<Double> = rng.matrix(B, k)
                    let labels = Array(labelsAll[..<B])
                    let what =
                        "\(exchange) \(loss.objective)/\(loss.similarity)/\(loss.negatives)/sg=\(loss.stopGradient) B \(B)"
                    try dist.evaluate(anchors: a, positives: p, candidates: c, labels: labels, into: &into)
                    let r = try dist.evaluate(anchors: a, positives: p, candidates: c, labels: labels)
                    XCTAssertEqual(into.value, r.value, what)
                    XCTAssertEqual(into.dA, r.dA, "\(what) dA")
                    XCTAssertEqual(into.dPos, r.dPos, "\(what) dPos")
                    XCTAssertEqual(into.dC, r.dC, "\(what) dC")
                    try dist.evaluateSymmetric(a, p, labels: labels, into: &sym)
                    let rs = try dist.evaluateSymmetric(a, p, labels: labels)
                    let ref = try loss.evaluateSymmetric(a, p, labels: labels)
                    XCTAssertEqual(sym.value, rs.value, "\(what) symmetric")
                    XCTAssertEqual(sym.dFirst, rs.dFirst, "\(what) symmetric dh")
                    XCTAssertEqual(sym.dSecond, rs.dSecond, "\(what) symmetric dg")
                    XCTAssertEqual(
                        sym.value, ref.value, accuracy: 1e-12 * max(1, abs(ref.value)), "\(what) symmetric vs reference"
                    )
                    XCTAssertLessThan(relativeError(sym.dFirst, ref.dFirst), 1e-12, "\(what) symmetric dh vs reference")
                    XCTAssertLessThan(
                        relativeError(sym.dSecond, ref.dSecond), 1e-12, "\(what) symmetric dg vs reference")
                }
            }
        }
    }

    func testEmptyBatch() throws {
        let comm = try world()
        for exchange in CandidateExchange.allCases {
            for loss in Self.variants {
                let dist = try DistributedContrastiveLoss<Double>(communicator: comm, loss: loss, exchange: exchange)
                let empty = Matrix<Double>(rows: 0, cols: 3)
                let r = try dist.evaluate(anchors: empty, positives: empty, candidates: empty, labels: [])
                XCTAssertEqual(r.value, 0)
                XCTAssertEqual(r.dA.rows, 0)
                XCTAssertEqual(r.dPos.rows, 0)
                XCTAssertEqual(r.dC.rows, 0)
            }
        }
    }

    /// With CAllocCount's malloc interposition linked into the test process, the `into:`
    /// forms perform no allocation after the first call (Swift and Open MPI alike, at 1 rank).
    func testIntoFormsDoNotAllocate() throws {
        let comm = try world()
        XCTAssertEqual(imx_alloc_self_test(), 1, "the malloc counter sees this process's allocations")
        let calls = { imx_alloc_count() }
        var rng = TestRNG(seed: 94)
        let B = 16
        let k = 8
        let a: Matrix<Float> = rng.matrix(B, k)
        let p: Matrix<Float> = rng.matrix(B, k)
        let c: Matrix<Float> = rng.matrix(B, k)
        let labels = (0..<B).map { $0 % 2 == 0 ? 1 : -1 }
        for exchange in CandidateExchange.allCases {
            for loss in Self.variants {
                let dist = try DistributedContrastiveLoss<Float>(
                    communicator: comm, loss: loss, exchange: exchange, blockElements: 40)
                var r = ContrastiveResult<Float>()
                var s = SymmetricContrastiveResult<Float>()
                try dist.evaluate(anchors: a, positives: p, candidates: c, labels: labels, into: &r)
                try dist.evaluateSymmetric(a, p, labels: labels, into: &s)
                let before = calls()
                try dist.evaluate(anchors: a, positives: p, candidates: c, labels: labels, into: &r)
                try dist.evaluateSymmetric(a, p, labels: labels, into: &s)
                let after = calls()
                XCTAssertEqual(
                    after - before, 0,
                    "\(exchange) \(loss.objective)/\(loss.similarity)/\(loss.negatives)/sg=\(loss.stopGradient): allocations"
                )
            }
        }
    }

    func testPairCountBySortingEqualsHistogram() {
        var rng = TestRNG(seed: 95)
        var scratch: [Int64] = []
        for n in [0, 1, 2, 7, 50] {
            for classes in [1, 2, 5] {
                let labels = (0..<n).map { _ in Int64(rng.next() % UInt64(classes)) - 2 }
                var histogram: [Int64: Int] = [:]
                for y in labels { histogram[y, default: 0] += 1 }
                let expected = histogram.values.reduce(0) { $0 + $1 * (n - $1) }
                XCTAssertEqual(
                    negativePairCount(.oppositeLabel, labels: labels, count: n, scratch: &scratch), expected,
                    "n \(n) classes \(classes)")
            }
            XCTAssertEqual(negativePairCount(.allOthers, labels: nil, count: n, scratch: &scratch), n * (n - 1))
        }
        var v: [Int64] = (0..<100).map { _ in Int64(rng.next() % 17) }
        v.withUnsafeMutableBufferPointer { $0.heapSort(by: <) }
        XCTAssertEqual(v, v.sorted())
    }

    func testStatsDecodeRecordsWithoutOverlap() throws {
        let old = #"{"computeSeconds":1.5,"communicationSeconds":0.25,"bytesSent":96}"#
        let s = try JSONDecoder().decode(ContrastiveCallStats.self, from: Data(old.utf8))
        XCTAssertEqual(s, ContrastiveCallStats(computeSeconds: 1.5, communicationSeconds: 0.25, bytesSent: 96))
        let t = ContrastiveCallStats(computeSeconds: 1, communicationSeconds: 2, bytesSent: 3, overlappedSeconds: 0.5)
        XCTAssertEqual(try JSONDecoder().decode(ContrastiveCallStats.self, from: JSONEncoder().encode(t)), t)
        XCTAssertEqual((t + t).overlappedSeconds, 1)
    }
}
