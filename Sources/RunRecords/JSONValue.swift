// JSONValue: a JSON value whose objects keep their keys in the order given, and its compact
// serializer (non-finite numbers become null). It writes the files whose key order is not
// sorted (sweep.json, metrics.jsonl, the folder marker): JSONEncoder keeps a fixed order only
// when it sorts. Reading goes through JSONDecoder (Decodable below); there is no parser here.
import Foundation

/// A JSON value whose objects keep their keys in the order they were written or parsed.
public enum JSONValue: Equatable, CustomStringConvertible, Sendable {
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

/// Reading any JSON value with `JSONDecoder` (for files whose schema this layer does not own:
/// config.json, a sweep's grid values). Object keys come back sorted: JSONDecoder does not
/// keep the file's order, and every object infomax writes through JSONEncoder is sorted anyway.
extension JSONValue: Decodable {
    public init(from decoder: Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
            self = .object(try keyed.allKeys.sorted { $0.stringValue < $1.stringValue }.map {
                (key: $0.stringValue, value: try keyed.decode(JSONValue.self, forKey: $0))
            })
            return
        }
        if var list = try? decoder.unkeyedContainer() {
            var elements: [JSONValue] = []
            while !list.isAtEnd { elements.append(try list.decode(JSONValue.self)) }
            self = .array(elements)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null }
        else if let b = try? single.decode(Bool.self) { self = .bool(b) }
        else if let x = try? single.decode(Double.self) { self = .number(x) }
        else { self = .string(try single.decode(String.self)) }
    }

    /// A coding key for any member name.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// A grid value typed on the command line (`--grid key=v1,v2`): a JSON number, `true`,
    /// `false`, `null`, a quoted string, array or object as JSON; anything else is a bare word
    /// (a string). A number is any text of digits, sign, `.` and exponent that parses as one
    /// (so `01` and `+1` are the number 1), and `NaN` / `Infinity` too.
    public init(gridText text: String) {
        switch text {
        case "true": self = .bool(true); return
        case "false": self = .bool(false); return
        case "null": self = .null; return
        case "NaN": self = .number(.nan); return
        case "Infinity": self = .number(.infinity); return
        case "-Infinity": self = .number(-.infinity); return
        default: break
        }
        let numeric = !text.isEmpty && text.unicodeScalars.allSatisfy { "0123456789+-.eE".unicodeScalars.contains($0) }
        if numeric, let x = Double(text) { self = .number(x); return }
        if let first = text.first, "\"[{".contains(first),
           let v = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) {
            self = v
            return
        }
        self = .string(text)
    }
}
