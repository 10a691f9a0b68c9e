// MetricsRow: one logged row of a training trajectory — the columns of metrics.csv and
// metrics.jsonl in their fixed order (so every file of every run has the same header), and
// the row's cells in each file.
import Foundation

/// The columns of metrics.csv / metrics.jsonl, in order. Empty cells: not computed at that step.
public enum MetricColumn: String, CaseIterable, Sendable {
    case step
    case epoch
    case wallSeconds = "wall_seconds"
    case computeSeconds = "compute_seconds"
    case communicationSeconds = "communication_seconds"
    case loss
    case learningRate = "learning_rate"
    case gradientNorm = "gradient_norm"
    /// Huang et al.'s signal learning max_r γ_r: the coefficient of μ/‖μ‖² in w_r(t) − w_r(0)
    /// (eq. 11), 0 at initialization.
    case signalLearning = "signal_learning"
    /// Huang et al.'s noise memorization mean_i max_r ρ_r,i: the coefficients of ξ_i/‖ξ_i‖² in
    /// w_r(t) − w_r(0), 0 at initialization.
    case noiseMemorization = "noise_memorization"
    /// The text encoder's max_r γ̃_r (its signal μ̃), multi-modal only.
    case textSignalLearning = "text_signal_learning"
    case conditionNumber = "condition_number"
    case subspaceAlignment = "subspace_alignment"
    case trainAccuracy = "train_accuracy"
    case testAccuracy = "test_accuracy"
    /// Standard error of `noise_memorization` when it is estimated on a subset of the training
    /// set (s/√K·√(1 − K/n)); 0 when it is the exact mean over all n samples.
    case noiseMemorizationSE = "noise_memorization_se"
    /// Training samples the sample-based diagnostics averaged over (n = exact; K < n = the
    /// fixed evaluation subset, config key diagnostics_samples).
    case diagnosticsSamples = "diagnostics_samples"
    /// The text encoder's mean_i max_r ρ̃_r,i (its noises ζ_i), multi-modal only.
    case textNoiseMemorization = "text_noise_memorization"
    /// The raw max_r ⟨w_r, μ⟩, initial weights included.
    case signalInnerProduct = "signal_inner_product"
    /// The raw mean_i max_r ⟨w_r, ξ_i⟩ over the same samples as `noise_memorization`.
    case noiseInnerProduct = "noise_inner_product"
    /// The text encoder's raw max_r ⟨w̃_r, μ̃⟩, multi-modal only.
    case textSignalInnerProduct = "text_signal_inner_product"
    /// The sigmoid loss's scale t (learned or fixed); sigmoid runs only.
    case sigmoidScale = "sigmoid_scale"
    /// The sigmoid loss's bias b (learned or fixed); sigmoid runs only.
    case sigmoidBias = "sigmoid_bias"
    /// The learned InfoNCE temperature τ (loss.learn_temperature runs only).
    case temperature = "temperature"
}

/// One row of metrics: a value per column, or nil where it was not computed.
public struct MetricsRow: Equatable, Sendable {
    /// The files' names in a run folder.
    public static let csvFile = "metrics.csv"
    public static let jsonLinesFile = "metrics.jsonl"

    public private(set) var values: [Double?] = Array(repeating: nil, count: MetricColumn.allCases.count)

    public init() {}

    public subscript(column: MetricColumn) -> Double? {
        get { values[MetricColumn.allCases.firstIndex(of: column)!] }
        set { values[MetricColumn.allCases.firstIndex(of: column)!] = newValue }
    }

    /// The column names, in order.
    public static var header: [String] { MetricColumn.allCases.map(\.rawValue) }

    /// The row's metrics.csv cells: `step` always an integer, `epoch` an integer where it is
    /// one (full batch: every step; mini-batch: the ends of epochs), every other column a number.
    public var csvFields: [CSVField] {
        zip(MetricColumn.allCases, values).map { column, value in
            guard let value else { return .empty }
            switch column {
            case .step where value.isFinite && abs(value) < 9e15:
                return .integer(Int(value.rounded()))
            case .epoch where value.isFinite && value == value.rounded() && abs(value) < 9e15:
                return .integer(Int(value))
            default:
                return .number(value)
            }
        }
    }

    /// The row's metrics.jsonl object: every column in order, null where not computed (and for
    /// non-finite values, which JSON cannot hold).
    public var jsonObject: JSONValue {
        .object(zip(MetricColumn.allCases, values).map { (key: $0.rawValue, value: $1.map(JSONValue.number) ?? .null) })
    }
}

/// Reads a metrics.jsonl line back (resume): unknown keys are ignored, missing ones are nil.
extension MetricsRow: Decodable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: JSONValue.AnyKey.self)
        for column in MetricColumn.allCases {
            self[column] = try c.decodeIfPresent(Double.self, forKey: JSONValue.AnyKey(stringValue: column.rawValue))
        }
    }
}
