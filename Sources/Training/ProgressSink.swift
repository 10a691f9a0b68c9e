// Training/ProgressSink.swift — the protocol through which the trainer reports progress
// (ConsoleProgress prints it; a grouped sweep also polls its dispatcher from it).

/// Receives progress from the trainer (rank 0 only).
public protocol ProgressSink: AnyObject {
    /// Called after every step with the steps done, the total and the latest loss.
    func update(step: Int, of total: Int, loss: Double, elapsed: Double)
    /// A line worth printing (evaluations, checkpoints, warnings).
    func message(_ text: String)
    /// Called once at the end.
    func finish()
}
