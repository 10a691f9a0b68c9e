// Encoder tests: forward values against direct loops, and the hand-derived backward passes
// of ReLUPatchEncoder (summed and patch-wise) and LinearEncoder against central differences.
import InfoMax
import Linalg
import XCTest

final class EncoderGradientTests: XCTestCase {
    /// Inputs and weights whose pre-activations all stay at least `margin` away from the ReLU
    /// kink, so finite differences never cross it: seeds are tried until one qualifies.
    /// With `aligned`, patch `aligned.patch` of every row is zeroed outside column `aligned.axis`.
    func kinkFreeProblem(
        b: Int, P: Int, m: Int, d: Int, margin: Double,
        aligned: AxisAlignedPatch? = nil
    ) -> (x: Matrix<Double>, w: Matrix<Double>) {
        for seed in UInt64(1)... {
            var rng = TestRNG(seed: seed)
            var x: Matrix<Double> = rng.matrix(b, P * d)
            if let aligned {
                for i in 0..<b { for t in 0..<d where t != aligned.axis { x[i, aligned.patch * d + t] = 0 } }
            }
            let w: Matrix<Double> = rng.matrix(m, d, scale: 0.5)
            var ok = true
            for i in 0..<b {
                for p in 0..<P {
                    for r in 0..<m {
                        var s = 0.0
                        for t in 0..<d { s += w[r, t] * x[i, p * d + t] }
                        if abs(s) < margin { ok = false }
                    }
                }
            }
            if ok { return (x, w) }
        }
        fatalError("unreachable")
    }

    func testReLUForwardMatchesDirectLoops() throws {
        var rng = TestRNG(seed: 7)
        let b = 4
        let P = 3
        let m = 5
        let d = 6
        let x: Matrix<Double> = rng.matrix(b, P * d)
        let w: Matrix<Double> = rng.matrix(m, d)
        let summed = try ReLUPatchEncoder(weights: w, patches: P, mode: .summed)(x)
        let patchwise = try ReLUPatchEncoder(weights: w, patches: P, mode: .patchwise)(x)
        XCTAssertEqual(summed.shape.rows, b)
        XCTAssertEqual(summed.shape.cols, m)
        XCTAssertEqual(patchwise.shape.cols, P * m)
        var positives = 0
        for i in 0..<b {
            for r in 0..<m {
                var total = 0.0
                for p in 0..<P {
                    var s = 0.0
                    for t in 0..<d { s += w[r, t] * x[i, p * d + t] }
                    let relu = max(s, 0)
                    if relu > 0 { positives += 1 }
                    XCTAssertEqual(patchwise[i, p * m + r], relu, accuracy: 1e-12)
                    total += relu
                }
                XCTAssertEqual(summed[i, r], total, accuracy: 1e-12)
            }
        }
        XCTAssertGreaterThan(positives, 0)
        XCTAssertLessThan(positives, b * m * P, "some units must be inactive for the test to exercise the ReLU")
    }

    func checkReLUGradient(mode: PatchOutput, patches P: Int = 2, aligned: AxisAlignedPatch? = nil) throws {
        let b = 5
        let m = 4
        let d = 3
        let (x, w) = kinkFreeProblem(b: b, P: P, m: m, d: d, margin: 1e-2, aligned: aligned)
        let enc = try ReLUPatchEncoder(weights: w, patches: P, mode: mode, axisAlignedPatch: aligned)
        var rng = TestRNG(seed: 99)
        let r: Matrix<Double> = rng.matrix(b, enc.outputWidth)
        // L(W) = Σ R ⊙ encoder(x).
        func lossOf(_ wt: Matrix<Double>) throws -> Double {
            // The plain encoder (every patch through the gemm) defines the loss.
            let out = try ReLUPatchEncoder(weights: wt, patches: P, mode: mode)(x)
            return dot(out.storage, r.storage)
        }
        var out = Matrix<Double>(rows: 0, cols: 0)
        var cache = EncoderCache<Double>()
        try enc.forward(x, into: &out, cache: &cache)
        var grad = enc.zeroGradient()
        try enc.backward(x, outputGradient: r, cache: &cache, accumulatingInto: &grad)
        assertGradient(
            grad, try numericGradient(w, h: 1e-6, lossOf), "ReLU \(mode) dW (aligned: \(String(describing: aligned)))")
        // backward accumulates: a second call doubles the gradient.
        var twice = grad
        try enc.backward(x, outputGradient: r, cache: &cache, accumulatingInto: &twice)
        XCTAssertLessThan(relativeError(twice, 2 * grad), 1e-14)
    }

