// JSONValue: an order-preserving JSON value with a small parser and a stable serializer
// (non-finite numbers become null), used for config/summary/sweep files and JSON lines.
import Foundation

/// A JSON value whose objects keep their keys in the order they were written or parsed.
public enum JSONValue: Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members in order; keys are expected to be unique.
    case object([(key: String, value: JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    /// The number, or nil for any other kind.
    public var doubleValue: Double? {
        if case let .number(x) = self { return x }
        return nil
    }

    /// The string, or nil for any other kind.
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// The elements of an array, or nil.
    public var arrayValue: [JSONValue]? {
        if case let .array(a) = self { return a }
        return nil
    }

    /// The members of an object, or nil.
    public var objectValue: [(key: String, value: JSONValue)]? {
        if case let .object(m) = self { return m }
        return nil
    }

    /// A short human-readable rendering: strings unquoted, numbers compact.
    public var displayString: String {
        switch self {
        case .null: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .number(x): return NumberText.display(x)
        case let .string(s): return s
        case .array, .object: return serialized()
        }
    }

    public var description: String { serialized() }

    /// Flattens nested objects into `a.b.c` keys (arrays of scalars are shown inline).
    public func flattened(prefix: String = "") -> [(key: String, value: String)] {
        switch self {
        case let .object(members):
            var out: [(key: String, value: String)] = []
            for (k, v) in members {
                let name = prefix.isEmpty ? k : prefix + "." + k
                if case .object = v { out += v.flattened(prefix: name) } else { out.append((name, v.displayString)) }
            }
            return out
        default:
            return [(prefix, displayString)]
        }
    }

    /// Compact JSON text. Object keys keep their order unless `sortedKeys`; non-finite numbers become `null`.
    public func serialized(sortedKeys: Bool = false) -> String {
        var out = ""
        write(into: &out, sortedKeys: sortedKeys)
        return out
    }

    private func write(into out: inout String, sortedKeys: Bool) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(x): out += x.isFinite ? NumberText.json(x) : "null"
        case let .string(s): JSONValue.writeString(s, into: &out)
        case let .array(a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(into: &out, sortedKeys: sortedKeys)
            }
            out += "]"
        case let .object(members):
            let ordered = sortedKeys ? members.sorted { $0.key < $1.key } : members
            out += "{"
            for (i, m) in ordered.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(m.key, into: &out)
                out += ":"
                m.value.write(into: &out, sortedKeys: sortedKeys)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    /// Parses JSON text (also accepts `NaN`, `Infinity`, `-Infinity` as Python writes them).
    public static func parse(_ text: String) throws -> JSONValue {
        var parser = JSONParser(bytes: Array(text.utf8))
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw JSONParser.Failure(message: "extra text after the JSON value", offset: parser.index) }
        return value
    }

    /// Reads and parses a JSON file; throws `ReportError.missingFile` / `.malformed`.
    public static func read(_ url: URL, hint: String) throws -> JSONValue {
        guard FileManager.default.fileExists(atPath: url.path) else { throw ReportError.missingFile(url, hint: hint) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ReportError.malformed(url, reason: "\(error)") }
        guard let text = String(data: data, encoding: .utf8) else { throw ReportError.malformed(url, reason: "not UTF-8 text") }
        do { return try parse(text) } catch let f as JSONParser.Failure {
            throw ReportError.malformed(url, reason: "\(f.message) at byte \(f.offset)")
        }
    }
}

// (No ExpressibleByNilLiteral: `nil` must stay Optional.none where a `JSONValue?` is expected.)
extension JSONValue: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// Keeps the literal's key order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements.map { (key: $0.0, value: $0.1) }) }
}

/// Recursive-descent JSON parser over UTF-8 bytes.
struct JSONParser {
    struct Failure: Error { let message: String; let offset: Int }
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private func fail(_ message: String) -> Failure { Failure(message: message, offset: index) }

    private mutating func consume(_ literal: String) -> Bool {
        let l = Array(literal.utf8)
        guard index + l.count <= bytes.count, Array(bytes[index..<index + l.count]) == l else { return false }
        index += l.count
        return true
    }

    mutating func parseValue(depth: Int = 0) throws -> JSONValue {
        guard depth < 512 else { throw fail("nesting too deep") }
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of text") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var members: [(key: String, value: JSONValue)] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
                let key = try parseString()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                let value = try parseValue(depth: depth + 1)
                if let at = members.firstIndex(where: { $0.key == key }) { members[at].value = value } else { members.append((key, value)) }
                skipWhitespace()
                guard index < bytes.count else { throw fail("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            while true {
                elements.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw fail("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        default:
            if consume("true") { return .bool(true) }
            if consume("false") { return .bool(false) }
            if consume("null") { return .null }
            if consume("NaN") { return .number(.nan) }
            if consume("Infinity") { return .number(.infinity) }
            if consume("-Infinity") { return .number(-.infinity) }
            let start = index
            while index < bytes.count, let c = Optional(bytes[index]),
                  (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                index += 1
            }
            guard index > start, let text = String(bytes: bytes[start..<index], encoding: .ascii), let x = Double(text) else {
                index = start
                throw fail("unexpected character")
            }
            return .number(x)
        }
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard index + 4 <= bytes.count, let s = String(bytes: bytes[index..<index + 4], encoding: .ascii), let v = UInt32(s, radix: 16) else {
            throw fail("bad \\u escape")
        }
        index += 4
        return v
    }

    mutating func parseString() throws -> String {
        index += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() {
            if !raw.isEmpty { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw.removeAll() }
        }
        while index < bytes.count {
            let c = bytes[index]
            if c == UInt8(ascii: "\"") { index += 1; flush(); return String(scalars) }
            if c == UInt8(ascii: "\\") {
                flush()
                index += 1
                guard index < bytes.count else { break }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var v = try parseHex4()
                    if (0xD800..<0xDC00).contains(v), consume("\\u") {
                        let low = try parseHex4()
                        v = 0x10000 + ((v - 0xD800) << 10) + (low &- 0xDC00)
                    }
                    scalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
                default: throw fail("bad escape")
                }
                continue
            }
            raw.append(c)
            index += 1
        }
        throw fail("unterminated string")
    }
}

/// Number formatting shared by the writers and charts.
public enum NumberText {
    /// Shortest text that reads back to exactly `x` ("nan", "inf", "-inf" for non-finite values).
    public static func roundTrip(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return "\(x)"
    }

    /// Shortest round-trip text of a Float.
    public static func roundTrip(_ x: Float) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return "\(x)"
    }

    /// JSON number text for a finite value; integral values are written without ".0".
    static func json(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    /// Compact display with up to `digits` significant digits.
    public static func display(_ x: Double, digits: Int = 6) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return String(format: "%.\(digits)g", x)
    }
}
