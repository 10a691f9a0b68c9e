// Linalg/BLASScalar.swift — the element types Linalg works in (Float for training, Double
// for finite-difference checks), each bound to its BLAS / LAPACK routines.
import CBLAS
import RealModule

/// Whether a BLAS operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transpose
    @usableFromInline var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// A floating-point type with BLAS level-1/3 kernels and LAPACK's SVD. Its scalar
/// elementary functions (`exp`, `log`, `log(onePlus:)`, …) are RealModule's, which call the
/// C library's (`expf`, `exp`, …).
public protocol BLASScalar: BinaryFloatingPoint, Real, Sendable, Codable, RowExp where Self.RawSignificand: FixedWidthInteger {
    /// C ← α·op(A)·op(B) + β·C, row-major, with leading dimensions.
    static func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// y ← α·x + y.
    static func axpy(n: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>)
    /// x ← α·x.
    static func scal(n: Int, alpha: Self, x: UnsafeMutablePointer<Self>)
    /// xᵀy.
    static func dot(n: Int, x: UnsafePointer<Self>, y: UnsafePointer<Self>) -> Self
    /// LAPACK gesdd on a row-major m×n matrix (overwritten). `jobz` "N": values only; "S": thin U, Vᵀ.
    static func gesdd(jobz: UInt8, m: Int, n: Int, a: UnsafeMutablePointer<Self>, s: UnsafeMutablePointer<Self>,
                      u: UnsafeMutablePointer<Self>?, vt: UnsafeMutablePointer<Self>?) -> Int32
}

extension Float: BLASScalar {
    @inlinable public static func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
                                       a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable public static func axpy(n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
    }
    @inlinable public static func scal(n: Int, alpha: Float, x: UnsafeMutablePointer<Float>) { cblas_sscal(Int32(n), alpha, x, 1) }
    @inlinable public static func dot(n: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float { cblas_sdot(Int32(n), x, 1, y, 1) }
    public static func gesdd(jobz: UInt8, m: Int, n: Int, a: UnsafeMutablePointer<Float>, s: UnsafeMutablePointer<Float>,
                             u: UnsafeMutablePointer<Float>?, vt: UnsafeMutablePointer<Float>?) -> Int32 {
        LAPACKE_sgesdd(LAPACK_ROW_MAJOR, CChar(bitPattern: jobz), Int32(m), Int32(n), a, Int32(n), s,
                       u, Int32(Swift.min(m, n)), vt, Int32(n))
    }
}

extension Double: BLASScalar {
    @inlinable public static func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Double,
                                       a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                                       beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable public static func axpy(n: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>) {
        cblas_daxpy(Int32(n), alpha, x, 1, y, 1)
    }
    @inlinable public static func scal(n: Int, alpha: Double, x: UnsafeMutablePointer<Double>) { cblas_dscal(Int32(n), alpha, x, 1) }
    @inlinable public static func dot(n: Int, x: UnsafePointer<Double>, y: UnsafePointer<Double>) -> Double { cblas_ddot(Int32(n), x, 1, y, 1) }
    public static func gesdd(jobz: UInt8, m: Int, n: Int, a: UnsafeMutablePointer<Double>, s: UnsafeMutablePointer<Double>,
                             u: UnsafeMutablePointer<Double>?, vt: UnsafeMutablePointer<Double>?) -> Int32 {
        LAPACKE_dgesdd(LAPACK_ROW_MAJOR, CChar(bitPattern: jobz), Int32(m), Int32(n), a, Int32(n), s,
                       u, Int32(Swift.min(m, n)), vt, Int32(n))
    }
}

/// Which BLAS this process links and how many threads it uses.
public enum BLASInfo {
    /// OpenBLAS's build configuration string (e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ... Haswell MAX_THREADS=64").
    public static var configuration: String { String(cString: openblas_get_config()) }
    /// The CPU kernel OpenBLAS selected at run time.
    public static var coreName: String { String(cString: openblas_get_corename()) }
    /// Threads OpenBLAS uses for one call (set OPENBLAS_NUM_THREADS=1 when ranks fill the cores).
    public static var threads: Int { Int(openblas_get_num_threads()) }
}
