// Training/Config.swift — the run configuration: every knob of a training run, its JSON
// schema (snake_case keys), defaults that form the embedded default experiment, and
// validation with messages that say which key is wrong and what is allowed. A key with a
// closed set of values is an enum (`ConfigChoice`): the loader refuses anything else by name.
import Foundation
import InfoMax
import RunRecords

/// A config value from a closed set of names (its raw values): the loader finds such keys by
/// their type and refuses any other value, naming the key, the value and the allowed names.
public protocol ConfigChoice: Codable, Sendable {
    /// The allowed values, in declaration order.
    static var names: [String] { get }
}

extension ConfigChoice where Self: CaseIterable & RawRepresentable, Self.RawValue == String {
    public static var names: [String] { allCases.map(\.rawValue) }
}

// DataModelKind and ModalityMode are defined in RunRecords (summary.json is written in them);
// here they become config choices.
extension DataModelKind: ConfigChoice {}
extension ModalityMode: ConfigChoice {}

/// The training objective.
public enum LossKind: String, Codable, CaseIterable, Sendable, ConfigChoice {
    case infonce = "infonce"
    case positiveOnly = "positive-only"
    case spectral = "spectral"
    /// SigLIP's pairwise sigmoid loss (scale `loss.sigmoid_scale`, bias `loss.sigmoid_bias`).
    case sigmoid = "sigmoid"
}

/// The learning-rate schedule.
public enum LearningRateSchedule: String, Codable, CaseIterable, Sendable, ConfigChoice {
    /// The same rate at every step.
    case constant
    /// Cosine decay from the rate to 0 at the last step.
    case cosine
}

/// Which candidates are an anchor's negatives, as configured: InfoMax's `NegativeSet`, or
/// the model's own default.
public enum NegativesChoice: String, Codable, CaseIterable, Sendable, ConfigChoice {
    /// Opposite-label for a model whose samples carry labels by default (signal-noise), all
    /// others for the rest.
    case auto
    /// The samples of the other label (the paper's form).
    case oppositeLabel = "opposite-label"
    /// Every other sample.
    case all

    /// The negative set a loss uses; `labelledByDefault` is true for signal-noise.
    public func negativeSet(labelledByDefault: Bool) -> NegativeSet {
        switch self {
        case .oppositeLabel: return .oppositeLabel
        case .all: return .allOthers
        case .auto: return labelledByDefault ? .oppositeLabel : .allOthers
        }
    }
}

/// How the two directions of the symmetric multi-modal loss combine, as configured: InfoMax's
/// `SymmetricReduction`, or the model's own default.
public enum LossReductionChoice: String, Codable, CaseIterable, Sendable, ConfigChoice {
    /// sum for a model whose loss is Huang et al.'s (signal-noise), mean for the rest.
    case auto
    /// L(h→g) + L(g→h): Huang et al.'s eq. 9.
    case sum
    /// ½ [L(h→g) + L(g→h)]: CLIP's convention.
    case mean

    /// The reduction a loss uses; `labelledByDefault` is true for signal-noise (the paper's model).
    public func reduction(labelledByDefault: Bool) -> SymmetricReduction {
        switch self {
        case .sum: return .sum
        case .mean: return .mean
        case .auto: return labelledByDefault ? .sum : .mean
        }
    }
}

extension SimilarityKind: ConfigChoice {}
extension CandidateExchange: ConfigChoice {}
extension LossReduceScatter: ConfigChoice {}

/// The single-modal positive view of a co-occurrence sample (see `CooccurrenceConfig.positives`).
public enum CooccurrencePositives: String, Codable, CaseIterable, Sendable, ConfigChoice {
    case latentClass = "class"
    case augmentation
    case resampled
    case guided
}

extension NegativeDrop: ConfigChoice {}
extension PositiveDrop: ConfigChoice {}

/// Whether a rank keeps the samples it generated (see `DataConfig.cache`).
public enum DataCacheChoice: String, Codable, CaseIterable, Sendable, ConfigChoice {
    case auto, on, off
}

/// The optimizer applied identically on every rank after the gradient all-reduce.
public struct OptimizerConfig: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable, ConfigChoice { case sgd, adam }
    public var kind: Kind = .sgd
    public var learningRate: Double = 0.01
    /// SGD momentum (0 = plain gradient descent, the papers' setting).
    public var momentum: Double = 0
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var epsilon: Double = 1e-8
    public var weightDecay: Double = 0
    /// Learning-rate schedule: constant, or cosine (decays to 0 at the last step).
    public var schedule: LearningRateSchedule = .constant
    public init() {}
}

