// Properties of the config parser, checked on configs generated from the key table
// (ConfigKey.all; swift-property-based, Swift Testing): the table covers every field of
// TrainConfig; any config round-trips through JSON, YAML and --set overrides, and the table's
// JSON is the Codable encoding; a key misspelled by one edit is refused with a near suggestion;
// a value outside an enum key's set is refused naming the allowed values; a fraction for a
// whole-number key is refused naming the range.
import Foundation
import PropertyBased
import Testing

@testable import Training

/// The keys of the config: the key table.
let schema = ConfigKey.all

/// The table's keys with a closed set of values, and their names.
let choiceKeys: [(path: String, names: [String])] = schema.compactMap { key in
    if case .choice(let names) = key.type { return (key.path, names) }
    return nil
}

/// A config with every leaf set from one generated number (shrinks toward the simplest values).
func config(from numbers: [UInt64]) -> (config: TrainConfig, overrides: [String]) {
    var overrides: [String] = []
    for (leaf, u) in zip(schema, numbers) {
        let value: String
        switch leaf.type {
        case .choice(let names): value = names[Int(u % UInt64(names.count))]
        case .boolean: value = u & 1 == 0 ? "false" : "true"
        case .unsigned: value = "\(u)"
        case .integer(let minimum):
            let i = Int(truncatingIfNeeded: u)
            value = "\(i >= minimum ? i : minimum + Int(u % 1000))"
        case .real:
            // A decimal of up to 11 significant digits, exponent -20...19. (This property
            // found that Foundation's JSONSerialization on Linux, which reads JSON configs,
            // misreads the last bit of 0.7-6% of 12- to 17-digit decimals, e.g.
            // 0.0221324588654461; up to 11 digits it was exact in 550,000 draws.)
            let mantissa = Int64(bitPattern: u) % 100_000_000_000
            value = "\(Double("\(mantissa)e\(Int((u >> 50) % 40) - 20)") ?? 0)"
        case .text: value = ConfigLoader.jsonString(text(u))
        }
        overrides.append("\(leaf.path)=\(value)")
    }
    // The overrides are the config's definition; the parser under test reads them back.
    let c = (try? ConfigLoader.load(file: nil, overrides: overrides)) ?? TrainConfig()
    return (c, overrides)
}

/// Text that needs quoting in both formats: quotes, backslash, '#', ': ', tab, newline, non-ASCII.
func text(_ u: UInt64) -> String {
    let alphabet = Array("az09 _-\"'\\#: \t\né✓/{}[],&*!|>%@`")
    var out = "n"
    var v = u
    while v > 0 {
        out.append(alphabet[Int(v % UInt64(alphabet.count))])
        v /= UInt64(alphabet.count)
    }
    return out
}

/// The config as block-style YAML: nested mappings, strings double-quoted with JSON escapes.
func blockYAML(_ c: TrainConfig) throws -> String {
    let tree = try JSONSerialization.jsonObject(with: Data(try ConfigLoader.json(c).utf8)) as? [String: Any] ?? [:]
    var lines: [String] = []
    func emit(_ node: [String: Any], indent: String) {
        for key in node.keys.sorted() {
            switch node[key] {
            case let sub as [String: Any]:
                lines.append("\(indent)\(key):")
                emit(sub, indent: indent + "  ")
            case let s as String: lines.append("\(indent)\(key): \(ConfigLoader.jsonString(s))")
            case let n as NSNumber:
                lines.append(
                    "\(indent)\(key): \(ConfigLoader.isBoolean(n) ? (n.boolValue ? "true" : "false") : "\(n)")")
            default: lines.append("\(indent)\(key): ~")
            }
        }
    }
    emit(tree, indent: "")
    return "# generated\n" + lines.joined(separator: "\n") + "\n"
}

/// The refusal of `text` read as `source` (.json or .yaml) and of `overrides`; the YAML line is dropped.
func refusal(text: String? = nil, source: String = "", overrides: [String] = []) -> ConfigError? {
    do {
        _ = try ConfigLoader.load(text: text, source: source, overrides: overrides)
        return nil
    } catch let ConfigError.located(_, _, inner) {
        return inner
    } catch {
        return error as? ConfigError
    }
}

/// Edit distance (Levenshtein), to judge a suggestion.
func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    var row = Array(0...b.count)
    for i in a.indices {
        var previous = row[0]
        row[0] = i + 1
        for j in b.indices {
            let current = row[j + 1]
            row[j + 1] = min(row[j + 1] + 1, row[j] + 1, previous + (a[i] == b[j] ? 0 : 1))
            previous = current
        }
    }
    return row[b.count]
}

@Suite struct ConfigParserProperties {
    let numbers = Gen<UInt64>.value(in: 0...UInt64.max).array(of: schema.count)

    @Test func schemaIsWhatTheLoaderChecks() {
        #expect(schema.count > 50)
        // + cooccurrence.negatives_drop, latent_linear.probe, colored.test_colors, gradient.allreduce,
        // loss.reduction, cooccurrence.positives_drop, loss.reduce_scatter
        #expect(choiceKeys.count == 17)
    }

    @Test func theTableCoversEveryFieldOfTrainConfigWithItsDefault() {
        // Every stored field of TrainConfig, found by reflection, is a key of the table, once.
        let fields = ConfigLoader.leaves()
        #expect(Set(schema.map(\.path)).count == schema.count, "no key twice")
        #expect(fields.map(\.path).sorted() == schema.map(\.path).sorted())
        for field in fields {
            guard let key = ConfigKey.byPath[field.path] else { continue }
            let expected: ConfigValue? =
                switch field.value {
                case let b as Bool: .boolean(b)
                case let u as UInt64: .unsigned(u)
                case let i as Int: .integer(i)
                case let x as Double: .real(x)
                case let s as String: .text(s)
                case let c as any RawRepresentable: (c.rawValue as? String).map { .text($0) }
                default: nil
                }
            #expect(key.defaultValue == expected, "\(key.path)")
        }
    }

