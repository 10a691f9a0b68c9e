// The run configuration: defaults, overrides, and each kind of bad input with its message.
import Foundation
import XCTest

@testable import Training

final class TrainingConfigTests: XCTestCase {
    var written: [URL] = []

    override func tearDown() {
        for url in written { try? FileManager.default.removeItem(at: url) }
        written = []
    }

    func write(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: url)
        written.append(url)
        return url.path
    }

    func testDefaultsAreThePaperFigure1Setting() throws {
        let c = try ConfigLoader.load(file: nil)
        XCTAssertEqual(c.signalNoise.d, 2000)
        XCTAssertEqual(c.trainSamples, 100)
        XCTAssertEqual(c.testSamples, 200)
        XCTAssertEqual(c.encoder.width, 50)
        XCTAssertEqual(c.optimizer.learningRate, 0.01)
        XCTAssertEqual(c.batchSize, 0, "full batch")
        XCTAssertEqual(c.mode, .compare)
        XCTAssertNoThrow(try c.validate(ranks: 2))
    }

    func testFileAndOverridesMergeOverDefaults() throws {
        let path = try write(#"{"steps": 7, "optimizer": {"kind": "adam"}, "signal_noise": {"snr": 0.25}}"#)
        let c = try ConfigLoader.load(file: path, overrides: ["signal_noise.d=64", "loss.similarity=cosine", "seed=9"])
        XCTAssertEqual(c.steps, 7)
        XCTAssertEqual(c.optimizer.kind, .adam)
        XCTAssertEqual(c.optimizer.learningRate, 0.01, "siblings keep their defaults")
        XCTAssertEqual(c.signalNoise.snr, 0.25)
        XCTAssertEqual(c.signalNoise.d, 64)
        XCTAssertEqual(c.loss.similarity, .cosine, "a bare word is read as a string")
        XCTAssertEqual(c.seed, 9)
    }

    func testResolvedJSONRoundTrips() throws {
        var c = TrainConfig()
        c.steps = 33
        c.loss.temperature = 0.25
        let path = try write(try ConfigLoader.json(c))
        XCTAssertEqual(try ConfigLoader.load(file: path), c)
    }

    func testUnknownKeysAreRefusedWithASuggestion() throws {
        let path = try write(#"{"optimizer": {"learning_rte": 0.1}}"#)
        XCTAssertThrowsError(try ConfigLoader.load(file: path)) { e in
            XCTAssertEqual(
                e as? ConfigError, .unknownKey(key: "optimizer.learning_rte", suggestion: "optimizer.learning_rate"))
            XCTAssertTrue("\(e)".contains("did you mean 'optimizer.learning_rate'"), "\(e)")
        }
        XCTAssertThrowsError(try ConfigLoader.load(file: nil, overrides: ["zzz=1"])) { e in
            XCTAssertEqual(e as? ConfigError, .unknownKey(key: "zzz", suggestion: nil))
        }
    }

    func testWrongTypesNameTheKey() throws {
        XCTAssertThrowsError(try ConfigLoader.load(file: try write(#"{"steps": "many"}"#))) { e in
            guard case .wrongType(let key, let expected, let found)? = e as? ConfigError else { return XCTFail("\(e)") }
            XCTAssertEqual(key, "steps")
            XCTAssertEqual(expected, "a whole number from 1 to 9223372036854775807")
            XCTAssertTrue(found.contains("many"))
        }
        XCTAssertThrowsError(try ConfigLoader.load(file: try write(#"{"optimizer": 3}"#))) { e in
            guard case .wrongType(let key, _, _)? = e as? ConfigError else { return XCTFail("\(e)") }
            XCTAssertEqual(key, "optimizer")
        }
        XCTAssertThrowsError(try ConfigLoader.load(file: nil, overrides: ["loss.kind=\"magic\""])) { e in
            guard case .invalidValue(let key, _, let allowed)? = e as? ConfigError else { return XCTFail("\(e)") }
            XCTAssertEqual(key, "loss.kind")
            XCTAssertTrue(allowed.contains("positive-only"))
        }
    }

    func testUnreadableAndMalformedFiles() throws {
        XCTAssertThrowsError(try ConfigLoader.load(file: "/nonexistent/cfg.json")) { e in
            guard case .unreadable? = e as? ConfigError else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try ConfigLoader.load(file: try write("{ not json"))) { e in
            guard case .malformed? = e as? ConfigError else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try ConfigLoader.load(file: try write("[1, 2]"))) { e in
            guard case .malformed? = e as? ConfigError else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try ConfigLoader.load(file: nil, overrides: ["=3"]))
    }

    func testImpossibleValuesAreRefused() throws {
        func invalid(_ edit: (inout TrainConfig) -> Void, ranks: Int = 1, key: String) {
            var c = TrainConfig()
            edit(&c)
            XCTAssertThrowsError(try c.validate(ranks: ranks)) { e in
                guard case .invalidValue(let k, _, _)? = e as? ConfigError else { return XCTFail("\(e)") }
                XCTAssertEqual(k, key)
            }
        }
        invalid({ $0.trainSamples = -1 }, key: "train_samples")
        invalid({ $0.trainSamples = 3 }, ranks: 4, key: "train_samples")
        invalid({ $0.loss.temperature = 0 }, key: "loss.temperature")
        invalid({ $0.loss.temperature = -1 }, key: "loss.temperature")
        invalid({ $0.steps = 0 }, key: "steps")
        invalid({ $0.batchSize = 1000 }, key: "batch_size")
        invalid({ $0.diagnosticsSamples = -1 }, key: "diagnostics_samples")
        invalid({ $0.optimizer.learningRate = 0 }, key: "optimizer.learning_rate")
        invalid({ $0.optimizer.momentum = 1 }, key: "optimizer.momentum")
        invalid({ $0.signalNoise.sigmaP = 0 }, key: "signal_noise.sigma_p")
        invalid(
            {
                $0.model = .latentLinear
                $0.mode = .singleModal
            }, key: "mode")
        invalid(
            {
                $0.model = .latentLinear
                $0.mode = .multiModal
                $0.loss.negatives = .oppositeLabel
            }, key: "loss.negatives")
        invalid(
            {
                $0.model = .cooccurrence
                $0.cooccurrence.imageVocabulary = 2
            }, key: "cooccurrence.image_vocabulary")
    }

    func testFingerprintIgnoresLoggingButNotData() throws {
        var a = TrainConfig()
        var b = TrainConfig()
        b.logEvery = 7
        b.name = "other"
        b.steps = 999
        b.diagnosticsSamples = 0
        XCTAssertEqual(try a.fingerprint(mode: .multiModal), try b.fingerprint(mode: .multiModal))
        XCTAssertNotEqual(try a.fingerprint(mode: .multiModal), try a.fingerprint(mode: .singleModal))
        a.signalNoise.d = 1000
        XCTAssertNotEqual(try a.fingerprint(mode: .multiModal), try b.fingerprint(mode: .multiModal))
        let diff = TrainConfig.differences(try b.trajectoryJSON(), try a.trajectoryJSON())
        XCTAssertEqual(diff.count, 1)
        XCTAssertTrue(diff[0].hasPrefix("signal_noise.d: 2000 in the checkpoint, 1000 now"), "\(diff)")
    }
}
