// Philox4x32-10 known answers (Random123 kat_vectors) and the statistics of CounterRNG streams.
import XCTest

@testable import Synthetic

final class PhiloxTests: XCTestCase {
    func testRandom123KnownAnswerVectors() {
        let cases: [(SIMD4<UInt32>, SIMD2<UInt32>, SIMD4<UInt32>)] = [
            (SIMD4(0, 0, 0, 0), SIMD2(0, 0), SIMD4(0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8)),
            (
                SIMD4(0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff), SIMD2(0xffff_ffff, 0xffff_ffff),
                SIMD4(0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd)
            ),
            (
                SIMD4(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), SIMD2(0xa409_3822, 0x299f_31d0),
                SIMD4(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1)
            ),
        ]
        for (ctr, key, want) in cases {
            XCTAssertEqual(Philox4x32.block(counter: ctr, key: key), want, "counter \(ctr) key \(key)")
        }
    }

    func testStreamIsPureAndWordsMatchBlocks() {
        var rng = CounterRNG(seed: 0xDEAD_BEEF_1234, purpose: .imageNoise, item: 7, draw: 3)
        let copy = rng
        let words = (0..<12).map { _ in rng.nextWord() }
        XCTAssertEqual(rng.position, 12)
        for j in 0..<12 {
            XCTAssertEqual(words[j], copy.word(at: UInt64(j)))
            XCTAssertEqual(words[j], copy.block(UInt32(j / 4))[j % 4])
        }
        // Key = seed, counter = (block, item, purpose|split, draw), as documented.
        let c = copy.stream.counterWords
        XCTAssertEqual(
            copy.block(1), Philox4x32.block(counter: SIMD4(1, c.0, c.1, c.2), key: SIMD2(0xBEEF_1234, 0xDEAD)))
        XCTAssertEqual(c.0, 7)
        XCTAssertEqual(c.1, UInt32(RNGPurpose.imageNoise.rawValue) << 16)
        XCTAssertEqual(c.2, 3)
    }

    func testDistinctStreamsDiffer() {
        let base = StreamID(purpose: .imageNoise, split: .train, item: 5, draw: 0)
        var others = [StreamID]()
        var s = base
        s.split = .test
        others.append(s)
        s = base
        s.item = 6
        others.append(s)
        s = base
        s.draw = 1
        others.append(s)
        s = base
        s.purpose = .textNoise
        others.append(s)
        s = base
        s.item = 5 + (1 << 32)
        others.append(s)
        let b0 = CounterRNG(seed: 1, stream: base).block(0)
        for o in others { XCTAssertNotEqual(CounterRNG(seed: 1, stream: o).block(0), b0, "\(o)") }
        XCTAssertNotEqual(CounterRNG(seed: 2, stream: base).block(0), b0)
    }

    func testUniformsAreInOpenUnitIntervalWithRightMoments() {
        var rng = CounterRNG(seed: 42, purpose: RNGPurpose(rawValue: 200))
        let n = 100_000
        var f = [Double]()
        var d = [Double]()
        f.reserveCapacity(n)
        for _ in 0..<n {
            let u = rng.nextFloat()
            XCTAssert(u > 0 && u < 1)
            f.append(Double(u))
        }
        for _ in 0..<(n / 4) {
            let u = rng.nextDouble()
            XCTAssert(u > 0 && u < 1)
            d.append(u)
        }
        assertWithin5Sigma(Stats.mean(f), 0.5, sd: (1.0 / 12 / Double(n)).squareRoot(), "Float uniform mean")
        assertWithin5Sigma(
            Stats.variance(f), 1.0 / 12, sd: (1.0 / 180 / Double(n)).squareRoot(), "Float uniform variance")
        assertWithin5Sigma(Stats.mean(d), 0.5, sd: (1.0 / 12 / Double(n / 4)).squareRoot(), "Double uniform mean")
        // Extremes of the mapping stay strictly inside (0, 1).
        XCTAssertGreaterThan(uniformFloat(0), 0)
        XCTAssertLessThan(uniformFloat(.max), 1)
        XCTAssertGreaterThan(uniformDouble(0), 0)
        XCTAssertLessThan(uniformDouble(.max), 1)
    }

