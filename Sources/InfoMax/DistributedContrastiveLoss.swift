// InfoMax/DistributedContrastiveLoss.swift — the contrastive losses over a global batch split
// across ranks. Two candidate exchanges: all-gather the candidate embeddings, compute this
// rank's row block of logits in chunks and reduce-scatter the candidate gradients back to
// their owners; or pass the candidate blocks around a ring of ranks, overlapping each transfer
// with the computation on the previous block (RingExchange.swift). Both all-reduce the loss
// and equal the one-process loss to float rounding at any rank count; the `into:` forms reuse
// every buffer and allocate nothing after the first call with a given shape.
import Linalg
import MPI

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

/// Where one call spent its time, and how much it sent.
public struct ContrastiveCallStats: Sendable, Equatable, Codable {
    /// Seconds in local arithmetic (normalisation, gemms, log-sum-exps): the call's wall time
    /// minus ``communicationSeconds``.
    public var computeSeconds: Double
    /// Seconds inside MPI calls (including waiting for slower ranks): the exposed communication.
    public var communicationSeconds: Double
    /// Bytes this rank sends. All-gather: counted as the per-rank volume of the bandwidth-optimal
    /// (ring) algorithms, (N − b)·k elements for the all-gather and as many for the
    /// reduce-scatter. Ring: the bytes its messages really carry, (p − 1)·maxb·k elements per
    /// sweep, plus p·maxb·k for the travelling gradient. Both add the counts, the loss shares
    /// and, for `.oppositeLabel`, the labels ((p − 1)·maxb of each, all-gathered).
    public var bytesSent: Int
    /// Seconds of computation while this rank's ring transfers were in flight (the sum over
    /// hops of the compute time between posting a hop's transfers and waiting for them):
    /// communication hidden behind computation. Part of ``computeSeconds``; 0 for `.allgather`.
    public var overlappedSeconds: Double

    public init(computeSeconds: Double = 0, communicationSeconds: Double = 0, bytesSent: Int = 0,
                overlappedSeconds: Double = 0) {
        self.computeSeconds = computeSeconds
        self.communicationSeconds = communicationSeconds
        self.bytesSent = bytesSent
        self.overlappedSeconds = overlappedSeconds
    }

    enum CodingKeys: String, CodingKey {
        case computeSeconds, communicationSeconds, bytesSent, overlappedSeconds
    }

    /// Decodes, reading a missing `overlappedSeconds` (records written before it existed) as 0.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        computeSeconds = try c.decode(Double.self, forKey: .computeSeconds)
        communicationSeconds = try c.decode(Double.self, forKey: .communicationSeconds)
        bytesSent = try c.decode(Int.self, forKey: .bytesSent)
        overlappedSeconds = try c.decodeIfPresent(Double.self, forKey: .overlappedSeconds) ?? 0
    }

    /// Field-wise sum.
    public static func + (l: Self, r: Self) -> Self {
        Self(computeSeconds: l.computeSeconds + r.computeSeconds,
             communicationSeconds: l.communicationSeconds + r.communicationSeconds,
             bytesSent: l.bytesSent + r.bytesSent,
             overlappedSeconds: l.overlappedSeconds + r.overlappedSeconds)
    }
}

/// A ``ContrastiveLoss`` whose global batch is split across the ranks of a communicator.
///
/// Each rank passes its LOCAL anchors A (b × k), positives Pos (b × k) and candidate block
/// C (b × k, the candidates of the same samples as its anchors) and, for `.oppositeLabel`,
/// its b labels. Ranks may hold different b (also 0); the global order is rank order. Every
/// rank gets the same loss value, ∂L/∂A and ∂L/∂Pos for its own rows, and ∂L/∂C for its own
/// candidate block (summed over every rank's anchors). All ranks must call together, with the
/// same `loss`, `exchange` and embedding width (a mismatch throws on every rank).
///
/// Memory per rank: `.allgather` holds the N × k gathered candidates and their N × k gradient;
/// `.ring` holds five blocks of maxb × k (two candidate chunks, three gradient partials);
/// both hold a logits block of at most `blockElements` scalars (at least one row of N, or of
/// maxb for the ring) and, for `.oppositeLabel`, the N labels (gathered padded to p·maxb, then
/// compacted). The B × B matrix is never formed.
///
/// Allocation: the `into:` forms reuse the caller's result matrices and this object's
/// buffers; after the first call with a given shape they allocate nothing (as long as the
/// caller holds no other reference to the result's matrices, which would force a copy on write).
/// The returning forms allocate only their results.
public final class DistributedContrastiveLoss<T: BLASScalar & MPIScalar> {
    public let communicator: Communicator
    /// The objective and its options.
    public var loss: ContrastiveLoss
    /// How candidates are exchanged.
    public var exchange: CandidateExchange
    /// Upper bound on the logits held at once (rows of N, or of maxb for the ring); 4 Mi
    /// scalars by default.
    public var blockElements: Int
    /// Timing and volume of the last `evaluate` (or both directions of `evaluateSymmetric`).
    public private(set) var lastStats = ContrastiveCallStats()

