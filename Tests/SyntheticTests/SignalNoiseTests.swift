import Linalg
// SignalNoise (Huang et al. 2024): layout, labels, noise statistics and projection, SNR,
// shared-noise augmentation, presets, validation.
import XCTest

@testable import Synthetic

final class SignalNoiseTests: XCTestCase {
    let d = 100

    func model(n: Int = 4000, sigmaP: Float = 2, positiveFraction: Double = 0.3) -> SignalNoise {
        SignalNoise(
            n: n, image: .init(d: d, signalAxis: 3, signalNorm: 5, sigmaP: sigmaP),
            text: .init(d: 60, signalAxis: 1, signalNorm: 15, sigmaP: 1),
            positiveFraction: positiveFraction, seed: 11)
    }

    func testImageRowsLayoutLabelsAndNoiseStatistics() throws {
        let m = model()
        try m.validate()
        var x = Matrix<Float>(rows: 1, cols: 1)
        var y = [Float]()
        try m.fillImages(0..<m.n, into: &x)
        try m.fillLabels(0..<m.n, into: &y)
        XCTAssertEqual(x.rows, m.n)
        XCTAssertEqual(x.cols, 2 * d)
        var noise = [Double]()
        noise.reserveCapacity(m.n * d)
        for i in 0..<m.n {
            XCTAssert(y[i] == 1 || y[i] == -1)
            XCTAssertEqual(try m.label(of: i), y[i])
            for k in 0..<d { XCTAssertEqual(x[i, k], k == 3 ? y[i] * 5 : 0, "patch 1 of sample \(i) must be y·μ") }
            XCTAssertEqual(x[i, d + 3], 0, "noise must be orthogonal to μ (projected)")
            for k in 0..<d where k != 3 { noise.append(Double(x[i, d + k])) }
        }
        let p = Double(y.filter { $0 == 1 }.count) / Double(m.n)
        assertWithin5Sigma(p, 0.3, sd: (0.3 * 0.7 / Double(m.n)).squareRoot(), "P(y = +1)")
        assertWithin5Sigma(Stats.mean(noise), 0, sd: (4 / Double(noise.count)).squareRoot(), "noise mean")
        assertWithin5Sigma(
            Stats.variance(noise), 4, sd: 4 * (2 / Double(noise.count)).squareRoot(), "noise variance σ_p²")
        // Noise coordinates are uncorrelated (neighbouring coordinates).
        var c = 0.0
        for i in 0..<m.n { for k in 4..<(d - 1) { c += Double(x[i, d + k] * x[i, d + k + 1]) } }
        let count = Double(m.n * (d - 5))
        assertWithin5Sigma(c / count, 0, sd: 4 / count.squareRoot(), "neighbour covariance")
    }

    func testUnprojectedNoiseKeepsTheSignalCoordinate() throws {
        var m = model(n: 3000)
        m.image.projectNoise = false
        var x = Matrix<Float>(rows: 0, cols: 0)
        try m.fillImages(0..<m.n, into: &x)
        let v = (0..<m.n).map { Double(x[$0, d + 3]) }
        assertWithin5Sigma(Stats.variance(v), 4, sd: 4 * (2 / Double(m.n)).squareRoot(), "variance along μ")
    }

    func testSNRFormulaAndSignalVectors() throws {
        let mod = SignalNoise.Modality(d: 400, signalAxis: 2, snr: 0.5, sigmaP: 2)
        try mod.validate()
        XCTAssertEqual(mod.resolvedSignalNorm, 0.5 * 2 * 20, accuracy: 1e-5)
        XCTAssertEqual(mod.resolvedSNR, 0.5, accuracy: 1e-6)
        let mu = mod.signal
        XCTAssertEqual(mu.count, 400)
        XCTAssertEqual(mu[2], 20, accuracy: 1e-5)
        XCTAssertEqual(mu.map { $0 * $0 }.reduce(0, +), 400, accuracy: 1e-3)
        // Empirical SNR: ‖μ‖ / √(E‖ξ‖² / (d − 1) · d) with projected noise.
        let m = SignalNoise(n: 500, image: mod, text: .init(d: 10, signalAxis: 1, signalNorm: 1), seed: 5)
        var xi = Matrix<Float>(rows: 0, cols: 0)
        try m.fillImageNoise(0..<m.n, into: &xi)
        let meanSq = Double(xi.storage.map { $0 * $0 }.reduce(0, +)) / Double(m.n * (400 - 1))
        let empirical = 20 / (meanSq.squareRoot() * 20)
        XCTAssertEqual(empirical, 0.5, accuracy: 0.01)
        XCTAssertEqual(SignalNoise.Modality(d: 400, signalNorm: 7).resolvedSNR, 7 / 20, accuracy: 1e-6)
    }

