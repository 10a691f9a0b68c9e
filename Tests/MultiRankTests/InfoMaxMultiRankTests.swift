// Multi-rank tests of the distributed contrastive losses: loss and gradients equal the
// one-process reference at 1, 2, 3 and 4 ranks with uneven splits (suites "infomax", "sigmoid", "temperature").
import XCTest

final class InfoMaxMultiRankTests: XCTestCase {
    func testDistributedLossMatchesReferenceAt1To4Ranks() throws {
        try Launcher.assertSuitePasses("infomax", ranks: [1, 2, 3, 4])
    }

    /// SigLIP's sigmoid loss (suite "sigmoid"): both exchanges, one direction and symmetric,
    /// ∂L/∂t and ∂L/∂β included, with empty and uneven shards.
    func testSigmoidLossMatchesReferenceAt1To4Ranks() throws {
        try Launcher.assertSuitePasses("sigmoid", ranks: [1, 2, 3, 4])
    }

    /// InfoNCE's learned temperature (suite "temperature"): after setTemperature, the loss and
    /// the ranks' summed ∂L/∂θ equal the one-process values, both exchanges, every form.
    func testLearnedTemperatureGradientMatchesReferenceAt1To4Ranks() throws {
        try Launcher.assertSuitePasses("temperature", ranks: [1, 2, 3, 4])
    }
}
