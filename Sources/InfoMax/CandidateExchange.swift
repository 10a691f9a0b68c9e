// InfoMax/CandidateExchange.swift — how the candidate embeddings of a distributed contrastive
// loss reach every rank: one all-gather (and one reduce-scatter of their gradients), or a
// ring of ranks passing blocks, each transfer overlapped with computation (RingExchange.swift).

/// How the candidate embeddings reach every rank.
public enum CandidateExchange: String, Sendable, Codable, CaseIterable {
    /// One MPI_Allgatherv of the candidates, one MPI_Reduce_scatter of their gradients.
    /// Memory per rank: the N × k gathered candidates and their N × k gradient.
    case allgather
    /// Every rank's candidate block travels around the ring of ranks (p − 1 hops per sweep),
    /// each transfer overlapped with the computation on the block that arrived before it.
    /// InfoNCE takes two sweeps (row log-sum-exps first, then the gradients, with each block's
    /// gradient travelling behind it back to its owner); spectral one; positive-only none.
    /// Memory per rank: a few blocks of maxb × k (maxb: the largest local batch), never N × k.
    case ring
}