    func testReLUSummedGradient() throws { try checkReLUGradient(mode: .summed) }
    func testReLUPatchwiseGradient() throws { try checkReLUGradient(mode: .patchwise) }

    /// The axis-aligned patch's shortcut (no gemm for it) has the same gradient, for the
    /// aligned patch first, in the middle and last.
    func testAxisAlignedPatchGradient() throws {
        for mode in PatchOutput.allCases {
            try checkReLUGradient(mode: mode, aligned: AxisAlignedPatch(patch: 0, axis: 1))
            try checkReLUGradient(mode: mode, patches: 3, aligned: AxisAlignedPatch(patch: 1, axis: 0))
            try checkReLUGradient(mode: mode, patches: 3, aligned: AxisAlignedPatch(patch: 2, axis: 2))
        }
    }

    /// Float rows as the signal-noise model writes them (patch 0 = ±‖μ‖·e_a, the noise patch
    /// zero at a): the shortcut's embeddings and weight gradient equal the plain encoder's to
    /// float rounding. Not to the bit: the shortcut's gemm runs over b rows of the noise patch,
    /// the plain one over b·P patch rows, and OpenBLAS's kernels may round the tail rows of
    /// the two shapes differently (seen on an AMD EPYC, in the last row of b = 50).
    func testAxisAlignedPatchMatchesThePlainEncoder() throws {
        var rng = TestRNG(seed: 11)
        let m = 7
        let d = 40
        let axis = 3
        for b in [1, 50, 700] {
            var x = Matrix<Float>(rows: b, cols: 2 * d)
            for i in 0..<b {
                x[i, axis] = (rng.uniform() < 0.5 ? -1 : 1) * 5
                for t in 0..<d where t != axis { x[i, d + t] = Float(rng.gaussian()) }
            }
            let w = Matrix<Float>(rows: m, cols: d) { _, _ in Float(rng.gaussian()) * 0.1 }
            let g0 = Matrix<Float>(rows: m, cols: d) { _, _ in Float(rng.gaussian()) }
            for mode in PatchOutput.allCases {
                let plain = try ReLUPatchEncoder(weights: w, patches: 2, mode: mode)
                let fast = try ReLUPatchEncoder(
                    weights: w, patches: 2, mode: mode,
                    axisAlignedPatch: AxisAlignedPatch(patch: 0, axis: axis))
                var outPlain = Matrix<Float>(rows: 0, cols: 0)
                var outFast = Matrix<Float>(rows: 0, cols: 0)
                var cachePlain = EncoderCache<Float>()
                var cacheFast = EncoderCache<Float>()
                try plain.forward(x, into: &outPlain, cache: &cachePlain)
                try fast.forward(x, into: &outFast, cache: &cacheFast)
                XCTAssertLessThan(relativeGap(outFast.storage, outPlain.storage), 1e-5, "b \(b) \(mode): embeddings")
                let dOut = Matrix<Float>(rows: b, cols: plain.outputWidth) { _, _ in Float(rng.gaussian()) }
                var gradPlain = g0
                var gradFast = g0
                try plain.backward(x, outputGradient: dOut, cache: &cachePlain, accumulatingInto: &gradPlain)
                try fast.backward(x, outputGradient: dOut, cache: &cacheFast, accumulatingInto: &gradFast)
                XCTAssertLessThan(
                    relativeGap(gradFast.storage, gradPlain.storage), 1e-5, "b \(b) \(mode): weight gradient")
            }
        }
    }

