// Zhang et al.'s bound quantities on the co-occurrence model: σ_{k+1} of the normalized
// co-occurrence matrix against a direct SVD (Linalg's LAPACKE wrapper) of the matrix built
// here from the joint by explicit loops, the rank-K structure, and the labeling error and the
// image Bayes error against their closed forms on a two-class model.
import Linalg
import XCTest

@testable import Synthetic

final class CooccurrenceBoundTests: XCTestCase {
    func testSigmaNextMatchesADirectSVD() throws {
        let model = Cooccurrence(
            n: 100, classes: 3, classPrior: [0.5, 0.3, 0.2], imageVocabulary: 7, textVocabulary: 5,
            imageLeakage: 0.3, textLeakage: 0.1, seed: 4)
        // Ā = D_v^{-1/2} A D_l^{-1/2} from the joint A, by explicit loops.
        let joint = try model.jointMatrix()
        var rowSums = [Double](repeating: 0, count: 7)
        var colSums = [Double](repeating: 0, count: 5)
        for v in 0..<7 {
            for l in 0..<5 {
                rowSums[v] += joint[v, l]
                colSums[l] += joint[v, l]
            }
        }
        let normalized = Matrix<Double>(rows: 7, cols: 5) { v, l in
            joint[v, l] / (rowSums[v] * colSums[l]).squareRoot()
        }
        let direct = try svd(normalized)
        XCTAssertEqual(direct.s[0], 1, accuracy: 1e-12, "σ₁ = 1")
        for k in 1...4 {
            let q = try model.boundQuantities(k: k)
            XCTAssertEqual(q.sigmaNext, direct.s[k], accuracy: 1e-12, "σ_{k+1}, k = \(k)")
        }
        // Rank ≤ K = 3: σ_4 = σ_5 = 0, and 0 past the end.
        XCTAssertGreaterThan(direct.s[2], 1e-3)
        XCTAssertEqual(try model.boundQuantities(k: 3).sigmaNext, 0, accuracy: 1e-12)
        XCTAssertEqual(try model.boundQuantities(k: 9).sigmaNext, 0)
        XCTAssertThrowsError(try model.boundQuantities(k: 0))
    }

    func testWithoutLeakageTheClassesSeparateExactly() throws {
        let model = Cooccurrence(
            n: 10, classes: 4, imageVocabulary: 12, textVocabulary: 8, imageLeakage: 0, textLeakage: 0, seed: 2)
        let s = try model.cooccurrenceSingularValues()
        for i in 0..<4 { XCTAssertEqual(s[i], 1, accuracy: 1e-10, "σ_\(i + 1): one block per class") }
        let q = try model.boundQuantities(k: 3)
        XCTAssertEqual(q.sigmaNext, 1, accuracy: 1e-10, "k = 3 < K: σ₄ = 1, the bound is vacuous")
        XCTAssertEqual(q.labelingError, 0, accuracy: 1e-15)
        XCTAssertEqual(q.imageBayesError, 0, accuracy: 1e-12)
        XCTAssertEqual(try model.boundQuantities(k: 4).sigmaNext, 0, accuracy: 1e-10)
    }

    func testLabelingErrorOnTwoClassesMatchesItsClosedForm() throws {
        // One token per class: P(own | c) = 1 − ℓ/2. With a = ℓ_v/2, b = ℓ_l/2 the image and the
        // text disagree with probability (1 − a) b + a (1 − b); the image alone errs with a.
        for (lv, ll) in [(0.3, 0.1), (0.6, 0.2), (0.0, 0.5)] {
            let model = Cooccurrence(
                n: 10, classes: 2, imageVocabulary: 2, textVocabulary: 2, imageLeakage: lv, textLeakage: ll, seed: 7)
            let a = lv / 2
            let b = ll / 2
            let q = try model.boundQuantities(k: 1)
            XCTAssertEqual(q.labelingError, (1 - a) * b + a * (1 - b), accuracy: 1e-12, "leaks \(lv), \(ll)")
            XCTAssertEqual(q.imageBayesError, a, accuracy: 1e-12, "leaks \(lv), \(ll)")
            // Ā's second singular value: the correlation of the two tokens' classes, (1 − 2a)(1 − 2b).
            XCTAssertEqual(q.sigmaNext, (1 - 2 * a) * (1 - 2 * b), accuracy: 1e-12, "leaks \(lv), \(ll)")
        }
    }
}
