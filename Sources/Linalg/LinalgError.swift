// Linalg/LinalgError.swift — the typed errors of the Linalg layer: shapes that do not fit, LAPACK
// failures.

/// Errors from Linalg: shapes that do not fit, LAPACK failures.
public enum LinalgError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(String)
    case lapack(routine: String, info: Int32)

    public var description: String {
        switch self {
        case .shapeMismatch(let s): return "shape mismatch: \(s)"
        case let .lapack(routine, info):
            return info < 0 ? "\(routine): argument \(-info) had an illegal value"
                            : "\(routine): the algorithm did not converge (info = \(info)); "
                                + "the matrix may contain NaN or Inf"
        }
    }
}