    func testTextSharesLabelsAndHasIndependentNoise() throws {
        let m = model(n: 2000)
        var x = Matrix<Float>(rows: 0, cols: 0)
        var t = Matrix<Float>(rows: 0, cols: 0)
        try m.fillImages(0..<m.n, into: &x)
        try m.fillTexts(0..<m.n, into: &t)
        XCTAssertEqual(t.cols, 120)
        var cross = 0.0
        for i in 0..<m.n {
            XCTAssertEqual(t[i, 1], x[i, 3] / 5 * 15, "text signal is y·μ̃ with the image's y")
            XCTAssertEqual(t[i, 60 + 1], 0, "text noise is projected")
            cross += Double(x[i, d + 10] * t[i, 60 + 10])
        }
        assertWithin5Sigma(cross / Double(m.n), 0, sd: 2 / Double(m.n).squareRoot(), "image/text noise covariance")
        XCTAssertEqual(try m.textNoise(of: 17), Array(t.row(17)[60...]))
        XCTAssertEqual(m.textSignal[1], 15)
    }

    func testNoiseAccessorsAndIndexSubsetsRegenerateRows() throws {
        let m = model(n: 50)
        var x = Matrix<Float>(rows: 0, cols: 0)
        var sub = Matrix<Float>(rows: 0, cols: 0)
        try m.fillImages(0..<m.n, into: &x)
        try m.fillImages([41, 2, 2, 17], into: &sub)
        for (r, i) in [41, 2, 2, 17].enumerated() { XCTAssertEqual(sub.row(r), x.row(i)) }
        XCTAssertEqual(try m.imageNoise(of: 9), Array(x.row(9)[d...]))
        XCTAssertEqual(m.imageSignal[3], 5)
        // Reusing a matrix with the same shape keeps its storage (no reallocation).
        var reused = Matrix<Float>(rows: 4, cols: 2 * d)
        try m.fillImages(10..<14, into: &reused)
        let before = reused.storage.withUnsafeBufferPointer { $0.baseAddress }
        try m.fillImages(20..<24, into: &reused)
        XCTAssertEqual(reused.storage.withUnsafeBufferPointer { $0.baseAddress }, before)
        XCTAssertEqual(reused.row(0), x.row(20))
    }

    func testGaussianAugmentationSharesNoiseAndAddsFreshEpsilon() throws {
        let m = model(n: 1000)  // default augmentation: ε ~ N(0, 0.1²)
        var x = Matrix<Float>(rows: 0, cols: 0)
        var a = Matrix<Float>(rows: 0, cols: 0)
        var b = Matrix<Float>(rows: 0, cols: 0)
        try m.fillImages(0..<m.n, into: &x)
        try m.fillAugmentedImages(0..<m.n, draw: 0, into: &a)
        try m.fillAugmentedImages(0..<m.n, draw: 1, into: &b)
        var eps = [Double]()
        var diffDraw = 0.0
        for i in 0..<m.n {
            for k in 0..<d { XCTAssertEqual(a[i, k], x[i, k], "augmentation keeps y·μ") }
            for k in 0..<d {
                eps.append(Double(a[i, d + k] - x[i, d + k]))
                diffDraw += Double(abs(a[i, d + k] - b[i, d + k]))
            }
        }
        assertWithin5Sigma(Stats.mean(eps), 0, sd: 0.1 / Double(eps.count).squareRoot(), "ε mean")
        assertWithin5Sigma(
            Stats.variance(eps), 0.01, sd: 0.01 * (2 / Double(eps.count)).squareRoot() + 1e-6, "ε variance")
        XCTAssertGreaterThan(diffDraw, 0, "different draws give different ε")
        // The shared noise dominates: ⟨x̂ noise, x noise⟩ ≈ ‖ξ‖².
        let xa: [Float] = Array(a.row(0)[d...])
        let xx: [Float] = Array(x.row(0)[d...])
        let cosine = dot(xa, xx) / dot(xx, xx)
        XCTAssertEqual(cosine, 1, accuracy: 0.05)
        var again = Matrix<Float>(rows: 0, cols: 0)
        try m.fillAugmentedImages([5], draw: 1, into: &again)
        XCTAssertEqual(again.row(0), b.row(5), "augmentation is a pure function of (i, draw)")
    }

