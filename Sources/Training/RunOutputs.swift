// Training/RunOutputs.swift — where a `Trainer` sends what it records: metrics rows, progress,
// checkpoints, and the summary written off the training loop. Given to the trainer at `init`;
// set on rank 0 only (other ranks pass the empty value).
import Foundation
import RunRecords

/// The writers of one run's records (rank 0; empty elsewhere). `RunOutputs()` records nothing.
public struct RunOutputs {
    /// Rows go here.
    public var metrics: MetricsSink?
    /// Progress goes here.
    public var progress: ProgressSink?
    /// Where checkpoints are written; nil disables checkpoints.
    public var checkpointURL: URL?
    /// Writes summary.json when the watchdog thread checkpoints off the training loop (a signal
    /// mid-step, a stall, a dead launcher). Called from that thread.
    public var summaryWriter: (@Sendable (RunSummary) -> Void)?

    public init(metrics: MetricsSink? = nil, progress: ProgressSink? = nil, checkpointURL: URL? = nil,
                summaryWriter: (@Sendable (RunSummary) -> Void)? = nil) {
        self.metrics = metrics
        self.progress = progress
        self.checkpointURL = checkpointURL
        self.summaryWriter = summaryWriter
    }
}
