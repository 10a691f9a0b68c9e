// Messages for bad input (issue 12, part 6): integer keys get whole numbers in their range,
// named with the key and the range; keys with a closed set of values (enums) name the
// allowed values; malformed key paths, NUL characters, unusable files and control
// characters in user text; the progress line never shows a negative ETA.
import Foundation
import XCTest

@testable import Training

/// The ConfigError that loading `path` (if any) with `overrides` throws; a test failure if
/// the config loads or another error is thrown.
func configRefusal(path: String?, overrides: [String], file: StaticString, line: UInt) -> ConfigError? {
    do {
        _ = try ConfigLoader.load(file: path, overrides: overrides)
        XCTFail("\(path ?? "") \(overrides) was accepted", file: file, line: line)
        return nil
    } catch let e as ConfigError {
        return e
    } catch {
        XCTFail("\(path ?? "") \(overrides): not a ConfigError: \(error)", file: file, line: line)
        return nil
    }
}

final class ConfigMessagesTests: XCTestCase {
    func refusal(_ overrides: [String], file: StaticString = #filePath, line: UInt = #line) -> ConfigError? {
        configRefusal(path: nil, overrides: overrides, file: file, line: line)
    }

    func testIntegerKeysAreFoundByTheirType() {
        XCTAssertEqual(ConfigLoader.integerKeys["seed"], true, "unsigned")
        XCTAssertEqual(ConfigLoader.integerKeys["steps"], false)
        XCTAssertEqual(ConfigLoader.integerKeys["encoder.width"], false)
        XCTAssertEqual(ConfigLoader.integerKeys["cooccurrence.image_vocabulary"], false)
        XCTAssertNil(ConfigLoader.integerKeys["loss.temperature"], "a Double is not an integer key")
        for key in ConfigLoader.integerMinimum.keys {
            XCTAssertNotNil(ConfigLoader.integerKeys[key], "\(key) is an integer key")
        }
    }

    func testNonIntegralOrOutOfRangeIntegersNameTheKeyAndRange() {
        let cases: [(String, String, String)] = [
            ("test_samples=0.5", "test_samples", "a whole number from 1 to 9223372036854775807"),
            ("seed=-1", "seed", "a whole number from 0 to 18446744073709551615"),
            ("seed=18446744073709551616", "seed", "a whole number from 0 to 18446744073709551615"),
            ("steps=3.5", "steps", "a whole number from 1 to 9223372036854775807"),
            ("log_every=1e308", "log_every", "a whole number from 1 to 9223372036854775807"),
            ("steps=9223372036854775808", "steps", "a whole number from 1 to 9223372036854775807"),
            ("steps=true", "steps", "a whole number from 1 to 9223372036854775807"),
            ("steps=\"10\"", "steps", "a whole number from 1 to 9223372036854775807"),
            ("steps=[1]", "steps", "a whole number from 1 to 9223372036854775807"),
        ]
        for (override, key, expected) in cases {
            guard case .wrongType(let k, let e, let found)? = refusal([override]) else {
                XCTFail("\(override)")
                continue
            }
            XCTAssertEqual(k, key, override)
            XCTAssertEqual(e, expected, override)
            XCTAssertFalse(found.isEmpty)
            XCTAssertFalse("\(ConfigError.wrongType(key: k, expected: e, found: found))".contains("not valid JSON"))
        }
    }

    func testWholeNumbersInRangeAreAccepted() throws {
        XCTAssertEqual(try ConfigLoader.load(file: nil, overrides: ["seed=18446744073709551615"]).seed, UInt64.max)
        XCTAssertEqual(try ConfigLoader.load(file: nil, overrides: ["steps=1e3"]).steps, 1000)
        XCTAssertEqual(try ConfigLoader.load(file: nil, overrides: ["steps=30.0"]).steps, 30)
        XCTAssertEqual(try ConfigLoader.load(file: nil, overrides: ["seed=9223372036854775808"]).seed, 1 << 63)
        // Still refused by validation (with the rank count), not by the type check.
        guard
            case .invalidValue(let key, _, let allowed)? = { () -> ConfigError? in
                do {
                    try ConfigLoader.load(file: nil, overrides: ["steps=-1"]).validate(ranks: 1)
                    return nil
                } catch { return error as? ConfigError }
            }()
        else { return XCTFail("steps=-1 accepted") }
        XCTAssertEqual(key, "steps")
        XCTAssertEqual(allowed, "at least 1")
    }

