// The sigmoid loss's config keys: bad values and combinations refused with the key named, the
// keys through --set, and the loss the trainer builds from them (t = 1/τ, b; the paper's 1/m).
import InfoMax
import XCTest

@testable import Training

final class SigmoidConfigTests: XCTestCase {
    func refused(_ edit: (inout TrainConfig) -> Void, key: String, file: StaticString = #filePath, line: UInt = #line) {
        var c = TrainConfig()
        edit(&c)
        XCTAssertThrowsError(try c.validate(ranks: 1), file: file, line: line) { e in
            guard case .invalidValue(let k, _, _)? = e as? ConfigError else {
                return XCTFail("\(e)", file: file, line: line)
            }
            XCTAssertEqual(k, key, file: file, line: line)
        }
    }

    func testBadValuesAreRefusedWithTheKey() throws {
        refused(
            {
                $0.loss.kind = .sigmoid
                $0.loss.sigmoidScale = 0
            }, key: "loss.sigmoid_scale")
        refused(
            {
                $0.loss.kind = .sigmoid
                $0.loss.sigmoidScale = -1
            }, key: "loss.sigmoid_scale")
        refused(
            {
                $0.loss.kind = .sigmoid
                $0.loss.sigmoidScale = .infinity
            }, key: "loss.sigmoid_scale")
        refused(
            {
                $0.loss.kind = .sigmoid
                $0.loss.sigmoidBias = .nan
            }, key: "loss.sigmoid_bias")
        refused({ $0.loss.learnScale = true }, key: "loss.learn_scale")
        refused(
            {
                $0.loss.kind = .spectral
                $0.loss.learnBias = true
            }, key: "loss.learn_bias")
        refused(
            {
                $0.model = .cooccurrence
                $0.mode = .singleModal
                $0.loss.kind = .sigmoid
                $0.cooccurrence.positives = .guided
                $0.loss.negatives = .oppositeLabel
            }, key: "loss.negatives")
        var guided = TrainConfig()
        guided.model = .cooccurrence
        guided.mode = .singleModal
        guided.loss.kind = .sigmoid
        guided.loss.learnScale = true
        guided.loss.learnBias = true
        guided.cooccurrence.positives = .guided
        XCTAssertNoThrow(try guided.validate(ranks: 2), "the guided loss has a sigmoid form")
        var ok = TrainConfig()
        ok.loss.kind = .sigmoid
        ok.loss.learnScale = true
        ok.loss.learnBias = true
        XCTAssertNoThrow(try ok.validate(ranks: 2))
    }

    func testKeysAndTheLossBuilt() throws {
        let c = try ConfigLoader.load(
            file: nil,
            overrides: [
                "loss.kind=sigmoid", "loss.sigmoid_scale=4", "loss.sigmoid_bias=-3", "loss.learn_scale=true",
                "loss.learn_bias=true",
            ])
        XCTAssertEqual(c.loss.kind, .sigmoid)
        XCTAssertTrue(c.loss.learnScale && c.loss.learnBias)
        let loss = ProblemSupport.contrastiveLoss(c.loss, width: 50, labelledByDefault: true)
        XCTAssertEqual(loss.objective, .sigmoid)
        XCTAssertEqual(loss.logitScale, 4, accuracy: 1e-12)
        XCTAssertEqual(loss.bias, -3)
        XCTAssertEqual(loss.scale, 1.0 / 50, "loss.scale 0 means 1/m for the sigmoid loss too")
        let d = TrainConfig()
        XCTAssertEqual(d.loss.sigmoidScale, 10, "SigLIP's initial t")
        XCTAssertEqual(d.loss.sigmoidBias, -10, "SigLIP's initial b")
    }
}
