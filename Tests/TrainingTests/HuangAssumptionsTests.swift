// Huang et al.'s Assumption 4.1 conditions and T₁ predictions against hand-computed numbers on
// the default (Figure 1) config and on E1's SNR 0.2 point; not applicable to the other models.
import XCTest
@testable import Training

final class HuangAssumptionsTests: XCTestCase {
    func config(_ overrides: [String]) throws -> TrainConfig {
        try ConfigLoader.load(text: nil, source: "", overrides: overrides)
    }

    func condition(_ a: HuangAssumptions, _ prefix: String) throws -> HuangAssumptions.Condition {
        try XCTUnwrap(a.conditions.first { $0.name.hasPrefix(prefix) }, "no condition \(prefix)")
    }

    /// Default: d = 2000, n = 100, m = 50, ‖μ‖ = 5, ‖μ̃‖ = 15, σ_ξ = 1, η = 0.01, τ = 0.1, σ₀ = 0.01.
    func testDefaultFigure1ConfigByHand() throws {
        let a = try XCTUnwrap(HuangAssumptions(config: try config([])))
        XCTAssertEqual([a.n, a.d, a.m], [100, 2000, 50])
        XCTAssertEqual(a.signalNorm, 5); XCTAssertEqual(a.textSignalNorm, 15); XCTAssertEqual(a.sigmaXi, 1)
        XCTAssertEqual(a.tau, 0.1); XCTAssertEqual(a.eta, 0.01); XCTAssertEqual(a.sigma0, 0.01)
        XCTAssertTrue(a.deviations.isEmpty, "\(a.deviations)")

        // n·SNR² = 100 · (5/√2000)² = 100 · 25/2000 = 1.25: in [0.1, 10].
        let nSNR = try condition(a, "n·SNR²")
        XCTAssertEqual(nSNR.value, 1.25, accuracy: 1e-12); XCTAssertEqual(nSNR.holds, true)
        // C_μ = 15/5 = 3 ≥ 2.66.
        let cMu = try condition(a, "C_μ")
        XCTAssertEqual(cMu.value, 3, accuracy: 1e-12); XCTAssertEqual(cMu.holds, true)
        // σ₀ = 0.01 ≤ 1/max(√2000 = 44.72, 5) = 0.02236.
        let s0 = try condition(a, "σ₀")
        XCTAssertEqual(s0.value, 0.01); XCTAssertEqual(s0.holds, true)
        XCTAssertTrue(s0.checkedAs.hasSuffix("= 0.02236"), s0.checkedAs)
        // d = 2000 < n² = 10000: fails.
        let dim = try condition(a, "d ≥")
        XCTAssertEqual(dim.value, 2000); XCTAssertEqual(dim.holds, false)
        XCTAssertEqual(dim.checkedAs, "d ≥ n² = 10000")
        // The η bound's form is not known: listed, not checked.
        let eta = try condition(a, "η")
        XCTAssertEqual(eta.value, 0.01); XCTAssertNil(eta.holds)

        // Single-modal T₁ = ln(20/(0.01·1·√2000)) / ln(1 + 0.96·0.01·1·2000/(100·50·0.1))
        //                 = ln(44.7214) / ln(1.0384) = 3.80045 / 0.0376811 = 100.858.
        XCTAssertEqual(a.singleModalT1, 100.858, accuracy: 1e-3)
        // Multi-modal T₁ = ln(20/(0.01·5)) / ln(1 + 0.48·3·0.01·25/(50·0.1))
        //                = ln(400) / ln(1.072) = 5.99146 / 0.0695261 = 86.176.
        XCTAssertEqual(a.multiModalT1, 86.176, accuracy: 1e-3)

        let table = a.table()
        XCTAssertTrue(table.contains("d ≥ n² = 10000"), table)
        XCTAssertTrue(table.contains("100.9"), table)
        XCTAssertTrue(table.contains("86.2"), table)
        XCTAssertTrue(table.contains("not checked"), table)
        XCTAssertFalse(table.contains("this config differs"), table)
    }

    /// E1's SNR 0.2 point (jobs/configs/e1-snr.json, signal_noise.snr=0.2): ‖μ‖ = 0.2·√2000 = 8.944,
    /// C_μ = 15/8.944 = 1.677 < 2.66; n·SNR² = 100·0.04 = 4 still in range.
    func testE1SNRPointTwoBreaksCMu() throws {
        let a = try XCTUnwrap(HuangAssumptions(config: try config(["signal_noise.snr=0.2"])))
        XCTAssertEqual(a.signalNorm, 8.94427, accuracy: 1e-4)
        let cMu = try condition(a, "C_μ")
        XCTAssertEqual(cMu.value, 1.67705, accuracy: 1e-4); XCTAssertEqual(cMu.holds, false)
        let nSNR = try condition(a, "n·SNR²")
        XCTAssertEqual(nSNR.value, 4, accuracy: 1e-4); XCTAssertEqual(nSNR.holds, true)
        // Multi-modal T₁ = ln(20/(0.01·8.944)) / ln(1 + 0.48·1.677·0.01·80/(50·0.1))
        //                = ln(223.607) / ln(1.12879) = 5.40989 / 0.121153 = 44.653.
        XCTAssertEqual(a.multiModalT1, 44.653, accuracy: 2e-3)
    }

    func testOtherModelsAndDeviations() throws {
        XCTAssertNil(HuangAssumptions(config: try config(["model=latent-linear"])))
        XCTAssertTrue(HuangAssumptions.notApplicable(.latentLinear).contains("not applicable"))
        let a = try XCTUnwrap(HuangAssumptions(config: try config(["batch_size=20", "loss.similarity=cosine"])))
        XCTAssertEqual(a.deviations, ["batch_size=20", "loss.similarity=cosine"])
        XCTAssertTrue(a.table().contains("this config differs: batch_size=20, loss.similarity=cosine"), a.table())
    }
}
