// Metrics: the report's catalogue of the trainer's metrics — display names, axis labels, display
// order, which summary figures are bookkeeping, the y scale of each metric — and the lookups
// (curve peak, value at step 0) the report's tables share.
import RunRecords

/// Display names and axis labels of the metrics the trainer writes.
enum Metrics {
    struct Info {
        let title: String
        let axis: String
    }

    /// metrics.csv's column names (RunRecords' MetricColumn), as the report looks them up.
    enum Column {
        static let step = MetricColumn.step.rawValue, epoch = MetricColumn.epoch.rawValue
        static let wallSeconds = MetricColumn.wallSeconds.rawValue, loss = MetricColumn.loss.rawValue
        static let computeSeconds = MetricColumn.computeSeconds.rawValue
        static let communicationSeconds = MetricColumn.communicationSeconds.rawValue
        static let signalLearning = MetricColumn.signalLearning.rawValue
        static let noiseMemorization = MetricColumn.noiseMemorization.rawValue
        static let conditionNumber = MetricColumn.conditionNumber.rawValue
        static let subspaceAlignment = MetricColumn.subspaceAlignment.rawValue
        static let trainAccuracy = MetricColumn.trainAccuracy.rawValue
        static let testAccuracy = MetricColumn.testAccuracy.rawValue
    }

    static let known: [String: Info] = [
        "loss": Info(title: "Training loss", axis: "contrastive loss"),
        "final_loss": Info(title: "Final training loss", axis: "contrastive loss"),
        "signal_learning": Info(title: "Signal learning", axis: "max_r γ_r"),
        "noise_memorization": Info(title: "Noise memorization", axis: "mean_i max_r ρ_r,i"),
        "text_signal_learning": Info(title: "Text signal learning", axis: "max_r γ̃_r"),
        "text_noise_memorization": Info(title: "Text noise memorization", axis: "mean_i max_r ρ̃_r,i"),
        "signal_inner_product": Info(title: "Signal inner product", axis: "max_r ⟨w_r, μ⟩"),
        "noise_inner_product": Info(title: "Noise inner product", axis: "mean_i max_r ⟨w_r, ξ_i⟩"),
        "text_signal_inner_product": Info(title: "Text signal inner product", axis: "max_r ⟨w̃_r, μ̃⟩"),
        "sigmoid_scale": Info(title: "Sigmoid loss scale", axis: "scale t"),
        "sigmoid_bias": Info(title: "Sigmoid loss bias", axis: "bias b"),
        "temperature": Info(title: "Learned InfoNCE temperature", axis: "temperature τ"),
        "condition_number": Info(
            title: "Condition number of the representation",
            axis: "condition number σ_max / σ_min"),
        "subspace_alignment": Info(title: "Subspace alignment", axis: "alignment"),
        "train_accuracy": Info(title: "Train accuracy", axis: "accuracy (fraction correct)"),
        "test_accuracy": Info(title: "Test accuracy", axis: "accuracy (fraction correct)"),
        "compute_seconds": Info(title: "Compute time", axis: "compute time (s)"),
        "communication_seconds": Info(title: "Communication time", axis: "communication time (s)"),
        "seconds_per_step": Info(title: "Time per step", axis: "time per step (s)"),
        "wall_seconds": Info(title: "Wall-clock time", axis: "wall-clock time (s)"),
        "logging_seconds": Info(title: "Logging time", axis: "logging time (s)"),
    ]
    /// Preferred display order.
    static let order = [
        "test_accuracy", "train_accuracy", "loss", "final_loss", "signal_learning",
        "noise_memorization", "condition_number", "subspace_alignment", "compute_seconds",
        "communication_seconds", "seconds_per_step",
    ]
    static let stepAxis = "training step"

    /// The catalogue's entry for `key`, or one made from the key's words.
    static func info(_ key: String) -> Info {
        if let i = known[key] { return i }
        let words = key.replacingOccurrences(of: "_", with: " ")
        return Info(title: words.prefix(1).uppercased() + words.dropFirst(), axis: words)
    }

    /// `keys` in the preferred display order; keys not in it keep their order, after the others.
    static func sorted(_ keys: [String]) -> [String] {
        keys.enumerated().sorted { a, b in
            let ia = order.firstIndex(of: a.element) ?? order.count + a.offset
            let ib = order.firstIndex(of: b.element) ?? order.count + b.offset
            return ia < ib
        }.map(\.element)
    }

    /// Whether `key` is an accuracy (plotted on [0, 1] with the chance line).
    static func isAccuracy(_ key: String) -> Bool { key.contains("accuracy") }

    /// Summary figures that record the run's bookkeeping, not its result: never plotted or tabled
    /// as results.
    static let bookkeeping: Set<String> = [
        "seed", "steps", "epochs", "steps_completed", "steps_planned", "ranks",
        "resumed_from_step", "wall_seconds", "compute_seconds",
        "communication_seconds",
    ]

    /// Figures that time the run (not its science): the report shows them in a section of their own.
    static func isTiming(_ key: String) -> Bool {
        key.hasSuffix("_seconds") || key == "seconds_per_step"
    }

    /// The last component of a dotted config key: "signal_noise.snr" → "snr".
    static func shortName(_ parameter: String) -> String {
        parameter.split(separator: ".").last.map(String.init) ?? parameter
    }

    /// The axis label for a sweep parameter.
    static func parameterAxis(_ parameter: String) -> String {
        shortName(parameter) == "snr" ? "signal-to-noise ratio (snr)" : parameter
    }

    /// The y scale for a metric: condition numbers on a log axis (they grow geometrically),
    /// others log only when they span two decades.
    static func scale(_ key: String, _ values: [Double]) -> AxisScale {
        let finite = values.filter { $0.isFinite }
        if key.contains("condition_number"), let lo = finite.min(), lo > 0 { return .log }
        return autoScale(values)
    }

    /// The largest finite value of a run's metric curve and the step where it occurs.
    static func peak(_ run: RunFolder, _ column: String) -> (value: Double, step: Double)? {
        let c = run.curve(column)
        var best: (Double, Double)? = nil
        for (x, y) in zip(c.x, c.y) where y.isFinite && y > (best?.0 ?? -.infinity) { best = (y, x) }
        return best.map { (value: $0.0, step: $0.1) }
    }

    /// The value of `column` logged at step 0 (before any update), if any.
    static func atStepZero(_ run: RunFolder, _ column: String) -> Double? {
        let c = run.curve(column)
        guard let i = c.x.firstIndex(of: 0), c.y[i].isFinite else { return nil }
        return c.y[i]
    }

    /// Log scale when every value is positive and they span at least two decades.
    static func autoScale(_ values: [Double]) -> AxisScale {
        let finite = values.filter { $0.isFinite }
        guard let lo = finite.min(), let hi = finite.max(), lo > 0, hi / lo >= 100 else { return .linear }
        return .log
    }
}
