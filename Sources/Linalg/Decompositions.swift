// Linalg/Decompositions.swift — singular values and the thin SVD through LAPACKE (gesdd),
// the condition number built on them, and the Cholesky factorization and solve of a symmetric
// positive definite Double matrix (dpotrf / dpotrs).
import CBLAS

/// The singular values of `a`, largest first.
public func singularValues<T: BLASScalar>(_ a: Matrix<T>) throws -> [T] {
    let k = min(a.rows, a.cols)
    guard k > 0 else { return [] }
    var work = a.storage
    var s = [T](repeating: 0, count: k)
    let info = work.withUnsafeMutableBufferPointer { pa in
        s.withUnsafeMutableBufferPointer { ps in
            T.gesdd(
                jobz: UInt8(ascii: "N"), m: a.rows, n: a.cols, a: pa.baseAddress!, s: ps.baseAddress!, u: nil, vt: nil)
        }
    }
    guard info == 0 else { throw LinalgError.lapack(routine: "gesdd", info: info) }
    return s
}

/// The thin SVD A = U·diag(S)·Vᵀ: U is m×k, S has k values (largest first), Vᵀ is k×n, k = min(m, n).
public func svd<T: BLASScalar>(_ a: Matrix<T>) throws -> (u: Matrix<T>, s: [T], vt: Matrix<T>) {
    let k = min(a.rows, a.cols)
    var u = Matrix<T>(rows: a.rows, cols: k)
    var vt = Matrix<T>(rows: k, cols: a.cols)
    guard k > 0 else { return (u, [], vt) }
    var work = a.storage
    var s = [T](repeating: 0, count: k)
    let info = work.withUnsafeMutableBufferPointer { pa in
        s.withUnsafeMutableBufferPointer { ps in
            u.storage.withUnsafeMutableBufferPointer { pu in
                vt.storage.withUnsafeMutableBufferPointer { pv in
                    T.gesdd(
                        jobz: UInt8(ascii: "S"), m: a.rows, n: a.cols, a: pa.baseAddress!, s: ps.baseAddress!,
                        u: pu.baseAddress!, vt: pv.baseAddress!)
                }
            }
        }
    }
    guard info == 0 else { throw LinalgError.lapack(routine: "gesdd", info: info) }
    return (u, s, vt)
}

/// σ_max / σ_min of `a` (∞ when σ_min is 0).
public func conditionNumber<T: BLASScalar>(_ a: Matrix<T>) throws -> T {
    let s = try singularValues(a)
    guard let hi = s.first, let lo = s.last else { return .nan }
    return lo == 0 ? .infinity : hi / lo
}

/// The Cholesky factor of a symmetric positive definite n×n matrix `a` (its lower triangle is
/// read): L with A = L·Lᵀ, in the lower triangle of the returned matrix (the upper one is
/// unspecified). Throws `LinalgError.lapack(routine: "dpotrf", info: k > 0)` when `a` is not
/// positive definite (its leading k×k minor is not): factor it once, then `choleskySolve` per
/// right-hand side.
public func choleskyFactor(_ a: Matrix<Double>) throws -> Matrix<Double> {
    var f = a
    try choleskyFactor(inPlace: &f)
    return f
}

/// `choleskyFactor` overwriting `a` (no copy of a large Gram matrix); on a throw `a` is partly
/// overwritten.
public func choleskyFactor(inPlace a: inout Matrix<Double>) throws {
    guard a.rows == a.cols else {
        throw LinalgError.shapeMismatch("Cholesky: the matrix is \(a.rows)×\(a.cols), not square")
    }
    guard a.rows > 0 else { return }
    let n = Int32(a.rows)
    let info = a.storage.withUnsafeMutableBufferPointer { p in
        LAPACKE_dpotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), n, p.baseAddress!, n)
    }
    guard info == 0 else { throw LinalgError.lapack(routine: "dpotrf", info: info) }
}

/// Solves A·X = B in place (`b` becomes X, n × k, any k) with A's Cholesky factor from
/// `choleskyFactor`: two triangular solves, no allocation.
public func choleskySolve(factor: Matrix<Double>, _ b: inout Matrix<Double>) throws {
    guard factor.rows == factor.cols, b.rows == factor.rows else {
        throw LinalgError.shapeMismatch(
            "Cholesky solve: factor \(factor.rows)×\(factor.cols), right-hand side \(b.rows)×\(b.cols)")
    }
    guard b.rows > 0, b.cols > 0 else { return }
    let n = Int32(b.rows)
    let k = Int32(b.cols)
    let info = factor.storage.withUnsafeBufferPointer { pf in
        b.storage.withUnsafeMutableBufferPointer { pb in
            LAPACKE_dpotrs(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), n, k, pf.baseAddress!, n, pb.baseAddress!, k)
        }
    }
    guard info == 0 else { throw LinalgError.lapack(routine: "dpotrs", info: info) }
}
