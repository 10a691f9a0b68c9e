// Training/ConfigKeys.swift — THE table of config keys: every key of `TrainConfig` once, with
// its path, type, allowed values and one doc line (the default is the struct's own). The
// loader, --print-config, `infomax info --config-keys-markdown` (docs/config-keys.md), the
// validation messages and the property tests all read it; a key string is written here only.
import Foundation

extension ConfigKey {
    // The run.
    public static let name = text(
        "name", \.name,
        allowed: "a non-empty name without '/' or control characters, not '.' or '..' "
            + "(it names the folder runs/<name>)",
        range: { name in
            !name.isEmpty && !name.contains("/") && name != "." && name != ".."
                && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
        },
        "The run's name; the default output folder is runs/<name>.")
    public static let model = choice(
        "model", \.model,
        "The data model: signal-noise (Huang et al.), latent-linear (Ren & Li), cooccurrence (Zhang et al.), "
            + "colored (Huang et al.'s Table 1).")
    public static let mode = choice(
        "mode", \.mode,
        "One modality, or compare: multi-modal then single-modal, side by side.")
    public static let seed = unsigned(
        "seed", \.seed, allowed: "0 to 2^64-1",
        "Random seed of data, initialisation and augmentation.")
    public static let steps = integer(
        "steps", \.steps, minimum: 1, allowed: "at least 1",
        range: { $0 >= 1 },
        "Gradient steps (full batch: one step = one epoch).")
    public static let trainSamples = integer(
        "train_samples", \.trainSamples, minimum: 1, allowed: "at least 1",
        range: { $0 >= 1 },
        "Training samples n (at least one per rank).")
    public static let batchSize = integer(
        "batch_size", \.batchSize, minimum: 0,
        allowed: "0 (full batch) or between the number of ranks and train_samples",
        "Global mini-batch size; 0 = full batch (all n, the papers' setting).")
    public static let probeTrainSamples = integer(
        "probe_train_samples", \.probeTrainSamples, minimum: 2, allowed: "at least 2 and at least the number of ranks",
        "Fresh labelled samples for fitting the downstream probe.")
    public static let testSamples = integer(
        "test_samples", \.testSamples, minimum: 1, allowed: "at least 1 and at least the number of ranks",
        "Fresh labelled samples for the probe's test accuracy.")
    public static let logEvery = integer(
        "log_every", \.logEvery, minimum: 1, allowed: "at least 1",
        range: { $0 >= 1 },
        "Log metrics every K steps (and at the first and last step).")
    public static let evalEvery = integer(
        "eval_every", \.evalEvery, minimum: 0, allowed: "0 (only at the end) or a positive step interval",
        range: { $0 >= 0 },
        "Downstream evaluation every K steps, on logged steps.")
    public static let checkpointEvery = integer(
        "checkpoint_every", \.checkpointEvery, minimum: 0, allowed: "0 (only on a signal) or a positive step interval",
        range: { $0 >= 0 },
        "Checkpoint every K steps.")
    public static let diagnosticsSamples = integer(
        "diagnostics_samples", \.diagnosticsSamples, minimum: Int.min,
        allowed: "0 (every training sample, exact) or the size of the fixed evaluation subset, e.g. 4096",
        range: { $0 >= 0 },
        "Training samples the per-step diagnostics average over (a fixed random subset when n is larger).")
    public static let checkpointMinutes = real(
        "checkpoint_minutes", \.checkpointMinutes,
        allowed: "0 (no time-based checkpoints) or a positive number of minutes",
        range: { $0 >= 0 && $0.isFinite },
        "Rank 0 also checkpoints when this many minutes passed since the last checkpoint.")
    public static let stallTimeoutSeconds = real(
        "stall_timeout_seconds", \.stallTimeoutSeconds,
        allowed: "0 (the default rule: max(60 s, 20 × the median step)) or a positive number of seconds",
        range: { $0 >= 0 && $0.isFinite },
        "A rank waiting this long in one collective ends the job (exit 74).")

