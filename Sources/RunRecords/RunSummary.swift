// RunSummary: summary.json of a run folder — how a run ended and its final figures — with the
// vocabularies it is written in (data model, modality mode, status), and the short form a
// failed run leaves instead.
import Foundation

/// Which data model of the three papers a run trains on.
public enum DataModelKind: String, Codable, CaseIterable, Sendable {
    /// Huang et al. 2024: signal + noise patches, two modalities sharing the label.
    case signalNoise = "signal-noise"
    /// Ren & Li 2023: two linear views of a shared, non-isotropic latent.
    case latentLinear = "latent-linear"
    /// Zhang et al. 2023: discrete image / text tokens with a known co-occurrence.
    case cooccurrence = "cooccurrence"
}

/// Multi-modal (one encoder per modality, positives are pairs) or single-modal (one encoder,
/// positives are two augmentations), or both in one launch for a side-by-side comparison.
/// A summary's mode is one of the first two (each modality of a comparison has its own run).
public enum ModalityMode: String, Codable, CaseIterable, Sendable {
    case multiModal = "multi-modal"
    case singleModal = "single-modal"
    case compare = "compare"
}

/// How a run ended (`status` of summary.json).
public enum RunStatus: String, Codable, CaseIterable, Sendable {
    /// Every planned step ran.
    case completed
    /// Stopped by a signal or a dead launcher; resumable from checkpoint.ckpt.
    case checkpointed
    /// Ended by the stall watchdog; resumable from checkpoint.ckpt.
    case stalled
    /// An error ended it (the summary is then a `FailedRun`).
    case failed
}

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

    public init(name: String, model: DataModelKind, mode: ModalityMode, loss: String, seed: UInt64, status: RunStatus,
                stepsCompleted: Int, stepsPlanned: Int, ranks: Int, finalLoss: Double? = nil, trainAccuracy: Double? = nil,
                testAccuracy: Double? = nil, signalLearning: Double? = nil, noiseMemorization: Double? = nil,
                noiseMemorizationSe: Double? = nil, diagnosticsSamples: Int? = nil, conditionNumber: Double? = nil,
                subspaceAlignment: Double? = nil, wallSeconds: Double, secondsPerStep: Double, computeSeconds: Double,
                communicationSeconds: Double, loggingSeconds: Double? = nil, resumedFromStep: Int? = nil, stopReason: String? = nil) {
        self.name = name; self.model = model; self.mode = mode; self.loss = loss; self.seed = seed; self.status = status
        self.stepsCompleted = stepsCompleted; self.stepsPlanned = stepsPlanned; self.ranks = ranks
        self.finalLoss = finalLoss; self.trainAccuracy = trainAccuracy; self.testAccuracy = testAccuracy
        self.signalLearning = signalLearning; self.noiseMemorization = noiseMemorization
        self.noiseMemorizationSe = noiseMemorizationSe; self.diagnosticsSamples = diagnosticsSamples
        self.conditionNumber = conditionNumber; self.subspaceAlignment = subspaceAlignment
        self.wallSeconds = wallSeconds; self.secondsPerStep = secondsPerStep; self.computeSeconds = computeSeconds
        self.communicationSeconds = communicationSeconds; self.loggingSeconds = loggingSeconds
        self.resumedFromStep = resumedFromStep; self.stopReason = stopReason
    }

    /// The figures a table of runs shows (sweep.csv), by their key in summary.json (RunRecordsTests
    /// checks that each key is the one the encoder writes for its property).
    public static let tableFigures: [(key: String, value: KeyPath<RunSummary, Double?>)] = [
        ("final_loss", \.finalLoss), ("train_accuracy", \.trainAccuracy), ("test_accuracy", \.testAccuracy),
        ("signal_learning", \.signalLearning), ("noise_memorization", \.noiseMemorization),
        ("condition_number", \.conditionNumber), ("subspace_alignment", \.subspaceAlignment),
        ("seconds_per_step", \.secondsPerStepFigure), ("wall_seconds", \.wallSecondsFigure),
    ]
    private var secondsPerStepFigure: Double? { secondsPerStep }
    private var wallSecondsFigure: Double? { wallSeconds }
}

/// The summary.json of a run that an error ended: its status (`failed`), mode and the error.
public struct FailedRun: Codable, Sendable, Equatable {
    public var status: RunStatus
    public var mode: ModalityMode
    public var error: String

    public init(mode: ModalityMode, error: String) {
        status = .failed
        self.mode = mode
        self.error = error
    }
}

/// A summary.json in either form: a finished (or stopped) run's `RunSummary`, or a `FailedRun`.
public enum SummaryFile: Sendable, Equatable {
    case run(RunSummary)
    case failed(FailedRun)

    public var status: RunStatus {
        switch self {
        case let .run(s): return s.status
        case let .failed(f): return f.status
        }
    }

    public var mode: ModalityMode {
        switch self {
        case let .run(s): return s.mode
        case let .failed(f): return f.mode
        }
    }

    /// The error of a failed run.
    public var error: String? {
        if case let .failed(f) = self { return f.error }
        return nil
    }

    /// The summary of a run that was not ended by an error.
    public var run: RunSummary? {
        if case let .run(s) = self { return s }
        return nil
    }

    /// The file's members as written (sorted snake_case keys), for reports that table or plot
    /// every figure: derived from the typed record, so only keys the record defines appear.
    public func members() throws -> JSONValue {
        let data: Data
        switch self {
        case let .run(s): data = try RecordCoding.encoder().encode(s)
        case let .failed(f): data = try RecordCoding.encoder().encode(f)
        }
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Decodes either form (`url` names the file in errors).
    public static func decode(_ data: Data, url: URL) throws -> SummaryFile {
        if let failed = try? RecordCoding.decoder().decode(FailedRun.self, from: data), failed.status == .failed {
            return .failed(failed)
        }
        return .run(try RecordCoding.decode(RunSummary.self, from: data, url: url))
    }

    /// Reads `<folder>/summary.json`; nil when the file does not exist.
    public static func read(folder: URL) throws -> SummaryFile? {
        let url = folder.appendingPathComponent(RunSummary.file)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try decode(data, url: url)
    }
}

/// comparison.csv of a `mode = compare` run: one row per mode, the figures of its summary.json
/// (the first seven of ``RunSummary/tableFigures``, then the run's wall time as `seconds`).
public enum ComparisonTable {
    /// The file's name in the run folder.
    public static let fileName = "comparison.csv"
    private static let figures = RunSummary.tableFigures.prefix(7)
    /// The columns: mode, final_loss, train_accuracy, test_accuracy, signal_learning,
    /// noise_memorization, condition_number, subspace_alignment, seconds.
    public static let header = ["mode"] + figures.map(\.key) + ["seconds"]

    /// The row of one mode's summary (empty fields for figures it does not have).
    public static func row(_ s: RunSummary) -> [CSVField] {
        func field(_ x: Double?) -> CSVField { x.map(CSVField.number) ?? .empty }
        return [.text(s.mode.rawValue)] + figures.map { field(s[keyPath: $0.value]) } + [field(s.wallSeconds)]
    }
}
