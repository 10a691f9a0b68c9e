// CSVTable: reading a CSV file the writers of this layer wrote (RFC 4180 quoting, "nan"/"inf"
// for non-finite values) into a header and rows, with typed column access.
import Foundation

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
            throw RecordError.missingFile(url,
                                          hint: "expected a CSV file here (written by the trainer); check the path")
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
        guard let head = records.first else {
            throw RecordError.malformed(source, reason: "the file is empty (no header row)")
        }
        header = head
        rows = records.dropFirst().map { r in
            r.count == head.count ? r
                : Array((r + Array(repeating: "", count: max(0, head.count - r.count))).prefix(head.count))
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
        for (cell, value) in zip(cells, parsed)
        where value == nil && !cell.trimmingCharacters(in: .whitespaces).isEmpty {
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