    // optimizer
    public static let optimizerKind = choice(
        "optimizer.kind", \.optimizer.kind,
        "The optimizer, applied alike on every rank after the all-reduce.")
    public static let optimizerLearningRate = real(
        "optimizer.learning_rate", \.optimizer.learningRate, allowed: "a positive number",
        range: { $0 > 0 && $0.isFinite },
        "Learning rate.")
    public static let optimizerMomentum = real(
        "optimizer.momentum", \.optimizer.momentum, allowed: "in [0, 1)",
        range: { (0..<1).contains($0) },
        "SGD momentum (0 = plain gradient descent, the papers' setting).")
    public static let optimizerBeta1 = real(
        "optimizer.beta1", \.optimizer.beta1, allowed: "in [0, 1)",
        range: { (0..<1).contains($0) },
        "Adam's β₁.")
    public static let optimizerBeta2 = real(
        "optimizer.beta2", \.optimizer.beta2, allowed: "in [0, 1)",
        range: { (0..<1).contains($0) },
        "Adam's β₂.")
    public static let optimizerEpsilon = real(
        "optimizer.epsilon", \.optimizer.epsilon, allowed: "a positive number",
        range: { $0 > 0 },
        "Adam's ε.")
    public static let optimizerWeightDecay = real(
        "optimizer.weight_decay", \.optimizer.weightDecay, allowed: "0 or a positive number",
        range: { $0 >= 0 },
        "Weight decay.")
    public static let optimizerSchedule = choice(
        "optimizer.schedule", \.optimizer.schedule,
        "Learning-rate schedule: constant, or cosine decay to 0 at the last step.")

    // loss
    public static let lossKind = choice(
        "loss.kind", \.loss.kind,
        "The training objective.")
    public static let lossTemperature = real(
        "loss.temperature", \.loss.temperature, allowed: "τ > 0",
        range: { $0 > 0 && $0.isFinite },
        "Temperature τ of the InfoNCE loss.")
    public static let lossSimilarity = choice(
        "loss.similarity", \.loss.similarity,
        "dot (the paper's un-normalised similarity) or cosine.")
    public static let lossNegatives = choice(
        "loss.negatives", \.loss.negatives,
        "An anchor's negatives; auto: opposite-label for signal-noise, all for the others.")
    public static let lossStopGradient = boolean(
        "loss.stop_gradient", \.loss.stopGradient,
        "Stop-gradient on the second argument of the similarity (the paper's form).")
    public static let lossPatchwise = boolean(
        "loss.patchwise", \.loss.patchwise,
        "Patch-wise similarity (the paper) instead of summed embeddings.")
    public static let lossScale = real(
        "loss.scale", \.loss.scale, allowed: "0 (meaning 1/m) or a positive number",
        range: { $0 >= 0 && $0.isFinite },
        "Similarity scale; 0 means 1/m with m neurons (the paper).")
    public static let lossSymmetric = boolean(
        "loss.symmetric", \.loss.symmetric,
        "Multi-modal: both directions (image→text and text→image).")
    public static let lossReduction = choice(
        "loss.reduction", \.loss.reduction,
        "How the two directions combine: sum (Huang et al.'s eq. 9), mean (CLIP); auto: sum for signal-noise, "
            + "mean for the others.")
    public static let lossExchange = choice(
        "loss.exchange", \.loss.exchange,
        "How ranks exchange the candidate embeddings: one all-gather, or blocks around a ring.")
    public static let lossReduceScatter = choice(
        "loss.reduce_scatter", \.loss.reduceScatter,
        "Candidates' gradient sum over ranks (all-gather exchange): the MPI library's reduce-scatter, or the "
            + "project's ring (bit-reproducible).")
    public static let lossSigmoidScale = real(
        "loss.sigmoid_scale", \.loss.sigmoidScale, allowed: "t > 0",
        range: { $0 > 0 && $0.isFinite },
        "Sigmoid loss: scale t of the similarity in every logit (SigLIP: 10); the start when learned.")
    public static let lossSigmoidBias = real(
        "loss.sigmoid_bias", \.loss.sigmoidBias, allowed: "a finite number",
        range: { $0.isFinite },
        "Sigmoid loss: bias b of every logit (SigLIP: -10); the start when learned.")
    public static let lossLearnScale = boolean(
        "loss.learn_scale", \.loss.learnScale,
        "Sigmoid loss: learn the scale t (as log t, like SigLIP), summed over ranks, in checkpoints.")
    public static let lossLearnBias = boolean(
        "loss.learn_bias", \.loss.learnBias,
        "Sigmoid loss: learn the bias b, summed over ranks, in checkpoints.")
    public static let lossLearnTemperature = boolean(
        "loss.learn_temperature", \.loss.learnTemperature,
        "InfoNCE: learn log(1/τ) (CLIP), started at 1/loss.temperature (CLIP: 1/0.07), 1/τ clamped at 100.")

