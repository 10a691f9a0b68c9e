// InfoMax/RingExchange.swift — the ring (blockwise) candidate exchange of the distributed
// contrastive loss: every rank's candidate block travels once around the ring of ranks
// (rank r sends to r+1 and receives from r−1, p−1 hops per sweep), the transfer of the next
// chunk posted before the current one is computed and waited for after it, so communication
// overlaps computation. The candidate gradient of a chunk travels behind it, one hop later,
// and arrives back at its owner summed over every rank's anchors. Transfers use persistent
// requests over fixed buffers: after the first call with a given shape nothing is allocated.
import Linalg
import MPI

/// What travels behind the candidate chunks of a ring sweep (see ``RingExchange/sweep``).
enum TravellingPartial {
    /// The chunk's gradient, n × k, summed over the ranks.
    case sum
    /// The chunk's column (max, sum-exp) statistics, 2n, combined as online log-sum-exps.
    case statistics
}

/// The chunk buffers, their persistent requests and the per-call accounting of the ring.
///
/// Message pattern of one sweep at rank q of p (every rank runs the same loop):
/// - hop h = 0 ..< p: q holds the chunk of owner (q − h) mod p. For h < p − 1 it starts the
///   receive of the next chunk from q − 1 and the send of the current one to q + 1, computes
///   on the current chunk, then waits.
/// - with a travelling gradient, for h ≥ 1 it also receives from q − 1 the partial dC of the
///   chunk it computes at hop h (summed over the ranks that already saw it) while sending to
///   q + 1 the completed partial of the chunk of hop h − 1; it adds the received partial to its
///   own contribution after waiting. After the last hop one more exchange brings every
///   owner its fully summed dC.
/// Chunks are sent at the largest local count `maxb` of any rank (maxb · k elements), so every
/// message of a sweep has the same size and the requests can be persistent.
final class RingExchange<T: BLASScalar & MPIScalar> {
    /// Tags on the loss's communicator: candidate chunks and their gradient partials.
    static var chunkTag: Int { 0x5249 }  // "RI"
    static var gradientTag: Int { 0x524A }

    let comm: Communicator
    /// Elements of one chunk message (maxb · k); 0 until configured.
    private(set) var chunkElements = 0

    private var chunkBuffers: [MPIBuffer<T>] = []
    private var chunkPointers: [UnsafeMutablePointer<T>] = []
    private var sendChunk: [PersistentRequest] = [], recvChunk: [PersistentRequest] = []
    private var gradientBuffers: [MPIBuffer<T>] = []
    private var gradientPointers: [UnsafeMutablePointer<T>] = []
    private var sendGradient: [PersistentRequest] = [], recvGradient: [PersistentRequest] = []
    /// Index of the gradient buffer that holds this rank's fully summed dC after a sweep.
    private(set) var ownGradientIndex = 0

    /// Transfers in flight during the current hop (tested between row blocks).
    private var flight0: PersistentRequest?, flight1: PersistentRequest?
    private var flight2: PersistentRequest?, flight3: PersistentRequest?

    /// Accounting of the current call (reset by ``resetStats()``).
    var communicationSeconds = 0.0
    var overlappedSeconds = 0.0
    var bytesSent = 0
    /// Seconds inside progress tests during the current hop (excluded from the overlap).
    private var hopTestSeconds = 0.0

    init(communicator: Communicator) {
        comm = communicator
    }

    func resetStats() {
        communicationSeconds = 0
        overlappedSeconds = 0
        bytesSent = 0
    }

    /// Makes the buffers hold `elements` per chunk (recreated only when the size changes),
    /// with the gradient buffers when `gradient` is true.
    func configure(elements: Int, gradient: Bool) throws {
        if elements != chunkElements {
            sendChunk = []
            recvChunk = []
            sendGradient = []
            recvGradient = []
            chunkBuffers = []
            chunkPointers = []
            gradientBuffers = []
            gradientPointers = []
            chunkElements = elements
        }
        let p = comm.size
        let next = (comm.rank + 1) % p
        let prev = (comm.rank + p - 1) % p
        if chunkBuffers.isEmpty {
            for _ in 0..<2 {
                let buffer = MPIBuffer<T>(repeating: 0, count: elements)
                chunkBuffers.append(buffer)
                // MPIBuffer's storage is allocated once and never moves while the buffer lives,
                // and this object keeps the buffer: the pointer stays valid.
                chunkPointers.append(buffer.withUnsafeMutableBufferPointer { $0.baseAddress! })
                if p > 1 {
                    sendChunk.append(try comm.sendInit(buffer, to: next, tag: Self.chunkTag))
                    recvChunk.append(try comm.recvInit(into: buffer, from: prev, tag: Self.chunkTag))
                }
            }
        }
        if gradient && gradientBuffers.isEmpty {
            for _ in 0..<3 {
                let buffer = MPIBuffer<T>(repeating: 0, count: elements)
                gradientBuffers.append(buffer)
                gradientPointers.append(buffer.withUnsafeMutableBufferPointer { $0.baseAddress! })
                if p > 1 {
                    sendGradient.append(try comm.sendInit(buffer, to: next, tag: Self.gradientTag))
                    recvGradient.append(try comm.recvInit(into: buffer, from: prev, tag: Self.gradientTag))
                }
            }
        }
    }