    func testOtherLeafTypes() {
        guard case .wrongType(let key, let expected, _)? = refusal(["loss.temperature=true"]) else { return XCTFail() }
        XCTAssertEqual(key, "loss.temperature")
        XCTAssertEqual(expected, "a finite number")
        guard case .wrongType(let key2, let expected2, _)? = refusal(["loss.stop_gradient=1"]) else { return XCTFail() }
        XCTAssertEqual(key2, "loss.stop_gradient")
        XCTAssertEqual(expected2, "true or false")
        guard case .wrongType(let key3, _, let found3)? = refusal(["loss.similarity=null"]) else { return XCTFail() }
        XCTAssertEqual(key3, "loss.similarity")
        XCTAssertEqual(found3, "null")
    }

    func testEveryClosedSetIsAnEnumKey() {
        let expected: [String: [String]] = [
            "model": ["signal-noise", "latent-linear", "cooccurrence", "colored"],
            "mode": ["multi-modal", "single-modal", "compare"],
            "optimizer.kind": ["sgd", "adam"], "optimizer.schedule": ["constant", "cosine"],
            "loss.kind": ["infonce", "positive-only", "spectral", "sigmoid"], "loss.similarity": ["dot", "cosine"],
            "loss.negatives": ["auto", "opposite-label", "all"], "loss.exchange": ["allgather", "ring"],
            "loss.reduce_scatter": ["mpi", "ring"],
            "loss.reduction": ["auto", "sum", "mean"],
            "cooccurrence.positives": ["class", "augmentation", "resampled", "guided"],
            "data.cache": ["auto", "on", "off"],
            "cooccurrence.negatives_drop": ["none", "false-negatives", "easy-negatives"],
            "cooccurrence.positives_drop": ["none", "false-positives"],
            "latent_linear.probe": ["same-view", "cross-view"],
            "colored.test_colors": ["swapped", "independent"],
            "gradient.allreduce": ["mpi", "ring"],
        ]
        XCTAssertEqual(ConfigLoader.choiceKeys, expected)
    }

    func testEnumValuesOutsideTheSetNameKeyValueAndAllowed() throws {
        for (key, names) in ConfigLoader.choiceKeys {
            // Refused whatever the model: a value a run would not read is still a mistake.
            guard case .invalidValue(let k, let value, let allowed)? = refusal(["\(key)=\"bogus\""]) else {
                XCTFail(key)
                continue
            }
            XCTAssertEqual(k, key)
            XCTAssertEqual(value, "\"bogus\"")
            XCTAssertEqual(allowed, "one of " + names.joined(separator: ", "), key)
            // Every allowed value is accepted and read back as itself.
            for name in names {
                let c = try ConfigLoader.load(file: nil, overrides: ["\(key)=\(name)"])
                XCTAssertTrue(
                    try ConfigLoader.json(c).contains("\"\(key.split(separator: ".").last!)\" : \"\(name)\""),
                    "\(key)=\(name)")
            }
            guard case .wrongType(let k2, let expected, let found)? = refusal(["\(key)=3"]) else {
                XCTFail(key)
                continue
            }
            XCTAssertEqual(k2, key)
            XCTAssertEqual(expected, allowed)
            XCTAssertEqual(found, "the number 3")
        }
        let near: [(String, String)] = [
            ("loss.exchange=RING", "ring"), ("optimizer.kind=sgdd", "sgd"), ("mode=multimodal", "multi-modal"),
            ("loss.kind=info-nce", "infonce"), ("loss.similarity=Dot", "dot"),
        ]
        for (override, suggestion) in near {
            guard case .invalidValue(_, _, let allowed)? = refusal([override]) else {
                XCTFail(override)
                continue
            }
            XCTAssertTrue(allowed.hasSuffix("(did you mean \(suggestion)?)"), "\(override): \(allowed)")
        }
        for far in ["loss.exchange=carrier-pigeon", "data.cache=x", "loss.negatives=none", "model=\"\""] {
            guard case .invalidValue(_, _, let allowed)? = refusal([far]) else {
                XCTFail(far)
                continue
            }
            XCTAssertFalse(allowed.contains("did you mean"), "\(far): \(allowed)")
        }
        XCTAssertEqual(
            "\(refusal(["loss.exchange=RING"])!)",
            "config key 'loss.exchange' = \"RING\" is not allowed: one of allgather, ring (did you mean ring?)")
    }

    func testEmptyKeyPathPartsAreRefused() {
        for o in [".steps=3", "loss..kind=infonce", "loss.=3", "steps.=3", ".=1"] {
            guard case .badOverride? = refusal([o]) else {
                XCTFail("\(o) not refused as an override")
                continue
            }
        }
    }

