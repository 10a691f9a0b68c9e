// Training/ConfigKey.swift — one key of the run configuration: its snake_case path, its type,
// what validation allows, a one-line doc, and typed access to its value in a `TrainConfig`.
// The keys themselves are listed once, in ConfigKeys.swift; the loader, --print-config, the
// docs' key table (docs/config-keys.md) and the property tests all derive from that list.
import Foundation

/// What a config key holds; the loader checks every input value against it.
public enum ConfigKeyType: Equatable, Sendable {
    /// A whole number (`Int`); `minimum` is named in messages (validation enforces the range).
    case integer(minimum: Int)
    /// A whole number from 0 to 2^64-1 (`UInt64`).
    case unsigned
    /// A finite number (`Double`).
    case real
    case boolean
    case text
    /// One of these names (a `ConfigChoice` enum's raw values).
    case choice([String])

    /// What a value must be, for messages: "a whole number from 1 to 9223372036854775807".
    public var expected: String {
        switch self {
        case let .integer(minimum): return "a whole number from \(minimum) to \(Int.max)"
        case .unsigned: return "a whole number from 0 to \(UInt64.max)"
        case .real: return "a finite number"
        case .boolean: return "true or false"
        case .text: return "a string"
        case let .choice(names): return "one of " + names.joined(separator: ", ")
        }
    }

    /// The type's name in the docs' key table.
    public var name: String {
        switch self {
        case .integer: return "integer"
        case .unsigned: return "unsigned integer"
        case .real: return "number"
        case .boolean: return "boolean"
        case .text: return "string"
        case .choice: return "choice"
        }
    }
}

/// A value of a config key, typed (a choice is its name).
public enum ConfigValue: Equatable, Sendable, CustomStringConvertible {
    case integer(Int)
    case unsigned(UInt64)
    case real(Double)
    case boolean(Bool)
    case text(String)

    /// The value as the tree a JSON or YAML file gives (NSNumber or String).
    var treeValue: Any {
        switch self {
        case let .integer(i): return NSNumber(value: i)
        case let .unsigned(u): return NSNumber(value: u)
        case let .real(x): return NSNumber(value: x)
        case let .boolean(b): return NSNumber(value: b)
        case let .text(s): return s
        }
    }

    /// As JSON would write it ("0.01", "true", "\"dot\"").
    public var description: String {
        switch self {
        case let .integer(i): return "\(i)"
        case let .unsigned(u): return "\(u)"
        case let .real(x): return "\(x)"
        case let .boolean(b): return "\(b)"
        case let .text(s): return ConfigLoader.jsonString(s)
        }
    }
}

extension ConfigValue: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .integer(i): try c.encode(i)
        case let .unsigned(u): try c.encode(u)
        case let .real(x): try c.encode(x)
        case let .boolean(b): try c.encode(b)
        case let .text(s): try c.encode(s)
        }
    }
}

/// One key of the run configuration (see ConfigKeys.swift for the table of all of them).
public struct ConfigKey: @unchecked Sendable, CustomStringConvertible {
    /// The snake_case key path, as in a config file and `--set`, e.g. `encoder.width`.
    public let path: String
    public let type: ConfigKeyType
    /// What validation allows, in words (its messages say it; the docs list it).
    public let allowed: String
    /// One line saying what the key sets.
    public let doc: String
    private let read: (TrainConfig) -> ConfigValue
    private let write: (inout TrainConfig, ConfigValue) -> Void
    /// Whether validation accepts a value on its own (rules that involve other keys or the
    /// rank count are `TrainConfig.validate`'s); the loader has checked the type already.
    private let accepts: (ConfigValue) -> Bool

    public var description: String { path }

    /// The key's value in `config`.
    public func value(in config: TrainConfig) -> ConfigValue { read(config) }

    /// The built-in default (the embedded default experiment's value).
    public var defaultValue: ConfigValue { read(TrainConfig()) }

    /// Sets the key in `config`; a value of another type than the key's is ignored (the loader
    /// checks values before it sets them, `ConfigLoader.checked`).
    public func set(_ value: ConfigValue, in config: inout TrainConfig) { write(&config, value) }

