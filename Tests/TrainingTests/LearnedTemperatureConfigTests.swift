// loss.learn_temperature: refused with the key named outside InfoNCE, accepted with the
// guided (masked) loss (as its sigmoid form with learned t, b is); the learned
// parameter θ = log(1/τ) starts at 1/loss.temperature, sets τ, and CLIP's clamp keeps 1/τ at
// most 100.
import InfoMax
import MPI
import XCTest

@testable import Training

final class LearnedTemperatureConfigTests: XCTestCase {
    func refused(_ edit: (inout TrainConfig) -> Void, file: StaticString = #filePath, line: UInt = #line) {
        var c = TrainConfig()
        c.loss.learnTemperature = true
        edit(&c)
        XCTAssertThrowsError(try c.validate(ranks: 1), file: file, line: line) { e in
            guard case .invalidValue(let k, _, _)? = e as? ConfigError else {
                return XCTFail("\(e)", file: file, line: line)
            }
            XCTAssertEqual(k, "loss.learn_temperature", file: file, line: line)
        }
    }

    func testOtherLossesAreRefusedWithTheKeyAndTheGuideAccepted() {
        for kind in [LossKind.sigmoid, .spectral, .positiveOnly] { refused { $0.loss.kind = kind } }
        refused {
            $0.model = .cooccurrence
            $0.mode = .singleModal
            $0.cooccurrence.positives = .guided
            $0.loss.kind = .spectral
        }
        for drop in NegativeDrop.allCases {
            for positives in [CooccurrencePositives.guided, .augmentation] where positives == .guided || drop != .none {
                var guided = TrainConfig()
                guided.model = .cooccurrence
                guided.mode = .singleModal
                guided.cooccurrence.positives = positives
                guided.cooccurrence.negativesDrop = drop
                guided.loss.learnTemperature = true
                XCTAssertNoThrow(try guided.validate(ranks: 3), "\(positives) \(drop): the guided loss learns τ")
                guided.loss.similarity = .cosine
                XCTAssertNoThrow(try guided.validate(ranks: 3), "\(positives) \(drop) cosine")
                guided.loss.learnTemperature = false
                guided.loss.kind = .sigmoid
                guided.loss.learnScale = true
                guided.loss.learnBias = true
                XCTAssertNoThrow(try guided.validate(ranks: 3), "\(positives) \(drop): the guided sigmoid form")
                guided.loss.learnTemperature = true
                XCTAssertThrowsError(try guided.validate(ranks: 3)) { e in
                    guard case .invalidValue(let k, _, _)? = e as? ConfigError else { return XCTFail("\(e)") }
                    XCTAssertEqual(k, "loss.learn_temperature", "the sigmoid loss has no τ to learn")
                }
            }
        }
        var ok = TrainConfig()
        ok.loss.learnTemperature = true
        XCTAssertNoThrow(try ok.validate(ranks: 2))
        ok.loss.similarity = .cosine
        XCTAssertNoThrow(try ok.validate(ranks: 2))
        XCTAssertNoThrow(try TrainConfig().validate(ranks: 2))
    }

    func testThetaStartsAtTheTemperatureAndIsClampedAt100() throws {
        try MPIEnvironment.initialize()
        let comm = try Communicator.world()
        var options = LossConfig()
        options.learnTemperature = true
        options.temperature = 0.25
        var step = try LossStep(options, width: 4, labelledByDefault: true, form: .symmetric, comm: comm)
        XCTAssertEqual(step.parameterCount, 1)
        var flat: [Float] = [7, 0]
        step.copyParameters(into: &flat, at: 1)
        XCTAssertEqual(flat, [7, Float(Double.log(4))], "θ = log(1/τ) after the other parameters")
        flat[1] = Float(Double.log(2))
        step.setParameters(flat, at: 1)
        XCTAssertEqual(step.loss.loss.temperature, 0.5, accuracy: 1e-6)
        flat[1] = 6
        step.clampParameters(&flat, at: 1)
        XCTAssertEqual(flat[1], Float(Double.log(100)), "CLIP's clamp: 1/τ ≤ 100")
        step.setParameters(flat, at: 1)
        XCTAssertEqual(1 / step.loss.loss.temperature, 100, accuracy: 1e-4)
        flat[1] = -1
        step.clampParameters(&flat, at: 1)
        XCTAssertEqual(flat[1], -1, "no lower bound")

        let fixed = try LossStep(LossConfig(), width: 4, labelledByDefault: true, form: .symmetric, comm: comm)
        XCTAssertEqual(fixed.parameterCount, 0, "the default learns no loss parameter")
        var none: [Float] = [6]
        fixed.clampParameters(&none, at: 1)
        XCTAssertEqual(none, [6])
    }
}
