// Training/Validation.swift — impossible values refused before any work starts, with the
// key, the value and what is allowed (every rank validates alike, rank 0 reports). Keys with
// a closed set of values are enums, refused by the loader (ConfigLoader.choiceKeys).
import InfoMax
import Synthetic

extension TrainConfig {
    /// Checks every value for a run on `ranks` ranks; throws the first problem found.
    public func validate(ranks: Int) throws {
        func require(_ ok: Bool, _ key: String, _ value: Any, _ allowed: String) throws {
            if !ok { throw ConfigError.invalidValue(key: key, value: "\(value)", allowed: allowed) }
        }
        try require(!name.isEmpty && !name.contains("/") && name != "." && name != ".."
                    && !name.unicodeScalars.contains { $0.properties.generalCategory == .control },
                    "name", "\"\(name)\"", "a non-empty name without '/' or control characters, not '.' or '..' (it names the folder runs/<name>)")
        try require(steps >= 1, "steps", steps, "at least 1")
        try require(trainSamples >= 1, "train_samples", trainSamples, "at least 1")
        try require(trainSamples >= ranks, "train_samples", trainSamples,
                    "at least the number of ranks (\(ranks)): every rank needs a sample; use fewer ranks or more samples")
        try require(batchSize >= 0 && batchSize <= trainSamples, "batch_size", batchSize,
                    "0 (full batch) or between the number of ranks and train_samples (\(trainSamples))")
        try require(batchSize == 0 || batchSize >= ranks, "batch_size", batchSize,
                    "at least the number of ranks (\(ranks)), or 0 for full batch")
        try require(probeTrainSamples >= max(2, ranks), "probe_train_samples", probeTrainSamples, "at least 2 and at least the number of ranks (\(ranks))")
        try require(testSamples >= max(1, ranks), "test_samples", testSamples, "at least 1 and at least the number of ranks (\(ranks))")
        try require(logEvery >= 1, "log_every", logEvery, "at least 1")
        try require(evalEvery >= 0, "eval_every", evalEvery, "0 (only at the end) or a positive step interval")
        try require(diagnosticsSamples >= 0, "diagnostics_samples", diagnosticsSamples,
                    "0 (every training sample, exact) or the size of the fixed evaluation subset, e.g. 4096")
        try require(checkpointEvery >= 0, "checkpoint_every", checkpointEvery, "0 (only on a signal) or a positive step interval")
        try require(checkpointMinutes >= 0 && checkpointMinutes.isFinite, "checkpoint_minutes", checkpointMinutes,
                    "0 (no time-based checkpoints) or a positive number of minutes")
        try require(stallTimeoutSeconds >= 0 && stallTimeoutSeconds.isFinite, "stall_timeout_seconds", stallTimeoutSeconds,
                    "0 (the default rule: max(60 s, 20 × the median step)) or a positive number of seconds")

        try require(optimizer.learningRate > 0 && optimizer.learningRate.isFinite, "optimizer.learning_rate", optimizer.learningRate, "a positive number")
        try require((0..<1).contains(optimizer.momentum), "optimizer.momentum", optimizer.momentum, "in [0, 1)")
        try require((0..<1).contains(optimizer.beta1), "optimizer.beta1", optimizer.beta1, "in [0, 1)")
        try require((0..<1).contains(optimizer.beta2), "optimizer.beta2", optimizer.beta2, "in [0, 1)")
        try require(optimizer.epsilon > 0, "optimizer.epsilon", optimizer.epsilon, "a positive number")
        try require(optimizer.weightDecay >= 0, "optimizer.weight_decay", optimizer.weightDecay, "0 or a positive number")

        try require(loss.temperature > 0 && loss.temperature.isFinite, "loss.temperature", loss.temperature, "τ > 0")
        try require(!(model == .latentLinear && loss.negatives == .oppositeLabel), "loss.negatives", "\"opposite-label\"",
                    "latent-linear samples have no labels: use \"all\" or \"auto\"")
        try require(!(model == .latentLinear && mode != .multiModal), "mode", "\"\(mode.rawValue)\"",
                    "latent-linear has two views of one latent and trains multi-modal only: set mode = \"multi-modal\"")
        try require(loss.scale >= 0 && loss.scale.isFinite, "loss.scale", loss.scale, "0 (meaning 1/m) or a positive number")

        try require(encoder.width >= 1, "encoder.width", encoder.width, "at least 1")
        try require(encoder.initScale > 0 && encoder.initScale.isFinite, "encoder.init_scale", encoder.initScale, "σ₀ > 0")

        switch model {
        case .signalNoise:
            let s = signalNoise
            try require(s.d >= 2, "signal_noise.d", s.d, "at least 2")
            try require(s.sigmaP > 0, "signal_noise.sigma_p", s.sigmaP, "σ_p > 0")
            try require(s.snr >= 0, "signal_noise.snr", s.snr, "0 (use signal_norm) or a positive SNR")
            try require(s.signalNorm >= 0, "signal_noise.signal_norm", s.signalNorm, "‖μ‖ ≥ 0")
            try require(s.textSignalNorm >= 0, "signal_noise.text_signal_norm", s.textSignalNorm, "‖ν‖ ≥ 0")
            try require(s.textSigma > 0, "signal_noise.text_sigma", s.textSigma, "a positive noise level")
            try require(s.testSignalNorm >= 0, "signal_noise.test_signal_norm", s.testSignalNorm, "≥ 0")
            try require(s.augmentationSigma >= 0, "signal_noise.augmentation_sigma", s.augmentationSigma, "≥ 0")
            try require(s.positiveFraction > 0 && s.positiveFraction < 1, "signal_noise.positive_fraction", s.positiveFraction, "in (0, 1)")
            try requireBothLabels()
        case .latentLinear:
            let l = latentLinear
            try require(l.latentDim >= 1, "latent_linear.latent_dim", l.latentDim, "at least 1")
            try require(l.d1 >= l.latentDim, "latent_linear.d1", l.d1, "at least latent_dim (\(l.latentDim))")
            try require(l.d2 >= l.latentDim, "latent_linear.d2", l.d2, "at least latent_dim (\(l.latentDim))")
            try require(l.decay > 0 && l.decay <= 1, "latent_linear.decay", l.decay, "in (0, 1]")
            try require(l.noiseSigma >= 0, "latent_linear.noise_sigma", l.noiseSigma, "≥ 0")
        case .cooccurrence:
            let c = cooccurrence
            try require(c.classes >= 2, "cooccurrence.classes", c.classes, "at least 2")
            try require(c.imageVocabulary >= c.classes, "cooccurrence.image_vocabulary", c.imageVocabulary, "at least classes (\(c.classes))")
            try require(c.textVocabulary >= c.classes, "cooccurrence.text_vocabulary", c.textVocabulary, "at least classes (\(c.classes))")
            try require((0..<1).contains(c.imageLeak), "cooccurrence.image_leak", c.imageLeak, "in [0, 1)")
            try require((0..<1).contains(c.textLeak), "cooccurrence.text_leak", c.textLeak, "in [0, 1)")
            try require((0..<1).contains(c.augmentationKeep), "cooccurrence.augmentation_keep", c.augmentationKeep, "in [0, 1)")
            try require((0...1).contains(c.augmentationConsistency), "cooccurrence.augmentation_consistency", c.augmentationConsistency, "in [0, 1]")
            try require((0...1).contains(c.resampleFraction), "cooccurrence.resample_fraction", c.resampleFraction, "in [0, 1]")
            try require((0..<1).contains(c.falseNegativeFraction), "cooccurrence.false_negative_fraction", c.falseNegativeFraction, "in [0, 1)")
            try require((0..<1).contains(c.easyNegativeFraction), "cooccurrence.easy_negative_fraction", c.easyNegativeFraction, "in [0, 1)")
            try require(c.guideRun.isEmpty || c.needsGuide, "cooccurrence.guide_run", "\"\(c.guideRun)\"",
                        "empty unless cooccurrence.positives = \"guided\" or a cooccurrence.negatives_drop uses the guide")
            if c.needsGuide && mode != .multiModal {
                let what = c.positives == .guided ? "cooccurrence.positives = \"guided\"" : "cooccurrence.negatives_drop = \"\(c.negativesDrop.rawValue)\""
                try require(loss.negatives != .oppositeLabel, "loss.negatives", "\"opposite-label\"",
                            "\"all\" or \"auto\" with \(what): the guide chooses the negatives")
            }
        }
    }
}

