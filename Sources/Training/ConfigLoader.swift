// Training/ConfigLoader.swift — reads a run configuration: the defaults, then a JSON or YAML
// file, then settings (typed CLI options and `--set key.path=value`), each key looked up in
// the key table (ConfigKeys.swift) and its value checked against the key's type before it is
// set: unknown keys, wrong types and impossible values are refused with a message naming the
// key, what was found and what is allowed (and, in a YAML file, its line).
import Foundation
import RunRecords

public enum ConfigLoader {
    /// The configuration as pretty JSON (snake_case keys, sorted), written from the key table:
    /// the resolved config file of a run and `--print-config`.
    public static func json(_ config: TrainConfig) throws -> String {
        try ConfigKey.json(config)
    }

    /// The Codable encoding of `config` by RunRecords' `RecordCoding`: what `json` must equal
    /// (a property test checks it).
    static func codableJSON(_ config: TrainConfig) throws -> String {
        try RecordCoding.text(config)
    }

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
    public static func load(text: String?, source file: String, overrides: [String] = []) throws -> TrainConfig {
        try load(text: text, source: file, settings: overrides.map(ConfigSetting.assignment))
    }

    /// The defaults, then `text` (the file `file`: YAML if it ends in .yaml or .yml, else JSON),
    /// then each setting in order.
    public static func load(text: String?, source file: String, settings: [ConfigSetting]) throws -> TrainConfig {
        var config = TrainConfig()
        if let text {
            var lines: [String: Int] = [:]
            let user: [String: Any]
            switch ConfigFormat(path: file) {
            case .json: user = try jsonObject(text, source: file)
            case .yaml:
                let document = try YAMLConfigDocument(text: text, path: file)
                (user, lines) = (document.tree, document.lines)
            }
            do { try apply(user, prefix: "", to: &config) } catch let e as ConfigError {
                throw located(e, in: file, lines: lines)
            }
        }
        for setting in settings {
            switch setting.form {
            case let .value(key, value): key.set(try checked(value.treeValue, for: key), in: &config)
            case let .argument(key, text): key.set(try checked(literal(text), for: key), in: &config)
            case let .assignment(text): try applyAssignment(text, to: &config)
            }
        }
        return config
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

    /// `error` at the file line of its key (YAML files).
    static func located(_ error: ConfigError, in file: String, lines: [String: Int]) -> ConfigError {
        switch error {
        case let .unknownKey(key, _), let .wrongType(key, _, _), let .invalidValue(key, _, _):
            return lines[key].map { .located(file: file, line: $0, error) } ?? error
        default: return error
        }
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

    /// A value as typed on the command line: a JSON literal when it parses, else the text itself.
    static func literal(_ text: String) -> Any {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) ?? text
    }

    /// Applies `a.b.c=value` (value as JSON when it parses, else as a string).
    static func applyAssignment(_ text: String, to config: inout TrainConfig) throws {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { throw ConfigError.badOverride(text) }
        // Every part of the key path is named: `.steps`, `loss..kind` and `loss.` are refused.
        let path = text[..<eq].split(separator: ".", omittingEmptySubsequences: false)
            .map { String($0).replacingOccurrences(of: "-", with: "_") }
        guard !path.contains(where: \.isEmpty) else { throw ConfigError.badOverride(text) }
        var nested: Any = literal(String(text[text.index(after: eq)...]))
        for key in path.reversed() { nested = [key: nested] }
        guard let user = nested as? [String: Any] else { throw ConfigError.badOverride(text) }
        try apply(user, prefix: "", to: &config)
    }

    /// Sets every key of `user` (a file's tree, or below the section `prefix`) in `config`,
    /// in the order of their names; refuses names the table does not have.
    static func apply(_ user: [String: Any], prefix: String, to config: inout TrainConfig) throws {
        let known = ConfigKey.childNames[prefix] ?? []
        for name in user.keys.sorted() {
            let value = user[name] as Any
            let path = prefix.isEmpty ? name : "\(prefix).\(name)"
            guard known.contains(name) else {
                let near = closest(name, in: known.sorted()).map { prefix.isEmpty ? $0 : "\(prefix).\($0)" }
                throw ConfigError.unknownKey(key: path, suggestion: near)
            }
            if let key = ConfigKey.byPath[path] {
                key.set(try checked(value, for: key), in: &config)
            } else {
                guard let section = value as? [String: Any] else {
                    throw ConfigError.wrongType(key: path, expected: "an object { ... }", found: describe(value))
                }
                try apply(section, prefix: path, to: &config)
            }
        }
    }

    /// A value checked against its key's type, so that every problem names the key: an
    /// integer key gets a whole number within its type's range, a choice key one of its names,
    /// no string holds a NUL character, and objects, lists and null are refused.
    static func checked(_ value: Any, for configKey: ConfigKey) throws -> ConfigValue {
        let key = configKey.path
        let valueIsBoolean = (value as? NSNumber).map(isBoolean) ?? false
        let valueIsNumber = value is NSNumber && !(value is String) && !valueIsBoolean
        // A list, an object, null, or a number no key holds (a YAML file's .inf or .nan).
        if value is [Any] || value is [String: Any] || value is NSNull
            || (valueIsNumber && !((value as? NSNumber)?.doubleValue.isFinite ?? true)) {
            throw ConfigError.wrongType(key: key, expected: configKey.type.expected, found: describe(value))
        }
        if let text = value as? String, text.contains("\u{0}") {
            throw ConfigError.invalidValue(key: key, value: "a string with a NUL character", allowed: "text without NUL (\\u0000) characters")
        }
        let unsigned: Bool
        switch configKey.type {
        case .boolean:
            guard valueIsBoolean, let flag = value as? NSNumber else {
                throw ConfigError.wrongType(key: key, expected: "true or false", found: describe(value))
            }
            return .boolean(flag.boolValue)
        case .text:
            guard !valueIsNumber, !valueIsBoolean, let text = value as? String else {
                throw ConfigError.wrongType(key: key, expected: "a string", found: describe(value))
            }
            return .text(text)
        case let .choice(names):
            guard !valueIsNumber, !valueIsBoolean, let text = value as? String else {
                throw ConfigError.wrongType(key: key, expected: configKey.type.expected, found: describe(value))
            }
            guard names.contains(text) else {
                // A near miss ("RING", "sgdd", "multimodal") gets a suggestion; a short word does not.
                let near = closest(text.lowercased(), in: names, limit: max(1, text.count / 3)).map { " (did you mean \($0)?)" } ?? ""
                throw ConfigError.invalidValue(key: key, value: "\"\(text)\"", allowed: configKey.type.expected + near)
            }
            return .text(text)
        case .real:
            guard valueIsNumber, let number = value as? NSNumber, number.doubleValue.isFinite else {
                throw ConfigError.wrongType(key: key, expected: "a finite number", found: describe(value))
            }
            return .real(number.doubleValue)
        case .integer: unsigned = false
        case .unsigned: unsigned = true
        }
        let range = configKey.type.expected
        guard let number = value as? NSNumber, !(value is String), !isBoolean(number) else {
            throw ConfigError.wrongType(key: key, expected: range, found: describe(value))
        }
        let kind = String(cString: number.objCType)
        if "csilqCSILQ".contains(kind), !(number is NSDecimalNumber) {
            // An exact integer: in range for the key's type?
            if kind == "Q" || kind == "L" {
                let u = number.uint64Value
                if unsigned { return .unsigned(u) }
                if u <= UInt64(Int.max) { return .integer(Int(u)) }
            } else {
                let i = number.int64Value
                if !unsigned { return .integer(Int(i)) }
                if i >= 0 { return .unsigned(UInt64(i)) }
            }
            throw ConfigError.wrongType(key: key, expected: range, found: describe(value))
        }
        // A floating-point or decimal number: whole and within range?
        let x = number.doubleValue
        let fits = unsigned ? (x >= 0 && x < 18446744073709551616.0) : (x >= -9223372036854775808.0 && x < 9223372036854775808.0)
        guard x.isFinite, x == x.rounded(), fits else {
            throw ConfigError.wrongType(key: key, expected: range, found: describe(value))
        }
        return unsigned ? .unsigned(UInt64(x)) : .integer(Int(x))
    }

    static func isBoolean(_ n: NSNumber) -> Bool {
        String(describing: type(of: n)).contains("Boolean")
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

    /// The snake_case name of a Swift property ("initScale" → "init_scale"), as JSONEncoder writes it.
    static func snake(_ camel: String) -> String {
        var out = ""
        for ch in camel {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }

    /// Every stored leaf of `TrainConfig` with its snake_case key path and default, found by
    /// reflection: what the key table must cover (a test checks that it does, key for key).
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

    /// The integer keys (snake_case paths) and whether they are unsigned, from the key table.
    static let integerKeys: [String: Bool] = Dictionary(uniqueKeysWithValues: ConfigKey.all.compactMap { key in
        switch key.type {
        case .integer: return (key.path, false)
        case .unsigned: return (key.path, true)
        default: return nil
        }
    })

    /// The smallest value each signed integer key names in its messages, from the key table
    /// (`validate` checks the range, with the rank count).
    static let integerMinimum: [String: Int] = Dictionary(uniqueKeysWithValues: ConfigKey.all.compactMap { key in
        if case let .integer(minimum) = key.type, minimum > Int.min { return (key.path, minimum) }
        return nil
    })

    /// The keys with a closed set of values and their allowed values, from the key table.
    public static let choiceKeys: [String: [String]] = {
        let pairs = ConfigKey.all.compactMap { key -> (String, [String])? in
            if case let .choice(names) = key.type { return (key.path, names) }
            return nil
        }
        return Dictionary(uniqueKeysWithValues: pairs)
    }()

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