    func testGaussianFillHasMeanVarianceAndTails() {
        let n = 100_000
        let sigma: Float = 2
        var x = [Float](repeating: .nan, count: n + 3)  // not a multiple of 4: exercises the tail block
        CounterRNG.fillGaussian(&x, sigma: sigma, seed: 9, purpose: RNGPurpose(rawValue: 201))
        XCTAssertFalse(x.contains { !$0.isFinite })
        let v = x.map(Double.init)
        let s2 = Double(sigma * sigma)
        assertWithin5Sigma(Stats.mean(v), 0, sd: (s2 / Double(v.count)).squareRoot(), "Gaussian mean")
        assertWithin5Sigma(Stats.variance(v), s2, sd: s2 * (2 / Double(v.count)).squareRoot(), "Gaussian variance")
        // P(|z| > 2σ) = 0.0455; P(|z| > 3σ) = 0.0027 (shape, not only moments).
        for (k, p) in [(2.0, 0.045500263896), (3.0, 0.002699796063)] {
            let frac = Double(v.filter { abs($0) > k * Double(sigma) }.count) / Double(v.count)
            assertWithin5Sigma(frac, p, sd: (p * (1 - p) / Double(v.count)).squareRoot(), "P(|z| > \(k)σ)")
        }
        // Pure: the same key gives the same values; a prefix is a prefix.
        var y = [Float](repeating: 0, count: 10)
        CounterRNG.fillGaussian(&y, sigma: sigma, seed: 9, purpose: RNGPurpose(rawValue: 201))
        XCTAssertEqual(y, Array(x.prefix(10)))
    }

    func testNextGaussianMoments() {
        var rng = CounterRNG(seed: 3, purpose: RNGPurpose(rawValue: 202))
        let n = 20_000
        let v = (0..<n).map { _ in rng.nextGaussian() }
        assertWithin5Sigma(Stats.mean(v), 0, sd: (1 / Double(n)).squareRoot(), "nextGaussian mean")
        assertWithin5Sigma(Stats.variance(v), 1, sd: (2 / Double(n)).squareRoot(), "nextGaussian variance")
    }

    func testCodableRoundTripKeepsPosition() throws {
        var rng = CounterRNG(seed: 77, purpose: .shuffle, split: .validation, item: 12, draw: 4)
        _ = rng.next()
        let data = try JSONEncoder().encode(rng)
        var back = try JSONDecoder().decode(CounterRNG.self, from: data)
        XCTAssertEqual(back, rng)
        XCTAssertEqual(back.next(), rng.next())
    }
}

/// The vectorised C Gaussian fill against the scalar libm formula it replaces: the same
/// Philox words, the same Box–Muller, log / sin / cos within a few ulp — so every value agrees
/// to a small multiple of float rounding (relative to σ), for every length's tail handling.
final class GaussianKernelTests: XCTestCase {
    func testVectorisedFillMatchesTheLibmReference() {
        var worst: Float = 0
        for (count, item) in [(1, 0), (3, 1), (31, 2), (32, 3), (33, 4), (1000, 5), (4099, 6)] {
            let stream = StreamID(purpose: .imageNoise, split: .train, item: item)
            var fast = [Float](repeating: .nan, count: count)
            var slow = [Float](repeating: .nan, count: count)
            fast.withUnsafeMutableBufferPointer {
                gaussianKernel($0.baseAddress!, count: count, sigma: 1.5, seed: 0xDEAD_BEEF_1234, stream: stream)
            }
            slow.withUnsafeMutableBufferPointer {
                gaussianKernelReference(
                    $0.baseAddress!, count: count, sigma: 1.5, seed: 0xDEAD_BEEF_1234, stream: stream)
            }
            for (a, b) in zip(fast, slow) {
                XCTAssertFalse(a.isNaN, "every value written (count \(count))")
                worst = max(worst, abs(a - b) / 1.5)
            }
        }
        // |x| ≤ ~6.7σ; a few ulp of values that size plus the reference's own rounding of θ.
        XCTAssertLessThan(worst, 4e-6, "largest difference from libm, in units of σ")
    }
}