    @Test func theTablesJSONIsTheCodableEncoding() async throws {
        #expect(try ConfigKey.json(TrainConfig()) == ConfigLoader.codableJSON(TrainConfig()))
        await propertyCheck(count: 100, input: numbers) { numbers in
            let (c, _) = config(from: numbers)
            let json = try ConfigKey.json(c)
            #expect(try json == ConfigLoader.codableJSON(c))
        }
    }

    @Test func anyConfigRoundTripsThroughJSONYAMLAndOverrides() async {
        await propertyCheck(count: 200, input: numbers) { numbers in
            let (c, overrides) = config(from: numbers)
            #expect(c != TrainConfig(), "the generated overrides were read: \(overrides)")
            let json = try ConfigLoader.json(c)
            #expect(try ConfigLoader.load(text: json, source: "c.json") == c)
            #expect(try ConfigLoader.load(text: json, source: "c.yaml") == c, "JSON is YAML")
            let yaml = try blockYAML(c)
            #expect(try ConfigLoader.load(text: yaml, source: "c.yml") == c, "\(yaml)")
            #expect(try ConfigLoader.load(text: "{}", source: "c.json", overrides: overrides) == c)
        }
    }

    @Test func aKeyMisspelledByOneEditIsRefusedWithANearSuggestion() async {
        let edit = zip(Gen.int(in: 0..<schema.count), Gen.int(in: 0...3), Gen.int(in: 0...63), Gen.lowercaseLetter)
        await propertyCheck(count: 300, input: edit) { leaf, op, at, letter in
            let path = schema[leaf].path
            var parts = path.split(separator: ".").map(String.init)
            var word = Array(parts[parts.count - 1])
            let i = at % word.count
            switch op {
            case 0: word.remove(at: i)
            case 1: word.insert(letter, at: i)
            case 2: word[i] = letter
            default: if i + 1 < word.count { word.swapAt(i, i + 1) } else { word.append(letter) }
            }
            parts[parts.count - 1] = String(word)
            let wrong = parts.joined(separator: ".")
            // Only a key that is no key of the schema (nor a whole section's name) is a misspelling.
            let sections = Set(schema.map { $0.path.split(separator: ".").dropLast().joined(separator: ".") })
            guard !word.isEmpty, !schema.contains(where: { $0.path == wrong }), !sections.contains(wrong) else {
                return
            }
            var nested: Any = 1
            for part in parts.reversed() { nested = [part: nested] }
            let json = String(decoding: try JSONSerialization.data(withJSONObject: nested), as: UTF8.self)
            for error in [
                refusal(overrides: ["\(wrong)=1"]), refusal(text: json, source: "c.json"),
                refusal(text: json, source: "c.yaml"),
            ] {
                guard case .unknownKey(let key, let suggestion)? = error else {
                    Issue.record("\(wrong) (from \(path)): \(String(describing: error))")
                    continue
                }
                #expect(key == wrong)
                let known = try #require(suggestion, "\(wrong) gets a suggestion")
                #expect(schema.contains { $0.path == known || $0.path.hasPrefix(known + ".") }, "\(known) is a key")
                #expect(
                    known.split(separator: ".").dropLast().map(String.init) == Array(parts.dropLast()),
                    "\(known) is in the same section as \(wrong)")
                #expect(
                    distance(known, wrong) <= distance(path, wrong), "\(known) is no farther from \(wrong) than \(path)"
                )
                #expect("\(error!)".contains("did you mean '\(known)'"))
            }
        }
    }

    @Test func anEnumValueOutsideTheSetIsRefusedNamingTheAllowedValues() async {
        let input = zip(Gen.int(in: 0..<choiceKeys.count), Gen.letterOrNumber.string(of: 1...12))
        await propertyCheck(count: 300, input: input) { index, word in
            let (key, names) = choiceKeys[index]
            guard !names.contains(word) else { return }
            let allowed = "one of " + names.joined(separator: ", ")
            let parts = key.split(separator: ".").map(String.init)
            let quoted = ConfigLoader.jsonString(word)  // unquoted, "1" or "true" would be a number or a boolean
            let yaml = parts.count == 1 ? "\(key): \(quoted)" : "\(parts[0]):\n  \(parts[1]): \(quoted)"
            for error in [refusal(overrides: ["\(key)=\(quoted)"]), refusal(text: yaml, source: "c.yaml")] {
                guard case .invalidValue(let k, let value, let text)? = error else {
                    Issue.record("\(key)=\(word): \(String(describing: error))")
                    continue
                }
                #expect(k == key)
                #expect(value == "\"\(word)\"")
                #expect(text.hasPrefix(allowed), "\(text)")
            }
        }
    }

    @Test func aFractionForAWholeNumberKeyIsRefusedNamingTheRange() async {
        let keys = schema.filter { key in
            switch key.type {
            case .integer, .unsigned: true
            default: false
            }
        }.map(\.path)
        let input = zip(Gen.int(in: 0..<keys.count), Gen.double(in: -1e6...1e6))
        await propertyCheck(count: 200, input: input) { index, x in
            guard x != x.rounded() else { return }
            let key = keys[index]
            guard case .wrongType(let k, let expected, _)? = refusal(overrides: ["\(key)=\(x)"]) else {
                Issue.record("\(key)=\(x) was not refused as a type")
                return
            }
            #expect(k == key)
            #expect(expected.hasPrefix("a whole number from "), "\(expected)")
        }
    }
}
