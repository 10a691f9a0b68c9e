// Training/Metrics.swift — one logged row of a training trajectory, with a fixed column
// order (so every CSV of every run has the same header), and the sink protocol through
// which the trainer hands rows to writers (the CLI plugs in Report's CSV / JSON lines).

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
    case signalLearning = "signal_learning"
    case noiseMemorization = "noise_memorization"
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
}

/// One row of metrics: a value per column, or nil where it was not computed.
public struct MetricsRow: Equatable, Sendable {
    public private(set) var values: [Double?] = Array(repeating: nil, count: MetricColumn.allCases.count)

    public init() {}

    public subscript(column: MetricColumn) -> Double? {
        get { values[MetricColumn.allCases.firstIndex(of: column)!] }
        set { values[MetricColumn.allCases.firstIndex(of: column)!] = newValue }
    }

    /// The column names, in order.
    public static var header: [String] { MetricColumn.allCases.map(\.rawValue) }
}

/// Where the trainer's rows go (rank 0 only).
public protocol MetricsSink: AnyObject {
    func record(_ row: MetricsRow) throws
}

/// Receives progress from the trainer (rank 0 only).
public protocol ProgressSink: AnyObject {
    /// Called after every step with the steps done, the total and the latest loss.
    func update(step: Int, of total: Int, loss: Double, elapsed: Double)
    /// A line worth printing (evaluations, checkpoints, warnings).
    func message(_ text: String)
    /// Called once at the end.
    func finish()
}
