// Training/ConfigError.swift — a configuration the run cannot start with, as one line that
// names the key, what was found and what is allowed (and, in a YAML file, its line).
import Foundation

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
