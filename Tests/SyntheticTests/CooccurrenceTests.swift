import Linalg
// Cooccurrence (Zhang et al. 2023): exact joint and marginals, the normalized co-occurrence
// spectrum, empirical frequencies of sampled tokens, one-hot rows, augmentation tokens.
import XCTest

@testable import Synthetic

final class CooccurrenceTests: XCTestCase {
    let model = Cooccurrence(
        n: 40_000, classes: 4, classPrior: [0.4, 0.3, 0.2, 0.1], imageVocabulary: 16,
        textVocabulary: 12, seed: 21)

    func testJointMarginalsAndNormalizedSpectrum() throws {
        let j = try model.jointMatrix()
        XCTAssertEqual(j.rows, 16)
        XCTAssertEqual(j.cols, 12)
        XCTAssertEqual(j.sum, 1, accuracy: 1e-12)
        XCTAssertFalse(j.storage.contains { $0 < 0 })
        let pv = try model.imageMarginal()
        let pl = try model.textMarginal()
        let condV = try model.imageConditionals()
        for v in 0..<16 {
            let expected = (0..<4).map { model.prior[$0] * condV[$0, v] }.reduce(0, +)
            XCTAssertEqual(pv[v], expected, accuracy: 1e-12)
        }
        XCTAssertEqual(pl.reduce(0, +), 1, accuracy: 1e-12)
        let s = try singularValues(model.normalizedCooccurrence())
        XCTAssertEqual(s[0], 1, accuracy: 1e-10)
        XCTAssert(s.allSatisfy { $0 <= 1 + 1e-10 })
        XCTAssertLessThan(s[4], 1e-10, "rank ≤ K = 4")
        XCTAssertGreaterThan(s[3], 1e-3)
        // Top singular vectors are √P(x_v) and √P(x_l).
        let top = try model.topSingularSubspace(1)
        let sign = top.u[0, 0] > 0 ? 1.0 : -1.0
        for v in 0..<16 { XCTAssertEqual(sign * top.u[v, 0], pv[v].squareRoot(), accuracy: 1e-8) }
        for l in 0..<12 { XCTAssertEqual(sign * top.vt[0, l], pl[l].squareRoot(), accuracy: 1e-8) }
        let k3 = try model.topSingularSubspace(3)
        XCTAssertEqual(k3.u.cols, 3)
        XCTAssertEqual(k3.vt.rows, 3)
        XCTAssertEqual(k3.s.count, 3)
        XCTAssertThrowsError(try model.topSingularSubspace(13))
    }

    func testTextIsMoreSemanticallyConsistentThanImages() throws {
        // E[max_c P(c | x)]: how well a single token identifies its class.
        func consistency(_ cond: Matrix<Double>) -> Double {
            var total = 0.0
            for t in 0..<cond.cols {
                let joint = (0..<4).map { model.prior[$0] * cond[$0, t] }
                total += joint.max() ?? 0
            }
            return total
        }
        let text = consistency(try model.textConditionals())
        let image = consistency(try model.imageConditionals())
        XCTAssertGreaterThan(text, image + 0.1)
        for c in 0..<4 {
            XCTAssertEqual(try model.textConditionals().row(c).reduce(0, +), 1, accuracy: 1e-12)
        }
    }

    func testEmpiricalFrequenciesMatchTheJoint() throws {
        let sampler = try model.makeSampler()
        let j = try model.jointMatrix()
        var counts = [Int](repeating: 0, count: 16 * 12)
        var classCounts = [Int](repeating: 0, count: 4)
        var sameAsAug = 0
        for i in 0..<model.n {
            let s = try sampler.sample(of: i)
            counts[s.image * 12 + s.text] += 1
            classCounts[s.latentClass] += 1
            if try sampler.augmentationToken(of: i, draw: 0) == s.image { sameAsAug += 1 }
        }
        let n = Double(model.n)
        for k in 0..<counts.count {
            let p = j.storage[k]
            assertWithin5Sigma(Double(counts[k]) / n, p, sd: (p * (1 - p) / n).squareRoot() + 1 / n, "cell \(k)")
        }
        for c in 0..<4 {
            let p = model.prior[c]
            assertWithin5Sigma(Double(classCounts[c]) / n, p, sd: (p * (1 - p) / n).squareRoot(), "class \(c)")
        }
        // The augmentation token is an independent draw from P(x_v | c): P(same) = Σ_c π_c Σ_v P(v|c)².
        let cond = try model.imageConditionals()
        let pSame = (0..<4).map { c in model.prior[c] * cond.row(c).map { $0 * $0 }.reduce(0, +) }.reduce(0, +)
        assertWithin5Sigma(
            Double(sameAsAug) / n, pSame, sd: (pSame * (1 - pSame) / n).squareRoot(), "P(augmentation = image)")
    }

    func testOneHotRowsMatchSamples() throws {
        let sampler = try model.makeSampler()
        var x = Matrix<Float>(rows: 0, cols: 0)
        var t = Matrix<Float>(rows: 0, cols: 0)
        var a = Matrix<Float>(rows: 0, cols: 0)
        var classes = [Int]()
        let idx = [7, 0, 39_999, 7]
        try sampler.fillOneHot(idx, images: &x, texts: &t, classes: &classes)
        try sampler.fillAugmentedImages(idx, draw: 2, into: &a)
        XCTAssertEqual(x.cols, 16)
        XCTAssertEqual(t.cols, 12)
        XCTAssertEqual(a.cols, 16)
        XCTAssertEqual(x.rowSums(), [1, 1, 1, 1])
        XCTAssertEqual(t.rowSums(), [1, 1, 1, 1])
        XCTAssertEqual(a.rowSums(), [1, 1, 1, 1])
        for (r, i) in idx.enumerated() {
            let s = try sampler.sample(of: i)
            XCTAssertEqual(x[r, s.image], 1)
            XCTAssertEqual(t[r, s.text], 1)
            XCTAssertEqual(classes[r], s.latentClass)
            XCTAssertEqual(a[r, try sampler.augmentationToken(of: i, draw: 2)], 1)
        }
        XCTAssertThrowsError(try sampler.sample(of: 40_000))
    }

    func testValidation() {
        func message(_ m: Cooccurrence) -> String? {
            do {
                try m.validate()
                return nil
            } catch { return "\(error)" }
        }
        XCTAssertNil(message(Cooccurrence(n: 10)))
        XCTAssertEqual(
            message(Cooccurrence(n: 10, classes: 5, imageVocabulary: 4)),
            "Cooccurrence: imageVocabulary must be >= classes = 5, got 4")
        XCTAssertEqual(
            message(Cooccurrence(n: 10, classes: 2, classPrior: [0.5, 0.6])),
            "Cooccurrence: classPrior must be summing to 1, got sum 1.1")
        XCTAssertEqual(
            message(Cooccurrence(n: 10, textLeakage: 2)), "Cooccurrence: textLeakage must be in [0, 1], got 2.0")
    }
}