    func testMaskingAugmentationZeroesAFractionOfTheNoise() throws {
        var m = model(n: 1000)
        m.augmentation = .masking(maskFraction: 0.25)
        try m.validate()
        var x = Matrix<Float>(rows: 0, cols: 0)
        var a = Matrix<Float>(rows: 0, cols: 0)
        try m.fillImages(0..<m.n, into: &x)
        try m.fillAugmentedImages(0..<m.n, draw: 3, into: &a)
        var zeroed = 0
        var total = 0
        for i in 0..<m.n {
            for k in 0..<d where k != 3 {
                total += 1
                if a[i, d + k] == 0 { zeroed += 1 } else { XCTAssertEqual(a[i, d + k], x[i, d + k]) }
            }
        }
        assertWithin5Sigma(
            Double(zeroed) / Double(total), 0.25, sd: (0.25 * 0.75 / Double(total)).squareRoot(), "mask fraction")
    }

    func testTrainAndTestSplitsAreDisjointStreams() throws {
        var train = model(n: 10)
        var test = model(n: 10)
        test.split = .test
        var a = Matrix<Float>(rows: 0, cols: 0)
        var b = Matrix<Float>(rows: 0, cols: 0)
        try train.fillImageNoise(0..<10, into: &a)
        try test.fillImageNoise(0..<10, into: &b)
        for i in 0..<10 { XCTAssertNotEqual(a.row(i), b.row(i)) }
        train.seed = 12
        try train.fillImageNoise(0..<10, into: &b)
        XCTAssertNotEqual(a.row(0), b.row(0))
    }

    func testPaperFigure1Presets() throws {
        let train = SignalNoise.paperFigure1(n: 100, seed: 1)
        let test = SignalNoise.paperFigure1Test(n: 200, seed: 1)
        try train.validate()
        try test.validate()
        XCTAssertEqual(train.n, 100)
        XCTAssertEqual(test.n, 200)
        XCTAssertEqual(train.image.d, 2000)
        XCTAssertEqual(train.imageSignal[0], 5)
        XCTAssertEqual(train.imageSignal.map(abs).reduce(0, +), 5)
        XCTAssertEqual(train.textSignal[1], 15)
        XCTAssertEqual(train.textSignal.map(abs).reduce(0, +), 15)
        XCTAssertEqual(train.image.sigmaP, 1)
        XCTAssertEqual(train.text.sigmaP, 1)
        XCTAssertEqual(train.augmentation, .gaussian(augmentationSigma: 0.1))
        XCTAssertEqual(test.imageSignal[0], 2)
        XCTAssertEqual(test.image.sigmaP, 1)
        XCTAssertEqual(test.split, .test)
        XCTAssertEqual(train.split, .train)
    }

    func testValidationNamesParameterAndRange() {
        func message(_ m: SignalNoise) -> String? {
            do {
                try m.validate()
                return nil
            } catch { return "\(error)" }
        }
        var m = model()
        XCTAssertNil(message(m))
        m.image.sigmaP = -1
        XCTAssertEqual(message(m), "SignalNoise: image.sigmaP must be > 0 and finite, got -1.0")
        m = model()
        m.image.snr = 1
        XCTAssertEqual(message(m), "SignalNoise: image.signalNorm / image.snr must be exactly one given, got both")
        m = model()
        m.text.signalNorm = nil
        XCTAssertEqual(message(m), "SignalNoise: text.signalNorm / text.snr must be exactly one given, got neither")
        m = model()
        m.image.signalAxis = 100
        XCTAssertEqual(message(m), "SignalNoise: image.signalAxis must be in 0..<d = 0..<100, got 100")
        m = model()
        m.positiveFraction = 1.5
        XCTAssertEqual(message(m), "SignalNoise: positiveFraction must be in [0, 1], got 1.5")
        m = model()
        m.augmentation = .gaussian(augmentationSigma: -0.1)
        XCTAssertEqual(message(m), "SignalNoise: augmentationSigma must be >= 0 and finite, got -0.1")
        m = model()
        m.n = 0
        XCTAssertEqual(message(m), "SignalNoise: n must be >= 1, got 0")
        var x = Matrix<Float>(rows: 0, cols: 0)
        XCTAssertThrowsError(try model(n: 5).fillImages([1, 5], into: &x)) { e in
            XCTAssertEqual(e as? SyntheticError, .indexOutOfRange(model: "SignalNoise", index: 5, count: 5))
        }
    }

    func testCodableRoundTrip() throws {
        var m = model()
        m.augmentation = .masking(maskFraction: 0.5)
        m.image = .init(d: 30, snr: 0.2, sigmaP: 0.5, projectNoise: false)
        let back = try JSONDecoder().decode(SignalNoise.self, from: JSONEncoder().encode(m))
        XCTAssertEqual(back, m)
    }
}
