// The vectorised row exponentials against libm: relative error within a few ulp over the whole
// float range that matters for a softmax, exact zeros for masked (−∞) and underflowing
// entries, NaN kept, the sum equal to the sum of the values, Double through libm itself.
import Glibc
import Linalg
import XCTest

final class VectorExpTests: XCTestCase {
    func testFloatMatchesLibmWithinAFewUlp() {
        var values: [Float] = []
        var state: UInt64 = 12345
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(Float(Double(state >> 11) / Double(1 << 53) * 180 - 88))  // [−88, 92)
        }
        values += [0, -0.0, 1, -1, 88.7, -87.3, 1e-30, -1e-30, 0.34657359, -0.34657359]
        var row = values
        let sum = row.withUnsafeMutableBufferPointer {
            Float.expShifted($0.baseAddress!, count: $0.count, shift: 2, scale: 0.5, store: true)
        }
        var expected = 0.0
        var worst: Float = 0
        for (x, y) in zip(values, row) {
            let want = expf(x - 2)
            expected += Double(want)
            if want.isInfinite {
                XCTAssertEqual(y, 0.5 * want, "overflow at \(x)")
                continue
            }
            if want < Float.leastNormalMagnitude {
                XCTAssertLessThanOrEqual(y, 0.5 * Float.leastNormalMagnitude, "underflow at \(x)")
                continue
            }
            let ulps = abs(2 * y - want) / want.ulp
            worst = max(worst, ulps)
        }
        XCTAssertLessThanOrEqual(worst, 4, "worst error \(worst) ulp")
        XCTAssertEqual(
            Double(sum), expected, accuracy: 1e-5 * expected, "the returned sum is the sum of the exponentials")
    }

    func testMaskedUnderflowInfinityAndNaN() {
        var row: [Float] = [-.infinity, -200, 0, .infinity, .nan, -.infinity, -90, 3, 4]
        let sum = row.withUnsafeMutableBufferPointer {
            Float.expShifted($0.baseAddress!, count: $0.count, shift: 0, scale: 1, store: true)
        }
        XCTAssertEqual(row[0], 0)
        XCTAssertEqual(row[1], 0)
        XCTAssertEqual(row[5], 0)
        XCTAssertEqual(row[6], 0)
        XCTAssertEqual(row[2], 1)
        XCTAssertEqual(row[3], .infinity)
        XCTAssertTrue(row[4].isNaN, "a NaN logit stays NaN")
        XCTAssertTrue(sum.isNaN)
        XCTAssertEqual(row[8], expf(4), accuracy: 2 * expf(4).ulp, "the scalar tail")
    }

    func testSumOnlyLeavesTheRowAndDoubleUsesLibm() {
        var row: [Float] = (0..<37).map { Float($0) * 0.25 - 4 }
        let copy = row
        let s = row.withUnsafeMutableBufferPointer {
            Float.expShifted($0.baseAddress!, count: $0.count, shift: 1, scale: 9, store: false)
        }
        XCTAssertEqual(row, copy, "store: false does not write")
        XCTAssertEqual(s, copy.map { expf($0 - 1) }.reduce(0, +), accuracy: 1e-5 * s)
        var d: [Double] = [-1, 0, 0.5, -.infinity]
        let ds = d.withUnsafeMutableBufferPointer {
            Double.expShifted($0.baseAddress!, count: 4, shift: 0.5, scale: 2, store: true)
        }
        XCTAssertEqual(d, [2 * exp(-1.5), 2 * exp(-0.5), 2, 0])
        XCTAssertEqual(ds, exp(-1.5) + exp(-0.5) + 1, accuracy: 1e-15)
    }
}