    // encoder
    public static let encoderWidth = integer(
        "encoder.width", \.encoder.width, minimum: 1, allowed: "at least 1",
        range: { $0 >= 1 },
        "Hidden neurons m (signal-noise), or embedding width k (linear encoders).")
    public static let encoderInitScale = real(
        "encoder.init_scale", \.encoder.initScale, allowed: "σ₀ > 0",
        range: { $0 > 0 && $0.isFinite },
        "Standard deviation σ₀ of the Gaussian initialisation.")

    // signal_noise
    public static let signalNoiseD = integer(
        "signal_noise.d", \.signalNoise.d, minimum: 2, allowed: "at least 2",
        range: { $0 >= 2 },
        "Dimension d of each patch.")
    public static let signalNoiseSignalNorm = real(
        "signal_noise.signal_norm", \.signalNoise.signalNorm, allowed: "‖μ‖ ≥ 0",
        range: { $0 >= 0 },
        "‖μ‖ of the image signal (used when snr is 0).")
    public static let signalNoiseSNR = real(
        "signal_noise.snr", \.signalNoise.snr, allowed: "0 (use signal_norm) or a positive SNR",
        range: { $0 >= 0 },
        "If > 0, sets ‖μ‖ = snr · σ_p · √d instead of signal_norm.")
    public static let signalNoiseSigmaP = real(
        "signal_noise.sigma_p", \.signalNoise.sigmaP, allowed: "σ_p > 0",
        range: { $0 > 0 },
        "Noise standard deviation σ_p of the image patch.")
    public static let signalNoiseTextSignalNorm = real(
        "signal_noise.text_signal_norm", \.signalNoise.textSignalNorm, allowed: "‖ν‖ ≥ 0",
        range: { $0 >= 0 },
        "‖ν‖ of the text signal (second modality).")
    public static let signalNoiseTextSigma = real(
        "signal_noise.text_sigma", \.signalNoise.textSigma, allowed: "a positive noise level",
        range: { $0 > 0 },
        "Noise standard deviation of the text patch.")
    public static let signalNoiseTestSignalNorm = real(
        "signal_noise.test_signal_norm", \.signalNoise.testSignalNorm, allowed: "≥ 0",
        range: { $0 >= 0 },
        "‖ν_test‖ of the out-of-distribution downstream test signal (along μ).")
    public static let signalNoiseAugmentationSigma = real(
        "signal_noise.augmentation_sigma", \.signalNoise.augmentationSigma, allowed: "≥ 0",
        range: { $0 >= 0 },
        "Standard deviation of the single-modal augmentation noise ε.")
    public static let signalNoisePositiveFraction = real(
        "signal_noise.positive_fraction", \.signalNoise.positiveFraction, allowed: "in (0, 1)",
        range: { $0 > 0 && $0 < 1 },
        "Probability of label +1.")
    public static let signalNoiseProjectNoise = boolean(
        "signal_noise.project_noise", \.signalNoise.projectNoise,
        "Project the noise orthogonal to μ: a deviation from the paper (its ξ ~ N(0, σ_p² I) is not projected).")

    // latent_linear
    public static let latentLinearLatentDim = integer(
        "latent_linear.latent_dim", \.latentLinear.latentDim, minimum: 1, allowed: "at least 1",
        range: { $0 >= 1 },
        "Latent dimension r.")
    public static let latentLinearDecay = real(
        "latent_linear.decay", \.latentLinear.decay, allowed: "in (0, 1]",
        range: { $0 > 0 && $0 <= 1 },
        "Geometric decay of the latent covariance spectrum λ_j = decay^j.")
    public static let latentLinearD1 = integer(
        "latent_linear.d1", \.latentLinear.d1, minimum: 1, allowed: "at least latent_dim",
        "Dimension of the first view.")
    public static let latentLinearD2 = integer(
        "latent_linear.d2", \.latentLinear.d2, minimum: 1, allowed: "at least latent_dim",
        "Dimension of the second view.")
    public static let latentLinearNoiseSigma = real(
        "latent_linear.noise_sigma", \.latentLinear.noiseSigma, allowed: "≥ 0",
        range: { $0 >= 0 },
        "Observation noise standard deviation.")
    public static let latentLinearProbe = choice(
        "latent_linear.probe", \.latentLinear.probe,
        "The features the downstream probe is fitted and scored on.")

