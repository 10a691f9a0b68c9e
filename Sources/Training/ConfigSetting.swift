// Training/ConfigSetting.swift — one change on top of the defaults and the config file: a
// typed value for a key of the table (what the CLI's options set), an option's text read as
// a key's value (`--steps 10`), or a `--set key.path=value` assignment. The loader checks
// each alike, with the key's messages.
import Foundation

/// A setting the loader applies after the config file, in order (a later one wins).
public struct ConfigSetting: Sendable {
    enum Form: Sendable {
        case value(ConfigKey, ConfigValue)
        case argument(ConfigKey, String)
        case assignment(String)
    }
    let form: Form

    /// `key` set to `value` (checked against the key's type and range messages like any input).
    public init(_ key: ConfigKey, _ value: ConfigValue) { form = .value(key, value) }

    /// `key` set to a whole number.
    public init(_ key: ConfigKey, _ value: Int) { form = .value(key, .integer(value)) }

    /// `key` set to one of its names.
    public init<T: ConfigChoice & RawRepresentable>(_ key: ConfigKey, _ choice: T) where T.RawValue == String {
        form = .value(key, .text(choice.rawValue))
    }

    /// `key` set from an option's text, read like the value of `--set` (a JSON literal, else a
    /// word): `--steps 2.5` is refused with the key's own message.
    public init(_ key: ConfigKey, argument: String) { form = .argument(key, argument) }

    /// A `--set key.path=value` assignment as the user typed it.
    public static func assignment(_ text: String) -> ConfigSetting { ConfigSetting(form: .assignment(text)) }

    private init(form: Form) { self.form = form }
}
