// Training/HuangAssumptions.swift — Huang et al.'s (NeurIPS 2024, arXiv 2411.02837) Assumption 4.1
// conditions for a signal-noise config, each with its value, the bound it is checked against and
// whether it holds, and the first-stage length T₁ of Lemmas 5.2 (single-modal) and 5.4
// (multi-modal): what `infomax train --dry-run` prints, so a config outside the theory's regime
// says so before it runs.
//
// The forms are those of issue 23's text (the paper's full statement could not be read here).
// Θ(1), Õ(·) and Ω̃(·) hide constants and log factors, so each is checked with a stated constant:
// 0.1 ≤ n·SNR² ≤ 10, σ₀ ≤ 1/max(σ_ξ√d, ‖μ‖), d ≥ n². C_μ ≥ 2.66 and T₁'s constants (20, 0.96,
// 0.48) are explicit. The learning-rate bound is listed but not checked: its exact form is unknown.
import Foundation
import RunRecords

/// Assumption 4.1's conditions and the two T₁ predictions for one signal-noise config.
public struct HuangAssumptions: Sendable, Equatable {
    /// One condition: the paper's statement, the form checked here, its value and the verdict.
    public struct Condition: Sendable, Equatable {
        /// As the paper states it, e.g. "d ≥ Ω̃(n²)".
        public let name: String
        /// The inequality checked (the bound with its number), e.g. "d ≥ n² = 10000".
        public let checkedAs: String
        /// The config's value of the condition's left-hand side.
        public let value: Double
        /// true / false; nil when the condition is not checked (its form is not known).
        public let holds: Bool?
    }

    /// Samples n, dimension d, neurons m.
    public let n: Int, d: Int, m: Int
    /// Temperature τ, learning rate η, initialisation scale σ₀.
    public let tau: Double, eta: Double, sigma0: Double
    /// ‖μ‖ (image signal, from snr or signal_norm), σ_ξ (image noise), ‖μ̃‖ (text signal).
    public let signalNorm: Double, sigmaXi: Double, textSignalNorm: Double
    /// The config's settings that differ from the paper's training (the formulas assume it).
    public let deviations: [String]

    /// SNR = ‖μ‖ / (σ_ξ √d).
    public var snr: Double { signalNorm / (sigmaXi * Double(d).squareRoot()) }
    /// C_μ = ‖μ̃‖ / ‖μ‖.
    public var cMu: Double { textSignalNorm / signalNorm }

    /// The checked constant of C_μ ≥ 2.66.
    public static let cMuBound = 2.66
    /// The range n·SNR² = Θ(1) is checked in.
    public static let nSNRSquaredRange: ClosedRange<Double> = 0.1...10

    /// nil unless the config's model is signal-noise (the assumptions are about that model).
    public init?(config c: TrainConfig) {
        guard c.model == .signalNoise else { return nil }
        let modalities = SignalNoiseProblem.modalities(c)
        n = c.trainSamples
        d = c.signalNoise.d
        m = c.encoder.width
        tau = c.loss.temperature
        eta = c.optimizer.learningRate
        sigma0 = c.encoder.initScale
        signalNorm = Double(modalities.image.resolvedSignalNorm)
        sigmaXi = Double(modalities.image.sigmaP)
        textSignalNorm = Double(modalities.text.resolvedSignalNorm)
        deviations = Self.deviations(c)
    }

    /// The one line printed for a model the assumptions do not cover.
    public static func notApplicable(_ model: DataModelKind) -> String {
        "Huang et al.'s Assumption 4.1 and T₁: not applicable (model \(model.rawValue); they are about signal-noise)."
    }

    public var conditions: [Condition] {
        let nSNR2 = Double(n) * snr * snr
        let sigmaBound = 1 / max(sigmaXi * Double(d).squareRoot(), signalNorm)
        let r = Self.nSNRSquaredRange
        return [
            Condition(
                name: "n·SNR² = Θ(1)",
                checkedAs: "\(Self.format(r.lowerBound)) ≤ n·SNR² ≤ \(Self.format(r.upperBound))",
                value: nSNR2, holds: r.contains(nSNR2)),
            Condition(
                name: "C_μ = ‖μ̃‖/‖μ‖ ≥ 2.66", checkedAs: "C_μ ≥ \(Self.format(Self.cMuBound))",
                value: cMu, holds: cMu >= Self.cMuBound),
            Condition(
                name: "σ₀ ≤ Õ(1/max(σ_ξ√d, ‖μ‖))",
                checkedAs: "σ₀ ≤ 1/max(σ_ξ√d, ‖μ‖) = \(Self.format(sigmaBound))",
                value: sigma0, holds: sigma0 <= sigmaBound),
            Condition(
                name: "d ≥ Ω̃(n²)", checkedAs: "d ≥ n² = \(Self.format(Double(n) * Double(n)))",
                value: Double(d), holds: Double(d) >= Double(n) * Double(n)),
            Condition(name: "η bound", checkedAs: "paper's form not read here", value: eta, holds: nil),
        ]
    }

