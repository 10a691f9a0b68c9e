// Training/Problem.swift — what the training loop needs from a (data model, modality) pair:
// its parameters as one flat vector (the fused all-reduce buffer), the local gradient of the
// global loss for a step, and the diagnostics and downstream features the papers measure.
import Linalg
import MPI

/// Timing of one step's loss evaluation, split as the bench and metrics report it.
public struct StepTiming: Sendable {
    public var dataSeconds = 0.0
    public var forwardSeconds = 0.0
    public var lossComputeSeconds = 0.0
    public var lossCommunicationSeconds = 0.0
    public var backwardSeconds = 0.0
    public init() {}
}

/// A contrastive learning problem on one rank: data shard, encoders and distributed loss.
public protocol ContrastiveProblem: AnyObject {
    /// Total trainable scalars (every encoder).
    var parameterCount: Int { get }
    /// Copies all encoder weights, in a fixed order, into `flat`.
    func copyParameters(into flat: inout [Float])
    /// Sets all encoder weights from `flat` (same order).
    func setParameters(_ flat: [Float])
    /// Evaluates the loss over the global batch whose local part is `localIndices` (global
    /// sample indices owned by this rank), with augmentation draw `draw`, and writes this
    /// rank's contribution to the gradient of that global loss into `gradient` (overwritten).
    /// Collective: every rank calls it in the same step. Returns the global loss.
    func lossAndGradient(localIndices: [Int], draw: UInt64, gradient: inout [Float], timing: inout StepTiming) throws -> Double
    /// Adds the model's diagnostics to `row` (signal / noise, condition number, alignment). Collective.
    func diagnostics(into row: inout MetricsRow) throws
    /// Downstream accuracy: encodes fresh labelled samples on every rank, gathers features on
    /// rank 0, fits the linear probe there. Collective; returns (train, test) on rank 0, nil elsewhere.
    func downstreamAccuracy() throws -> (train: Double, test: Double)?
}
