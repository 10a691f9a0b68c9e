// Training/ConfigYAML.swift — a YAML config file (.yaml / .yml) read into the same tree the
// JSON reader makes (String, NSNumber, NSNull, lists, [String: Any]), so both go through one
// merge, one check and one set of messages. Plain scalars follow YAML 1.2's core schema:
// `off`, `yes` and `no` stay strings (data.cache: off), only true/false are booleans. The
// line of every key is kept, so a refused key or value names its line.
import Foundation
import Yams

/// The format of a config file, told by its extension: .yaml and .yml are YAML, anything else JSON.
public enum ConfigFormat: String, Sendable {
    case json = "JSON"
    case yaml = "YAML"

    public init(path: String) {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        self = ext == "yaml" || ext == "yml" ? .yaml : .json
    }
}

/// A YAML config document as the loader's tree, with the line of each key path.
struct YAMLConfigDocument {
    /// The top-level mapping, as JSONSerialization would give the same settings in JSON.
    var tree: [String: Any]
    /// The 1-based line of every key path ("loss.similarity") as written in the file.
    var lines: [String: Int]

    /// At most this many values (a config has about a hundred; aliases could multiply them).
    static let maximumValues = 100_000
    /// At most this deep (a config is three levels deep).
    static let maximumDepth = 64

    /// Parses `text` (the file at `path`); a file that is not one YAML mapping is `.malformed`.
    init(text: String, path: String) throws {
        func malformed(_ reason: String) -> ConfigError { .malformed(path: path, reason: reason) }
        let root: Node?
        do { root = try Parser(yaml: text, resolver: .basic).singleRoot() } catch let e as YamlError {
            throw malformed(Self.reason(e))
        }
        guard let root else { throw malformed("it holds no settings (write {} for the defaults)") }
        guard case .mapping = root else {
            throw malformed("the top level must be a mapping (key: value lines), found " + Self.kind(of: root))
        }
        var lines: [String: Int] = [:]
        var count = 0
        func convert(_ node: Node, path: String, depth: Int) throws -> Any {
            count += 1
            if count > Self.maximumValues {
                throw malformed("it expands to more than \(Self.maximumValues) values (aliases?)")
            }
            if depth > Self.maximumDepth {
                throw malformed("line \(node.mark?.line ?? 0): nested more than \(Self.maximumDepth) levels deep")
            }
            switch node {
            case .scalar(let s):
                do { return try Self.value(of: s) } catch let e as NumberOutOfRange {
                    throw malformed(
                        "line \(s.mark?.line ?? 0): it holds a number beyond the range of a 64-bit number (\(path): \(e.text))"
                    )
                }
            case .sequence(let items): return try items.map { try convert($0, path: path, depth: depth + 1) }
            case .mapping(let pairs):
                var out: [String: Any] = [:]
                for (keyNode, valueNode) in pairs {
                    guard case .scalar(let k) = keyNode else {
                        throw malformed(
                            "line \(keyNode.mark?.line ?? 0): a key must be a name, found " + Self.kind(of: keyNode))
                    }
                    let key = path.isEmpty ? k.string : "\(path).\(k.string)"
                    if let line = k.mark?.line { lines[key] = line }
                    out[k.string] = try convert(valueNode, path: key, depth: depth + 1)
                }
                return out
            default:
                throw malformed("line \(node.mark?.line ?? 0): an unsupported YAML node")
            }
        }
        tree = try convert(root, path: "", depth: 0) as? [String: Any] ?? [:]
        self.lines = lines
    }

    /// A number no 64-bit type holds (the JSON reader refuses such a file too).
    struct NumberOutOfRange: Error { var text: String }

    /// A plain scalar by YAML 1.2's core schema; quoted or `!!str` scalars are strings.
    static func value(of scalar: Node.Scalar) throws -> Any {
        let text = scalar.string
        let explicitString = scalar.tag.description == "tag:yaml.org,2002:str"
        guard scalar.style == .plain, !explicitString else { return text }
        switch text {
        case "", "~", "null", "Null", "NULL": return NSNull()
        case "true", "True", "TRUE": return NSNumber(value: true)
        case "false", "False", "FALSE": return NSNumber(value: false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return NSNumber(value: Double.infinity)
        case "-.inf", "-.Inf", "-.INF": return NSNumber(value: -Double.infinity)
        case ".nan", ".NaN", ".NAN": return NSNumber(value: Double.nan)
        default: break
        }
        let bytes = Array(text.utf8)
        let digits = { (b: UInt8) in b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        let signed = bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") ? 1 : 0
        if bytes.count > signed, bytes[signed...].allSatisfy(digits) {  // [-+]?[0-9]+
            if let i = Int64(text) { return NSNumber(value: i) }
            if let u = UInt64(text.hasPrefix("+") ? String(text.dropFirst()) : text) { return NSNumber(value: u) }
            return try finite(text)
        }
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0"),
            bytes[1] == UInt8(ascii: "o") || bytes[1] == UInt8(ascii: "x")
        {  // 0o17, 0x1F
            let radix = bytes[1] == UInt8(ascii: "o") ? 8 : 16
            let body = String(text.dropFirst(2))
            if body.allSatisfy({ $0.isASCII && $0.hexDigitValue.map { $0 < radix } == true }) {
                guard let u = UInt64(body, radix: radix) else { throw NumberOutOfRange(text: text) }
                return u <= UInt64(Int64.max) ? NSNumber(value: Int64(u)) : NSNumber(value: u)
            }
        }
        if isDecimalFloat(bytes[signed...]) { return try finite(text) }
        return text
    }

    /// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`: the core schema's float without a sign.
    static func isDecimalFloat(_ bytes: ArraySlice<UInt8>) -> Bool {
        var i = bytes.startIndex
        func run() -> Int {
            let start = i
            while i < bytes.endIndex, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            return i - start
        }
        let whole = run()
        var fraction = 0
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: ".") {
            i += 1
            fraction = run()
        }
        guard whole > 0 || fraction > 0 else { return false }
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.endIndex, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
            guard run() > 0 else { return false }
        }
        return i == bytes.endIndex
    }

    /// A decimal number as a Double (like JSON's 1e3 or 30.0); beyond any Double is refused.
    static func finite(_ text: String) throws -> NSNumber {
        let normalized = text.replacingOccurrences(of: ".e", with: ".0e").replacingOccurrences(of: ".E", with: ".0E")
        guard let x = Double(normalized.hasSuffix(".") ? normalized + "0" : normalized), x.isFinite else {
            throw NumberOutOfRange(text: text)
        }
        return NSNumber(value: x)
    }

    static func kind(of node: Node) -> String {
        switch node {
        case .scalar: return "a single value"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        default: return "an alias"
        }
    }

    /// A YAML syntax error as one line: where, and what the parser expected.
    static func reason(_ error: YamlError) -> String {
        func at(_ mark: Mark) -> String { "line \(mark.line), column \(mark.column)" }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return "\(at(mark)): \(problem)" + (context.map { " (\($0.text) at \(at($0.mark)))" } ?? "")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return "\(at(context.mark)): the key " + duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
                + " appears more than once in the same mapping"
        case .reader(let problem, let offset, _, _):
            return problem + (offset.map { " at byte \($0)" } ?? "")
        default:
            return "\(error)"
        }
    }
}