    private var aHat = Matrix<T>(rows: 0, cols: 0), pHat = Matrix<T>(rows: 0, cols: 0), cHat = Matrix<T>(rows: 0, cols: 0)
    private var aNorms: [T] = [], pNorms: [T] = [], cNorms: [T] = []
    private var logits: [T] = []
    /// All-gather: the gathered candidates and the gradient with respect to all of them.
    private var gathered: [T] = []
    private var dCGlobal: [T] = []
    /// Per call: [rows, cols, error flag, options code] of this rank, and of every rank.
    private var infoLocal: [Int64] = [0, 0, 0, 0]
    private var infoAll: [Int64] = []
    private var counts: [Int] = [], offsets: [Int] = []
    private var candidateLayout = VectorLayout()
    private var labelsLocal: [Int64] = [], labelsPadded: [Int64] = [], labelsGlobal: [Int64] = []
    private var pairScratch: [Int64] = []
    /// This rank's share of the loss, and every rank's (summed in rank order on every rank).
    private var lossLocal: [Double] = [0], lossParts: [Double] = []
    /// Ring: per local row, the positive logit, the running max / sum-exp, then the log-sum-exp.
    private var positive: [T] = [], rowMax: [T] = [], rowSum: [T] = []
    private var ring: RingExchange<T>?
    /// The two directions of `evaluateSymmetric(_:_:labels:into:)`.
    private var forward = ContrastiveResult<T>(), backward = ContrastiveResult<T>()

    /// - Parameters:
    ///   - communicator: the ranks that share the global batch.
    ///   - loss: the objective and its options.
    ///   - exchange: how candidates reach every rank (the result is the same either way).
    ///   - blockElements: upper bound on the logits held at once (at least 1).
    public init(communicator: Communicator, loss: ContrastiveLoss, exchange: CandidateExchange = .allgather,
                blockElements: Int = 1 << 22) throws {
        try loss.validate()
        guard blockElements >= 1 else { throw InfoMaxError.invalidOption("blockElements must be at least 1, got \(blockElements)") }
        self.communicator = communicator
        self.loss = loss
        self.exchange = exchange
        self.blockElements = blockElements
    }

    /// The loss of the global batch and this rank's gradients (see the type's documentation).
    /// Allocates its result; ``evaluate(anchors:positives:candidates:labels:into:)`` does not.
    public func evaluate(anchors a: Matrix<T>, positives pos: Matrix<T>, candidates c: Matrix<T>,
                         labels: [Int]? = nil) throws -> ContrastiveResult<T> {
        var result = ContrastiveResult<T>()
        try evaluate(anchors: a, positives: pos, candidates: c, labels: labels, into: &result)
        return result
    }

    /// The symmetric loss ½ [L(A=h, Pos=g, C=g) + L(A=g, Pos=h, C=h)] over the global batch
    /// (h, g: this rank's rows of the two embeddings), with ∂/∂h and ∂/∂g of this rank's rows.
    /// `lastStats` covers both directions. Allocates its result;
    /// ``evaluateSymmetric(_:_:labels:into:)`` does not.
    public func evaluateSymmetric(_ h: Matrix<T>, _ g: Matrix<T>, labels: [Int]? = nil) throws -> SymmetricContrastiveResult<T> {
        var result = SymmetricContrastiveResult<T>()
        try evaluateSymmetric(h, g, labels: labels, into: &result)
        return result
    }

    /// ``evaluateSymmetric(_:_:labels:)`` into `result`, whose matrices are reshaped and
    /// overwritten. No allocation after the first call with a given shape.
    public func evaluateSymmetric(_ h: Matrix<T>, _ g: Matrix<T>, labels: [Int]? = nil,
                                  into result: inout SymmetricContrastiveResult<T>) throws {
        try evaluate(anchors: h, positives: g, candidates: g, labels: labels, into: &forward)
        let first = lastStats
        try evaluate(anchors: g, positives: h, candidates: h, labels: labels, into: &backward)
        lastStats = first + lastStats
        combineSymmetric(forward, backward, into: &result)
    }