    // cooccurrence
    public static let cooccurrenceClasses = integer(
        "cooccurrence.classes", \.cooccurrence.classes, minimum: 2, allowed: "at least 2",
        range: { $0 >= 2 },
        "Latent classes.")
    public static let cooccurrenceImageVocabulary = integer(
        "cooccurrence.image_vocabulary", \.cooccurrence.imageVocabulary, minimum: 2, allowed: "at least classes",
        "Image tokens.")
    public static let cooccurrenceTextVocabulary = integer(
        "cooccurrence.text_vocabulary", \.cooccurrence.textVocabulary, minimum: 2, allowed: "at least classes",
        "Text tokens.")
    public static let cooccurrenceImageLeak = real(
        "cooccurrence.image_leak", \.cooccurrence.imageLeak, allowed: "in [0, 1)",
        range: { (0..<1).contains($0) },
        "Probability mass an image token leaks outside its class.")
    public static let cooccurrenceTextLeak = real(
        "cooccurrence.text_leak", \.cooccurrence.textLeak, allowed: "in [0, 1)",
        range: { (0..<1).contains($0) },
        "Probability mass a text token leaks outside its class.")
    public static let cooccurrencePositives = choice(
        "cooccurrence.positives", \.cooccurrence.positives,
        "The single-modal positive view of a sample.")
    public static let cooccurrenceNegativesDrop = choice(
        "cooccurrence.negatives_drop", \.cooccurrence.negativesDrop,
        "Single-modal: candidates the frozen guide drops from the negatives.")
    public static let cooccurrenceFalseNegativeFraction = real(
        "cooccurrence.false_negative_fraction", \.cooccurrence.falseNegativeFraction, allowed: "in [0, 1)",
        range: { (0..<1).contains($0) },
        "false-negatives: fraction of the other candidates dropped.")
    public static let cooccurrenceEasyNegativeFraction = real(
        "cooccurrence.easy_negative_fraction", \.cooccurrence.easyNegativeFraction, allowed: "in [0, 1)",
        range: { (0..<1).contains($0) },
        "easy-negatives: fraction of the other candidates dropped.")
    public static let cooccurrencePositivesDrop = choice(
        "cooccurrence.positives_drop", \.cooccurrence.positivesDrop,
        "Single-modal: positive pairs the frozen guide drops (least similar: DropFalsePositive).")
    public static let cooccurrenceFalsePositiveFraction = real(
        "cooccurrence.false_positive_fraction", \.cooccurrence.falsePositiveFraction, allowed: "in [0, 1)",
        range: { (0..<1).contains($0) },
        "false-positives: fraction of the batch's positive pairs dropped.")
    public static let cooccurrenceGuideRun = text(
        "cooccurrence.guide_run", \.cooccurrence.guideRun, allowed: "empty unless the guide is used",
        "A run folder whose saved image encoder is the guide (empty: trained by the run).")
    public static let cooccurrenceAugmentationKeep = real(
        "cooccurrence.augmentation_keep", \.cooccurrence.augmentationKeep, allowed: "in [0, 1)",
        range: { (0..<1).contains($0) },
        "augmentation: probability the view keeps the image token.")
    public static let cooccurrenceAugmentationConsistency = real(
        "cooccurrence.augmentation_consistency", \.cooccurrence.augmentationConsistency, allowed: "in [0, 1]",
        range: { (0...1).contains($0) },
        "augmentation: probability a changed view stays in the token's class.")
    public static let cooccurrenceResampleFraction = real(
        "cooccurrence.resample_fraction", \.cooccurrence.resampleFraction, allowed: "in [0, 1]",
        range: { (0...1).contains($0) },
        "resampled: fraction of positives from a sample sharing the text token.")

