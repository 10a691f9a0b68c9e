// Training/Problem.swift — what the training loop needs from a (data model, modality) pair:
// its parameters as one flat vector (the fused all-reduce buffer), the local gradient of the
// global loss for a step, and the diagnostics and downstream features the papers measure.
import Linalg
import MPI
import RunRecords

/// Timing of training steps: the seconds of each phase (``PhaseSeconds``, summed over the
/// steps it covers, as `infomax bench` and the metrics report them), plus the bytes this rank
/// sent (loss exchange + gradient all-reduce, ring-algorithm volume).
public struct StepTiming: Sendable, Equatable {
    /// Seconds per phase, summed over the steps.
    public var seconds = PhaseSeconds()
    /// Bytes this rank sent.
    public var bytesSent = 0
    public init() {}

    /// Wall time of the phases (overlapped time is inside compute, not added).
    public var totalSeconds: Double {
        seconds.data + seconds.forward + seconds.lossCompute + seconds.lossCommunication + seconds.backward
            + seconds.allreduce + seconds.optimizer
    }
}

/// A contrastive learning problem on one rank: data shard, encoders and distributed loss.
public protocol ContrastiveProblem: AnyObject {
    /// Total trainable scalars (every encoder).
    var parameterCount: Int { get }
    /// Copies all encoder weights, in a fixed order, into `flat`.
    func copyParameters(into flat: inout [Float])
    /// Sets all encoder weights from `flat` (same order).
    func setParameters(_ flat: [Float])
    /// Keeps `flat` (the parameters after an optimizer update) in their allowed set — CLIP's
    /// clamp of a learned logit scale; most problems have nothing to clamp.
    func clampParameters(_ flat: inout [Float])
    /// Evaluates the loss over the global batch whose local part is `localIndices` (global
    /// sample indices owned by this rank), with augmentation draw `draw`, and writes this
    /// rank's contribution to the gradient of that global loss to `gradient`, each encoder's
    /// part (in parameter order) as soon as its backward pass is done, so that its all-reduce
    /// overlaps the rest of the step. Collective: every rank calls it in the same step.
    /// Returns the global loss. After the first step with a given batch shape it should not
    /// allocate (`infomax bench` counts allocations).
    func lossAndGradient(localIndices: [Int], draw: UInt64, gradient: GradientExchange, timing: inout StepTiming) throws
        -> Double
    /// GEMM floating-point operations of one training step with `localRows` samples on this
    /// rank and `globalRows` in the global batch, or nil if not counted (for `infomax bench`).
    func gemmFlops(localRows: Int, globalRows: Int) -> Double?
    /// The same step's GEMM operations counted as the unfused loss would execute them (one
    /// evaluation per direction of a symmetric loss): the "useful" work, for `infomax bench`.
    func unfusedGemmFlops(localRows: Int, globalRows: Int) -> Double?
    /// Adds the model's diagnostics to `row` (signal / noise, condition number, alignment). Collective.
    func diagnostics(into row: inout MetricsRow) throws
    /// Downstream accuracy: encodes fresh labelled samples on every rank, gathers features on
    /// rank 0, fits the linear probe there. Collective; returns (train, test) on rank 0, nil elsewhere.
    func downstreamAccuracy() throws -> (train: Double, test: Double)?
}

extension ContrastiveProblem {
    /// Nothing to clamp.
    public func clampParameters(_ flat: inout [Float]) {}
}