    /// The largest |a − b| / max(|b|, 1) over the elements (a and b of the same count).
    private func relativeGap(_ a: [Float], _ b: [Float]) -> Float {
        XCTAssertEqual(a.count, b.count)
        return zip(a, b).reduce(0) { worst, pair in max(worst, abs(pair.0 - pair.1) / max(abs(pair.1), 1)) }
    }

    func testLinearGradient() throws {
        var rng = TestRNG(seed: 3)
        let x: Matrix<Double> = rng.matrix(6, 4)
        let w: Matrix<Double> = rng.matrix(3, 4)
        let r: Matrix<Double> = rng.matrix(6, 3)
        let enc = try LinearEncoder(weights: w)
        let z = try enc(x)
        XCTAssertLessThan(relativeError(z, matmul(x, .none, w, .transpose)), 1e-14)
        var cache = EncoderCache<Double>()
        var grad = enc.zeroGradient()
        try enc.backward(x, outputGradient: r, cache: &cache, accumulatingInto: &grad)
        let numeric = try numericGradient(w) { wt in dot(try LinearEncoder(weights: wt)(x).storage, r.storage) }
        assertGradient(grad, numeric, "linear dW")
        XCTAssertEqual(enc.parameterCount, 12)
    }

    func testSingleModalGradientIsSumOfBothViews() throws {
        let (x, w) = kinkFreeProblem(b: 4, P: 2, m: 3, d: 3, margin: 1e-2)
        let (xHat, _) = kinkFreeProblem(b: 4, P: 2, m: 3, d: 3, margin: 0)  // any second batch
        var rng = TestRNG(seed: 5)
        var sm = SingleModal(encoder: try ReLUPatchEncoder(weights: w, patches: 2, mode: .summed))
        var h = Matrix<Double>(rows: 0, cols: 0)
        var hh = Matrix<Double>(rows: 0, cols: 0)
        try sm.forward(x, xHat, into: &h, &hh)
        let r1: Matrix<Double> = rng.matrix(4, 3)
        let r2: Matrix<Double> = rng.matrix(4, 3)
        var grad = sm.encoder.zeroGradient()
        try sm.backward(x, xHat, dH: r1, dHHat: r2, accumulatingInto: &grad)
        var g1 = sm.encoder.zeroGradient()
        var g2 = sm.encoder.zeroGradient()
        var c1 = EncoderCache<Double>()
        var c2 = EncoderCache<Double>()
        var tmp = Matrix<Double>(rows: 0, cols: 0)
        try sm.encoder.forward(x, into: &tmp, cache: &c1)
        try sm.encoder.backward(x, outputGradient: r1, cache: &c1, accumulatingInto: &g1)
        try sm.encoder.forward(xHat, into: &tmp, cache: &c2)
        try sm.encoder.backward(xHat, outputGradient: r2, cache: &c2, accumulatingInto: &g2)
        XCTAssertLessThan(relativeError(grad, g1 + g2), 1e-14)
        XCTAssertGreaterThan(g2.maxAbs, 0)
    }

    func testShapeErrorsThrow() throws {
        let enc = try ReLUPatchEncoder(weights: Matrix<Double>(rows: 2, cols: 3), patches: 2)
        XCTAssertThrowsError(try enc(Matrix<Double>(rows: 1, cols: 5)))
        XCTAssertThrowsError(try ReLUPatchEncoder(weights: Matrix<Double>(rows: 2, cols: 3), patches: 0))
        XCTAssertThrowsError(
            try ReLUPatchEncoder(
                weights: Matrix<Double>(rows: 2, cols: 3), patches: 2,
                axisAlignedPatch: AxisAlignedPatch(patch: 2, axis: 0)))
        XCTAssertThrowsError(
            try ReLUPatchEncoder(
                weights: Matrix<Double>(rows: 2, cols: 3), patches: 2,
                axisAlignedPatch: AxisAlignedPatch(patch: 0, axis: 3)))
    }
}
