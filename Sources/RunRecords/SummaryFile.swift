// SummaryFile: reading a summary.json in either of its forms — a finished or stopped run's
// RunSummary, or the FailedRun an error leaves.
import Foundation

/// A summary.json in either form: a finished (or stopped) run's `RunSummary`, or a `FailedRun`.
public enum SummaryFile: Sendable, Equatable {
    case run(RunSummary)
    case failed(FailedRun)

    public var status: RunStatus {
        switch self {
        case let .run(s): return s.status
        case let .failed(f): return f.status
        }
    }

    public var mode: ModalityMode {
        switch self {
        case let .run(s): return s.mode
        case let .failed(f): return f.mode
        }
    }

    /// The error of a failed run.
    public var error: String? {
        if case let .failed(f) = self { return f.error }
        return nil
    }

    /// The summary of a run that was not ended by an error.
    public var run: RunSummary? {
        if case let .run(s) = self { return s }
        return nil
    }

    /// The file's members as written (sorted snake_case keys), for reports that table or plot
    /// every figure: derived from the typed record, so only keys the record defines appear.
    public func members() throws -> JSONValue {
        let data: Data
        switch self {
        case let .run(s): data = try RecordCoding.encoder().encode(s)
        case let .failed(f): data = try RecordCoding.encoder().encode(f)
        }
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Decodes either form (`url` names the file in errors).
    public static func decode(_ data: Data, url: URL) throws -> SummaryFile {
        if let failed = try? RecordCoding.decoder().decode(FailedRun.self, from: data), failed.status == .failed {
            return .failed(failed)
        }
        return .run(try RecordCoding.decode(RunSummary.self, from: data, url: url))
    }

    /// Reads `<folder>/summary.json`; nil when the file does not exist.
    public static func read(folder: URL) throws -> SummaryFile? {
        let url = folder.appendingPathComponent(RunSummary.file)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try decode(data, url: url)
    }
}
