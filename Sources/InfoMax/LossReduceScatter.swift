// InfoMax/LossReduceScatter.swift — which reduce-scatter sums the candidates' gradient over the
// ranks in the all-gather loss plans (the config key loss.reduce_scatter): the MPI library's
// collective or the project's ring.

/// How the all-gather plans of a ``DistributedContrastiveLoss`` send every rank's partial
/// gradient of the gathered candidates to the candidates' owners (a sum reduce-scatter with
/// uneven blocks). The loss's ring exchange (``CandidateExchange/ring``) brings the gradients
/// home on its own and uses neither.
public enum LossReduceScatter: String, Sendable, Codable, CaseIterable {
    /// The MPI library's `MPI_Reduce_scatter`: the library picks its algorithm for the message
    /// size, rank count and machine (recursive halving, pairwise, node-aware), and so the order
    /// of the sum. The same bits as the ring at 1 and 2 ranks, equal to float rounding beyond.
    case mpi
    /// The project's ``RingReduceScatter``: p − 1 shifts around the ring, each block summed in
    /// ring order whatever MPI library runs it (bit-reproducible), allocation-free inside MPI too.
    case ring
}
