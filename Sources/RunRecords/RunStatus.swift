// RunStatus: how a run ended, the `status` of summary.json.

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
