// Linalg/VectorExp.swift — the softmax inner loop, vectorised: e_j = exp(x_j − shift) over a
// row, optionally stored scaled, and their sum. For Float, eight lanes at a time with
// Cephes' expf (range reduction by ln 2, degree-6 polynomial; within 2 ulp of glibc's expf,
// checked in LinalgTests); a row of logits costs a fraction of the scalar libm calls. Inputs
// below −87.3 (−∞ for masked candidates included) give exactly 0; NaN stays NaN.
import RealModule

/// Row-wise exponentials for the log-sum-exp and softmax of the contrastive losses.
public protocol RowExp {
    /// Σ_j exp(x_j − shift) over `n` values at `x`; if `store`, also x_j ← scale·exp(x_j − shift).
    static func expShifted(_ x: UnsafeMutablePointer<Self>, count n: Int, shift: Self, scale: Self, store: Bool) -> Self
    /// The column softmax inner loop: acc_j += exp(x_j − shifts_j) over `n` values (x unchanged).
    static func expAccumulateColumns(
        _ x: UnsafePointer<Self>, count n: Int, shifts: UnsafePointer<Self>,
        into acc: UnsafeMutablePointer<Self>)
    /// The symmetric loss's weights of one row: x_j ← scale·exp(x_j − rowShift) into `x`, and
    /// y_j ← scale·exp(x_j − columnShifts_j) into `y` if given, else ADDED to x_j (x_j ←
    /// scale·(exp(x_j − rowShift) + exp(x_j − columnShifts_j))).
    static func expRowAndColumns(
        _ x: UnsafeMutablePointer<Self>, count n: Int, rowShift: Self, columnShifts: UnsafePointer<Self>,
        scale: Self, columnsInto y: UnsafeMutablePointer<Self>?)
    /// ``expRowAndColumns(_:count:rowShift:columnShifts:scale:columnsInto:)`` with one
    /// exponential per value: the column term comes from the row one,
    /// exp(x_j − c_j) = exp(x_j − rowShift)·rowFactor·columnFactors_j, the caller's factors
    /// being rowFactor = exp(rowShift − K) and columnFactors_j = exp(K − c_j) for one K.
    static func expRowScaledColumns(
        _ x: UnsafeMutablePointer<Self>, count n: Int, rowShift: Self, rowFactor: Self,
        columnFactors: UnsafePointer<Self>, scale: Self, columnsInto y: UnsafeMutablePointer<Self>?)
}

extension Double: RowExp {
    @inlinable
    public static func expShifted(
        _ x: UnsafeMutablePointer<Double>, count n: Int, shift: Double, scale: Double, store: Bool
    ) -> Double {
        var sum = 0.0
        for j in 0..<n {
            let e = Double.exp(x[j] - shift)
            sum += e
            if store { x[j] = scale * e }
        }
        return sum
    }

    @inlinable
    public static func expAccumulateColumns(
        _ x: UnsafePointer<Double>, count n: Int, shifts: UnsafePointer<Double>,
        into acc: UnsafeMutablePointer<Double>
    ) {
        for j in 0..<n { acc[j] += Double.exp(x[j] - shifts[j]) }
    }

    @inlinable
    public static func expRowAndColumns(
        _ x: UnsafeMutablePointer<Double>, count n: Int, rowShift: Double,
        columnShifts: UnsafePointer<Double>, scale: Double, columnsInto y: UnsafeMutablePointer<Double>?
    ) {
        for j in 0..<n {
            let r = Double.exp(x[j] - rowShift)
            let c = Double.exp(x[j] - columnShifts[j])
            if let y {
                x[j] = scale * r
                y[j] = scale * c
            } else {
                x[j] = scale * (r + c)
            }
        }
    }
}

extension Double {
    @inlinable
    public static func expRowScaledColumns(
        _ x: UnsafeMutablePointer<Double>, count n: Int, rowShift: Double, rowFactor: Double,
        columnFactors: UnsafePointer<Double>, scale: Double,
        columnsInto y: UnsafeMutablePointer<Double>?
    ) {
        for j in 0..<n {
            let r = Double.exp(x[j] - rowShift)
            let c = r * (rowFactor * columnFactors[j])
            if let y {
                x[j] = scale * r
                y[j] = scale * c
            } else {
                x[j] = scale * (r + c)
            }
        }
    }
}

extension Float: RowExp {
    /// The symmetric weights' store of eight values at j: scale·row into x and scale·column
    /// into y, or scale·(row + column) into x when y is nil.
    @inlinable @inline(__always)
    static func storeWeights(
        _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>?, at j: Int,
        row er: SIMD8<Float>, column ec: SIMD8<Float>, scale s8: SIMD8<Float>
    ) {
        if let y {
            UnsafeMutableRawPointer(x + j).storeBytes(of: s8 * er, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + j).storeBytes(of: s8 * ec, as: SIMD8<Float>.self)
        } else {
            UnsafeMutableRawPointer(x + j).storeBytes(of: s8 * (er + ec), as: SIMD8<Float>.self)
        }
    }

    /// ``storeWeights(_:_:at:row:column:scale:)`` of one value (the rows' tails).
    @inlinable @inline(__always)
    static func storeWeight(
        _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>?, at j: Int,
        row r: Float, column c: Float, scale: Float
    ) {
        if let y {
            x[j] = scale * r
            y[j] = scale * c
        } else {
            x[j] = scale * (r + c)
        }
    }