    /// Refuses the key's value in `config` if the key's own range does not hold it, naming the
    /// key, the value and `allowed`.
    public func check(_ config: TrainConfig) throws {
        let value = read(config)
        guard !accepts(value) else { return }
        let shown: String
        if case let .text(text) = value { shown = "\"\(text)\"" } else { shown = value.description }
        throw ConfigError.invalidValue(key: path, value: shown, allowed: allowed)
    }

    /// The section the key is in ("encoder"), or "" at the top level.
    public var section: String { path.split(separator: ".").dropLast().joined(separator: ".") }

    private init(_ path: String, _ type: ConfigKeyType, _ allowed: String, _ doc: String,
                 read: @escaping (TrainConfig) -> ConfigValue,
                 write: @escaping (inout TrainConfig, ConfigValue) -> Void,
                 accepts: @escaping (ConfigValue) -> Bool = { _ in true }) {
        (self.path, self.type, self.allowed, self.doc) = (path, type, allowed, doc)
        (self.read, self.write, self.accepts) = (read, write, accepts)
    }

    /// A whole-number key; `minimum` is what type errors name, `range` what validation accepts.
    static func integer(_ path: String, _ field: WritableKeyPath<TrainConfig, Int>, minimum: Int, allowed: String,
                        range: @escaping (Int) -> Bool = { _ in true }, _ doc: String) -> ConfigKey {
        ConfigKey(path, .integer(minimum: minimum), allowed, doc, read: { .integer($0[keyPath: field]) }, write: {
            if case let .integer(i) = $1 { $0[keyPath: field] = i }
        }, accepts: { if case let .integer(i) = $0 { range(i) } else { true } })
    }

    static func unsigned(_ path: String, _ field: WritableKeyPath<TrainConfig, UInt64>, allowed: String,
                         _ doc: String) -> ConfigKey {
        ConfigKey(path, .unsigned, allowed, doc, read: { .unsigned($0[keyPath: field]) }, write: {
            if case let .unsigned(u) = $1 { $0[keyPath: field] = u }
        })
    }

    /// A real-valued key; `range` is what validation accepts.
    static func real(_ path: String, _ field: WritableKeyPath<TrainConfig, Double>, allowed: String,
                     range: @escaping (Double) -> Bool = { _ in true }, _ doc: String) -> ConfigKey {
        ConfigKey(path, .real, allowed, doc, read: { .real($0[keyPath: field]) }, write: {
            if case let .real(x) = $1 { $0[keyPath: field] = x }
        }, accepts: { if case let .real(x) = $0 { range(x) } else { true } })
    }

    static func boolean(_ path: String, _ field: WritableKeyPath<TrainConfig, Bool>, _ doc: String) -> ConfigKey {
        ConfigKey(path, .boolean, "true or false", doc, read: { .boolean($0[keyPath: field]) }, write: {
            if case let .boolean(b) = $1 { $0[keyPath: field] = b }
        })
    }

    static func text(_ path: String, _ field: WritableKeyPath<TrainConfig, String>, allowed: String,
                     range: @escaping (String) -> Bool = { _ in true }, _ doc: String) -> ConfigKey {
        ConfigKey(path, .text, allowed, doc, read: { .text($0[keyPath: field]) }, write: {
            if case let .text(s) = $1 { $0[keyPath: field] = s }
        }, accepts: { if case let .text(s) = $0 { range(s) } else { true } })
    }

    static func choice<T>(_ path: String, _ field: WritableKeyPath<TrainConfig, T>, _ doc: String) -> ConfigKey
    where T: ConfigChoice & RawRepresentable, T.RawValue == String {
        let type = ConfigKeyType.choice(T.names)
        return ConfigKey(path, type, type.expected, doc, read: { .text($0[keyPath: field].rawValue) }, write: {
            if case let .text(s) = $1, let v = T(rawValue: s) { $0[keyPath: field] = v }
        })
    }
}
