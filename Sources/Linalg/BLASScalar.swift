// Linalg/BLASScalar.swift — the element types Linalg works in (Float for training, Double
// for finite-difference checks), each bound to its BLAS / LAPACK routines.
import CBLAS
import RealModule

/// The C routines of one element type (`cblas_sgemm` or `cblas_dgemm`, …), as imported from
/// OpenBLAS's cblas.h and lapacke.h. Each ``BLASScalar`` names its own once; the row-major
/// calling conventions around them are written once, in the ``BLASScalar`` extension.
public struct BLASRoutines<T>: Sendable {
    public typealias Gemm = @Sendable (CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, Int32, Int32, Int32, T,
                                       UnsafePointer<T>?, Int32, UnsafePointer<T>?, Int32, T, UnsafeMutablePointer<T>?, Int32) -> Void
    public typealias Axpy = @Sendable (Int32, T, UnsafePointer<T>?, Int32, UnsafeMutablePointer<T>?, Int32) -> Void
    public typealias Scal = @Sendable (Int32, T, UnsafeMutablePointer<T>?, Int32) -> Void
    public typealias Dot = @Sendable (Int32, UnsafePointer<T>?, Int32, UnsafePointer<T>?, Int32) -> T
    public typealias Gesdd = @Sendable (Int32, CChar, Int32, Int32, UnsafeMutablePointer<T>?, Int32, UnsafeMutablePointer<T>?,
                                        UnsafeMutablePointer<T>?, Int32, UnsafeMutablePointer<T>?, Int32) -> Int32
    public let gemm: Gemm, axpy: Axpy, scal: Scal, dot: Dot, gesdd: Gesdd

    public init(gemm: @escaping Gemm, axpy: @escaping Axpy, scal: @escaping Scal, dot: @escaping Dot, gesdd: @escaping Gesdd) {
        self.gemm = gemm; self.axpy = axpy; self.scal = scal; self.dot = dot; self.gesdd = gesdd
    }
}

/// A floating-point type with BLAS level-1/3 kernels and LAPACK's SVD. Its scalar
/// elementary functions (`exp`, `log`, `log(onePlus:)`, …) are RealModule's, which call the
/// C library's (`expf`, `exp`, …).
public protocol BLASScalar: BinaryFloatingPoint, Real, Sendable, Codable, RowExp where Self.RawSignificand: FixedWidthInteger {
    /// This type's BLAS / LAPACK routines.
    static var blas: BLASRoutines<Self> { get }
}

extension BLASScalar {
    /// C ← α·op(A)·op(B) + β·C, row-major, with leading dimensions.
    @inlinable public static func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Self,
                                       a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                                       beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int) {
        blas.gemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha,
                  a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    /// y ← α·x + y.
    @inlinable public static func axpy(n: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>) {
        blas.axpy(Int32(n), alpha, x, 1, y, 1)
    }
    /// x ← α·x.
    @inlinable public static func scal(n: Int, alpha: Self, x: UnsafeMutablePointer<Self>) { blas.scal(Int32(n), alpha, x, 1) }
    /// xᵀy.
    @inlinable public static func dot(n: Int, x: UnsafePointer<Self>, y: UnsafePointer<Self>) -> Self { blas.dot(Int32(n), x, 1, y, 1) }
    /// LAPACK gesdd on a row-major m×n matrix (overwritten). `jobz` "N": values only; "S": thin U, Vᵀ.
    public static func gesdd(jobz: UInt8, m: Int, n: Int, a: UnsafeMutablePointer<Self>, s: UnsafeMutablePointer<Self>,
                             u: UnsafeMutablePointer<Self>?, vt: UnsafeMutablePointer<Self>?) -> Int32 {
        blas.gesdd(LAPACK_ROW_MAJOR, CChar(bitPattern: jobz), Int32(m), Int32(n), a, Int32(n), s,
                   u, Int32(Swift.min(m, n)), vt, Int32(n))
    }
}

extension Float: BLASScalar {
    public static let blas = BLASRoutines<Float>(gemm: cblas_sgemm, axpy: cblas_saxpy, scal: cblas_sscal, dot: cblas_sdot,
                                                 gesdd: LAPACKE_sgesdd)
}

extension Double: BLASScalar {
    public static let blas = BLASRoutines<Double>(gemm: cblas_dgemm, axpy: cblas_daxpy, scal: cblas_dscal, dot: cblas_ddot,
                                                  gesdd: LAPACKE_dgesdd)
}
