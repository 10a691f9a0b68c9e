// MPI/Errors.swift — MPI error codes as Swift errors, carrying MPI's own error string (on one
// line) and its error class (MPICH returns detailed codes, Open MPI the classes themselves).
import CMPI

/// An error from an MPI call or from a misuse of this wrapper.
public enum MPIError: Error, CustomStringConvertible, Equatable {
    /// An MPI function returned `code`; `message` is MPI_Error_string's text for it, on one line.
    case call(function: String, code: Int32, message: String)
    /// A buffer did not have the size the collective needs.
    case sizeMismatch(function: String, expected: Int, actual: Int)
    /// An argument is out of range (a root or a rank outside the communicator, a negative count).
    case invalidArgument(String)

    /// The MPI error class of a failed call (MPI_Error_class: `MPI_ERR_TAG`, `MPI_ERR_TRUNCATE`,
    /// ...), the same under every MPI, where `code` may be a library-specific detailed code
    /// (MPICH's are). Nil for the wrapper's own errors.
    public var errorClass: Int32? {
        guard case .call(_, let code, _) = self else { return nil }
        var errorClass: Int32 = 0
        return MPI_Error_class(code, &errorClass) == cmpi_success() ? errorClass : nil
    }

    public var description: String {
        switch self {
        case .call(let function, let code, let message):
            return "\(function) failed (MPI error \(code)): \(message)"
        case .sizeMismatch(let function, let expected, let actual):
            return
                "\(function): buffer holds \(actual) elements, the call needs \(expected). Check the counts passed on every rank."
        case .invalidArgument(let text):
            return text
        }
    }
}

/// Turns an MPI return code into a thrown ``MPIError``.
@inline(__always)
func check(_ code: Int32, _ function: @autoclosure () -> String) throws {
    if code != cmpi_success() { throw MPIError.call(function: function(), code: code, message: errorString(code)) }
}

/// MPI's text for an error code, on one line: MPICH's texts are an error stack of several
/// lines (joined here by "; "), and an error must print as one line.
public func errorString(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
    var length: Int32 = 0
    MPI_Error_string(code, &buffer, &length)
    let text = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return text.split(whereSeparator: \.isNewline).joined(separator: "; ")
}