    /// ``evaluate(anchors:positives:candidates:labels:)`` into `result`, whose matrices are
    /// reshaped (dA, dPos: b × k; dC: b × k, or C's shape for positive-only) and overwritten.
    /// No allocation after the first call with a given shape, for either exchange.
    public func evaluate(anchors a: Matrix<T>, positives pos: Matrix<T>, candidates c: Matrix<T>,
                         labels: [Int]? = nil, into result: inout ContrastiveResult<T>) throws {
        let comm = communicator
        let start = comm.wtime()
        var commSeconds = 0.0
        var bytes = 0
        let elt = MemoryLayout<T>.stride
        let loss = self.loss
        let cosine = loss.similarity == .cosine
        let needC = loss.needsCandidates
        let needLabels = needC && loss.negatives == .oppositeLabel
        let p = comm.size

        // 1. Validate locally, agree on the outcome and the options, learn every rank's count.
        var localError: Error?
        do {
            try loss.validate()
            try loss.checkShapes(a, pos, needC ? c : a, labels: labels, candidatesGlobal: false)
        } catch { localError = error }
        infoLocal[0] = Int64(a.rows)
        infoLocal[1] = Int64(a.cols)
        infoLocal[2] = localError == nil ? 0 : 1
        infoLocal[3] = optionsCode(loss, exchange)
        var t0 = comm.wtime()
        try comm.allgather(infoLocal, into: &infoAll)
        commSeconds += comm.wtime() - t0
        bytes += 4 * 8 * (p - 1)
        if let localError { throw localError }
        for r in 0..<p where infoAll[4 * r + 2] != 0 {
            throw InfoMaxError.remoteRankFailed("rank \(r) rejected its inputs (see its message)")
        }
        for r in 0..<p where infoAll[4 * r + 3] != infoLocal[3] {
            throw InfoMaxError.invalidOption("rank \(r) evaluates with other loss options or another candidate exchange than rank \(comm.rank); all ranks must agree")
        }
        let k = a.cols
        counts.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        var B = 0, maxb = 0
        for r in 0..<p {
            let n = Int(infoAll[4 * r])
            if n > 0 && Int(infoAll[4 * r + 1]) != k {
                throw InfoMaxError.shapeMismatch("rank \(r) has embeddings of width \(infoAll[4 * r + 1]), this rank \(k); all ranks must agree")
            }
            counts.append(n)
            offsets.append(B)
            B += n
            maxb = Swift.max(maxb, n)
        }
        let b = a.rows
        let offset = offsets[comm.rank]

        // 2. Normalise locally (cosine); gather the labels (N of them, both exchanges).
        if cosine {
            normalizeRows(a, into: &aHat, norms: &aNorms)
            normalizeRows(pos, into: &pHat, norms: &pNorms)
            if needC { normalizeRows(c, into: &cHat, norms: &cNorms) }
        }
        if needLabels, let labels {
            // Padded to maxb per rank and gathered with MPI_Allgather, then compacted: Open MPI's
            // Allgatherv builds (allocates) an indexed datatype on every call.
            resizeZeroed(&labelsLocal, maxb)
            for i in 0..<labels.count { labelsLocal[i] = Int64(labels[i]) }
            t0 = comm.wtime()
            try comm.allgather(labelsLocal, into: &labelsPadded)
            commSeconds += comm.wtime() - t0
            bytes += (p - 1) * maxb * 8
            resizeZeroed(&labelsGlobal, B)
            for r in 0..<p {
                for i in 0..<counts[r] { labelsGlobal[offsets[r] + i] = labelsPadded[r * maxb + i] }
            }
        }
        let pairs = loss.objective == .spectral
            ? negativePairCount(loss.negatives, labels: needLabels ? labelsGlobal : nil, count: B, scratch: &pairScratch) : 0
        let wantDC = needC && !loss.stopGradient
        let ah = cosine ? aHat : a, ph = cosine ? pHat : pos, ch = cosine ? cHat : c

        // 3. This rank's rows of the loss and the gradients.
        var localLoss = 0.0
        if !needC || exchange == .allgather {
            if needC {
                try candidateLayout.set(counts: counts, scale: k)
                t0 = comm.wtime()
                try comm.allgatherv(ch.storage, into: &gathered, layout: candidateLayout)
                commSeconds += comm.wtime() - t0
                bytes += (B - b) * k * elt
                if wantDC { resizeZeroed(&dCGlobal, B * k) }
            } else {
                gathered.removeAll(keepingCapacity: true)
            }
            localLoss = gathered.withUnsafeBufferPointer { pc in
                dCGlobal.withUnsafeMutableBufferPointer { pdc in
                    contrastiveRowBlock(loss, aHat: ah, pHat: ph, cHat: pc,
                                        labels: needLabels ? labelsGlobal : nil, offset: offset, globalCount: B, pairCount: pairs,
                                        blockElements: blockElements, logits: &logits, dA: &result.dA, dP: &result.dPos,
                                        dC: wantDC ? pdc : nil)
                }
            }
        } else {
            let ring: RingExchange<T>
            if let existing = self.ring { ring = existing } else { ring = RingExchange(communicator: comm); self.ring = ring }
            ring.resetStats()
            localLoss = try ringRows(ring, loss, ah: ah, ph: ph, ch: ch, b: b, k: k, B: B, maxb: maxb, offset: offset,
                                     pairs: pairs, needLabels: needLabels, wantDC: wantDC, result: &result)
            commSeconds += ring.communicationSeconds
            bytes += ring.bytesSent
        }

        // 4. Sum the loss; the all-gather exchange sends the candidate gradients to their owners
        // (the ring brought them home already). The loss shares are all-gathered and summed in
        // rank order (the same sum on every rank; Open MPI's Allreduce allocates a temporary
        // on every call, its Allgather of one value per rank does not).
        t0 = comm.wtime()
        lossLocal[0] = localLoss
        try comm.allgather(lossLocal, into: &lossParts)
        var value = 0.0
        for r in 0..<p { value += lossParts[r] }
        bytes += (p - 1) * 8
        if needC {
            result.dC.reshape(rows: b, cols: k)
            if wantDC && exchange == .allgather {
                try comm.reduceScatter(dCGlobal, into: &result.dC.storage, layout: candidateLayout, op: .sum)
                bytes += (B - b) * k * elt
            } else if !wantDC {
                fillZero(&result.dC.storage)
            }
        } else {
            result.dC.reshape(rows: c.rows, cols: c.cols)
            fillZero(&result.dC.storage)
        }
        commSeconds += comm.wtime() - t0

        // 5. Back through the normalisation, locally.
        if cosine {
            backpropNormalization(&result.dA, normalized: aHat, norms: aNorms)
            if !loss.stopGradient { backpropNormalization(&result.dPos, normalized: pHat, norms: pNorms) }
            if wantDC { backpropNormalization(&result.dC, normalized: cHat, norms: cNorms) }
        }
        if loss.stopGradient { fillZero(&result.dPos.storage) }
        result.value = T(value)
        let total = comm.wtime() - start
        lastStats = ContrastiveCallStats(computeSeconds: total - commSeconds, communicationSeconds: commSeconds, bytesSent: bytes,
                                         overlappedSeconds: exchange == .ring && needC ? ring?.overlappedSeconds ?? 0 : 0)
    }

