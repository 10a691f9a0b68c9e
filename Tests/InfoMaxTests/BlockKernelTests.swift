import Linalg
import MPI
import ReferenceLoss
import XCTest

// The blockwise kernel behind the distributed loss: evaluated over uneven row blocks (as
// ranks would) and in small logit chunks, its summed loss, anchor/positive rows and summed
// candidate gradient must equal the one-process reference; and the distributed loss at one
// rank (MPI singleton) must equal it too, cosine included.
@testable import InfoMax

final class BlockKernelTests: XCTestCase {
    func testRowBlocksSumToReference() throws {
        let B = 11
        let k = 5
        var rng = TestRNG(seed: 77)
        let a: Matrix<Double> = rng.matrix(B, k)
        let p: Matrix<Double> = rng.matrix(B, k)
        let c: Matrix<Double> = rng.matrix(B, k)
        let labels = (0..<B).map { $0 % 3 == 0 ? 1 : -1 }
        let splits = [[11], [6, 5], [4, 4, 3], [3, 0, 5, 3]]
        // The sigmoid loss has its own kernels (SigmoidLossMath; SigmoidLossTests).
        for objective in ContrastiveObjective.allCases where objective != .sigmoid {
            for neg in NegativeSet.allCases {
                for sg in [false, true] {
                    let loss = ContrastiveLoss(
                        objective: objective, similarity: .dot, scale: 0.8, temperature: 0.7, negatives: neg,
                        stopGradient: sg)
                    let ref = try loss.evaluate(anchors: a, positives: p, candidates: c, labels: labels)
                    var scratch: [Int64] = []
                    let pairs = negativePairCount(
                        neg, labels: labels.map { Int64($0) }, count: B, scratch: &scratch)
                    for split in splits {
                        for block in [1, 7, 1000] {
                            var total = 0.0
                            var dC = [Double](repeating: 0, count: B * k)
                            let logits = ScratchBuffer<Double>()
                            var offset = 0
                            for n in split {
                                let f = DirectionInputs(
                                    B: B, maxb: n, b: n, k: k, offset: offset, pairs: pairs,
                                    needLabels: neg == .oppositeLabel, wantDC: !sg, ah: a.rows(offset..<offset + n),
                                    ph: p.rows(offset..<offset + n), ch: c)
                                var r = ContrastiveResult(
                                    dA: Matrix<Double>(rows: n, cols: k), dPos: Matrix(rows: n, cols: k))
                                total += f.withPointers(
                                    candidates: c.storage, labels: labels.map { Int64($0) }, result: &r,
                                    spare: logits.pointer
                                ) { d in
                                    dC.withUnsafeMutableBufferPointer { pd in
                                        contrastiveRowBlock(
                                            loss, f, d, blockElements: block, logits: logits,
                                            dC: sg ? nil : pd.baseAddress)
                                    }
                                }
                                let (dA, dP) = (r.dA, r.dPos)
                                let what = "\(objective)/\(neg)/sg=\(sg) split \(split) block \(block)"
                                if n > 0 {
                                    XCTAssertLessThan(
                                        relativeError(dA, ref.dA.rows(offset..<offset + n)), 1e-12, "\(what) dA")
                                    if !sg {
                                        XCTAssertLessThan(
                                            relativeError(dP, ref.dPos.rows(offset..<offset + n)), 1e-12, "\(what) dPos"
                                        )
                                    }
                                }
                                offset += n
                            }
                            XCTAssertEqual(total, ref.value, accuracy: 1e-12 * max(1, abs(ref.value)))
                            if !sg {
                                let dCm = try Matrix(rows: B, cols: k, storage: dC)
                                XCTAssertLessThan(relativeError(dCm, ref.dC, floor: 1), 1e-12)
                            }
                        }
                    }
                }
            }
        }
    }

    func testDistributedAtOneRankMatchesReference() throws {
        try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        guard comm.size == 1 else { throw XCTSkip("run outside mpirun") }
        var rng = TestRNG(seed: 78)
        let B = 9
        let k = 6
        let a: Matrix<Double> = rng.matrix(B, k)
        let p: Matrix<Double> = rng.matrix(B, k)
        let c: Matrix<Double> = rng.matrix(B, k)
        let labels = (0..<B).map { $0 % 2 }
        for sim in SimilarityKind.allCases {
            for objective in ContrastiveObjective.allCases {
                for neg in NegativeSet.allCases {
                    for sg in [false, true] {
                        let loss = ContrastiveLoss(
                            objective: objective, similarity: sim, scale: 1.3, temperature: 0.4, negatives: neg,
                            stopGradient: sg)
                        let ref = try loss.evaluate(anchors: a, positives: p, candidates: c, labels: labels)
                        let dist = try DistributedContrastiveLoss<Double>(
                            communicator: comm, loss: loss, blockElements: 20)
                        let r = try dist.evaluate(anchors: a, positives: p, candidates: c, labels: labels)
                        let what = "\(sim)/\(objective)/\(neg)/sg=\(sg)"
                        XCTAssertEqual(r.value, ref.value, accuracy: 1e-12 * max(1, abs(ref.value)), what)
                        XCTAssertLessThan(relativeError(r.dA, ref.dA), 1e-12, "\(what) dA")
                        XCTAssertLessThan(relativeError(r.dPos, ref.dPos), 1e-12, "\(what) dPos")
                        XCTAssertLessThan(relativeError(r.dC, ref.dC), 1e-12, "\(what) dC")
                        XCTAssertGreaterThan(dist.lastStats.computeSeconds, 0)
                    }
                }
            }
        }
        // Float agrees with Double to float rounding.
        let lf = ContrastiveLoss.clip(temperature: 0.2)
        let df = try DistributedContrastiveLoss<Float>(communicator: comm, loss: lf)
        let rf = try df.evaluateSymmetric(a.converted(to: Float.self), p.converted(to: Float.self))
        let rd = try lf.evaluateSymmetric(a, p)
        XCTAssertEqual(Double(rf.value), rd.value, accuracy: 1e-5 * abs(rd.value))
        XCTAssertLessThan(relativeError(rf.dFirst.converted(to: Double.self), rd.dFirst), 1e-5)
        XCTAssertLessThan(relativeError(rf.dSecond.converted(to: Double.self), rd.dSecond), 1e-5)
    }
}
