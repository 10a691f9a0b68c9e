// JSON lines: one JSON object per line, keys in a stable order, non-finite numbers as null.
import Foundation

/// Appends JSON objects, one per line, one `write(2)` per line.
public final class JSONLinesWriter {
    public let url: URL
    private let handle: FileHandle
    private let sync: Bool

    /// Opens `url` for appending; creates it if missing, or truncates it if `truncate`.
    public init(url: URL, truncate: Bool = false, sync: Bool = false) throws {
        let fm = FileManager.default
        if truncate || !fm.fileExists(atPath: url.path) {
            guard fm.createFile(atPath: url.path, contents: Data()) else {
                throw RecordError.io(url, operation: "creating the file", errno: errno)
            }
        }
        do {
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw RecordError.io(url, operation: "opening for append", errno: errno)
        }
        self.url = url
        self.sync = sync
    }

    deinit { try? handle.close() }

    /// Writes one value (normally an `.object`) on its own line; object keys keep their order.
    public func write(_ value: JSONValue) throws {
        let line = value.serialized() + "\n"
        do {
            try handle.write(contentsOf: Data(line.utf8))
            if sync { try handle.synchronize() }
        } catch {
            throw RecordError.io(url, operation: "appending a line", errno: errno)
        }
    }

    /// Writes an object with its keys in the given order.
    public func write(_ members: [(String, JSONValue)]) throws {
        try write(.object(members.map { (key: $0.0, value: $0.1) }))
    }

    /// Closes the file.
    public func close() throws { try handle.close() }

    /// Reads every line of a JSON-lines file back as `T` (blank lines skipped; keys as
    /// written, no snake_case conversion).
    public static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> [T] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RecordError.missingFile(url, hint: "expected a JSON-lines file here; check the path")
        }
        let decoder = JSONDecoder()
        var out: [T] = []
        for (n, line) in data.split(separator: 10, omittingEmptySubsequences: true).enumerated() {
            do { out.append(try decoder.decode(type, from: Data(line))) } catch let e as DecodingError {
                throw RecordError.malformed(url, reason: "line \(n + 1): \(RecordCoding.describe(e))")
            }
        }
        return out
    }
}
