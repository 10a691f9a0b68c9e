// InfoMax/CandidateExchange.swift — the distributed loss's choice of exchange.

/// How the candidate embeddings reach every rank: one all-gather, or a ring of ranks passing
/// blocks (RingExchange.swift).
public enum CandidateExchange: String, Sendable, Codable, CaseIterable {
    /// One MPI_Allgatherv of the candidates, one reduce-scatter of their gradients
    /// (``LossReduceScatter``). Memory per rank: the N × k candidates and their N × k gradient.
    case allgather
    /// Every rank's candidate block travels around the ring of ranks (p − 1 hops per sweep),
    /// each transfer overlapped with the computation on the block that arrived before it.
    /// InfoNCE takes two sweeps (row log-sum-exps first, then the gradients, with each block's
    /// gradient travelling behind it back to its owner); spectral one; positive-only none.
    /// Memory per rank: a few blocks of maxb × k (maxb: the largest local batch), never N × k.
    case ring
}
