// InfoMax/LossReduceScatter.swift — the all-gather plans' choice of reduce-scatter.

/// Which sum reduce-scatter (uneven blocks) sends the all-gather plans' partial gradients of the
/// gathered candidates to their owners (`loss.reduce_scatter`). The ring exchange
/// (``CandidateExchange/ring``) brings the gradients home on its own.
public enum LossReduceScatter: String, Sendable, Codable, CaseIterable {
    /// The MPI library's `MPI_Reduce_scatter`: the library picks its algorithm for the message
    /// size, rank count and machine (recursive halving, pairwise, node-aware), and so the order
    /// of the sum. The same bits as the ring at 1 and 2 ranks, equal to float rounding beyond.
    case mpi
    /// The project's ``RingReduceScatter``: p − 1 shifts around the ring, each block summed in
    /// ring order whatever MPI library runs it (bit-reproducible), allocation-free inside MPI too.
    case ring
}