    @inlinable
    public static func expRowScaledColumns(
        _ x: UnsafeMutablePointer<Float>, count n: Int, rowShift: Float, rowFactor: Float,
        columnFactors: UnsafePointer<Float>, scale: Float,
        columnsInto y: UnsafeMutablePointer<Float>?
    ) {
        var j = 0
        let r8 = SIMD8<Float>(repeating: rowShift)
        let s8 = SIMD8<Float>(repeating: scale)
        let u8 = SIMD8<Float>(repeating: rowFactor)
        while j + 8 <= n {
            let v = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)
            let f = UnsafeRawPointer(columnFactors + j).loadUnaligned(as: SIMD8<Float>.self)
            let er = vectorExp(v - r8)
            let ec = er * (u8 * f)
            storeWeights(x, y, at: j, row: er, column: ec, scale: s8)
            j += 8
        }
        while j < n {
            let r = Float.exp(x[j] - rowShift)
            storeWeight(x, y, at: j, row: r, column: r * (rowFactor * columnFactors[j]), scale: scale)
            j += 1
        }
    }

    @inlinable
    public static func expAccumulateColumns(
        _ x: UnsafePointer<Float>, count n: Int, shifts: UnsafePointer<Float>,
        into acc: UnsafeMutablePointer<Float>
    ) {
        var j = 0
        while j + 8 <= n {
            let v = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)
            let s = UnsafeRawPointer(shifts + j).loadUnaligned(as: SIMD8<Float>.self)
            let a = UnsafeRawPointer(acc + j).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(acc + j).storeBytes(of: a + vectorExp(v - s), as: SIMD8<Float>.self)
            j += 8
        }
        while j < n {
            acc[j] += Float.exp(x[j] - shifts[j])
            j += 1
        }
    }

    @inlinable
    public static func expRowAndColumns(
        _ x: UnsafeMutablePointer<Float>, count n: Int, rowShift: Float,
        columnShifts: UnsafePointer<Float>, scale: Float, columnsInto y: UnsafeMutablePointer<Float>?
    ) {
        var j = 0
        let r8 = SIMD8<Float>(repeating: rowShift)
        let s8 = SIMD8<Float>(repeating: scale)
        while j + 8 <= n {
            let v = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)
            let c = UnsafeRawPointer(columnShifts + j).loadUnaligned(as: SIMD8<Float>.self)
            let er = vectorExp(v - r8)
            let ec = vectorExp(v - c)
            storeWeights(x, y, at: j, row: er, column: ec, scale: s8)
            j += 8
        }
        while j < n {
            storeWeight(
                x, y, at: j, row: Float.exp(x[j] - rowShift), column: Float.exp(x[j] - columnShifts[j]), scale: scale)
            j += 1
        }
    }

    @inlinable
    public static func expShifted(
        _ x: UnsafeMutablePointer<Float>, count n: Int, shift: Float, scale: Float, store: Bool
    ) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var j = 0
        while j + 8 <= n {
            let v = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)
            let e = vectorExp(v - SIMD8(repeating: shift))
            acc += e
            if store {
                UnsafeMutableRawPointer(x + j).storeBytes(of: e * SIMD8(repeating: scale), as: SIMD8<Float>.self)
            }
            j += 8
        }
        var sum = acc.sum()
        while j < n {
            let e = Float.exp(x[j] - shift)
            sum += e
            if store { x[j] = scale * e }
            j += 1
        }
        return sum
    }

    /// exp of eight lanes (Cephes expf): x = n·ln2 + r, |r| ≤ ln2/2, e^r by a degree-6
    /// polynomial, 2^n through the exponent bits. Lanes below −87.3 give 0, above 88.7 +∞.
    @inlinable
    static func vectorExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let lo = SIMD8<Float>(repeating: -87.33654)
        let hi = SIMD8<Float>(repeating: 88.72283)
        var xc = x  // clamped (stdlib pointwiseMin/Max are not vectorised; masked selects are)
        xc.replace(with: lo, where: x .< lo)
        xc.replace(with: hi, where: x .> hi)
        // Round to nearest by adding 1.5·2²³: the sum's low mantissa bits are the integer n
        // (stdlib SIMD rounding and Float → Int32 conversion are not vectorised either).
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let t = xc * SIMD8(repeating: 1.442695040888963) + magic
        let n = t - magic
        var r = xc - n * SIMD8(repeating: 0.693359375)
        r = r - n * SIMD8(repeating: -2.12194440e-4)
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + SIMD8(repeating: 1.3981999507e-3)
        p = p * r + SIMD8(repeating: 8.3334519073e-3)
        p = p * r + SIMD8(repeating: 4.1665795894e-2)
        p = p * r + SIMD8(repeating: 1.6666665459e-1)
        p = p * r + SIMD8(repeating: 5.0000001201e-1)
        let y = p * r * r + r + SIMD8(repeating: 1)
        // 2^n for n in [−126, 128]: split as 2^(n/2)·2^(n − n/2) so that n = 128 and the
        // smallest normal stay representable.
        let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let half = ni &>> 1
        let a = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
        let b = unsafeBitCast((ni &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
        var out = y * a * b
        out.replace(with: 0, where: x .< lo)
        out.replace(with: .infinity, where: x .> hi)
        out.replace(with: .nan, where: x .!= x)  // a NaN logit must still poison the loss
        return out
    }
}