    // colored
    public static let coloredClasses = integer(
        "colored.classes", \.colored.classes, minimum: 2, allowed: "at least 2",
        range: { $0 >= 2 },
        "Digit classes K (and colors).")
    public static let coloredD = integer(
        "colored.d", \.colored.d, minimum: 2, allowed: "at least 2 · classes",
        "Patch dimension d of the image [shape, color, noise] (3d Floats).")
    public static let coloredShapeNorm = real(
        "colored.shape_norm", \.colored.shapeNorm, allowed: "≥ 0", range: { $0 >= 0 },
        "Norm of the digit's shape vector.")
    public static let coloredColorNorm = real(
        "colored.color_norm", \.colored.colorNorm, allowed: "≥ 0", range: { $0 >= 0 },
        "Norm of the color vector.")
    public static let coloredSigmaP = real(
        "colored.sigma_p", \.colored.sigmaP, allowed: "≥ 0", range: { $0 >= 0 },
        "Standard deviation of the image's noise patch.")
    public static let coloredTextNorm = real(
        "colored.text_norm", \.colored.textNorm, allowed: "≥ 0", range: { $0 >= 0 },
        "Scale of the text's one-hots of digit and color.")
    public static let coloredAgreement = real(
        "colored.agreement", \.colored.agreement, allowed: "in [0, 1]", range: { (0...1).contains($0) },
        "Training: P(color = digit); test (swapped): P(color = digit + 1).")
    public static let coloredLabelNoise = real(
        "colored.label_noise", \.colored.labelNoise, allowed: "in [0, 1]", range: { (0...1).contains($0) },
        "P(label ≠ digit) of the training and probe-fitting labels.")
    public static let coloredTestColors = choice(
        "colored.test_colors", \.colored.testColors,
        "The out-of-distribution test set's colors: the pairing swapped, or independent.")
    public static let coloredAugmentationSigma = real(
        "colored.augmentation_sigma", \.colored.augmentationSigma, allowed: "≥ 0", range: { $0 >= 0 },
        "Single-modal augmentation noise on the shape and noise patches (the color is kept).")

    // data
    public static let dataCache = choice(
        "data.cache", \.data.cache,
        "Whether a rank keeps the samples it generated (same results).")

    // gradient
    public static let gradientAllreduce = choice(
        "gradient.allreduce", \.gradient.allreduce,
        "Gradient sum over ranks: the MPI library's all-reduce, or the project's ring (bit-reproducible).")

    /// Every key, in the order of the docs' table.
    public static let all: [ConfigKey] = [
        name, model, mode, seed, steps, trainSamples, batchSize, probeTrainSamples, testSamples, logEvery,
        evalEvery, checkpointEvery, diagnosticsSamples, checkpointMinutes, stallTimeoutSeconds,
        optimizerKind, optimizerLearningRate, optimizerMomentum, optimizerBeta1, optimizerBeta2,
        optimizerEpsilon, optimizerWeightDecay, optimizerSchedule,
        lossKind, lossTemperature, lossSimilarity, lossNegatives, lossStopGradient, lossPatchwise, lossScale,
        lossSymmetric, lossReduction, lossExchange, lossReduceScatter, lossSigmoidScale, lossSigmoidBias,
        lossLearnScale, lossLearnBias,
        lossLearnTemperature,
        encoderWidth, encoderInitScale,
        signalNoiseD, signalNoiseSignalNorm, signalNoiseSNR, signalNoiseSigmaP, signalNoiseTextSignalNorm,
        signalNoiseTextSigma, signalNoiseTestSignalNorm, signalNoiseAugmentationSigma,
        signalNoisePositiveFraction, signalNoiseProjectNoise,
        latentLinearLatentDim, latentLinearDecay, latentLinearD1, latentLinearD2, latentLinearNoiseSigma,
        latentLinearProbe,
        cooccurrenceClasses, cooccurrenceImageVocabulary, cooccurrenceTextVocabulary, cooccurrenceImageLeak,
        cooccurrenceTextLeak, cooccurrencePositives, cooccurrenceNegativesDrop,
        cooccurrenceFalseNegativeFraction, cooccurrenceEasyNegativeFraction, cooccurrencePositivesDrop,
        cooccurrenceFalsePositiveFraction, cooccurrenceGuideRun,
        cooccurrenceAugmentationKeep, cooccurrenceAugmentationConsistency, cooccurrenceResampleFraction,
        coloredClasses, coloredD, coloredShapeNorm, coloredColorNorm, coloredSigmaP, coloredTextNorm,
        coloredAgreement, coloredLabelNoise, coloredTestColors, coloredAugmentationSigma,
        dataCache, gradientAllreduce,
    ]

    /// The keys by path.
    public static let byPath: [String: ConfigKey] = Dictionary(
        all.map { ($0.path, $0) },
        uniquingKeysWith: { first, _ in first })

    /// The names one level below `prefix` ("" for the top level): its keys' and sections' last parts.
    static let childNames: [String: Set<String>] = {
        var out: [String: Set<String>] = [:]
        for key in all {
            let parts = key.path.split(separator: ".").map(String.init)
            for i in parts.indices { out[parts[..<i].joined(separator: "."), default: []].insert(parts[i]) }
        }
        return out
    }()
}