/// The contrastive loss's options (see InfoMax's ContrastiveLoss).
public struct LossConfig: Codable, Equatable, Sendable {
    public var kind: LossKind = .infonce
    /// Temperature τ > 0. The paper does not give it; 0.1 (with σ₀ = 0.01) reproduces its
    /// Figure 1: multi-modal test accuracy 1.0, single-modal near chance.
    public var temperature: Double = 0.1
    /// dot (the paper's un-normalised similarity) or cosine.
    public var similarity: SimilarityKind = .dot
    /// opposite-label (the paper: negatives are the samples of the other label), all (every
    /// other sample), or auto: opposite-label for signal-noise, all for the others.
    public var negatives: NegativesChoice = .auto
    /// Stop-gradient on the second argument of the similarity (the paper's form).
    public var stopGradient: Bool = true
    /// Patch-wise similarity Σ_p ⟨h(x^(p)), h(x'^(p))⟩ (the paper) instead of summed embeddings.
    public var patchwise: Bool = true
    /// Similarity scale; 0 means 1/m (the paper's 1/m with m neurons).
    public var scale: Double = 0
    /// Multi-modal: both directions (image→text and text→image), combined by `reduction`.
    public var symmetric: Bool = true
    /// How the two directions of the symmetric loss combine: sum (Huang et al.'s eq. 9), mean
    /// (CLIP), or auto: sum for signal-noise, mean for the others. Ignored with one direction.
    public var reduction: LossReductionChoice = .auto
    /// How ranks exchange the candidate embeddings: allgather (one all-gather of all N
    /// candidates, one reduce-scatter of their gradients; fastest on few ranks) or ring
    /// (blocks travel rank to rank, overlapped with the logits gemms; a rank never holds all
    /// N candidates). Same loss to float rounding; not part of a checkpoint's fingerprint.
    public var exchange: CandidateExchange = .allgather
    /// Which reduce-scatter sums the candidates' gradient over ranks after an all-gather
    /// exchange: mpi (the MPI library's MPI_Reduce_scatter, its algorithm chosen for the
    /// machine; equal at every rank count to float rounding, bit for bit at 1 and 2 ranks) or
    /// ring (the project's ring: the same bits whatever MPI library runs it). Not part of a
    /// checkpoint's fingerprint.
    public var reduceScatter: LossReduceScatter = .mpi
    /// Sigmoid loss: the scale t > 0 of the similarity in every logit (SigLIP's initialisation 10;
    /// the starting value when learned).
    public var sigmoidScale: Double = 10
    /// Sigmoid loss: the bias β of every logit (SigLIP's initialisation −10).
    public var sigmoidBias: Double = -10
    /// Sigmoid loss: learn t, through log t as SigLIP does (t = e^{t'} stays positive).
    public var learnScale: Bool = false
    /// Sigmoid loss: learn β.
    public var learnBias: Bool = false
    /// InfoNCE: learn the temperature as CLIP does — the parameter is log(1/τ) (the logit scale),
    /// started from `temperature` (CLIP starts at 1/0.07) and 1/τ clamped at 100 after each update.
    public var learnTemperature: Bool = false
    public init() {}
}

/// The encoders' shape.
public struct EncoderConfig: Codable, Equatable, Sendable {
    /// Hidden neurons m of the ReLU network (signal-noise), or embedding width k (linear encoders).
    public var width: Int = 50
    /// Standard deviation σ₀ of the Gaussian initialisation.
    public var initScale: Double = 0.01
    public init() {}
}

/// Parameters of the signal-noise model (Huang et al. 2024); names as in the paper.
public struct SignalNoiseConfig: Codable, Equatable, Sendable {
    /// Dimension d of each patch.
    public var d: Int = 2000
    /// ‖μ‖ of the image signal (used when `snr` is 0).
    public var signalNorm: Double = 5
    /// If > 0, sets ‖μ‖ = snr · σ_p · √d instead of `signal_norm`.
    public var snr: Double = 0
    /// Noise standard deviation σ_p of the image patch.
    public var sigmaP: Double = 1
    /// ‖ν‖ of the text signal (second modality).
    public var textSignalNorm: Double = 15
    /// Noise standard deviation of the text patch.
    public var textSigma: Double = 1
    /// ‖ν_test‖ of the out-of-distribution downstream test signal (along μ).
    public var testSignalNorm: Double = 2
    /// Standard deviation of the single-modal augmentation noise ε (0.1 ⇒ variance 0.01).
    public var augmentationSigma: Double = 0.1
    /// Probability of label +1.
    public var positiveFraction: Double = 0.5
    /// Project the noise orthogonal to μ — a deviation from the paper, whose noise (eq. 1) is
    /// ξ ~ N(0, σ_p² I), not projected; false (the paper's form) by default.
    public var projectNoise: Bool = false
    public init() {}
}

