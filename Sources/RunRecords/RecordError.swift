// Typed errors of the record files (RunRecords) and of the report built from them: each
// message names the file involved and what to do.
import Foundation

/// Errors thrown by the record writers and readers (and by the Report layer over them).
public enum RecordError: Error, CustomStringConvertible, Equatable {
    /// A file the report needs does not exist.
    case missingFile(URL, hint: String)
    /// A file exists but could not be parsed.
    case malformed(URL, reason: String)
    /// `CSVWriter(appendingTo:)` found a header different from the one requested.
    case headerMismatch(URL, expected: [String], found: [String])
    /// A row passed to a writer does not fit the header.
    case badRow(URL, reason: String)
    /// A system call failed while reading or writing a file.
    case io(URL, operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .missingFile(let url, let hint):
            return "missing file \(url.path): \(hint)"
        case .malformed(let url, let reason):
            return
                "cannot read \(url.path): \(reason). Check that the file was written completely (re-run the step that writes it)."
        case .headerMismatch(let url, let expected, let found):
            return
                "the header of \(url.path) is [\(found.joined(separator: ","))] but this run writes [\(expected.joined(separator: ","))]; "
                + "resume into a fresh output folder, or move the old file away, instead of appending to it."
        case .badRow(let url, let reason):
            return "bad row for \(url.path): \(reason)"
        case .io(let url, let operation, let code):
            return
                "\(operation) failed for \(url.path): \(String(cString: strerror(code))) (errno \(code)); check that the folder exists and is writable and the disk is not full."
        }
    }
}
