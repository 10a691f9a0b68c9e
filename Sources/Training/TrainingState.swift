// Training/TrainingState.swift — what a run carries from step to step and what a checkpoint
// saves: the parameters, the optimizer with its moments, and the step.

/// What changes from step to step: the parameters and the optimizer (the all-reduced gradient
/// stays in the trainer's gradient exchange, where the optimizer reads it). One value per
/// rank; identical on every rank after each update.
public struct TrainingState: Sendable {
    /// Every encoder's weights, flat, in the problem's order.
    public var parameters: [Float]
    /// The optimizer and its moments.
    public var optimizer: Optimizer
    /// The next step to run (= steps completed).
    public var step: Int
}