    /// The fully summed dC of this rank's own chunk after a sweep with a travelling gradient.
    var ownGradient: UnsafeMutablePointer<T> { gradientPointers[ownGradientIndex] }

    /// Lets MPI progress the transfers of the current hop (MPI_Test on each); called between
    /// row blocks, because Open MPI over shared memory moves a large message only while the
    /// ranks are inside MPI.
    func progress() throws {
        let t0 = comm.wtime()
        if let r = flight0 { try r.test() }
        if let r = flight1 { try r.test() }
        if let r = flight2 { try r.test() }
        if let r = flight3 { try r.test() }
        let dt = comm.wtime() - t0
        hopTestSeconds += dt
        communicationSeconds += dt
    }

    /// One sweep of the candidate chunks around the ring.
    ///
    /// - Parameters:
    ///   - own: this rank's candidate rows (b × k, normalised for cosine).
    ///   - counts, offsets: every rank's row count and global offset.
    ///   - k: the embedding width.
    ///   - gradient: whether a dC partial travels with the chunks (then ``ownGradient`` holds
    ///     this rank's summed dC afterwards).
    ///   - partials: what travels behind the chunks: `.sum`, an n × k gradient summed over the
    ///     ranks; `.statistics`, 2n column statistics [max_0..<n | sum-exp_0..<n] combined as
    ///     online log-sum-exps (the fused symmetric loss's column log-sum-exps).
    ///   - ownOrder: when given, this rank's chunk travels with its rows in this order (chunk
    ///     row q is `own` row ownOrder[q]; its ``ownGradient`` rows are in the same order).
    ///   - compute: the work on one chunk: (chunk rows, row count n, global offset of its first
    ///     row, the partial buffer — n × k, or 2n for statistics — zeroed, to add or fold into; or nil).
    func sweep(
        own: UnsafeBufferPointer<T>, ownOrder: UnsafeBufferPointer<Int>? = nil, counts: [Int], offsets: [Int], k: Int,
        gradient: Bool, partials: TravellingPartial = .sum,
        compute: (UnsafePointer<T>, Int, Int, UnsafeMutablePointer<T>?) throws -> Void
    ) throws {
        let p = comm.size
        let q = comm.rank
        let messageBytes = chunkElements * MemoryLayout<T>.stride
        var cur = 0
        if let src = own.baseAddress, own.count > 0 {
            if let ownOrder, let order = ownOrder.baseAddress {
                gatherRows(src, order: order, rows: ownOrder.count, k: k, into: chunkPointers[cur])
            } else {
                chunkPointers[cur].update(from: src, count: own.count)
            }
        }
        // Roles of the three gradient buffers: being accumulated, being received, being sent.
        var comp = 0
        var incoming = 1
        var outgoing = 2
        for h in 0..<p {
            let owner = (q - h + p) % p
            let n = counts[owner]
            let nxt = 1 - cur
            let forward = h < p - 1
            let travel = gradient && h > 0
            let t0 = comm.wtime()
            if forward {
                try recvChunk[nxt].start()
                try sendChunk[cur].start()
                flight0 = recvChunk[nxt]
                flight1 = sendChunk[cur]
                bytesSent += messageBytes
            }
            if travel {
                try recvGradient[incoming].start()
                try sendGradient[outgoing].start()
                flight2 = recvGradient[incoming]
                flight3 = sendGradient[outgoing]
                bytesSent += messageBytes
            }
            let posted = comm.wtime()
            communicationSeconds += posted - t0
            hopTestSeconds = 0

            var dC: UnsafeMutablePointer<T>?
            if gradient {
                dC = gradientPointers[comp]
                dC!.update(repeating: 0, count: partials == .sum ? n * k : 2 * n)
            }
            try compute(chunkPointers[cur], n, offsets[owner], dC)

            let waiting = comm.wtime()
            if forward || travel { overlappedSeconds += Swift.max(0, waiting - posted - hopTestSeconds) }
            if forward {
                try recvChunk[nxt].wait()
                try sendChunk[cur].wait()
            }
            if travel {
                try recvGradient[incoming].wait()
                try sendGradient[outgoing].wait()
            }
            flight0 = nil
            flight1 = nil
            flight2 = nil
            flight3 = nil
            communicationSeconds += comm.wtime() - waiting

            if gradient {
                if travel {
                    let d = gradientPointers[comp]
                    let r = gradientPointers[incoming]
                    switch partials {
                    case .sum:
                        for t in 0..<(n * k) { d[t] += r[t] }
                    case .statistics:
                        for j in 0..<n { combineStatistics(&d[j], &d[n + j], r[j], r[n + j]) }
                    }
                }
                (outgoing, comp, incoming) = (comp, incoming, outgoing)
            }
            cur = nxt
        }
        guard gradient else { return }
        if p > 1 {
            // The completed partial of the last chunk (owner q + 1) goes home; this rank's own
            // completed dC arrives from q − 1.
            let t0 = comm.wtime()
            try recvGradient[incoming].start()
            try sendGradient[outgoing].start()
            try recvGradient[incoming].wait()
            try sendGradient[outgoing].wait()
            communicationSeconds += comm.wtime() - t0
            bytesSent += messageBytes
            ownGradientIndex = incoming
        } else {
            ownGradientIndex = outgoing
        }
    }
}
