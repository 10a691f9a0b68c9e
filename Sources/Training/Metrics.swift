// Training/Metrics.swift — the sink protocols through which the trainer hands its rows
// (`MetricsRow`, defined with the file formats in RunRecords) and its progress to writers
// (the CLI plugs in the CSV / JSON-lines writers).
import RunRecords

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
