// ColoredDigits (Huang et al.'s Table 1 as synthetic data): color agreement ≈ 0.775 in
// training, the shifted pairing at test, label noise ≈ 10 %, layout of image and text rows,
// determinism per (seed, i), augmentations that keep the color.
import Linalg
import XCTest

@testable import Synthetic

final class ColoredDigitsTests: XCTestCase {
    let n = 20_000

    func model(_ colors: ColoredDigits.Colors = .aligned, split: DataSplit = .train) -> ColoredDigits {
        ColoredDigits(n: n, d: 24, colors: colors, seed: 7, split: split)
    }

    /// The fraction of samples with `predicate`, checked against p within 5 binomial σ.
    func assertRate(
        _ m: ColoredDigits, _ p: Double, _ what: String, _ predicate: (Int) -> Bool,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let hits = (0..<m.n).filter(predicate).count
        let sd = (p * (1 - p) / Double(m.n)).squareRoot()
        assertWithin5Sigma(Double(hits) / Double(m.n), p, sd: sd, what, file: file, line: line)
    }

    func testTrainingColorsAgreeWithTheDigitAtTheConfiguredRate() throws {
        let m = model()
        try m.validate()
        assertRate(m, 0.775, "P(color = digit)") { m.color(of: $0) == m.digit(of: $0) }
        assertRate(m, 0.1, "P(digit = 3)") { m.digit(of: $0) == 3 }
        // A disagreeing color is uniform over the other nine.
        assertRate(m, 0.225 / 9, "P(color = digit + 4)") { m.color(of: $0) == (m.digit(of: $0) + 4) % 10 }
        assertRate(m, 0.1, "P(label ≠ digit)") { m.label(of: $0) != m.digit(of: $0) }
        assertRate(m, 0.1 / 9, "P(label = digit + 2)") { m.label(of: $0) == (m.digit(of: $0) + 2) % 10 }
    }

    func testSwappedTestColorsFollowTheShiftedPairing() {
        let m = model(.swapped, split: .test)
        assertRate(m, 0.225 / 9, "test P(color = digit)") { m.color(of: $0) == m.digit(of: $0) }
        assertRate(m, 0.775, "test P(color = digit + 1)") { m.color(of: $0) == (m.digit(of: $0) + 1) % 10 }
        let independent = model(.independent, split: .test)
        assertRate(independent, 0.1, "independent P(color = digit)") {
            independent.color(of: $0) == independent.digit(of: $0)
        }
    }

    func testRowsLayoutAndDeterminismPerSeedAndIndex() throws {
        let m = ColoredDigits(n: 50, d: 24, textNorm: 2, seed: 3)
        var x = Matrix<Float>(rows: 0, cols: 0)
        var t = Matrix<Float>(rows: 0, cols: 0)
        try m.fillImages(0..<50, into: &x)
        try m.fillTexts(0..<50, into: &t)
        XCTAssertEqual(x.cols, 72)
        XCTAssertEqual(t.cols, 20)
        for i in 0..<50 {
            let y = m.digit(of: i)
            let c = m.color(of: i)
            for k in 0..<48 {
                let expected: Float = k == y ? 5 : k == 24 + 10 + c ? 5 : 0
                XCTAssertEqual(x[i, k], expected, "row \(i) column \(k)")
            }
            for k in 0..<20 { XCTAssertEqual(t[i, k], k == y || k == 10 + c ? 2 : 0) }
        }
        // Any subset, in any order, gives the same rows: a pure function of (seed, i).
        var sub = Matrix<Float>(rows: 0, cols: 0)
        try m.fillImages([41, 3, 17], into: &sub)
        for (r, i) in [41, 3, 17].enumerated() { XCTAssertEqual(sub.row(r), x.row(i)) }
        var again = m
        again.seed = 4
        var other = Matrix<Float>(rows: 0, cols: 0)
        try again.fillImages(0..<50, into: &other)
        XCTAssertNotEqual(other.storage, x.storage)
        var labels: [Int] = []
        try m.fillLabels([5, 6], into: &labels)
        XCTAssertEqual(labels, [m.label(of: 5), m.label(of: 6)])
        XCTAssertThrowsError(try m.fillImages([50], into: &sub))
    }

    func testAugmentationKeepsTheColorAndJittersShapeAndNoise() throws {
        let m = ColoredDigits(n: 20, d: 24, augmentationSigma: 0.5, seed: 3)
        var x = Matrix<Float>(rows: 0, cols: 0)
        var a = Matrix<Float>(rows: 0, cols: 0)
        var b = Matrix<Float>(rows: 0, cols: 0)
        try m.fillImages(0..<20, into: &x)
        try m.fillAugmentedImages(0..<20, draw: 1, into: &a)
        try m.fillAugmentedImages(0..<20, draw: 1, into: &b)
        XCTAssertEqual(a.storage, b.storage, "the same draw gives the same view")
        for i in 0..<20 {
            for k in 24..<48 { XCTAssertEqual(a[i, k], x[i, k], "color patch kept") }
            XCTAssertNotEqual(a[i, 0], x[i, 0])
            XCTAssertNotEqual(a[i, 60], x[i, 60])
        }
    }

    func testValidationNamesTheParameter() {
        XCTAssertThrowsError(try ColoredDigits(n: 10, classes: 10, d: 19).validate())
        XCTAssertThrowsError(try ColoredDigits(n: 10, agreement: 1.5).validate())
    }
}
