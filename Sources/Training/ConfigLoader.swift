// Training/ConfigLoader.swift — reads a run configuration from JSON or YAML and/or
// `key.path=value` overrides, on top of the defaults: unknown keys, wrong types and
// impossible values are refused with a message naming the key, what was found and what is
// allowed (and, in a YAML file, its line).
import Foundation
import RunRecords

/// A configuration the run cannot start with.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case unknownKey(key: String, suggestion: String?)
    case wrongType(key: String, expected: String, found: String)
    case invalidValue(key: String, value: String, allowed: String)
    case badOverride(String)
    /// A refused key or value of a config file, at this line of it (YAML files).
    indirect case located(file: String, line: Int, ConfigError)

    public var description: String {
        func show(_ text: String) -> String { ConfigError.shown(text) }
        switch self {
        case let .unreadable(path, reason):
            return "cannot read the config file \(show(path)): \(show(reason))"
        case let .malformed(path, reason):
            return "the config file \(show(path)) is not valid \(ConfigFormat(path: path).rawValue): \(show(reason))"
        case let .unknownKey(key, _) where key.isEmpty || key.hasSuffix("."):
            return "a config key with an empty name " + (key.isEmpty ? "at the top level" : "in '\(show(String(key.dropLast())))'")
                + " is not allowed; `infomax train --print-config` lists every key"
        case let .unknownKey(key, suggestion):
            return "unknown config key '\(show(key))'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
                + "; `infomax train --print-config` lists every key"
        case let .wrongType(key, expected, found):
            return "config key '\(show(key))' must be \(expected), found \(show(found))"
        case let .invalidValue(key, value, allowed):
            return "config key '\(show(key))' = \(show(value)) is not allowed: \(allowed)"
        case let .located(file, line, error):
            return "\(show(file)), line \(line): \(error)"
        case let .badOverride(text):
            return "cannot read the override '\(show(text))': write it as key.path=value with every part of the key path "
                + "named, e.g. --set signal_noise.snr=0.5"
        }
    }

    /// User text as it appears in a message: on one line (control characters escaped, so an
    /// error is always exactly one line) and at most `limit` characters.
    public static func shown(_ text: String, limit: Int = 120) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit { return out + "… (\(text.unicodeScalars.count) characters)" }
            if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                out += scalar.value <= 0xFF ? String(format: "\\x%02X", scalar.value) : String(format: "\\u{%X}", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }
}

public enum ConfigLoader {
    /// The one encoder of record files (snake_case, pretty, sorted): RunRecords' `RecordCoding`.
    static func encoder() -> JSONEncoder { RecordCoding.encoder() }

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
        if let schema { return schema }
        let data = try encoder().encode(TrainConfig())
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// `defaultsDictionary()`, made once (each `--set` is checked against it).
    private static let schema: [String: Any]? = {
        guard let data = try? encoder().encode(TrainConfig()) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }()

    /// The largest config file read (a config is a few kilobytes; this refuses /dev/zero & co.).
    public static let maximumFileBytes = 1 << 20

    /// Reads a config file's text, with an error that says which file and why: missing, a
    /// folder or device rather than a file, unreadable, too large, or not UTF-8 (exit 65).
    public static func readFile(_ path: String) throws -> String {
        func refuse(_ reason: String) -> ConfigError { .unreadable(path: path.isEmpty ? "''" : path, reason: reason) }
        if path.isEmpty { throw refuse("the path is empty; pass --config FILE.json") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw refuse("no such file") }
        if isDirectory.boolValue { throw refuse("it is a folder, not a JSON file") }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let type = attributes?[.type] as? FileAttributeType, type != .typeRegular {
            throw refuse("it is not a regular file (a device, pipe or socket); pass a JSON file")
        }
        if let size = (attributes?[.size] as? NSNumber)?.intValue, size > maximumFileBytes {
            throw refuse("it is \(size) bytes, more than a config file can be (\(maximumFileBytes) bytes)")
        }
        guard FileManager.default.isReadableFile(atPath: path), let data = FileManager.default.contents(atPath: path) else {
            throw refuse("permission denied (check its permissions)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw refuse("it is not UTF-8 text") }
        return text
    }

    /// Builds a configuration: defaults, then the file (if any), then each `key.path=value` override.
    public static func load(file: String?, overrides: [String] = []) throws -> TrainConfig {
        try load(text: try file.map(readFile), source: file ?? "", overrides: overrides)
    }

    /// Like `load(file:overrides:)` with the file's text already read (rank 0 reads, all parse).
    /// The file is YAML if `file` ends in .yaml or .yml, else JSON.
    public static func load(text: String?, source file: String, overrides: [String] = []) throws -> TrainConfig {
        var dict = try defaultsDictionary()
        var lines: [String: Int] = [:]
        if let text {
            let user: [String: Any]
            switch ConfigFormat(path: file) {
            case .json: user = try jsonObject(text, source: file)
            case .yaml:
                let document = try YAMLConfigDocument(text: text, path: file)
                (user, lines) = (document.tree, document.lines)
            }
            do { try merge(user, into: &dict, schema: try defaultsDictionary(), prefix: "") } catch let e as ConfigError {
                throw located(e, in: file, lines: lines, overrides: [])
            }
        }
        for o in overrides { try applyOverride(o, to: &dict) }
        do { return try decode(dict) } catch let e as ConfigError {
            throw located(e, in: file, lines: lines, overrides: overrides)
        }
    }

    /// A JSON config file's top-level object.
    static func jsonObject(_ text: String, source file: String) throws -> [String: Any] {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(text.utf8)) } catch {
            let detail = (error as NSError).userInfo["NSDebugDescription"] as? String ?? RootError.text(for: error)
            let reason = detail.contains("not representable")
                ? "it holds a number beyond the range of a 64-bit number (\(detail.replacingOccurrences(of: " is not representable in Swift.", with: "")))"
                : detail
            throw ConfigError.malformed(path: file, reason: reason)
        }
        guard let user = object as? [String: Any] else {
            throw ConfigError.malformed(path: file, reason: "the top level must be an object { ... }")
        }
        return user
    }