extension TrainConfig {
    /// Refuses a `signal_noise.positive_fraction` so far from 0.5 that a sample set drawn with
    /// this seed has one label only (fewer than one sample of the rarer label expected, and
    /// none drawn): opposite-label negatives and the downstream probe need both. The labels
    /// are the run's own (a pure function of seed, split and index), scanned until both
    /// appear — a few samples unless the fraction is extreme.
    func requireBothLabels() throws {
        let p = signalNoise.positiveFraction
        let sets: [(name: String, key: String, n: Int, split: DataSplit)] = [
            ("training", "train_samples", trainSamples, .train),
            ("probe training", "probe_train_samples", probeTrainSamples, .validation),
            ("test", "test_samples", testSamples, .test),
        ]
        for set in sets where set.n >= 2 && Double(set.n) * min(p, 1 - p) < 1 {
            let data = SignalNoise(n: set.n, positiveFraction: p, seed: seed, split: set.split)
            guard let first = try? data.label(of: 0) else { continue }
            // At most 10⁷ labels are drawn (well under a second), however large the set.
            let scanned = min(set.n, 10_000_000)
            var mixed = false
            for i in 1..<scanned where (try? data.label(of: i)) != first { mixed = true; break }
            if !mixed {
                let which = scanned == set.n ? "every one of the \(set.n)" : "the first \(scanned) of the \(set.n)"
                let verb = scanned == set.n ? "has" : "have"
                throw ConfigError.invalidValue(
                    key: "signal_noise.positive_fraction", value: "\(p)",
                    allowed: "with it \(which) \(set.name) samples (\(set.key)) \(verb) the label \(first > 0 ? "+1" : "-1") "
                        + "at seed \(seed); the contrastive negatives and the downstream probe need both labels: "
                        + "use a fraction nearer 0.5 or more samples")
            }
        }
    }
}
