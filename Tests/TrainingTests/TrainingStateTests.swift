// Optimizer updates against hand-computed values, and checkpoints: round trip, checksum,
// atomic replacement, version and config checks.
import Foundation
import Synthetic
import XCTest

@testable import Training

final class TrainingStateTests: XCTestCase {
    func testPlainSGDStep() {
        var c = OptimizerConfig()
        c.learningRate = 0.5
        var opt = Optimizer(config: c, parameterCount: 2, totalSteps: 10)
        var p: [Float] = [1, -2]
        opt.apply(gradient: [0.2, -0.4], to: &p)
        XCTAssertEqual(p, [0.9, -1.8])
        XCTAssertEqual(opt.state.step, 1)
    }

    func testSGDMomentumAccumulates() {
        var c = OptimizerConfig()
        c.learningRate = 1
        c.momentum = 0.5
        var opt = Optimizer(config: c, parameterCount: 1, totalSteps: 10)
        var p: [Float] = [0]
        opt.apply(gradient: [1], to: &p)  // v = 1, p = -1
        opt.apply(gradient: [1], to: &p)  // v = 1.5, p = -2.5
        XCTAssertEqual(p[0], -2.5, accuracy: 1e-6)
    }

    func testAdamFirstStepMovesByLearningRate() {
        var c = OptimizerConfig()
        c.kind = .adam
        c.learningRate = 0.1
        var opt = Optimizer(config: c, parameterCount: 2, totalSteps: 10)
        var p: [Float] = [0, 0]
        opt.apply(gradient: [3, -0.001], to: &p)
        // Bias-corrected m̂ = g, v̂ = g², so the first step is −lr·sign(g) (up to ε).
        XCTAssertEqual(p[0], -0.1, accuracy: 1e-5)
        XCTAssertEqual(p[1], 0.1, accuracy: 1e-3)
    }

    func testCosineScheduleDecaysToZero() {
        var c = OptimizerConfig()
        c.schedule = .cosine
        c.learningRate = 1
        var opt = Optimizer(config: c, parameterCount: 1, totalSteps: 4)
        var p: [Float] = [0]
        XCTAssertEqual(opt.currentLearningRate, 1, accuracy: 1e-6)
        opt.apply(gradient: [0], to: &p)
        opt.apply(gradient: [0], to: &p)
        XCTAssertEqual(opt.currentLearningRate, 0.5, accuracy: 1e-6)
        opt.apply(gradient: [0], to: &p)
        opt.apply(gradient: [0], to: &p)
        XCTAssertEqual(opt.currentLearningRate, 0, accuracy: 1e-6)
    }

    func testRestoreRefusesAStateOfAnotherSize() {
        var c = OptimizerConfig()
        c.kind = .adam
        var opt = Optimizer(config: c, parameterCount: 3, totalSteps: 1)
        XCTAssertThrowsError(try opt.restore(OptimizerState(step: 1, first: [0], second: [0])))
    }

    func checkpoint() -> Checkpoint {
        Checkpoint(
            configFingerprint: "abc", trajectoryConfig: "{}", step: 12, parameters: [1, 2.5, -3],
            optimizer: OptimizerState(step: 12, first: [0.1, 0.2, 0.3], second: []), rngDraw: 12, elapsedSeconds: 4.5)
    }

    func testCheckpointRoundTripsAndReplacesAtomically() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)")
        let url = dir.appendingPathComponent("checkpoint.ckpt")
        try checkpoint().write(to: url)
        XCTAssertEqual(try Checkpoint.read(from: url), checkpoint())
        var newer = checkpoint()
        newer.step = 20
        try newer.write(to: url)
        XCTAssertEqual(try Checkpoint.read(from: url).step, 20)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "checkpoint.ckpt" }
        XCTAssertEqual(leftovers, [], "no temp files left behind")
    }

    func testVersion1CheckpointsAreStillRead() throws {
        var c = checkpoint()
        c.formatVersion = 1
        let payload = try JSONEncoder().encode(c)
        var data = Data("INFOMAXCKPT1\n".utf8)
        data.append(Data(String(format: "%016llx\n", FNV1a.hash(bytes: payload)).utf8))
        data.append(payload)
        XCTAssertEqual(try Checkpoint.decode(data, path: "v1.ckpt"), c)
        XCTAssertEqual(try Checkpoint.decode(try checkpoint().encoded(), path: "v2.ckpt"), checkpoint())
    }

    func testDamagedCheckpointsAreRefused() throws {
        var bytes = try checkpoint().encoded()
        bytes[bytes.count - 3] ^= 0x01
        XCTAssertThrowsError(try Checkpoint.decode(bytes, path: "x.ckpt")) { e in
            guard case .corrupt(_, let reason)? = e as? CheckpointError else { return XCTFail("\(e)") }
            XCTAssertTrue(reason.contains("checksum"))
        }
        XCTAssertThrowsError(try Checkpoint.decode(Data("hello".utf8), path: "x.ckpt"))
        XCTAssertThrowsError(try Checkpoint.read(from: URL(fileURLWithPath: "/nonexistent.ckpt"))) { e in
            guard case .unreadable? = e as? CheckpointError else { return XCTFail("\(e)") }
        }
    }

    func testFNVMatchesKnownValues() {
        XCTAssertEqual(FNV1a.hash(bytes: Data()), 0xcbf2_9ce4_8422_2325)
        XCTAssertEqual(FNV1a.hash(bytes: Data("a".utf8)), 0xaf63_dc4c_8601_ec8c)
    }
}