    /// `error` at the file line of its key, when the file gave the key its value (not an override).
    static func located(_ error: ConfigError, in file: String, lines: [String: Int], overrides: [String]) -> ConfigError {
        let key: String
        switch error {
        case let .unknownKey(k, _), let .wrongType(k, _, _), let .invalidValue(k, _, _): key = k
        default: return error
        }
        let overridden = overrides.contains { o in
            let path = String(o.prefix { $0 != "=" }).replacingOccurrences(of: "-", with: "_")
            return path == key || key.hasPrefix(path + ".") || path.hasPrefix(key + ".")
        }
        guard !overridden, let line = lines[key] else { return error }
        return .located(file: file, line: line, error)
    }

    /// `text` as a JSON string literal (quotes and control characters escaped), for overrides.
    public static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04X", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    /// Parses `a.b.c=value` (value as JSON when it parses, else as a string) into the dictionary.
    static func applyOverride(_ text: String, to dict: inout [String: Any]) throws {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { throw ConfigError.badOverride(text) }
        // Every part of the key path is named: `.steps`, `loss..kind` and `loss.` are refused.
        let path = text[..<eq].split(separator: ".", omittingEmptySubsequences: false).map { String($0).replacingOccurrences(of: "-", with: "_") }
        guard !path.contains(where: \.isEmpty) else { throw ConfigError.badOverride(text) }
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
                dict[key] = try checkedLeaf(value, key: path, schema: known)
            }
        }
    }

    /// Every leaf of the default configuration with its snake_case key path.
    static func leaves() -> [(path: String, value: Any)] {
        var out: [(path: String, value: Any)] = []
        func walk(_ value: Any, prefix: String) {
            for child in Mirror(reflecting: value).children {
                guard let label = child.label else { continue }
                let path = prefix.isEmpty ? snake(label) : "\(prefix).\(snake(label))"
                if Mirror(reflecting: child.value).displayStyle == .struct { walk(child.value, prefix: path) } else { out.append((path, child.value)) }
            }
        }
        walk(TrainConfig(), prefix: "")
        return out
    }

    /// The integer-valued keys of the schema (snake_case paths) and whether they are unsigned.
    static let integerKeys: [String: Bool] = {
        var keys: [String: Bool] = [:]
        for leaf in leaves() {
            switch leaf.value {
            case is Int: keys[leaf.path] = false
            case is UInt64: keys[leaf.path] = true
            default: break
            }
        }
        return keys
    }()

    /// The keys with a closed set of values (a `ConfigChoice` type) and their allowed values.
    public static let choiceKeys: [String: [String]] = {
        var keys: [String: [String]] = [:]
        for leaf in leaves() {
            if let choice = leaf.value as? any ConfigChoice { keys[leaf.path] = type(of: choice).names }
        }
        return keys
    }()

    /// The smallest value each integer key accepts (checked again, with the rank count, by `validate`).
    static let integerMinimum: [String: Int] = [
        "steps": 1, "train_samples": 1, "batch_size": 0, "probe_train_samples": 2, "test_samples": 1,
        "log_every": 1, "eval_every": 0, "checkpoint_every": 0, "encoder.width": 1, "signal_noise.d": 2,
        "latent_linear.latent_dim": 1, "latent_linear.d1": 1, "latent_linear.d2": 1,
        "cooccurrence.classes": 2, "cooccurrence.image_vocabulary": 2, "cooccurrence.text_vocabulary": 2,
    ]

    /// What an integer key accepts, for messages: "a whole number from 1 to 9223372036854775807".
    static func wholeNumberRange(_ key: String, unsigned: Bool) -> String {
        unsigned ? "a whole number from 0 to \(UInt64.max)" : "a whole number from \(integerMinimum[key] ?? Int.min) to \(Int.max)"
    }

    /// A leaf value checked before decoding, so that every type problem names its key: an
    /// integer key gets a whole number within its type's range (returned as an integer), no
    /// string holds a NUL character, and objects or lists go only where the schema has them.
    static func checkedLeaf(_ value: Any, key: String, schema: Any) throws -> Any {
        let schemaIsBoolean = (schema as? NSNumber).map(isBoolean) ?? false
        let schemaIsNumber = schema is NSNumber && !(schema is String) && !schemaIsBoolean
        let valueIsBoolean = (value as? NSNumber).map(isBoolean) ?? false
        let valueIsNumber = value is NSNumber && !(value is String) && !valueIsBoolean
        // A list, an object, null, or a number no key holds (a YAML file's .inf or .nan).
        if value is [Any] || value is [String: Any] || value is NSNull || (valueIsNumber && !((value as? NSNumber)?.doubleValue.isFinite ?? true)) {
            let expected = integerKeys[key].map { wholeNumberRange(key, unsigned: $0) } ?? choiceKeys[key].map(choices)
                ?? (schemaIsBoolean ? "true or false" : schemaIsNumber ? "a finite number" : schema is String ? "a string" : "a single value (see --print-config)")
            throw ConfigError.wrongType(key: key, expected: expected, found: describe(value))
        }
        if let text = value as? String, text.contains("\u{0}") {
            throw ConfigError.invalidValue(key: key, value: "a string with a NUL character", allowed: "text without NUL (\\u0000) characters")
        }
        if schemaIsBoolean && !valueIsBoolean {
            throw ConfigError.wrongType(key: key, expected: "true or false", found: describe(value))
        }
        if let names = choiceKeys[key] {
            guard let text = value as? String else {
                throw ConfigError.wrongType(key: key, expected: choices(names), found: describe(value))
            }
            guard names.contains(text) else {
                // A near miss ("RING", "sgdd", "multimodal") gets a suggestion; a short word does not.
                let near = closest(text.lowercased(), in: names, limit: max(1, text.count / 3)).map { " (did you mean \($0)?)" } ?? ""
                throw ConfigError.invalidValue(key: key, value: "\"\(text)\"", allowed: choices(names) + near)
            }
            return text
        }
        guard let unsigned = integerKeys[key] else {
            guard schemaIsNumber else { return value }
            // A real-valued key: any finite number, as a Double.
            guard valueIsNumber, let number = value as? NSNumber, number.doubleValue.isFinite else {
                throw ConfigError.wrongType(key: key, expected: "a finite number", found: describe(value))
            }
            return NSNumber(value: number.doubleValue)
        }
        let range = wholeNumberRange(key, unsigned: unsigned)
        guard let number = value as? NSNumber, !(value is String), !isBoolean(number) else {
            throw ConfigError.wrongType(key: key, expected: range, found: describe(value))
        }
        let kind = String(cString: number.objCType)
        if "csilqCSILQ".contains(kind), !(number is NSDecimalNumber) {
            // An exact integer: in range for the key's type?
            if kind == "Q" || kind == "L" {
                let u = number.uint64Value
                if unsigned { return NSNumber(value: u) }
                if u <= UInt64(Int.max) { return NSNumber(value: Int(u)) }
            } else {
                let i = number.int64Value
                if !unsigned { return NSNumber(value: i) }
                if i >= 0 { return NSNumber(value: UInt64(i)) }
            }
            throw ConfigError.wrongType(key: key, expected: range, found: describe(value))
        }
        // A floating-point or decimal number: whole and within range?
        let x = number.doubleValue
        let fits = unsigned ? (x >= 0 && x < 18446744073709551616.0) : (x >= -9223372036854775808.0 && x < 9223372036854775808.0)
        guard x.isFinite, x == x.rounded(), fits else {
            throw ConfigError.wrongType(key: key, expected: range, found: describe(value))
        }
        return unsigned ? NSNumber(value: UInt64(x)) : NSNumber(value: Int(x))
    }

    static func isBoolean(_ n: NSNumber) -> Bool {
        String(describing: type(of: n)).contains("Boolean")
    }

    static func decode(_ dict: [String: Any]) throws -> TrainConfig {
        let data = try JSONSerialization.data(withJSONObject: dict)
        do {
            return try decoder().decode(TrainConfig.self, from: data)
        } catch let DecodingError.typeMismatch(type, context) {
            throw ConfigError.wrongType(key: keyPath(context), expected: expectation(for: type), found: describeValue(at: context.codingPath, in: dict))
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw ConfigError.invalidValue(key: "(top level)", value: "the configuration", allowed: context.debugDescription)
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
            return isBoolean(n) ? "the boolean \(n.boolValue)" : "the number \(n)"
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        default: return "\(value)"
        }
    }

    static func allowedValues(forKey key: String) -> String? {
        choiceKeys[key].map(choices)
    }

    /// What a choice key allows, for messages: "one of dot, cosine".
    static func choices(_ names: [String]) -> String {
        "one of " + names.joined(separator: ", ")
    }

    /// The known key nearest to `key` by edit distance, if it is close: within `limit` edits
    /// (default: 2, or a third of the key's length if longer).
    static func closest(_ key: String, in keys: [String], limit: Int? = nil) -> String? {
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
        guard let best, best.1 <= limit ?? max(2, key.count / 3) else { return nil }
        return best.0
    }
}
