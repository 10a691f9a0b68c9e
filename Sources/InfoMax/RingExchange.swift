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
/// One sweep at rank q of p: at hop h = 0 ..< p, q holds the chunk of owner (q − h) mod p; for
/// h < p − 1 it starts the receive of the next chunk from q − 1 and the send of the current one
/// to q + 1, computes on the current chunk, then waits. With a travelling gradient, for h ≥ 1
/// it also receives the partial dC of this hop's chunk (summed over the ranks that saw it) and
/// sends on the completed partial of hop h − 1, adding the received one to its own after
/// waiting; one more exchange after the last hop brings every owner its summed dC. Every
/// message is maxb · k elements (the largest local count), so the requests can be persistent.
final class RingExchange<T: BLASScalar & MPIScalar> {
    /// Buffers that each have a persistent send to the next rank and receive from the previous.
    private struct Lane {
        var pointers: [UnsafeMutablePointer<T>] = []
        var send: [PersistentRequest] = [], recv: [PersistentRequest] = []
        /// MPIBuffer's storage never moves while the buffer lives: `pointers` stay valid.
        var buffers: [MPIBuffer<T>] = []

        init() {}

        init(_ count: Int, elements: Int, comm: Communicator, tag: Int) throws {
            let p = comm.size
            for _ in 0..<count {
                let buffer = MPIBuffer<T>(repeating: 0, count: elements)
                buffers.append(buffer)
                pointers.append(buffer.withUnsafeMutableBufferPointer { $0.baseAddress! })
                if p > 1 {
                    send.append(try comm.sendInit(buffer, to: (comm.rank + 1) % p, tag: tag))
                    recv.append(try comm.recvInit(into: buffer, from: (comm.rank + p - 1) % p, tag: tag))
                }
            }
        }

        /// Starts the receive into buffer `into` and the send of buffer `from`.
        func start(into: Int, from: Int) throws {
            try recv[into].start()
            try send[from].start()
        }

        func wait(into: Int, from: Int) throws {
            try recv[into].wait()
            try send[from].wait()
        }

        /// MPI_Test on every active request (inactive ones return at once).
        func test() throws {
            for r in send { try r.test() }
            for r in recv { try r.test() }
        }
    }

    let comm: Communicator
    /// Elements of one chunk message (maxb · k); 0 until configured.
    private var chunkElements = 0
    /// Two candidate chunks and three gradient partials (accumulated, received, sent).
    private var chunks = Lane(), gradients = Lane()
    /// Index of the gradient buffer that holds this rank's fully summed dC after a sweep.
    private var ownGradientIndex = 0

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
            chunks = Lane()
            gradients = Lane()
            chunkElements = elements
        }
        if chunks.buffers.isEmpty { chunks = try Lane(2, elements: elements, comm: comm, tag: 0x5249) }
        if gradient && gradients.buffers.isEmpty {
            gradients = try Lane(3, elements: elements, comm: comm, tag: 0x524A)
        }
    }

    /// The fully summed dC of this rank's own chunk after a sweep with a travelling gradient.
    var ownGradient: UnsafeMutablePointer<T> { gradients.pointers[ownGradientIndex] }

    /// This rank's summed gradient partial (rows × k, home after a sweep with `gradient`) into
    /// `x`: row q to row order[q] when `order` is given (the grouped ring's sorted rows).
    func copyOwnGradient(rows b: Int, k: Int, order: [Int]? = nil, into x: inout [T]) {
        let own = ownGradient
        x.withUnsafeMutableBufferPointer { d in
            if let order {
                for q in 0..<b { (d.baseAddress! + order[q] * k).update(from: own + q * k, count: k) }
            } else {
                d.baseAddress!.update(from: own, count: b * k)
            }
        }
    }

    /// Books the sweeps' communication time, bytes and overlapped computation in `meter`.
    func book(into meter: inout LossSkeleton<T>.CallMeter) {
        meter.commSeconds += communicationSeconds
        meter.bytes += bytesSent
        meter.overlappedSeconds = overlappedSeconds
    }

    /// Lets MPI progress the transfers of the current hop; called between row blocks, because
    /// Open MPI over shared memory moves a large message only while the ranks are inside MPI.
    func progress() throws {
        let t0 = comm.wtime()
        try chunks.test()
        try gradients.test()
        let dt = comm.wtime() - t0
        hopTestSeconds += dt
        communicationSeconds += dt
    }

    /// One sweep of the candidate chunks around the ring.
    ///
    /// - Parameters:
    ///   - own: this rank's candidate rows (b × k, normalised for cosine).
    ///   - ownOrder: when given, this rank's chunk travels with its rows in this order (chunk
    ///     row q is `own` row ownOrder[q]; its ``ownGradient`` rows are in the same order).
    ///   - counts, offsets: every rank's row count and global offset.
    ///   - gradient: whether a partial travels behind the chunks (then ``ownGradient`` holds
    ///     this rank's summed partial afterwards): `partials` `.sum`, an n × k gradient summed
    ///     over the ranks, or `.statistics`, 2n column statistics [max_0..<n | sum-exp_0..<n]
    ///     combined as online log-sum-exps (the fused symmetric loss's column log-sum-exps).
    ///   - compute: the work on one chunk: (chunk rows, row count n, global offset of its first
    ///     row, the partial buffer — zeroed, to add or fold into — or nil).
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
                gatherRows(src, order: order, rows: ownOrder.count, k: k, into: chunks.pointers[cur])
            } else {
                chunks.pointers[cur].update(from: src, count: own.count)
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
                try chunks.start(into: nxt, from: cur)
                bytesSent += messageBytes
            }
            if travel {
                try gradients.start(into: incoming, from: outgoing)
                bytesSent += messageBytes
            }
            let posted = comm.wtime()
            communicationSeconds += posted - t0
            hopTestSeconds = 0

            var dC: UnsafeMutablePointer<T>?
            if gradient {
                dC = gradients.pointers[comp]
                dC!.update(repeating: 0, count: partials == .sum ? n * k : 2 * n)
            }
            try compute(chunks.pointers[cur], n, offsets[owner], dC)

            let waiting = comm.wtime()
            if forward || travel { overlappedSeconds += Swift.max(0, waiting - posted - hopTestSeconds) }
            if forward { try chunks.wait(into: nxt, from: cur) }
            if travel { try gradients.wait(into: incoming, from: outgoing) }
            communicationSeconds += comm.wtime() - waiting

            if gradient {
                if travel {
                    let d = gradients.pointers[comp]
                    let r = gradients.pointers[incoming]
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
            try gradients.start(into: incoming, from: outgoing)
            try gradients.wait(into: incoming, from: outgoing)
            communicationSeconds += comm.wtime() - t0
            bytesSent += messageBytes
            ownGradientIndex = incoming
        } else {
            ownGradientIndex = outgoing
        }
    }
}