    /// Lemma 5.2: log(20/(σ₀σ_ξ√d)) / log(1 + 0.96·η·σ_ξ²·d/(n·m·τ)), in gradient steps.
    public var singleModalT1: Double {
        let rate = 0.96 * eta * sigmaXi * sigmaXi * Double(d) / (Double(n) * Double(m) * tau)
        return log(20 / (sigma0 * sigmaXi * Double(d).squareRoot())) / log1p(rate)
    }

    /// Lemma 5.4: log(20/(σ₀‖μ‖)) / log(1 + 0.48·C_μ·η·‖μ‖²/(m·τ)), in gradient steps.
    public var multiModalT1: Double {
        let rate = 0.48 * cMu * eta * signalNorm * signalNorm / (Double(m) * tau)
        return log(20 / (sigma0 * signalNorm)) / log1p(rate)
    }

    /// Both predictions, as a run's summary.json records them (`t1_predicted`).
    public var t1Prediction: T1Prediction { T1Prediction(singleModal: singleModalT1, multiModal: multiModalT1) }

    /// The aligned table `--dry-run` prints.
    public func table() -> String {
        func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(1, width - s.count)) }
        let f = { (v: Double) in Self.format(v) }
        var lines = [
            "Huang et al. (2024) Assumption 4.1 (Θ/Õ/Ω̃ hide constants and logs: checked as shown)",
            "n = \(n), d = \(d), m = \(m), ‖μ‖ = \(f(signalNorm)), σ_ξ = \(f(sigmaXi)), "
                + "‖μ̃‖ = \(f(textSignalNorm)), η = \(f(eta)), τ = \(f(tau)), σ₀ = \(f(sigma0))",
        ]
        lines.append(pad("condition", 28) + pad("checked as", 36) + pad("value", 10) + "holds")
        for c in conditions {
            let verdict = c.holds.map { $0 ? "yes" : "no" } ?? "not checked"
            lines.append(pad(c.name, 28) + pad(c.checkedAs, 36) + pad(Self.format(c.value), 10) + verdict)
        }
        lines.append("first-stage length T₁ (Lemmas 5.2, 5.4; gradient steps, = epochs at full batch)")
        lines.append(
            pad("single-modal", 14) + pad("log(20/(σ₀σ_ξ√d)) / log(1 + 0.96·η·σ_ξ²·d/(n·m·τ))", 52)
                + Self.format(singleModalT1, digits: 1) + " steps")
        lines.append(
            pad("multi-modal", 14) + pad("log(20/(σ₀‖μ‖)) / log(1 + 0.48·C_μ·η·‖μ‖²/(m·τ))", 52)
                + Self.format(multiModalT1, digits: 1) + " steps")
        if !deviations.isEmpty {
            lines.append(
                "the formulas assume the paper's training; this config differs: "
                    + deviations.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    /// Integers as integers; otherwise 4 significant digits (or `digits` decimals); ∞ as "∞".
    static func format(_ v: Double, digits: Int? = nil) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "∞" : "-∞") }
        if let digits { return String(format: "%.\(digits)f", v) }
        if v == v.rounded() && abs(v) < 1e7 { return String(Int(v)) }
        return String(format: "%.4g", v)
    }

    /// The settings of `c` that differ from the paper's (full-batch plain gradient descent at a
    /// constant rate, InfoNCE with the patch-wise 1/m dot similarity, opposite-label negatives,
    /// stop-gradient, the multi-modal directions summed).
    static func deviations(_ c: TrainConfig) -> [String] {
        var out: [String] = []
        let o = c.optimizer
        let l = c.loss
        if o.kind != .sgd { out.append("optimizer.kind=\(o.kind.rawValue)") }
        if o.momentum != 0 { out.append("optimizer.momentum=\(format(o.momentum))") }
        if o.weightDecay != 0 { out.append("optimizer.weight_decay=\(format(o.weightDecay))") }
        if o.schedule != .constant { out.append("optimizer.schedule=\(o.schedule.rawValue)") }
        if c.batchSize != 0 && c.batchSize < c.trainSamples { out.append("batch_size=\(c.batchSize)") }
        if l.kind != .infonce { out.append("loss.kind=\(l.kind.rawValue)") }
        if l.similarity != .dot { out.append("loss.similarity=\(l.similarity.rawValue)") }
        if l.negatives == .all { out.append("loss.negatives=all") }
        if !l.stopGradient { out.append("loss.stop_gradient=false") }
        if !l.patchwise { out.append("loss.patchwise=false") }
        if l.scale != 0 { out.append("loss.scale=\(format(l.scale))") }
        if l.reduction == .mean { out.append("loss.reduction=mean") }
        if !l.symmetric { out.append("loss.symmetric=false") }
        return out
    }
}
