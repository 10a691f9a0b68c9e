// Training/RunPhase.swift — the phases of a training step as the stall watchdog names them:
// computing, or waiting on the other ranks in one of the run's collectives.
import InfoMax

/// What the training loop is doing, for the stall watchdog. Every phase but `computing` waits
/// on the other ranks.
public enum RunPhase: Int, Sendable, CaseIterable {
    case computing = 0
    case stopAgreement, lossExchange, gradientAllreduce, logging, checkpointBarrier

    /// The phase and the MPI calls it waits in (`exchange` is the config's loss.exchange).
    public func label(exchange: CandidateExchange) -> String {
        switch self {
        case .computing: return "computation"
        case .stopAgreement: return "the stop-signal agreement (MPI_Allreduce)"
        case .lossExchange:
            return exchange == .ring
                ? "the loss's ring exchange (MPI_Start/MPI_Wait)"
                : "the loss's candidate exchange (MPI_Allgather/MPI_Reduce_scatter)"
        case .gradientAllreduce:
            return "the gradient all-reduce (MPI_Allreduce/MPI_Wait, or the ring's MPI_Start/MPI_Wait)"
        case .logging: return "diagnostics and evaluation (MPI_Allreduce/MPI_Gather)"
        case .checkpointBarrier: return "the checkpoint barrier (MPI_Barrier)"
        }
    }

    /// Whether the phase also computes (the loss around its exchange; diagnostics and the
    /// probe): it gets at least 20 × the median step and is not watched before a step ended.
    var computesToo: Bool { self == .lossExchange || self == .logging }
}