/// Parameters of the latent-linear model (Ren & Li 2023).
public struct LatentLinearConfig: Codable, Equatable, Sendable {
    /// Latent dimension r.
    public var latentDim: Int = 8
    /// Geometric decay of the latent covariance spectrum λ_j = decay^j (non-isotropic: < 1).
    public var decay: Double = 0.5
    /// Dimensions of the two views.
    public var d1: Int = 32
    public var d2: Int = 32
    /// Observation noise standard deviation.
    public var noiseSigma: Double = 0.05
    /// Which features the downstream probe is fitted and scored on.
    public var probe: LatentProbe = .sameView
    public init() {}
}

/// The features of the latent-linear model's downstream probe (it decodes the sign of the
/// weakest latent direction).
public enum LatentProbe: String, Codable, CaseIterable, Sendable, ConfigChoice {
    /// Fitted and scored on the first view's features f1(x1). A random projection of a
    /// low-noise view already holds every latent direction, so an untrained encoder scores well.
    case sameView = "same-view"
    /// Fitted on f1(x1), scored on the SECOND view's features f2(x2) of the test samples: two
    /// independently initialised encoders give unrelated features (chance), so the score
    /// measures only what training aligned across the views.
    case crossView = "cross-view"
}

/// Parameters of the co-occurrence model (Zhang et al. 2023).
public struct CooccurrenceConfig: Codable, Equatable, Sendable {
    public var classes: Int = 5
    public var imageVocabulary: Int = 40
    public var textVocabulary: Int = 20
    /// Probability mass an image token leaks outside its class (less consistent).
    public var imageLeak: Double = 0.3
    /// Probability mass a text token leaks outside its class (more consistent).
    public var textLeak: Double = 0.05
    /// Single-modal positives x' for sample i (multi-modal always pairs the image with its text):
    /// "class" — a fresh image token of i's latent class (an oracle view);
    /// "augmentation" — a local augmentation of i's own image token: kept with probability
    ///   `augmentation_keep`; else, with probability `augmentation_consistency`, a random token of
    ///   the same owner class (a semantic change), otherwise an adjacent token t ± 1 in the
    ///   vocabulary's order (an appearance change that ignores the class);
    /// "resampled" — the image token of another training sample with the same text token
    ///   (pseudo-positive pairs induced by text, which multi-modal CL uses implicitly) with
    ///   probability `resample_fraction`, else the "augmentation" view (the CLIP-guided recipe:
    ///   resampled pairs replace part of the augmented ones). An ORACLE: it uses the data model's
    ///   ground truth (which samples share a text token), which no real pipeline has;
    /// "guided" — Zhang et al.'s own recipe ("AddNewPositive"): the "augmentation" view, plus,
    ///   as an extra positive, the view of the anchor's nearest neighbour in the global batch
    ///   under the frozen image encoder of a multi-modal run of the same config (trained first:
    ///   handed over by mode = compare, else trained by the run itself); samples with the
    ///   anchor's own image token are not neighbours (the same image). Loss ½ (plain + with the
    ///   neighbour's view as the positive, the own view then a negative).
    public var positives: CooccurrencePositives = .latentClass
    /// Single-modal: candidates dropped from each anchor's negatives by the same frozen guide
    /// (cosine similarity of the guide's image embeddings over the global batch, ties by index):
    /// "none"; "false-negatives" — the `false_negative_fraction` most similar ("DropFalseNegative");
    /// "easy-negatives" — the `easy_negative_fraction` least similar ("DropEasyNegative").
    /// ⌊fraction · (B − 1)⌋ of the B − 1 other candidates. Needs loss.negatives all (or auto).
    /// With a guide the loss all-gathers the candidates whatever `loss.exchange` says.
    public var negativesDrop: NegativeDrop = .none
    /// "false-negatives": fraction of the other candidates dropped, in [0, 1) (authors: 5 %).
    public var falseNegativeFraction: Double = 0.05
    /// "easy-negatives": fraction of the other candidates dropped, in [0, 1) (authors: 10 %).
    public var easyNegativeFraction: Double = 0.1
    /// Single-modal: positive pairs dropped by the same frozen guide ("DropFalsePositive"):
    /// "none"; "false-positives" — the `false_positive_fraction` of the global batch's pairs
    /// whose anchor and positive view the guide finds least similar (cosine of the guide's image
    /// embeddings, ties by index; chosen every step, the views being fresh) lose their positive
    /// term: an InfoNCE row is dropped, a spectral row keeps its negatives.
    public var positivesDrop: PositiveDrop = .none
    /// "false-positives": fraction of the B positive pairs dropped, in [0, 1) (authors: 10 %).
    public var falsePositiveFraction: Double = 0.1
    /// The guide from a run folder instead: a finished multi-modal co-occurrence run (or a
    /// compare run: its points/multi-modal) whose image encoder was saved as image-encoder.json.
    /// Empty: the compare run's multi-modal encoder, or a multi-modal run trained first.
    public var guideRun: String = ""
    /// "augmentation" positives: probability the augmented view keeps the image token, in [0, 1).
    public var augmentationKeep: Double = 0.5
    /// "augmentation" positives: probability a changed view stays in the token's class, in [0, 1].
    public var augmentationConsistency: Double = 0.5
    /// "resampled" positives: fraction of positives taken from a sample sharing the text token, in [0, 1].
    public var resampleFraction: Double = 0.5
    public init() {}

