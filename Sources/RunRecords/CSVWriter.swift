// CSVWriter: CSV files that pandas and spreadsheets read, appended row by row (one write(2) per
// row, so a crash keeps every finished row), with full-precision numbers and resume.
import Foundation

/// Appends rows to a CSV file, one `write(2)` per row, so a crashed run keeps every finished row.
///
/// Lines end with LF. Numbers are written with the shortest text that reads back exactly.
public final class CSVWriter {
    public let url: URL
    public let header: [String]
    private let handle: FileHandle
    private let sync: Bool
    private let columnIndex: [String: Int]

    /// Creates (or truncates) `url` and writes the header row.
    /// - Parameter sync: fsync after every row (slower; survives power loss, not only a crash).
    public init(creating url: URL, header: [String], sync: Bool = false) throws {
        try CSVWriter.validate(header: header, url: url)
        let line = header.map(CSVField.quoted).joined(separator: ",") + "\n"
        try AtomicFile.write(Data(line.utf8), to: url)
        self.url = url
        self.header = header
        self.sync = sync
        self.columnIndex = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        self.handle = try CSVWriter.openForAppend(url)
    }

    /// Opens `url` for appending (resume). A missing or empty file is created with the header.
    /// An existing file must have exactly `header`, else `RecordError.headerMismatch`.
    /// A partial last line (a crash mid-write) is dropped. If `keep` is given, only the rows it
    /// accepts are kept (e.g. rows at or before the checkpoint step); the file is rewritten atomically.
    public convenience init(appendingTo url: URL, header: [String], sync: Bool = false,
                            keepingRows keep: ((CSVTable.Row) -> Bool)? = nil) throws {
        let fm = FileManager.default
        guard fm.fileExists(atPath: url.path), let data = fm.contents(atPath: url.path), !data.isEmpty else {
            try self.init(creating: url, header: header, sync: sync)
            return
        }
        var text = String(decoding: data, as: UTF8.self)
        var rewrite = false
        if !text.hasSuffix("\n") {
            if let cut = text.lastIndex(of: "\n") { text = String(text[...cut]) } else { text = "" }
            rewrite = true
        }
        let table = try CSVTable(parsing: text, source: url)
        guard table.header == header else {
            throw RecordError.headerMismatch(url, expected: header, found: table.header)
        }
        if let keep {
            let kept = table.rows.indices.filter { keep(CSVTable.Row(table: table, index: $0)) }
            if kept.count != table.rows.count {
                rewrite = true
                text = ([header] + kept.map { table.rows[$0] })
                    .map { $0.map(CSVField.quoted).joined(separator: ",") + "\n" }.joined()
            }
        }
        if rewrite { try AtomicFile.write(Data(text.utf8), to: url) }
        try self.init(existing: url, header: header, sync: sync)
    }

    private init(existing url: URL, header: [String], sync: Bool) throws {
        self.url = url
        self.header = header
        self.sync = sync
        self.columnIndex = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        self.handle = try CSVWriter.openForAppend(url)
    }

    deinit { try? handle.close() }

    private static func validate(header: [String], url: URL) throws {
        guard !header.isEmpty else {
            throw RecordError.badRow(url, reason: "the header is empty; pass at least one column name")
        }
        guard Set(header).count == header.count else {
            throw RecordError.badRow(url, reason: "duplicate column names in header \(header); make them unique")
        }
    }

    private static func openForAppend(_ url: URL) throws -> FileHandle {
        do {
            let h = try FileHandle(forWritingTo: url)
            try h.seekToEnd()
            return h
        } catch {
            throw RecordError.io(url, operation: "opening for append", errno: errno)
        }
    }

    /// Appends one row; `fields.count` must equal the header's column count.
    public func write(_ fields: [CSVField]) throws {
        guard fields.count == header.count else {
            throw RecordError.badRow(url, reason: "\(fields.count) fields for \(header.count) columns "
                + "[\(header.joined(separator: ","))]")
        }
        let line = fields.map(\.rendered).joined(separator: ",") + "\n"
        do {
            try handle.write(contentsOf: Data(line.utf8))
            if sync { try handle.synchronize() }
        } catch {
            throw RecordError.io(url, operation: "appending a row", errno: errno)
        }
    }

    /// Appends one row given by column name; columns not given are left empty.
    /// Throws `RecordError.badRow` for a name that is not in the header.
    public func write(_ fields: [String: CSVField]) throws {
        var row = [CSVField](repeating: .empty, count: header.count)
        for (name, value) in fields {
            guard let i = columnIndex[name] else {
                throw RecordError.badRow(url, reason: "column '\(name)' is not in the header "
                    + "[\(header.joined(separator: ","))]; add it to the header when creating the writer")
            }
            row[i] = value
        }
        try write(row)
    }

    /// Appends numbers (NaN written as "nan").
    public func write(numbers: [Double]) throws {
        try write(numbers.map { CSVField.number($0) })
    }

    /// Closes the file. Further writes fail.
    public func close() throws {
        try handle.close()
    }
}