    func testEmptyKeyNamesAreNamedAsSuch() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("empty-key-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(#"{"": 1}"#.utf8).write(to: url)
        XCTAssertThrowsError(try ConfigLoader.load(file: url.path)) { e in
            XCTAssertTrue("\(e)".contains("empty name at the top level"), "\(e)")
            XCTAssertFalse("\(e)".contains("config key ''"), "\(e)")
        }
        try Data(#"{"loss": {"": 1}}"#.utf8).write(to: url)
        XCTAssertThrowsError(try ConfigLoader.load(file: url.path)) { e in
            XCTAssertTrue("\(e)".contains("empty name in 'loss'"), "\(e)")
        }
    }

    func testStringsWithNULAreRefused() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nul-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(#"{"loss": {"similarity": "dot\u0000"}}"#.utf8).write(to: url)
        XCTAssertThrowsError(try ConfigLoader.load(file: url.path)) { e in
            guard case .invalidValue(let key, _, let allowed)? = e as? ConfigError else { return XCTFail("\(e)") }
            XCTAssertEqual(key, "loss.similarity")
            XCTAssertTrue(allowed.contains("NUL"))
        }
    }

    func testUnusableFilesSayWhyAndExit65() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cfgdir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let latin1 = folder.appendingPathComponent("latin1.json")
        try Data([0x7B, 0x22, 0xE9, 0x22, 0x3A, 0x31, 0x7D]).write(to: latin1)
        let broken = folder.appendingPathComponent("broken.json")
        try Data("{\"steps\": ".utf8).write(to: broken)
        let deep = folder.appendingPathComponent("deep.json")
        try Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8).write(to: deep)
        let cases: [(String, String)] = [
            (folder.path, "a folder"), (latin1.path, "not UTF-8"), ("/dev/zero", "not a regular file"),
            ("", "the path is empty"), (folder.appendingPathComponent("none.json").path, "no such file"),
            (broken.path, "not valid JSON"), (deep.path, "not valid JSON"),
        ]
        for (path, needle) in cases {
            XCTAssertThrowsError(try ConfigLoader.load(file: path)) { e in
                XCTAssertTrue("\(e)".contains(needle), "\(path): \(e)")
                XCTAssertEqual(ExitCodes.code(for: e), ExitCodes.dataError, "\(path): an unusable file is 65")
            }
        }
        XCTAssertEqual(ExitCodes.code(for: ConfigError.unknownKey(key: "x", suggestion: nil)), ExitCodes.usage)
    }

    func testMessagesStayOnOneLine() {
        let e = ConfigError.unknownKey(key: "a\nb\u{0}c" + String(repeating: "x", count: 500), suggestion: nil)
        let text = "\(e)"
        XCTAssertFalse(text.contains("\n"))
        XCTAssertFalse(text.contains("\u{0}"))
        XCTAssertTrue(text.contains("a\\x0Ab\\x00c"), text)
        XCTAssertLessThan(text.count, 300, "huge user text is cut")
        let foundation = NSError(domain: NSCocoaErrorDomain, code: 4, userInfo: [NSFilePathErrorKey: "/x/y"])
        let shown = RootError.text(for: foundation)
        XCTAssertFalse(shown.contains("NSCocoaErrorDomain"), shown)
        XCTAssertTrue(shown.contains("/x/y"), shown)
    }

    func testNamesThatAreNotFolderNamesAreRefused() {
        for bad in [".", "..", "a\nb", ""] {
            var c = TrainConfig()
            c.name = bad
            XCTAssertThrowsError(try c.validate(ranks: 1), "name \(bad.debugDescription)")
        }
    }

    func testAPositiveFractionThatGivesOneLabelIsRefused() throws {
        var c = TrainConfig()
        c.signalNoise.positiveFraction = 1e-12
        XCTAssertThrowsError(try c.validate(ranks: 1)) { e in
            guard case .invalidValue(let key, _, let allowed)? = e as? ConfigError else { return XCTFail("\(e)") }
            XCTAssertEqual(key, "signal_noise.positive_fraction")
            XCTAssertTrue(allowed.contains("label -1") && allowed.contains("100 training samples"), allowed)
        }
        c.signalNoise.positiveFraction = 1 - 1e-12
        XCTAssertThrowsError(try c.validate(ranks: 1))
        c.signalNoise.positiveFraction = 0.3
        XCTAssertNoThrow(try c.validate(ranks: 1))
    }

    func testProgressNeverShowsANegativeETA() {
        let p = ConsoleProgress(label: "m", interactive: false)
        let past = p.line(step: 150, of: 100, loss: 0.5, elapsed: 10)
        XCTAssertTrue(past.contains("ETA 0:00"), past)
        XCTAssertTrue(past.contains("(100%)"), past)
        XCTAssertFalse(past.contains("-"), past)
        let backwards = p.line(step: 5, of: 100, loss: 0.5, elapsed: -3)
        XCTAssertFalse(backwards.contains("-"), backwards)
        let normal = p.line(step: 50, of: 100, loss: 0.5, elapsed: 10)
        XCTAssertTrue(normal.contains("ETA 0:10"), normal)
    }
}
