// RunSummary: summary.json of a run folder — how a run ended and its final figures (the short
// form an error leaves is FailedRun; SummaryFile reads either).
import Foundation

/// How a run ended, and its final figures (summary.json).
public struct RunSummary: Codable, Sendable, Equatable {
    /// The file's name in a run folder.
    public static let file = "summary.json"

    public var name: String
    public var model: DataModelKind
    public var mode: ModalityMode
    public var loss: String
    public var seed: UInt64
    public var status: RunStatus
    public var stepsCompleted: Int
    public var stepsPlanned: Int
    public var ranks: Int
    public var finalLoss: Double?
    public var trainAccuracy: Double?
    public var testAccuracy: Double?
    public var signalLearning: Double?
    public var noiseMemorization: Double?
    /// Standard error of `noiseMemorization` (0 when exact over all n samples).
    public var noiseMemorizationSe: Double?
    /// Training samples the sample-based diagnostics averaged over (n = exact).
    public var diagnosticsSamples: Int?
    public var conditionNumber: Double?
    public var subspaceAlignment: Double?
    public var wallSeconds: Double
    public var secondsPerStep: Double
    public var computeSeconds: Double
    public var communicationSeconds: Double
    /// Of `computeSeconds`, the time spent on logged rows (diagnostics, evaluation, writing).
    public var loggingSeconds: Double?
    public var resumedFromStep: Int?
    /// Why a run stopped early (signal, stall, dead launcher); absent for completed runs.
    public var stopReason: String?
    /// The sigmoid loss's final scale t and bias b (learned or fixed); absent for other losses.
    public var sigmoidScale: Double?, sigmoidBias: Double?
    /// The learned InfoNCE temperature τ at the end; absent unless loss.learn_temperature.
    public var temperature: Double?
    /// Huang et al.'s predicted first-stage length T₁ (signal-noise runs; absent in older files).
    public var t1Predicted: T1Prediction?
    /// Co-occurrence runs: Zhang et al.'s bound quantities, exact from the data model — σ_{k+1}
    /// of the normalized co-occurrence matrix (k = encoder.width), the labeling error α, and the
    /// image token's Bayes error (the probe's floor); absent for the other models.
    public var singularValueKPlusOne: Double?, labelingError: Double?, imageBayesError: Double?

    public init(
        name: String, model: DataModelKind, mode: ModalityMode, loss: String, seed: UInt64, status: RunStatus,
        stepsCompleted: Int, stepsPlanned: Int, ranks: Int, finalLoss: Double? = nil, trainAccuracy: Double? = nil,
        testAccuracy: Double? = nil, signalLearning: Double? = nil, noiseMemorization: Double? = nil,
        noiseMemorizationSe: Double? = nil, diagnosticsSamples: Int? = nil, conditionNumber: Double? = nil,
        subspaceAlignment: Double? = nil, wallSeconds: Double, secondsPerStep: Double, computeSeconds: Double,
        communicationSeconds: Double, loggingSeconds: Double? = nil, resumedFromStep: Int? = nil,
        stopReason: String? = nil, sigmoidScale: Double? = nil, sigmoidBias: Double? = nil,
        temperature: Double? = nil, t1Predicted: T1Prediction? = nil, singularValueKPlusOne: Double? = nil,
        labelingError: Double? = nil, imageBayesError: Double? = nil
    ) {
        self.name = name
        self.model = model
        self.mode = mode
        self.loss = loss
        self.seed = seed
        self.status = status
        self.stepsCompleted = stepsCompleted
        self.stepsPlanned = stepsPlanned
        self.ranks = ranks
        self.finalLoss = finalLoss
        self.trainAccuracy = trainAccuracy
        self.testAccuracy = testAccuracy
        self.signalLearning = signalLearning
        self.noiseMemorization = noiseMemorization
        self.noiseMemorizationSe = noiseMemorizationSe
        self.diagnosticsSamples = diagnosticsSamples
        self.conditionNumber = conditionNumber
        self.subspaceAlignment = subspaceAlignment
        self.wallSeconds = wallSeconds
        self.secondsPerStep = secondsPerStep
        self.computeSeconds = computeSeconds
        self.communicationSeconds = communicationSeconds
        self.loggingSeconds = loggingSeconds
        self.resumedFromStep = resumedFromStep
        self.stopReason = stopReason
        self.sigmoidScale = sigmoidScale
        self.sigmoidBias = sigmoidBias
        self.temperature = temperature
        self.t1Predicted = t1Predicted
        self.singularValueKPlusOne = singularValueKPlusOne
        self.labelingError = labelingError
        self.imageBayesError = imageBayesError
    }

    /// The figures a table of runs shows (sweep.csv), by their key in summary.json (RunRecordsTests
    /// checks that each key is the one the encoder writes for its property).
    public static let tableFigures: [(key: String, value: any KeyPath<RunSummary, Double?> & Sendable)] = [
        ("final_loss", \.finalLoss), ("train_accuracy", \.trainAccuracy), ("test_accuracy", \.testAccuracy),
        ("signal_learning", \.signalLearning), ("noise_memorization", \.noiseMemorization),
        ("condition_number", \.conditionNumber), ("subspace_alignment", \.subspaceAlignment),
        ("seconds_per_step", \.secondsPerStepFigure), ("wall_seconds", \.wallSecondsFigure),
        ("singular_value_k_plus_one", \.singularValueKPlusOne), ("labeling_error", \.labelingError),
        ("image_bayes_error", \.imageBayesError),
    ]
    private var secondsPerStepFigure: Double? { secondsPerStep }
    private var wallSecondsFigure: Double? { wallSeconds }
}
