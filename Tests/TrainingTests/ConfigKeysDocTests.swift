// The config key table and what derives from it: docs/config-keys.md is exactly what
// `infomax info --config-keys-markdown` prints (ConfigKey.markdown()), so the docs never drift
// from the table; every key has a doc line; the typed settings of the CLI give the same
// configuration and the same messages as the `--set` text they replace.
import Foundation
import XCTest
@testable import Training

final class ConfigKeysDocTests: XCTestCase {
    /// docs/config-keys.md of this checkout (Tests/TrainingTests/ → the package root).
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/config-keys.md")

    func testTheCommittedKeyTableIsWhatTheTableGenerates() throws {
        let committed = try String(contentsOf: Self.document, encoding: .utf8)
        XCTAssertEqual(committed, ConfigKey.markdown(), "docs/config-keys.md is stale: regenerate it with "
                       + "`infomax info --config-keys-markdown > docs/config-keys.md`")
    }

    func testEveryKeyHasOneDocLineAndARowInTheDocs() {
        let markdown = ConfigKey.markdown()
        for key in ConfigKey.all {
            XCTAssertFalse(key.doc.isEmpty, key.path)
            XCTAssertFalse(key.doc.contains("\n"), key.path)
            XCTAssertFalse(key.allowed.isEmpty, key.path)
            XCTAssertTrue(markdown.contains("| `\(key.path)` |"), key.path)
        }
        XCTAssertEqual(Set(ConfigKey.all.map(\.path)).count, ConfigKey.all.count, "no key twice")
    }

    func testTypedSettingsEqualTheirSetText() throws {
        let typed: [ConfigSetting] = [
            ConfigSetting(.model, DataModelKind.latentLinear), ConfigSetting(.mode, ModalityMode.multiModal),
            ConfigSetting(.encoderWidth, 7), ConfigSetting(.steps, argument: "1e1"),
            ConfigSetting(.seed, argument: "18446744073709551615"), ConfigSetting(.name, .text("a b")),
        ]
        let text = ["model=latent-linear", "mode=multi-modal", "encoder.width=7", "steps=1e1",
                    "seed=18446744073709551615", "name=a b"]
        let a = try ConfigLoader.load(text: nil, source: "", settings: typed)
        XCTAssertEqual(a, try ConfigLoader.load(text: nil, source: "", overrides: text))
        XCTAssertEqual(a.steps, 10)
        XCTAssertEqual(a.seed, UInt64.max)
        // A typed value outside the key's type is refused like the same text.
        let refused: [(ConfigSetting, String)] = [
            (ConfigSetting(.steps, argument: "2.5"), "steps=2.5"), (ConfigSetting(.seed, argument: "-1"), "seed=-1"),
            (ConfigSetting(.seed, .integer(-1)), "seed=-1"), (ConfigSetting(.lossKind, .text("x")), "loss.kind=x"),
        ]
        func refusal(_ load: () throws -> TrainConfig) -> ConfigError? {
            do { _ = try load(); return nil } catch { return error as? ConfigError }
        }
        for (setting, override) in refused {
            let typedError = refusal { try ConfigLoader.load(text: nil, source: "", settings: [setting]) }
            XCTAssertNotNil(typedError, override)
            XCTAssertEqual(typedError, refusal { try ConfigLoader.load(text: nil, source: "", overrides: [override]) },
                           override)
        }
    }
}
