// Training/ConfigLoader.swift — reads a run configuration from JSON and/or `key.path=value`
// overrides, on top of the defaults: unknown keys, wrong types and impossible values are
// refused with a message naming the key, what was found and what is allowed.
import Foundation

/// A configuration the run cannot start with.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case unknownKey(key: String, suggestion: String?)
    case wrongType(key: String, expected: String, found: String)
    case invalidValue(key: String, value: String, allowed: String)
    case badOverride(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read the config file \(path): \(reason)"
        case let .malformed(path, reason):
            return "the config file \(path) is not valid JSON: \(reason)"
        case let .unknownKey(key, suggestion):
            return "unknown config key '\(key)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
                + "; `infomax train --print-config` lists every key"
        case let .wrongType(key, expected, found):
            return "config key '\(key)' must be \(expected), found \(found)"
        case let .invalidValue(key, value, allowed):
            return "config key '\(key)' = \(value) is not allowed: \(allowed)"
        case let .badOverride(text):
            return "cannot read the override '\(text)': write it as key.path=value, e.g. --set signal_noise.snr=0.5"
        }
    }
}

public enum ConfigLoader {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }

    /// The configuration as pretty JSON (snake_case keys, sorted): the resolved config file of a run.
    public static func json(_ config: TrainConfig) throws -> String {
        String(decoding: try encoder().encode(config), as: UTF8.self)
    }

    /// The defaults as a JSON dictionary: the schema every input is checked against.
    static func defaultsDictionary() throws -> [String: Any] {
        let data = try encoder().encode(TrainConfig())
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// Reads a config file's text, with an error that says which file and why.
    public static func readFile(_ path: String) throws -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "it is not readable UTF-8 text (check its permissions)" : "no such file"
            throw ConfigError.unreadable(path: path, reason: reason)
        }
    }

    /// Builds a configuration: defaults, then the file (if any), then each `key.path=value` override.
    public static func load(file: String?, overrides: [String] = []) throws -> TrainConfig {
        try load(text: try file.map(readFile), source: file ?? "", overrides: overrides)
    }

    /// Like `load(file:overrides:)` with the file's text already read (rank 0 reads, all parse).
    public static func load(text: String?, source file: String, overrides: [String] = []) throws -> TrainConfig {
        var dict = try defaultsDictionary()
        if let text {
            let data = Data(text.utf8)
            let object: Any
            do { object = try JSONSerialization.jsonObject(with: data) } catch {
                throw ConfigError.malformed(path: file, reason: (error as NSError).userInfo["NSDebugDescription"] as? String ?? "\(error)")
            }
            guard let user = object as? [String: Any] else {
                throw ConfigError.malformed(path: file, reason: "the top level must be an object { ... }")
            }
            try merge(user, into: &dict, schema: try defaultsDictionary(), prefix: "")
        }
        for o in overrides { try applyOverride(o, to: &dict) }
        return try decode(dict)
    }

    /// Parses `a.b.c=value` (value as JSON when it parses, else as a string) into the dictionary.
    static func applyOverride(_ text: String, to dict: inout [String: Any]) throws {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { throw ConfigError.badOverride(text) }
        let path = text[..<eq].split(separator: ".").map { String($0).replacingOccurrences(of: "-", with: "_") }
        let raw = String(text[text.index(after: eq)...])
        let value: Any = (try? JSONSerialization.jsonObject(with: Data(raw.utf8), options: [.fragmentsAllowed])) ?? raw
        var nested: Any = value
        for key in path.reversed() { nested = [key: nested] }
        guard let user = nested as? [String: Any] else { throw ConfigError.badOverride(text) }
        try merge(user, into: &dict, schema: try defaultsDictionary(), prefix: "")
    }

    /// Deep-merges `user` into `dict`, refusing keys the schema does not have.
    static func merge(_ user: [String: Any], into dict: inout [String: Any], schema: [String: Any], prefix: String) throws {
        for (key, value) in user {
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            guard let known = schema[key] else {
                throw ConfigError.unknownKey(key: path, suggestion: closest(key, in: Array(schema.keys)).map { prefix.isEmpty ? $0 : "\(prefix).\($0)" })
            }
            if let sub = known as? [String: Any] {
                guard let userSub = value as? [String: Any] else {
                    throw ConfigError.wrongType(key: path, expected: "an object { ... }", found: describe(value))
                }
                var current = dict[key] as? [String: Any] ?? sub
                try merge(userSub, into: &current, schema: sub, prefix: path)
                dict[key] = current
            } else {
                dict[key] = value
            }
        }
    }

    static func decode(_ dict: [String: Any]) throws -> TrainConfig {
        let data = try JSONSerialization.data(withJSONObject: dict)
        do {
            return try decoder().decode(TrainConfig.self, from: data)
        } catch let DecodingError.typeMismatch(type, context) {
            throw ConfigError.wrongType(key: keyPath(context), expected: expectation(for: type), found: describeValue(at: context.codingPath, in: dict))
        } catch let DecodingError.dataCorrupted(context) {
            let path = keyPath(context)
            throw ConfigError.invalidValue(key: path, value: describeValue(at: context.codingPath, in: dict),
                                           allowed: allowedValues(forKey: path) ?? context.debugDescription)
        } catch let DecodingError.valueNotFound(type, context) {
            throw ConfigError.wrongType(key: keyPath(context), expected: expectation(for: type), found: "null")
        }
    }

    static func keyPath(_ context: DecodingError.Context) -> String {
        context.codingPath.map { k in k.intValue.map(String.init) ?? snake(k.stringValue) }.joined(separator: ".")
    }

    static func snake(_ camel: String) -> String {
        var out = ""
        for ch in camel {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }

    static func expectation(for type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is UInt64.Type: return "a whole number"
        case is Double.Type: return "a number"
        default: return "a \(type)"
        }
    }

    static func describeValue(at path: [CodingKey], in dict: [String: Any]) -> String {
        var node: Any? = dict
        for k in path { node = (node as? [String: Any])?[snake(k.stringValue)] }
        return node.map(describe) ?? "nothing"
    }

    static func describe(_ value: Any) -> String {
        switch value {
        case let s as String: return "the string \"\(s)\""
        case let n as NSNumber:
            return String(describing: type(of: n)).contains("Boolean") ? "the boolean \(n.boolValue)" : "the number \(n)"
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        default: return "\(value)"
        }
    }

    static func allowedValues(forKey key: String) -> String? {
        switch key {
        case "model": return "one of " + DataModelKind.allCases.map(\.rawValue).joined(separator: ", ")
        case "mode": return "one of " + ModalityMode.allCases.map(\.rawValue).joined(separator: ", ")
        case "loss.kind": return "one of " + LossKind.allCases.map(\.rawValue).joined(separator: ", ")
        case "optimizer.kind": return "one of " + OptimizerConfig.Kind.allCases.map(\.rawValue).joined(separator: ", ")
        default: return nil
        }
    }

    /// The known key nearest to `key` by edit distance, if it is close.
    static func closest(_ key: String, in keys: [String]) -> String? {
        func distance(_ a: String, _ b: String) -> Int {
            let a = Array(a), b = Array(b)
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var prev = row[0]; row[0] = i
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    let cur = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                    prev = cur
                }
            }
            return row[b.count]
        }
        let best = keys.map { ($0, distance(key, $0)) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= max(2, key.count / 3) else { return nil }
        return best.0
    }
}
