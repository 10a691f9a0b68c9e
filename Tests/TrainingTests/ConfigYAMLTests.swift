// YAML config files (--config run.yaml / .yml): the same keys, values and messages as JSON,
// YAML 1.2's core schema (`off` stays a string), the line of a refused key, and files that
// cannot be used (syntax, top level, duplicates, aliases, nesting) refused as such (exit 65).
import Foundation
import XCTest

@testable import Training

final class ConfigYAMLTests: XCTestCase {
    /// This test's folder of config files, removed after it.
    var folder = FileManager.default.temporaryDirectory

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("yaml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// `text` in a new file of this test's folder, with the extension `ext`; its path.
    func write(_ text: String, ext: String = "yaml") throws -> String {
        let url = folder.appendingPathComponent("\(UUID().uuidString).\(ext)")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func refusal(_ yaml: String, overrides: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws
        -> ConfigError?
    {
        configRefusal(path: try write(yaml), overrides: overrides, file: file, line: line)
    }

    func testYAMLAndJSONGiveTheSameConfig() throws {
        let yaml = """
            # a comment, then the settings
            name: yaml-run
            model: cooccurrence
            mode: single-modal
            steps: 1e3            # a whole number written as a float, like JSON's 1e3
            seed: 18446744073709551615
            optimizer: {kind: adam, learning_rate: 0.005, schedule: cosine}
            loss:
              similarity: cosine
              negatives: all
              exchange: ring
              stop_gradient: false
              temperature: .5
            cooccurrence:
              positives: resampled
            data:
              cache: off          # a string in YAML 1.2, not the boolean false
            """
        let json = """
            {"name": "yaml-run", "model": "cooccurrence", "mode": "single-modal", "steps": 1000, "seed": 18446744073709551615,
             "optimizer": {"kind": "adam", "learning_rate": 0.005, "schedule": "cosine"},
             "loss": {"similarity": "cosine", "negatives": "all", "exchange": "ring", "stop_gradient": false, "temperature": 0.5},
             "cooccurrence": {"positives": "resampled"}, "data": {"cache": "off"}}
            """
        let fromYAML = try ConfigLoader.load(file: try write(yaml))
        XCTAssertEqual(fromYAML, try ConfigLoader.load(file: try write(json, ext: "json")))
        XCTAssertEqual(fromYAML.data.cache, .off)
        XCTAssertEqual(fromYAML.seed, UInt64.max)
        XCTAssertEqual(fromYAML.steps, 1000)
        XCTAssertNotEqual(fromYAML, TrainConfig(), "the file changed something")
        XCTAssertEqual(try ConfigLoader.load(file: try write(yaml, ext: "YML")), fromYAML, ".yml, any case")
        XCTAssertEqual(try ConfigLoader.load(file: try write("{}")), TrainConfig())
        // The resolved JSON of any config, read back as YAML (JSON is YAML 1.2), is that config.
        XCTAssertEqual(try ConfigLoader.load(file: try write(try ConfigLoader.json(fromYAML))), fromYAML)
    }

    func testNumbersAndBooleansByTheCoreSchema() throws {
        let c = try ConfigLoader.load(
            file: try write("seed: 0x10\nsteps: 0o17\nloss: {patchwise: False, scale: +2.5e-1}\nname: 'true'"))
        XCTAssertEqual(c.seed, 16)
        XCTAssertEqual(c.steps, 15)
        XCTAssertEqual(c.loss.patchwise, false)
        XCTAssertEqual(c.loss.scale, 0.25)
        XCTAssertEqual(c.name, "true", "a quoted scalar is a string")
        XCTAssertEqual(try ConfigLoader.load(file: try write("name: !!str 42")).name, "42")
        guard
            case .located(_, _, .wrongType(let key, let expected, let found))? = try refusal(
                "loss:\n  stop_gradient: yes")
        else { return XCTFail() }
        XCTAssertEqual(key, "loss.stop_gradient")
        XCTAssertEqual(expected, "true or false")
        XCTAssertEqual(found, "the string \"yes\"")
        guard case .located(_, _, .wrongType(let key2, let expected2, _))? = try refusal("loss: {temperature: .inf}")
        else { return XCTFail() }
        XCTAssertEqual(key2, "loss.temperature")
        XCTAssertEqual(expected2, "a finite number")
        guard case .located(_, _, .wrongType(let key3, _, let found3))? = try refusal("name: .nan") else {
            return XCTFail()
        }
        XCTAssertEqual(key3, "name")
        XCTAssertEqual(found3, "the number nan")
        guard case .located(_, _, .wrongType(let key4, let expected4, _))? = try refusal("steps: 3.5") else {
            return XCTFail()
        }
        XCTAssertEqual(key4, "steps")
        XCTAssertEqual(expected4, "a whole number from 1 to 9223372036854775807")
        guard case .located(_, _, .wrongType(let key5, _, let found5))? = try refusal("test_samples: ~") else {
            return XCTFail()
        }
        XCTAssertEqual(key5, "test_samples")
        XCTAssertEqual(found5, "null")
    }

    func testRefusedKeysAndValuesNameTheirLine() throws {
        let path = try write("name: x\n\nstepz: 3\n")
        XCTAssertThrowsError(try ConfigLoader.load(file: path)) { e in
            XCTAssertEqual(
                e as? ConfigError, .located(file: path, line: 3, .unknownKey(key: "stepz", suggestion: "steps")))
            XCTAssertEqual(
                "\(e)",
                "\(path), line 3: unknown config key 'stepz' (did you mean 'steps'?); "
                    + "`infomax train --print-config` lists every key")
            XCTAssertEqual(ExitCodes.code(for: e), ExitCodes.usage)
        }
        guard
            case .located(_, 4, .unknownKey(let key, let suggestion))? = try refusal(
                "loss:\n  kind: infonce\n\n  simlarity: dot")
        else { return XCTFail() }
        XCTAssertEqual(key, "loss.simlarity")
        XCTAssertEqual(suggestion, "loss.similarity")
        guard
            case .located(_, 2, .invalidValue(let key2, let value, let allowed))? = try refusal(
                "loss:\n  exchange: RING")
        else { return XCTFail() }
        XCTAssertEqual(key2, "loss.exchange")
        XCTAssertEqual(value, "\"RING\"")
        XCTAssertEqual(allowed, "one of allgather, ring (did you mean ring?)")
        guard case .located(_, 1, .wrongType(let key3, let expected3, _))? = try refusal("loss: 3") else {
            return XCTFail()
        }
        XCTAssertEqual(key3, "loss")
        XCTAssertEqual(expected3, "an object { ... }")
        guard case .located(_, 2, .wrongType(let key4, let expected4, let found4))? = try refusal("steps: 3\nname: 5")
        else { return XCTFail() }
        XCTAssertEqual(key4, "name")
        XCTAssertEqual(expected4, "a string")
        XCTAssertEqual(found4, "the number 5")
        // A value an override replaced is the override's, not the file's: no line.
        guard case .wrongType("name", _, _)? = try refusal("steps: 3", overrides: ["name=5"]) else { return XCTFail() }
        XCTAssertEqual(
            try ConfigLoader.load(file: try write("loss: {exchange: ring}"), overrides: ["loss.exchange=allgather"])
                .loss.exchange, .allgather)
    }

    func testUnusableFilesSayWhereAndExit65() throws {
        let cases: [(String, String)] = [
            ("steps: [1, 2\nname: x", "line 2"),
            ("loss:\n  kind: infonce\n   temperature: 1", "line 3"),
            ("steps: 1\nsteps: 2", "'steps' appears more than once"),
            ("- 1\n- 2", "the top level must be a mapping"),
            ("just a sentence", "the top level must be a mapping"),
            ("", "holds no settings"),
            ("# only a comment\n", "holds no settings"),
            ("steps: 1\n---\nsteps: 2", "another document"),
            ("steps: 1" + String(repeating: "0", count: 400), "beyond the range of a 64-bit number"),
            ("seed: 0x1" + String(repeating: "0", count: 40), "beyond the range of a 64-bit number"),
            ("name: *nowhere", "undefined alias"),
            (
                "loss: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
                "nesting level"
            ),
            (
                "loss: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
                "nested more than 64 levels deep"
            ),
            (
                "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                    + "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e]",
                "more than 100000 values"
            ),
        ]
        for (yaml, needle) in cases {
            let path = try write(yaml)
            XCTAssertThrowsError(try ConfigLoader.load(file: path), yaml.prefix(60).description) { e in
                guard case .malformed? = e as? ConfigError else { return XCTFail("\(yaml.prefix(60)): \(e)") }
                XCTAssertTrue("\(e)".contains("is not valid YAML"), "\(e)")
                XCTAssertTrue("\(e)".contains(needle), "\(yaml.prefix(60)): \(e)")
                XCTAssertFalse("\(e)".contains("\n"), "one line: \(e)")
                XCTAssertEqual(ExitCodes.code(for: e), ExitCodes.dataError)
            }
        }
    }

    func testTheExampleConfigLoadsAndValidates() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let examples = try FileManager.default.contentsOfDirectory(
            atPath: root.appendingPathComponent("jobs/configs").path
        )
        .filter { $0.hasSuffix(".yaml") }
        XCTAssertFalse(examples.isEmpty, "jobs/configs holds a YAML example")
        for name in examples {
            let c = try ConfigLoader.load(file: root.appendingPathComponent("jobs/configs/\(name)").path)
            XCTAssertNotEqual(c, TrainConfig(), name)
            XCTAssertNoThrow(try c.validate(ranks: 2), name)
        }
    }
}
