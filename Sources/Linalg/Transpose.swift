// Linalg/Transpose.swift — whether a BLAS operand is used as stored or transposed.
import CBLAS

/// Whether a BLAS operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transpose
    @usableFromInline var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}