    /// The ring exchange for this rank's rows: InfoNCE sweeps twice (online log-sum-exps, then
    /// gradients), spectral once. Writes dA, dPos (b × k) and, when `wantDC`, this rank's dC
    /// (b × k, before the normalisation backward); returns this rank's share of the loss.
    private func ringRows(_ ring: RingExchange<T>, _ loss: ContrastiveLoss, ah: Matrix<T>, ph: Matrix<T>, ch: Matrix<T>,
                          b: Int, k: Int, B: Int, maxb: Int, offset: Int, pairs: Int, needLabels: Bool, wantDC: Bool,
                          result: inout ContrastiveResult<T>) throws -> Double {
        result.dA.reshape(rows: b, cols: k)
        result.dPos.reshape(rows: b, cols: k)
        fillZero(&result.dA.storage)
        fillZero(&result.dPos.storage)
        guard maxb > 0, k > 0 else { return 0 }  // No candidates anywhere (or width 0): as `.allgather`.
        try ring.configure(elements: maxb * k, gradient: wantDC)
        let rowsPerBlock = Swift.max(1, Swift.min(Swift.max(b, 1), blockElements / maxb))
        if logits.count < rowsPerBlock * maxb { resizeZeroed(&logits, rowsPerBlock * maxb) }
        resizeZeroed(&positive, b)
        resizeZeroed(&rowMax, b)
        resizeZeroed(&rowSum, b)
        let g = T(loss.scale / loss.temperature)
        let invB = 1 / T(B)
        let infoNCE = loss.objective == .infoNCE
        let labelsGlobal = needLabels ? self.labelsGlobal : []
        var total = 0.0

        try ah.storage.withUnsafeBufferPointer { pa in
        try ph.storage.withUnsafeBufferPointer { pp in
        try ch.storage.withUnsafeBufferPointer { pc in
        try labelsGlobal.withUnsafeBufferPointer { py in
        try logits.withUnsafeMutableBufferPointer { pl in
        try positive.withUnsafeMutableBufferPointer { plp in
        try rowMax.withUnsafeMutableBufferPointer { pm in
        try rowSum.withUnsafeMutableBufferPointer { ps in
        try result.dA.storage.withUnsafeMutableBufferPointer { pdA in
        try result.dPos.storage.withUnsafeMutableBufferPointer { pdP in
            // Empty local rows have no base address; nothing reads them then.
            let a = pa.baseAddress ?? UnsafePointer(pl.baseAddress!), pPos = pp.baseAddress ?? a
            let lp = plp.baseAddress ?? pl.baseAddress!, mx = pm.baseAddress ?? pl.baseAddress!
            let sm = ps.baseAddress ?? pl.baseAddress!, dA = pdA.baseAddress ?? pl.baseAddress!
            let labels: UnsafeBufferPointer<Int64>? = needLabels ? py : nil
            positiveLogits(g: g, a: a, p: pPos, b: b, k: k, into: lp)

            if infoNCE {
                // Pass 1: online row log-sum-exps over the chunks, starting from the positive.
                for i in 0..<b { mx[i] = lp[i]; sm[i] = 1 }
                try ring.sweep(own: pc, counts: counts, offsets: offsets, k: k, gradient: false) { chunk, n, chunkOffset, _ in
                    try chunkLogSumExp(loss, a: a, b: b, k: k, chunk: chunk, n: n, anchorOffset: offset, chunkOffset: chunkOffset,
                                       labels: labels, rowsPerBlock: rowsPerBlock, logits: pl.baseAddress!,
                                       rowMax: mx, rowSum: sm, between: { try ring.progress() })
                }
                for i in 0..<b {
                    let lse = mx[i] + T.log(sm[i])
                    total += Double(lse - lp[i])
                    mx[i] = lse
                }
            }
            // Pass 2 (InfoNCE; the only pass for spectral): weights, dA, and dC travelling home.
            try ring.sweep(own: pc, counts: counts, offsets: offsets, k: k, gradient: wantDC) { chunk, n, chunkOffset, dC in
                total += try chunkGradient(loss, a: a, b: b, k: k, chunk: chunk, n: n, anchorOffset: offset, chunkOffset: chunkOffset,
                                           labels: labels, rowsPerBlock: rowsPerBlock, logits: pl.baseAddress!,
                                           lse: mx, globalCount: B, pairCount: pairs, dA: dA, dC: dC, between: { try ring.progress() })
            }
            // The positive pairs: ∂L/∂ℓ(a_i, pos_i) → dâ_i += g·dl·p̂_i, dp̂_i = g·dl·â_i.
            for i in 0..<b {
                let dl: T
                if infoNCE {
                    dl = (T.exp(lp[i] - mx[i]) - 1) * invB
                } else {
                    total -= 2 * Double(lp[i]) / Double(B)
                    dl = -2 * invB
                }
                for t in 0..<k {
                    pdA[i * k + t] += g * dl * pPos[i * k + t]
                    pdP[i * k + t] = g * dl * a[i * k + t]
                }
            }
        }}}}}}}}}}
        if wantDC, b > 0 {
            result.dC.reshape(rows: b, cols: k)
            let own = ring.ownGradient
            result.dC.storage.withUnsafeMutableBufferPointer { d in
                d.baseAddress!.update(from: own, count: b * k)
            }
        }
        return infoNCE ? total / Double(B) : total
    }
}

/// Everything that decides the message pattern of a call, as one number all ranks compare.
private func optionsCode(_ loss: ContrastiveLoss, _ exchange: CandidateExchange) -> Int64 {
    var code: Int64
    switch loss.objective {
    case .infoNCE: code = 0
    case .positiveOnly: code = 1
    case .spectral: code = 2
    }
    switch loss.negatives {
    case .allOthers: break
    case .oppositeLabel: code += 4
    }
    if loss.stopGradient { code += 8 }
    switch exchange {
    case .allgather: break
    case .ring: code += 16
    }
    return code
}

/// Makes `x` hold `count` zeros, reusing its storage when the capacity suffices.
func resizeZeroed<T: Numeric>(_ x: inout [T], _ count: Int) {
    if x.count == count {
        fillZero(&x)
    } else {
        x.removeAll(keepingCapacity: true)
        x.append(contentsOf: repeatElement(0, count: count))
    }
}

/// Sets every element of `x` to zero (in place).
func fillZero<T: Numeric>(_ x: inout [T]) {
    x.withUnsafeMutableBufferPointer { p in p.update(repeating: 0) }
}
