// Training/Validation.swift — impossible values refused before any work starts, with the
// key, the value and what is allowed (every rank validates alike, rank 0 reports). A key's own
// range and its words are the key table's (ConfigKeys.swift); the rules that involve other keys
// or the rank count are here. Keys with a closed set of values are refused by the loader.
import InfoMax
import Synthetic

extension TrainConfig {
    /// Checks every value for a run on `ranks` ranks; throws the first problem found. A key's
    /// own range is the table's (`check`); rules that involve other keys or the rank count are here.
    public func validate(ranks: Int) throws {
        /// Refuses the key's value unless the table's range for the key holds it.
        func check(_ keys: ConfigKey...) throws {
            for key in keys { try key.check(self) }
        }
        /// Refuses `value` of `key` unless `ok`, saying what is allowed.
        func require(_ ok: Bool, _ key: ConfigKey, _ value: Any, _ allowed: String) throws {
            if !ok { throw ConfigError.invalidValue(key: key.path, value: "\(value)", allowed: allowed) }
        }
        try check(.name, .steps, .trainSamples)
        try require(
            trainSamples >= ranks, .trainSamples, trainSamples,
            "at least the number of ranks (\(ranks)): every rank needs a sample; use fewer ranks or more samples")
        try require(
            batchSize >= 0 && batchSize <= trainSamples, .batchSize, batchSize,
            "0 (full batch) or between the number of ranks and \(ConfigKey.trainSamples) (\(trainSamples))")
        try require(
            batchSize == 0 || batchSize >= ranks, .batchSize, batchSize,
            "at least the number of ranks (\(ranks)), or 0 for full batch")
        try require(
            probeTrainSamples >= max(2, ranks), .probeTrainSamples, probeTrainSamples,
            "at least 2 and at least the number of ranks (\(ranks))")
        try require(
            testSamples >= max(1, ranks), .testSamples, testSamples,
            "at least 1 and at least the number of ranks (\(ranks))")
        try check(
            .logEvery, .evalEvery, .diagnosticsSamples, .checkpointEvery, .checkpointMinutes,
            .stallTimeoutSeconds)

        try check(
            .optimizerLearningRate, .optimizerMomentum, .optimizerBeta1, .optimizerBeta2, .optimizerEpsilon,
            .optimizerWeightDecay)

        try check(.lossTemperature)
        try require(
            !(model == .latentLinear && loss.negatives == .oppositeLabel), .lossNegatives, "\"opposite-label\"",
            "latent-linear samples have no labels: use \"all\" or \"auto\"")
        try require(
            !(model == .latentLinear && mode != .multiModal), .mode, "\"\(mode.rawValue)\"",
            "latent-linear has two views of one latent and trains multi-modal only: "
                + "set \(ConfigKey.mode) = \"multi-modal\"")
        try check(.lossScale)
        try require(
            loss.symmetric || loss.reduction == .auto, .lossReduction, "\"\(loss.reduction.rawValue)\"",
            "\"auto\" with \(ConfigKey.lossSymmetric) = false: one direction has nothing to sum or average "
                + "(single-modal runs ignore the key, as compare mode shares the config)")
        try check(.lossSigmoidScale, .lossSigmoidBias)
        let sigmoidOnly = "false unless \(ConfigKey.lossKind) = \"sigmoid\" (t and b are the sigmoid loss's)"
        try require(!loss.learnScale || loss.kind == .sigmoid, .lossLearnScale, loss.learnScale, sigmoidOnly)
        try require(!loss.learnBias || loss.kind == .sigmoid, .lossLearnBias, loss.learnBias, sigmoidOnly)
        try require(
            !loss.learnTemperature || loss.kind == .infonce, .lossLearnTemperature, loss.learnTemperature,
            "false unless \(ConfigKey.lossKind) = \"infonce\" (the temperature is InfoNCE's)")

        try check(.encoderWidth, .encoderInitScale)

        switch model {
        case .signalNoise:
            try check(
                .signalNoiseD, .signalNoiseSigmaP, .signalNoiseSNR, .signalNoiseSignalNorm,
                .signalNoiseTextSignalNorm, .signalNoiseTextSigma, .signalNoiseTestSignalNorm,
                .signalNoiseAugmentationSigma, .signalNoisePositiveFraction)
            try requireBothLabels()
        case .latentLinear:
            let l = latentLinear
            try check(.latentLinearLatentDim)
            let latentDim = ConfigKey.latentLinearLatentDim.path.split(separator: ".").last ?? ""
            try require(l.d1 >= l.latentDim, .latentLinearD1, l.d1, "at least \(latentDim) (\(l.latentDim))")
            try require(l.d2 >= l.latentDim, .latentLinearD2, l.d2, "at least \(latentDim) (\(l.latentDim))")
            try check(.latentLinearDecay, .latentLinearNoiseSigma)
        case .colored:
            try check(.coloredClasses)
            let classes = ConfigKey.coloredClasses.path.split(separator: ".").last ?? ""
            try require(
                colored.d >= 2 * colored.classes, .coloredD, colored.d,
                "at least 2 · \(classes) (\(2 * colored.classes))")
            try check(
                .coloredShapeNorm, .coloredColorNorm, .coloredSigmaP, .coloredTextNorm, .coloredAgreement,
                .coloredLabelNoise, .coloredAugmentationSigma)
        case .cooccurrence:
            let c = cooccurrence
            try check(.cooccurrenceClasses)
            let classes = ConfigKey.cooccurrenceClasses.path.split(separator: ".").last ?? ""
            try require(
                c.imageVocabulary >= c.classes, .cooccurrenceImageVocabulary, c.imageVocabulary,
                "at least \(classes) (\(c.classes))")
            try require(
                c.textVocabulary >= c.classes, .cooccurrenceTextVocabulary, c.textVocabulary,
                "at least \(classes) (\(c.classes))")
            try check(
                .cooccurrenceImageLeak, .cooccurrenceTextLeak, .cooccurrenceAugmentationKeep,
                .cooccurrenceAugmentationConsistency, .cooccurrenceResampleFraction,
                .cooccurrenceFalseNegativeFraction, .cooccurrenceEasyNegativeFraction,
                .cooccurrenceFalsePositiveFraction)
            let positives = ConfigKey.cooccurrencePositives
            let drop = ConfigKey.cooccurrenceNegativesDrop
            try require(
                c.guideRun.isEmpty || c.needsGuide, .cooccurrenceGuideRun, "\"\(c.guideRun)\"",
                "empty unless \(positives) = \"guided\" or a \(drop) uses the guide")
            try require(
                !(c.needsGuide && loss.kind == .sigmoid), .lossKind, "\"sigmoid\"",
                "infonce, spectral or positive-only with the guide (\(ConfigKey.cooccurrencePositives), "
                    + "\(ConfigKey.cooccurrenceNegativesDrop)): the guided loss has no sigmoid form")
            try require(
                !(c.needsGuide && loss.learnTemperature), .lossLearnTemperature, true,
                "false with the guide (\(ConfigKey.cooccurrencePositives), \(ConfigKey.cooccurrenceNegativesDrop)): "
                    + "the guided loss has no learned temperature")
            if c.needsGuide && mode != .multiModal {
                let what =
                    c.positives == .guided
                    ? "\(positives) = \"guided\""
                    : c.negativesDrop != .none
                        ? "\(drop) = \"\(c.negativesDrop.rawValue)\""
                        : "\(ConfigKey.cooccurrencePositivesDrop) = \"\(c.positivesDrop.rawValue)\""
                try require(
                    loss.negatives != .oppositeLabel, .lossNegatives, "\"opposite-label\"",
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
        let sets: [(name: String, key: ConfigKey, n: Int, split: DataSplit)] = [
            ("training", .trainSamples, trainSamples, .train),
            ("probe training", .probeTrainSamples, probeTrainSamples, .validation),
            ("test", .testSamples, testSamples, .test),
        ]
        for set in sets where set.n >= 2 && Double(set.n) * min(p, 1 - p) < 1 {
            let data = SignalNoise(n: set.n, positiveFraction: p, seed: seed, split: set.split)
            guard let first = try? data.label(of: 0) else { continue }
            // At most 10⁷ labels are drawn (well under a second), however large the set.
            let scanned = min(set.n, 10_000_000)
            var mixed = false
            for i in 1..<scanned where (try? data.label(of: i)) != first {
                mixed = true
                break
            }
            if !mixed {
                let which = scanned == set.n ? "every one of the \(set.n)" : "the first \(scanned) of the \(set.n)"
                let verb = scanned == set.n ? "has" : "have"
                throw ConfigError.invalidValue(
                    key: ConfigKey.signalNoisePositiveFraction.path, value: "\(p)",
                    allowed:
                        "with it \(which) \(set.name) samples (\(set.key)) \(verb) the label \(first > 0 ? "+1" : "-1") "
                        + "at seed \(seed); the contrastive negatives and the downstream probe need both labels: "
                        + "use a fraction nearer 0.5 or more samples")
            }
        }
    }
}
