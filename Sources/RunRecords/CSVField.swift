// CSV files that pandas and spreadsheets read: RFC 4180 quoting, full-precision numbers,
// "nan"/"inf" for non-finite values, row-by-row append with resume, and a reader for them.
import Foundation

/// One cell of a CSV row.
public enum CSVField: Equatable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    /// An empty cell (pandas reads it as NaN): a metric not computed at this step.
    case empty
    case number(Double)
    case float(Float)
    case integer(Int)
    case text(String)

    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }

    /// The cell as written, with RFC 4180 quoting when needed.
    public var rendered: String {
        switch self {
        case .empty: return ""
        case let .number(x): return NumberText.roundTrip(x)
        case let .float(x): return NumberText.roundTrip(x)
        case let .integer(i): return String(i)
        case let .text(s): return CSVField.quoted(s)
        }
    }

    /// Quotes `s` if it holds a comma, quote, CR or LF (RFC 4180), doubling inner quotes.
    public static func quoted(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

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
                text = ([header] + kept.map { table.rows[$0] }).map { $0.map(CSVField.quoted).joined(separator: ",") + "\n" }.joined()
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
        guard !header.isEmpty else { throw RecordError.badRow(url, reason: "the header is empty; pass at least one column name") }
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
            throw RecordError.badRow(url, reason: "\(fields.count) fields for \(header.count) columns [\(header.joined(separator: ","))]")
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
                throw RecordError.badRow(url, reason: "column '\(name)' is not in the header [\(header.joined(separator: ","))]; add it to the header when creating the writer")
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

/// A parsed CSV file: a header and rows of strings, with typed column access.
public struct CSVTable {
    public let header: [String]
    /// Rows, each padded or cut to `header.count` cells.
    public let rows: [[String]]

    /// One row, with access by column name.
    public struct Row {
        let table: CSVTable
        let index: Int
        /// The cell text in column `name`, or nil if there is no such column.
        public subscript(name: String) -> String? {
            guard let c = table.header.firstIndex(of: name) else { return nil }
            return table.rows[index][c]
        }
        /// The cell as a number, or nil if empty, missing or not numeric.
        public func number(_ name: String) -> Double? { self[name].flatMap(CSVTable.number) }
    }

    /// A column: numbers (nil for an empty cell) when every non-empty cell is numeric, else strings.
    public enum Column: Equatable {
        case numbers([Double?])
        case strings([String])
    }

    /// Reads `url`; `RecordError.missingFile` if it does not exist.
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RecordError.missingFile(url, hint: "expected a CSV file here (written by the trainer); check the path")
        }
        try self.init(parsing: String(decoding: data, as: UTF8.self), source: url)
    }

    /// Parses CSV text (RFC 4180, LF or CRLF line ends). The first record is the header.
    public init(parsing text: String, source: URL = URL(fileURLWithPath: "<text>")) throws {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var inQuotes = false
        var fieldWasQuoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        var any = false
        while let c = next() {
            any = true
            if inQuotes {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = n }
                    } else { inQuotes = false }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty && !fieldWasQuoted:
                inQuotes = true
                fieldWasQuoted = true
            case ",":
                record.append(field); field = ""; fieldWasQuoted = false
            case "\r":
                if let n = next(), n != "\n" { pending = n }
                fallthrough
            case "\n":
                record.append(field); field = ""; fieldWasQuoted = false
                records.append(record); record = []
            default:
                field.unicodeScalars.append(c)
            }
        }
        if inQuotes { throw RecordError.malformed(source, reason: "a quoted field is not closed") }
        if any && (!field.isEmpty || !record.isEmpty || fieldWasQuoted) {
            record.append(field)
            records.append(record)
        }
        records.removeAll { $0 == [""] }  // blank lines
        guard let head = records.first else { throw RecordError.malformed(source, reason: "the file is empty (no header row)") }
        header = head
        rows = records.dropFirst().map { r in
            r.count == head.count ? r : Array((r + Array(repeating: "", count: max(0, head.count - r.count))).prefix(head.count))
        }
    }

    /// Parses a cell as a number ("nan", "inf", "-inf" included); nil for empty or text.
    public static func number(_ cell: String) -> Double? {
        let t = cell.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return nil }
        switch t.lowercased() {
        case "nan": return .nan
        case "inf", "+inf", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: return Double(t)
        }
    }

    /// The row at `index`.
    public func row(_ index: Int) -> Row { Row(table: self, index: index) }

    /// The raw cells of column `name`.
    public func strings(_ name: String) -> [String]? {
        guard let c = header.firstIndex(of: name) else { return nil }
        return rows.map { $0[c] }
    }

    /// Column `name` as numbers (nil for empty or non-numeric cells).
    public func numbers(_ name: String) -> [Double?]? {
        strings(name)?.map(CSVTable.number)
    }

    /// Column `name`, typed: numeric when every non-empty cell parses as a number.
    public func column(_ name: String) -> Column? {
        guard let cells = strings(name) else { return nil }
        let parsed = cells.map(CSVTable.number)
        for (cell, value) in zip(cells, parsed) where value == nil && !cell.trimmingCharacters(in: .whitespaces).isEmpty {
            return .strings(cells)
        }
        return .numbers(parsed)
    }

    /// Names of the columns that are numeric and have at least one value.
    public var numericColumns: [String] {
        header.filter { name in
            if case let .numbers(v)? = column(name) { return v.contains { $0 != nil } }
            return false
        }
    }
}
