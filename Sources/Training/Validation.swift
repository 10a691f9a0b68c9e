// Training/Validation.swift — impossible values refused before any work starts, with the
// key, the value and what is allowed (every rank validates alike, rank 0 reports). Keys with
// a closed set of values are enums, refused by the loader; the key table (ConfigKeys.swift) words what each key allows.
import InfoMax
import Synthetic

extension TrainConfig {
    /// Checks every value for a run on `ranks` ranks; throws the first problem found.
    public func validate(ranks: Int) throws {
        /// Refuses `value` of `key` unless `ok`, saying what is allowed: the table's words, or `allowed`.
        func require(_ ok: Bool, _ key: ConfigKey, _ value: Any, _ allowed: String? = nil) throws {
            if !ok { throw ConfigError.invalidValue(key: key.path, value: "\(value)", allowed: allowed ?? key.allowed) }
        }
        try require(!name.isEmpty && !name.contains("/") && name != "." && name != ".."
                    && !name.unicodeScalars.contains { $0.properties.generalCategory == .control },
                    .name, "\"\(name)\"")
        try require(steps >= 1, .steps, steps)
        try require(trainSamples >= 1, .trainSamples, trainSamples)
        try require(trainSamples >= ranks, .trainSamples, trainSamples,
                    "at least the number of ranks (\(ranks)): every rank needs a sample; use fewer ranks or more samples")
        try require(batchSize >= 0 && batchSize <= trainSamples, .batchSize, batchSize,
                    "0 (full batch) or between the number of ranks and train_samples (\(trainSamples))")
        try require(batchSize == 0 || batchSize >= ranks, .batchSize, batchSize,
                    "at least the number of ranks (\(ranks)), or 0 for full batch")
        try require(probeTrainSamples >= max(2, ranks), .probeTrainSamples, probeTrainSamples,
                    "at least 2 and at least the number of ranks (\(ranks))")
        try require(testSamples >= max(1, ranks), .testSamples, testSamples, "at least 1 and at least the number of ranks (\(ranks))")
        try require(logEvery >= 1, .logEvery, logEvery)
        try require(evalEvery >= 0, .evalEvery, evalEvery)
        try require(diagnosticsSamples >= 0, .diagnosticsSamples, diagnosticsSamples)
        try require(checkpointEvery >= 0, .checkpointEvery, checkpointEvery)
        try require(checkpointMinutes >= 0 && checkpointMinutes.isFinite, .checkpointMinutes, checkpointMinutes)
        try require(stallTimeoutSeconds >= 0 && stallTimeoutSeconds.isFinite, .stallTimeoutSeconds, stallTimeoutSeconds)

        try require(optimizer.learningRate > 0 && optimizer.learningRate.isFinite, .optimizerLearningRate,
                    optimizer.learningRate)
        try require((0..<1).contains(optimizer.momentum), .optimizerMomentum, optimizer.momentum)
        try require((0..<1).contains(optimizer.beta1), .optimizerBeta1, optimizer.beta1)
        try require((0..<1).contains(optimizer.beta2), .optimizerBeta2, optimizer.beta2)
        try require(optimizer.epsilon > 0, .optimizerEpsilon, optimizer.epsilon)
        try require(optimizer.weightDecay >= 0, .optimizerWeightDecay, optimizer.weightDecay)

        try require(loss.temperature > 0 && loss.temperature.isFinite, .lossTemperature, loss.temperature)
        try require(!(model == .latentLinear && loss.negatives == .oppositeLabel), .lossNegatives, "\"opposite-label\"",
                    "latent-linear samples have no labels: use \"all\" or \"auto\"")
        try require(!(model == .latentLinear && mode != .multiModal), .mode, "\"\(mode.rawValue)\"",
                    "latent-linear has two views of one latent and trains multi-modal only: set mode = \"multi-modal\"")
        try require(loss.scale >= 0 && loss.scale.isFinite, .lossScale, loss.scale)

        try require(encoder.width >= 1, .encoderWidth, encoder.width)
        try require(encoder.initScale > 0 && encoder.initScale.isFinite, .encoderInitScale, encoder.initScale)

        switch model {
        case .signalNoise:
            let s = signalNoise
            try require(s.d >= 2, .signalNoiseD, s.d)
            try require(s.sigmaP > 0, .signalNoiseSigmaP, s.sigmaP)
            try require(s.snr >= 0, .signalNoiseSNR, s.snr)
            try require(s.signalNorm >= 0, .signalNoiseSignalNorm, s.signalNorm)
            try require(s.textSignalNorm >= 0, .signalNoiseTextSignalNorm, s.textSignalNorm)
            try require(s.textSigma > 0, .signalNoiseTextSigma, s.textSigma)
            try require(s.testSignalNorm >= 0, .signalNoiseTestSignalNorm, s.testSignalNorm)
            try require(s.augmentationSigma >= 0, .signalNoiseAugmentationSigma, s.augmentationSigma)
            try require(s.positiveFraction > 0 && s.positiveFraction < 1, .signalNoisePositiveFraction,
                        s.positiveFraction)
            try requireBothLabels()
        case .latentLinear:
            let l = latentLinear
            try require(l.latentDim >= 1, .latentLinearLatentDim, l.latentDim)
            try require(l.d1 >= l.latentDim, .latentLinearD1, l.d1, "at least latent_dim (\(l.latentDim))")
            try require(l.d2 >= l.latentDim, .latentLinearD2, l.d2, "at least latent_dim (\(l.latentDim))")
            try require(l.decay > 0 && l.decay <= 1, .latentLinearDecay, l.decay)
            try require(l.noiseSigma >= 0, .latentLinearNoiseSigma, l.noiseSigma)
        case .cooccurrence:
            let c = cooccurrence
            try require(c.classes >= 2, .cooccurrenceClasses, c.classes)
            try require(c.imageVocabulary >= c.classes, .cooccurrenceImageVocabulary, c.imageVocabulary,
                        "at least classes (\(c.classes))")
            try require(c.textVocabulary >= c.classes, .cooccurrenceTextVocabulary, c.textVocabulary,
                        "at least classes (\(c.classes))")
            try require((0..<1).contains(c.imageLeak), .cooccurrenceImageLeak, c.imageLeak)
            try require((0..<1).contains(c.textLeak), .cooccurrenceTextLeak, c.textLeak)
            try require((0..<1).contains(c.augmentationKeep), .cooccurrenceAugmentationKeep, c.augmentationKeep)
            try require((0...1).contains(c.augmentationConsistency), .cooccurrenceAugmentationConsistency,
                        c.augmentationConsistency)
            try require((0...1).contains(c.resampleFraction), .cooccurrenceResampleFraction, c.resampleFraction)
            try require((0..<1).contains(c.falseNegativeFraction), .cooccurrenceFalseNegativeFraction,
                        c.falseNegativeFraction)
            try require((0..<1).contains(c.easyNegativeFraction), .cooccurrenceEasyNegativeFraction,
                        c.easyNegativeFraction)
            try require(c.guideRun.isEmpty || c.needsGuide, .cooccurrenceGuideRun, "\"\(c.guideRun)\"",
                        "empty unless cooccurrence.positives = \"guided\" or a cooccurrence.negatives_drop uses the guide")
            if c.needsGuide && mode != .multiModal {
                let what = c.positives == .guided ? "cooccurrence.positives = \"guided\"" : "cooccurrence.negatives_drop = \"\(c.negativesDrop.rawValue)\""
                try require(loss.negatives != .oppositeLabel, .lossNegatives, "\"opposite-label\"",
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
            for i in 1..<scanned where (try? data.label(of: i)) != first { mixed = true; break }
            if !mixed {
                let which = scanned == set.n ? "every one of the \(set.n)" : "the first \(scanned) of the \(set.n)"
                let verb = scanned == set.n ? "has" : "have"
                throw ConfigError.invalidValue(
                    key: ConfigKey.signalNoisePositiveFraction.path, value: "\(p)",
                    allowed: "with it \(which) \(set.name) samples (\(set.key)) \(verb) the label \(first > 0 ? "+1" : "-1") "
                        + "at seed \(seed); the contrastive negatives and the downstream probe need both labels: "
                        + "use a fraction nearer 0.5 or more samples")
            }
        }
    }
}