    /// Whether single-modal training needs the frozen guide (guided positives or a drop).
    public var needsGuide: Bool { positives == .guided || negativesDrop != .none || positivesDrop != .none }
    /// The fraction of candidates `negativesDrop` removes.
    public var dropFraction: Double {
        negativesDrop == .falseNegatives
            ? falseNegativeFraction : negativesDrop == .easyNegatives ? easyNegativeFraction : 0
    }
}

/// How a rank produces its training samples.
public struct DataConfig: Codable, Equatable, Sendable {
    /// auto or on: a rank keeps the samples (and labels) it generated and reuses them while
    /// a step asks for the same samples again — with the full batch (the papers' setting) the
    /// fixed training shard is generated once, in the buffers a step uses anyway (no extra
    /// memory); mini-batches of changing samples are generated per step. off: regenerate
    /// every step. Samples are a pure function of (seed, index): the results are bit-identical.
    /// (Single-modal augmentations are fresh every step either way.)
    public var cache: DataCacheChoice = .auto
    public init() {}
}

/// How ranks sum the gradient.
public struct GradientConfig: Codable, Equatable, Sendable {
    /// mpi (the MPI library's all-reduce, its algorithm chosen for the machine; equal at every
    /// rank count to float rounding) or ring (the project's ring: bit-identical sums whatever
    /// MPI library runs it). Not part of a checkpoint's fingerprint.
    public var allreduce: GradientAllreduce = .mpi
    public init() {}
}

/// A complete training run.
public struct TrainConfig: Codable, Equatable, Sendable {
    public var name: String = "default"
    public var model: DataModelKind = .signalNoise
    public var mode: ModalityMode = .compare
    public var seed: UInt64 = 1
    /// Gradient steps (full-batch: one step = one epoch).
    public var steps: Int = 200
    /// Training samples n.
    public var trainSamples: Int = 100
    /// Global mini-batch size; 0 = full batch (all n, the papers' setting).
    public var batchSize: Int = 0
    /// Fresh labelled samples for fitting the downstream probe.
    public var probeTrainSamples: Int = 200
    /// Fresh labelled samples for the probe's test accuracy.
    public var testSamples: Int = 200
    public var optimizer = OptimizerConfig()
    public var loss = LossConfig()
    public var encoder = EncoderConfig()
    public var signalNoise = SignalNoiseConfig()
    public var latentLinear = LatentLinearConfig()
    public var cooccurrence = CooccurrenceConfig()
    public var colored = ColoredConfig()
    public var data = DataConfig()
    public var gradient = GradientConfig()
    /// Log metrics every K steps (and at the first and last step).
    public var logEvery: Int = 10
    /// Downstream evaluation every K steps, on logged steps (0: only at the end). The probe is
    /// cheap (a few hundred fresh samples), so accuracy curves come by default.
    public var evalEvery: Int = 50
    /// Checkpoint every K steps (0: only on a signal).
    public var checkpointEvery: Int = 0
    /// Training samples the per-step diagnostics average over (noise memorization): when n is
    /// larger, a fixed random subset of this many (with its standard error in the metrics);
    /// 0 = always all n (exact, O(n / P) per logged step).
    public var diagnosticsSamples: Int = 4096
    /// Rank 0 also checkpoints when this many minutes passed since the last checkpoint (0:
    /// off). Bounds the work lost to a kill -9 or a lost node; written from the last completed
    /// step by a helper thread, so the training loop does not wait for it.
    public var checkpointMinutes: Double = 10
    /// Stall watchdog: a rank that waits this many seconds in one collective without progress
    /// prints where it waits and ends the job (exit 74). 0: max(60 s, 20 × the median step time).
    public var stallTimeoutSeconds: Double = 0
    public init() {}
}
