// Linalg/Decompositions.swift — singular values and the thin SVD through LAPACKE (gesdd),
// and the condition number built on them.

/// The singular values of `a`, largest first.
public func singularValues<T: BLASScalar>(_ a: Matrix<T>) throws -> [T] {
    let k = min(a.rows, a.cols)
    guard k > 0 else { return [] }
    var work = a.storage
    var s = [T](repeating: 0, count: k)
    let info = work.withUnsafeMutableBufferPointer { pa in
        s.withUnsafeMutableBufferPointer { ps in
            T.gesdd(jobz: UInt8(ascii: "N"), m: a.rows, n: a.cols, a: pa.baseAddress!, s: ps.baseAddress!, u: nil, vt: nil)
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
                    T.gesdd(jobz: UInt8(ascii: "S"), m: a.rows, n: a.cols, a: pa.baseAddress!, s: ps.baseAddress!,
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
