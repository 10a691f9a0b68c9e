// RecordCoding: the one JSON encoder and decoder of every record file (summary.json,
// bench.json, config.json, --json output): snake_case keys, pretty, sorted, non-finite
// numbers as "nan" / "inf" / "-inf"; and reading a record file with errors that name it.
import Foundation

/// How record files are encoded and decoded.
public enum RecordCoding {
    /// snake_case keys, pretty-printed with sorted keys (so files are stable run to run);
    /// non-finite numbers are written as the strings "nan", "inf", "-inf".
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    /// The decoder that reads what `encoder()` writes.
    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// `value` as the text of a record file (no final newline).
    public static func text<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder().encode(value), as: UTF8.self)
    }

    /// Writes `value` to `url` atomically (see `AtomicFile`).
    public static func write<T: Encodable>(_ value: T, to url: URL) throws {
        try AtomicFile.write(try encoder().encode(value), to: url)
    }

    /// Decodes a record from `data`; a failure is `RecordError.malformed` naming `url` and the
    /// snake_case path of the bad or missing key. `plain`: keys as written, no snake_case
    /// conversion (for records holding free-form keys, such as config keys in a `JSONValue`:
    /// JSONDecoder converts dictionary keys too).
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, url: URL, plain: Bool = false) throws -> T
    {
        do { return try (plain ? JSONDecoder() : decoder()).decode(type, from: data) } catch let e as DecodingError {
            throw RecordError.malformed(url, reason: describe(e))
        }
    }

    /// Reads and decodes a record file. Throws `RecordError.missingFile` (with `hint`) when it
    /// does not exist, `.malformed` when it cannot be read or decoded.
    public static func read<T: Decodable>(_ type: T.Type, from url: URL, hint: String, plain: Bool = false) throws -> T
    {
        guard FileManager.default.fileExists(atPath: url.path) else { throw RecordError.missingFile(url, hint: hint) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RecordError.malformed(url, reason: "\(error.localizedDescription)")
        }
        return try decode(type, from: data, url: url, plain: plain)
    }

    /// A decoding error in a reader's words: the snake_case key path and what was wrong there.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? snake($0.stringValue) }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "`\(path(context.codingPath + [key]))` is missing"
        case .valueNotFound(_, let context):
            return "`\(path(context.codingPath))` is null or missing"
        case .typeMismatch(let type, let context):
            return "`\(path(context.codingPath))` is not a \(typeName(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let detail = (context.underlyingError as NSError?).flatMap {
                    $0.userInfo[NSDebugDescriptionErrorKey] as? String
                }
                return "not valid JSON" + (detail.map { " (\($0))" } ?? "")
            }
            return "`\(path(context.codingPath))`: \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// The snake_case form of a camelCase key (the inverse of `.convertFromSnakeCase`).
    public static func snake(_ camel: String) -> String {
        var out = ""
        for c in camel {
            if c.isUppercase {
                if !out.isEmpty { out += "_" }
                out += c.lowercased()
            } else {
                out.append(c)
            }
        }
        return out
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "string"
        case is Bool.Type: return "boolean"
        case is Int.Type, is UInt64.Type: return "whole number"
        case is Double.Type, is Float.Type: return "number"
        default: return "\(type)".lowercased()
        }
    }
}
