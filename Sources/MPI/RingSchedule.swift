// MPI/RingSchedule.swift — which chunk each rank sends and receives at every shift of a ring
// sum all-reduce, shared by RingAllreduce and PersistentRingAllreduce.

/// The chunk schedule of a ring sum all-reduce of `count` elements over `ranks` ranks, seen
/// from `rank` (shared by ``RingAllreduce`` and ``PersistentRingAllreduce``). Chunk c covers
/// [c·n/p, (c+1)·n/p). Reduce-scatter, shifts 0 ..< p − 1: send chunk r − s, receive chunk
/// r − s − 1 and add it; rank r then owns the sum of chunk r + 1. All-gather, shifts
/// 0 ..< p − 1: send the sum of chunk r + 1 − s, receive chunk r − s.
struct RingSchedule {
    let ranks: Int, rank: Int, count: Int

    /// The largest chunk (what a receive scratch must hold).
    var largestChunk: Int { ranks > 0 ? (count + ranks - 1) / ranks : 0 }

    /// Chunk c (taken mod p): its first element and its length.
    func chunk(_ c: Int) -> (start: Int, count: Int) {
        let p = ranks, c = ((c % p) + p) % p
        let lo = c * count / p, hi = (c + 1) * count / p
        return (lo, hi - lo)
    }

    /// The chunk sent and the chunk received (and added) at reduce-scatter shift s.
    func reduceScatter(shift s: Int) -> (send: (start: Int, count: Int), receive: (start: Int, count: Int)) {
        (chunk(rank - s), chunk(rank - s - 1))
    }

    /// The chunk sent and the chunk received at all-gather shift s.
    func allGather(shift s: Int) -> (send: (start: Int, count: Int), receive: (start: Int, count: Int)) {
        (chunk(rank + 1 - s), chunk(rank - s))
    }
}
