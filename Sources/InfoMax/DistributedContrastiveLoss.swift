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
    /// Upper bound on the logits held at once (rows of N, or of maxb for the ring; the ring
    /// grouped by label: rows of its widest opposite-label range plus those rows' anchors and
    /// dA); 4 Mi scalars by default.
    public var blockElements: Int
    /// Timing and volume of the last `evaluate` (or both directions of `evaluateSymmetric`).
    public private(set) var lastStats = ContrastiveCallStats()
    /// Whether ``evaluateSymmetric(_:_:labels:into:)`` computes InfoNCE's two directions from
    /// one similarity matrix (one logits gemm and two gradient gemms per row block for both
    /// directions; the all-gather exchange) instead of calling ``evaluate`` once per direction.
    /// The same loss and gradients to float rounding either way; `false` keeps the unfused
    /// path (the reference in tests).
    public var fusesSymmetric = true
    /// Whether the ring exchange fuses the symmetric InfoNCE too (two sweeps for both
    /// directions instead of two per direction; checked equal to the reference at 1–4 ranks).
    /// Off by default: at k = 64 (B 16,384, d 256, m 32, 2 ranks) it measured slower than the
    /// unfused ring (32.2 s against 25.4 s per step on a loaded machine) — its column
    /// statistics and second exponential per pair cost more than the two gemms it saves there.
    public var fusesSymmetricRing = false
    /// Fused symmetric InfoNCE, all-gather exchange: when this rank's b × N logits fit in this
    /// many scalars they are kept from the statistics pass to the gradient pass (three gemms
    /// per row block); otherwise each row block's logits are computed twice (four). 16 Mi by default.
    public var holdElements: Int = 1 << 24
    /// Opposite-label negatives: whether the rows are grouped by label so that a block of rows
    /// with one label computes its logits only against the other labels (no gemm or
    /// exponential for the masked pairs) — the fused symmetric all-gather path (candidates
    /// permuted by label) and the ring (every rank's rows sorted by label, so every travelling
    /// chunk is). `false` computes every pair and masks.
    public var groupsByLabel = true
    /// The fraction of the b × N logit pairs the last fused call computed (1 unless grouped by
    /// label: then the opposite-label pairs, about ½ for two balanced labels).
    public private(set) var lastPairFraction = 1.0

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
    /// The two directions of `evaluateSymmetric(_:_:labels:into:)` when it does not fuse them.
    private var forward = ContrastiveResult<T>(), backward = ContrastiveResult<T>()
    /// Fused symmetric InfoNCE: online column statistics of S (max, sum-exp; this rank's rows,
    /// then every rank's), the column log-sum-exps, scratch, the labels as scalars, the
    /// stop-gradient direction-2 weights of a row block, and the ring reduce-scatter of dĜ.
    private var colMax: [T] = [], colSum: [T] = [], colShift: [T] = [], blockMax: [T] = []
    private var colStatsLocal: [T] = [], colStatsAll: [T] = [], colLSE: [T] = []
    private var labelKeys: [T] = []
    private var splitWeights: [T] = []
    /// Fused ring: this rank's ĝ rows padded to maxb × k, then its columns' log-sum-exps.
    private var ownPacked: [T] = []
    /// Grouping by label: sorted position → global column, its inverse, this rank's rows in
    /// label order, the sorted labels, sort keys, permutation marks and scratch rows.
    private var colOrder: [Int] = [], colPos: [Int] = [], rowOrder: [Int] = []
    private var sortedLabels: [Int64] = [], sortKeys: [Int64] = []
    private var visited: [Bool] = []
    /// Ring grouped by label: the N labels with every rank's segment sorted (what the chunks
    /// carry; this rank's order is `rowOrder`), and a block of anchor rows and of their dA.
    private var ringLabels: [Int64] = []
    private var anchorBlock: [T] = [], anchorGradient: [T] = []
    private var rowTemp: [T] = [], rowBlock: [T] = [], rowGradient: [T] = []
    private var reducer: RingReduceScatter<T>?

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

    /// GEMM floating-point operations of one call on a rank holding `b` of the `B` global rows
    /// (embedding width k; `symmetric`: a call of ``evaluateSymmetric(_:_:labels:into:)``):
    /// `executed` by the path this object takes, `unfused` by one ``evaluate`` per direction —
    /// per direction the logits and dA gemms, dC without stop-gradient, and the logits again
    /// in the ring's second InfoNCE sweep. The fused symmetric InfoNCE executes three
    /// b × B × k gemms (all-gather, logits held) or four for both directions. Grouped by label
    /// (the fused all-gather path, or the ring) every gemm runs over the opposite-label pairs
    /// only (the fraction of the last call).
    public func gemmFlops(localRows b: Int, globalRows B: Int, width k: Int, symmetric: Bool) -> (executed: Double, unfused: Double) {
        guard loss.needsCandidates else { return (0, 0) }
        let pair = 2 * Double(b) * Double(B) * Double(k)
        let perDirection = 2.0 + (loss.stopGradient ? 0 : 1) + (exchange == .ring && loss.objective == .infoNCE ? 1 : 0)
        let unfused = (symmetric ? 2 : 1) * perDirection * pair
        guard symmetric, fusesSymmetric, loss.objective == .infoNCE, exchange == .allgather || fusesSymmetricRing else {
            let ringGrouped = exchange == .ring && groupsByLabel && loss.negatives == .oppositeLabel
            return (unfused * (ringGrouped ? lastPairFraction : 1), unfused)
        }
        let gemms = exchange == .ring || b * B > holdElements ? 4.0 : 3.0
        let grouped = exchange == .allgather && groupsByLabel && loss.negatives == .oppositeLabel
        return (gemms * pair * (grouped ? lastPairFraction : 1), unfused)
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
        if fusesSymmetric && loss.objective == .infoNCE && (exchange == .allgather || fusesSymmetricRing) {
            switch exchange {
            case .allgather:
                if groupsByLabel && loss.negatives == .oppositeLabel {
                    try fusedSymmetricAllgatherGrouped(h, g, labels: labels, into: &result)
                } else {
                    try fusedSymmetricAllgather(h, g, labels: labels, into: &result)
                }
            case .ring: try fusedSymmetricRing(h, g, labels: labels, into: &result)
            }
            return
        }
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

        let (B, maxb) = try agree(a, pos, c, labels: labels, code: optionsCode(loss, exchange),
                                  commSeconds: &commSeconds, bytes: &bytes)
        let b = a.rows, k = a.cols
        let offset = offsets[comm.rank]
        var t0 = 0.0
        if cosine {
            normalizeRows(a, into: &aHat, norms: &aNorms)
            normalizeRows(pos, into: &pHat, norms: &pNorms)
            if needC { normalizeRows(c, into: &cHat, norms: &cNorms) }
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
            let grouped = needLabels && groupsByLabel
            let width = grouped ? sortRingRows(b: b, B: B, offset: offset) : maxb
            localLoss = try ringRows(ring, loss, ah: ah, ph: ph, ch: ch, b: b, k: k, B: B, maxb: maxb, width: width, offset: offset,
                                     pairs: pairs, needLabels: needLabels, grouped: grouped, wantDC: wantDC, result: &result)
            commSeconds += ring.communicationSeconds
            bytes += ring.bytesSent
        }

        // 4. Sum the loss; the all-gather exchange sends the candidate gradients to their owners
        // (the ring brought them home already).
        t0 = comm.wtime()
        let value = try sumLossShares(localLoss, bytes: &bytes)
        if needC {
            result.dC.reshape(rows: b, cols: k)
            if wantDC && exchange == .allgather {
                try ringReducer().sum(&dCGlobal, layout: candidateLayout, into: &result.dC.storage)
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

    /// The reduce-scatter of candidate gradients (created on first use, its scratch kept).
    private func ringReducer() -> RingReduceScatter<T> {
        if let existing = reducer { return existing }
        let made = RingReduceScatter<T>(communicator: communicator)
        reducer = made
        return made
    }

    /// Steps shared by every call: validate locally, agree on the outcome and the options
    /// (`code`, compared across ranks), learn every rank's count (`counts`, `offsets`), and
    /// gather the labels when the negatives need them (`labelsGlobal`, N of them). Returns
    /// N and the largest local count.
    private func agree(_ a: Matrix<T>, _ pos: Matrix<T>, _ c: Matrix<T>, labels: [Int]?, code: Int64,
                       commSeconds: inout Double, bytes: inout Int) throws -> (B: Int, maxb: Int) {
        let comm = communicator, p = comm.size
        let loss = self.loss
        let needC = loss.needsCandidates
        let needLabels = needC && loss.negatives == .oppositeLabel
        var localError: Error?
        do {
            try loss.validate()
            try loss.checkShapes(a, pos, needC ? c : a, labels: labels, candidatesGlobal: false)
        } catch { localError = error }
        infoLocal[0] = Int64(a.rows)
        infoLocal[1] = Int64(a.cols)
        infoLocal[2] = localError == nil ? 0 : 1
        infoLocal[3] = code
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
        return (B, maxb)
    }

    /// Where one call's time and bytes go (``lastStats`` at its end).
    private struct CallMeter {
        let start: Double
        var commSeconds = 0.0
        var bytes = 0
        func stats(at end: Double, overlappedSeconds: Double = 0) -> ContrastiveCallStats {
            ContrastiveCallStats(computeSeconds: end - start - commSeconds, communicationSeconds: commSeconds, bytesSent: bytes,
                                 overlappedSeconds: overlappedSeconds)
        }
    }

    /// What every fused symmetric path knows after its start: the global and local row counts,
    /// the width, this rank's offset, its (normalised) rows of h and g, the logit scale g and
    /// the loss weight 1/2N; the all-gather paths add their row-block plan.
    private struct FusedInputs {
        let B: Int, maxb: Int, b: Int, k: Int, offset: Int
        let hh: Matrix<T>, gh: Matrix<T>
        let gs: T, scale: T
        var hold = false, rowsPerBlock = 1
    }

    /// The start of every fused symmetric path: agree with the other ranks, normalise the rows
    /// (cosine) and, for the masked opposite-label forms (`labelKeys`), hold the N labels as
    /// scalars (exact for |y| < 2²⁴ in Float) so that masking is a vector select.
    private func fusedInputs(_ h: Matrix<T>, _ gm: Matrix<T>, labels: [Int]?, labelKeys wantKeys: Bool,
                             meter: inout CallMeter) throws -> FusedInputs {
        let (B, maxb) = try agree(h, gm, gm, labels: labels, code: optionsCode(loss, exchange) + 32,
                                  commSeconds: &meter.commSeconds, bytes: &meter.bytes)
        let cosine = loss.similarity == .cosine
        if cosine {
            normalizeRows(h, into: &aHat, norms: &aNorms)
            normalizeRows(gm, into: &pHat, norms: &pNorms)
        }
        if wantKeys {
            if labelKeys.count != B { resizeZeroed(&labelKeys, B) }
            for j in 0..<B { labelKeys[j] = T(labelsGlobal[j]) }
        }
        return FusedInputs(B: B, maxb: maxb, b: h.rows, k: h.cols, offset: offsets[communicator.rank],
                           hh: cosine ? aHat : h, gh: cosine ? pHat : gm,
                           gs: T(loss.scale / loss.temperature), scale: 1 / T(2 * B))
    }

    /// ``fusedInputs`` plus what both all-gather paths do next: gather every rank's ĝ rows,
    /// size the result and the statistics, and plan the row blocks (logits held between the
    /// passes when b × N ≤ ``holdElements``).
    private func fusedAllgatherSetup(_ h: Matrix<T>, _ gm: Matrix<T>, labels: [Int]?, labelKeys: Bool,
                                     into result: inout SymmetricContrastiveResult<T>, meter: inout CallMeter) throws -> FusedInputs {
        var f = try fusedInputs(h, gm, labels: labels, labelKeys: labelKeys, meter: &meter)
        let B = f.B, b = f.b, k = f.k
        try candidateLayout.set(counts: counts, scale: k)
        let t0 = communicator.wtime()
        try communicator.allgatherv(f.gh.storage, into: &gathered, layout: candidateLayout)
        meter.commSeconds += communicator.wtime() - t0
        meter.bytes += (B - b) * k * MemoryLayout<T>.stride
        resizeZeroed(&dCGlobal, B * k)
        result.dFirst.reshape(rows: b, cols: k)
        result.dSecond.reshape(rows: b, cols: k)
        fillZero(&result.dFirst.storage)
        resizeZeroed(&positive, b)
        resizeZeroed(&rowMax, b)
        resizeZeroed(&rowSum, b)
        resizeZeroed(&colMax, B)
        resizeZeroed(&colSum, B)
        resizeZeroed(&colShift, B)
        resizeZeroed(&blockMax, B)
        resizeZeroed(&colLSE, B)
        f.hold = b * B <= holdElements
        f.rowsPerBlock = Swift.max(1, Swift.min(Swift.max(b, 1), blockElements / Swift.max(B, 1)))
        let logitsNeeded = f.hold ? b * B : f.rowsPerBlock * B
        if logits.count < logitsNeeded { resizeZeroed(&logits, logitsNeeded) }
        if loss.stopGradient && splitWeights.count < f.rowsPerBlock * B { resizeZeroed(&splitWeights, f.rowsPerBlock * B) }
        return f
    }

    /// Runs `body` with the all-gather paths' statistics buffers bound, in this order: the
    /// positive logits, the row max and sum-exp, the column max and sum-exp, and the column
    /// shift and block max scratch (all sized by ``fusedAllgatherSetup``).
    private func withStatistics(_ body: (UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<T>,
                                         UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<T>,
                                         UnsafeMutableBufferPointer<T>) -> Void) {
        positive.withUnsafeMutableBufferPointer { plp in
        rowMax.withUnsafeMutableBufferPointer { pm in
        rowSum.withUnsafeMutableBufferPointer { ps in
        colMax.withUnsafeMutableBufferPointer { pcm in
        colSum.withUnsafeMutableBufferPointer { pcs in
        colShift.withUnsafeMutableBufferPointer { pcsh in
        blockMax.withUnsafeMutableBufferPointer { pbm in
            body(plp, pm, ps, pcm, pcs, pcsh, pbm)
        }}}}}}}
    }

    /// All-gather paths: every rank's (max, sum-exp) statistics of the N columns (`colMax`,
    /// `colSum`) are gathered and combined in rank order (the same bits on every rank) into
    /// the column log-sum-exps `colLSE`. The loss rides along, so that it needs no collective
    /// of its own: each rank adds its rows' share Σᵢ (row LSEᵢ − 2·Sᵢᵢ) (`rowShare`, sent as
    /// two scalars, high and low part, ~48 bits in Float); returns the summed loss
    /// Σ_r rowShare_r + Σⱼ col LSEⱼ (before the 1/2N), the same on every rank.
    private func combineColumnStatistics(_ B: Int, rowShare: Double, meter: inout CallMeter) throws -> Double {
        let p = communicator.size, width = 2 * B + 2
        resizeZeroed(&colStatsLocal, width)
        for j in 0..<B { colStatsLocal[j] = colMax[j]; colStatsLocal[B + j] = colSum[j] }
        let high = T(rowShare)
        colStatsLocal[2 * B] = high
        colStatsLocal[2 * B + 1] = T(rowShare - Double(high))
        let t0 = communicator.wtime()
        try communicator.allgather(colStatsLocal, into: &colStatsAll)
        meter.commSeconds += communicator.wtime() - t0
        meter.bytes += (p - 1) * width * MemoryLayout<T>.stride
        var total = 0.0
        for r in 0..<p { total += Double(colStatsAll[r * width + 2 * B]) + Double(colStatsAll[r * width + 2 * B + 1]) }
        for j in 0..<B {
            var m = -T.infinity, sum: T = 0
            for r in 0..<p { combineStatistics(&m, &sum, colStatsAll[r * width + j], colStatsAll[r * width + B + j]) }
            colLSE[j] = m + T.log(sum)
            total += Double(colLSE[j])
        }
        return total
    }

    /// The positive pairs (S's diagonal) of the local rows, added to dĤ and dĜ. `row(q)` gives
    /// the q-th row's index, its row log-sum-exp and its column's log-sum-exp (the paths keep
    /// these in their own order).
    private func addPositivePairs(_ f: FusedInputs, into result: inout SymmetricContrastiveResult<T>,
                                  row: (Int) -> (i: Int, rowLSE: T, colLSE: T)) {
        let k = f.k, gs = f.gs, scale = f.scale, stopGradient = loss.stopGradient
        f.hh.storage.withUnsafeBufferPointer { pa in
        f.gh.storage.withUnsafeBufferPointer { pg in
        result.dFirst.storage.withUnsafeMutableBufferPointer { pdh in
        result.dSecond.storage.withUnsafeMutableBufferPointer { pdg in
            for q in 0..<f.b {
                let (i, rowLSE, colLSE) = row(q)
                let lp = positive[i]
                let pii = T.exp(lp - rowLSE) - 1, qii = T.exp(lp - colLSE) - 1
                let d1 = gs * scale * (stopGradient ? pii : pii + qii)
                let d2 = gs * scale * (stopGradient ? qii : pii + qii)
                for t in 0..<k {
                    pdh[i * k + t] += d1 * pg[i * k + t]
                    pdg[i * k + t] += d2 * pa[i * k + t]
                }
            }
        }}}}
    }

    /// The end of both all-gather paths: the dĜ partials (global column order) reduce-scattered
    /// to their owners, the positive pairs, then ``finishFused``.
    private func finishFusedAllgather(_ f: FusedInputs, into result: inout SymmetricContrastiveResult<T>, summedLoss: Double,
                                      meter: inout CallMeter, row: (Int) -> (i: Int, rowLSE: T, colLSE: T)) throws {
        let t0 = communicator.wtime()
        try ringReducer().sum(&dCGlobal, layout: candidateLayout, into: &result.dSecond.storage)
        meter.commSeconds += communicator.wtime() - t0
        meter.bytes += (f.B - f.b) * f.k * MemoryLayout<T>.stride
        addPositivePairs(f, into: &result, row: row)
        try finishFused(f.B, into: &result, loss: .summed(summedLoss), meter: meter)
    }

    /// A fused path's loss before the 1/2N: this rank's share (summed over the ranks at the
    /// end), or already the sum over the ranks (the all-gather paths fold it into the column
    /// statistics).
    private enum FusedLoss {
        case local(Double)
        case summed(Double)
    }

    /// The end of every fused path: back through the normalisation, the loss / 2N (summed over
    /// the ranks if it is not yet), and the call's ``lastStats``.
    private func finishFused(_ B: Int, into result: inout SymmetricContrastiveResult<T>, loss total: FusedLoss, meter: CallMeter,
                             overlappedSeconds: Double = 0) throws {
        var meter = meter
        if loss.similarity == .cosine {
            backpropNormalization(&result.dFirst, normalized: aHat, norms: aNorms)
            backpropNormalization(&result.dSecond, normalized: pHat, norms: pNorms)
        }
        let value: Double
        switch total {
        case .local(let share):
            let t0 = communicator.wtime()
            value = try sumLossShares(share / Double(2 * Swift.max(B, 1)), bytes: &meter.bytes)
            meter.commSeconds += communicator.wtime() - t0
        case .summed(let sum):
            value = sum / Double(2 * Swift.max(B, 1))
        }
        result.value = T(value)
        lastStats = meter.stats(at: communicator.wtime(), overlappedSeconds: overlappedSeconds)
    }

    /// The sum of every rank's `share`, in rank order (the same sum on every rank): the shares
    /// are all-gathered (Open MPI's Allreduce allocates a temporary on every call, its
    /// Allgather of one value per rank does not).
    private func sumLossShares(_ share: Double, bytes: inout Int) throws -> Double {
        let p = communicator.size
        lossLocal[0] = share
        try communicator.allgather(lossLocal, into: &lossParts)
        var value = 0.0
        for r in 0..<p { value += lossParts[r] }
        bytes += (p - 1) * 8
        return value
    }

    /// The symmetric InfoNCE with both directions from one similarity matrix, all-gather
    /// exchange. With S = g·Ĥ Ĝᵀ (this rank holds rows R = its anchors h, against all N
    /// gathered ĝ), direction 1's log-sum-exps are S's row ones (local) and direction 2's the
    /// column ones: each rank folds its rows into online column (max, sum-exp) statistics, the
    /// statistics are all-gathered (2N scalars per rank) and combined in rank order. Then, per
    /// row block, W = (P + Q)/2N (P, Q: row and column softmax; with stop-gradient each
    /// direction keeps its own part, W₁ = P/2N for dĤ and W₂ = Q/2N for dĜ), dĤ_R = g·W₁ Ĝ and
    /// the partial dĜ = g·W₂ᵀ Ĥ_R, reduce-scattered to the owners. The positive pairs (S's
    /// diagonal) are added row by row. Three b × N × k gemms per row block when the logits are
    /// held between the passes (``holdElements``), four otherwise; one would be six unfused.
    private func fusedSymmetricAllgather(_ h: Matrix<T>, _ gm: Matrix<T>, labels: [Int]?,
                                         into result: inout SymmetricContrastiveResult<T>) throws {
        var meter = CallMeter(start: communicator.wtime())
        let needLabels = loss.negatives == .oppositeLabel
        let stopGradient = loss.stopGradient
        let f = try fusedAllgatherSetup(h, gm, labels: labels, labelKeys: needLabels, into: &result, meter: &meter)
        let B = f.B, b = f.b, k = f.k, offset = f.offset, hh = f.hh, gh = f.gh, gs = f.gs, scale = f.scale
        let hold = f.hold, rowsPerBlock = f.rowsPerBlock
        var rowShare = 0.0

        if b > 0 && k > 0 {
            hh.storage.withUnsafeBufferPointer { pa in
            gh.storage.withUnsafeBufferPointer { pg in
            gathered.withUnsafeBufferPointer { pc in
            labelKeys.withUnsafeBufferPointer { py in
            logits.withUnsafeMutableBufferPointer { pl in
            withStatistics { plp, pm, ps, pcm, pcs, pcsh, pbm in
                let a = pa.baseAddress!, lp = plp.baseAddress!, L = pl.baseAddress!
                let keys: UnsafePointer<T>? = needLabels ? py.baseAddress : nil
                positiveLogits(g: gs, a: a, p: pg.baseAddress!, b: b, k: k, into: lp)
                for i in 0..<b { pm[i] = lp[i]; ps[i] = 1 }
                for j in 0..<B { pcm[j] = -.infinity; pcs[j] = 0 }
                for i in 0..<b { pcm[offset + i] = lp[i]; pcs[offset + i] = 1 }
                var i0 = 0
                while i0 < b {
                    let rr = Swift.min(rowsPerBlock, b - i0)
                    let w = hold ? L + i0 * B : L
                    maskedLogitsKeyed(g: gs, a: a, k: k, i0: i0, rr: rr, chunk: pc.baseAddress!, n: B, anchorOffset: offset,
                                      chunkOffset: 0, labelKeys: keys, into: w)
                    fusedStatistics(w, rows: rr, columns: B, rowMax: pm.baseAddress! + i0, rowSum: ps.baseAddress! + i0,
                                    colMax: pcm.baseAddress!, colSum: pcs.baseAddress!, colShift: pcsh.baseAddress!,
                                    blockMax: pbm.baseAddress!)
                    i0 += rr
                }
            }}}}}}
        } else {
            for j in 0..<B { colMax[j] = -.infinity; colSum[j] = 0 }
        }
        for i in 0..<b {
            rowMax[i] += T.log(rowSum[i])  // from here on: the row log-sum-exps
            rowShare += Double(rowMax[i]) - 2 * Double(positive[i])
        }
        let summedLoss = try combineColumnStatistics(B, rowShare: rowShare, meter: &meter)

        if b > 0 && k > 0 {
            hh.storage.withUnsafeBufferPointer { pa in
            gathered.withUnsafeBufferPointer { pc in
            labelKeys.withUnsafeBufferPointer { py in
            logits.withUnsafeMutableBufferPointer { pl in
            splitWeights.withUnsafeMutableBufferPointer { psw in
            rowMax.withUnsafeBufferPointer { plse in
            colLSE.withUnsafeBufferPointer { pcl in
            colShift.withUnsafeMutableBufferPointer { pf in
            dCGlobal.withUnsafeMutableBufferPointer { pdg in
            result.dFirst.storage.withUnsafeMutableBufferPointer { pdh in
                let a = pa.baseAddress!, c = pc.baseAddress!, L = pl.baseAddress!
                let keys: UnsafePointer<T>? = needLabels ? py.baseAddress : nil
                let factors = columnFactors(pcl.baseAddress!, count: B, into: pf.baseAddress!).map { ($0, UnsafePointer(pf.baseAddress!)) }
                var i0 = 0
                while i0 < b {
                    let rr = Swift.min(rowsPerBlock, b - i0)
                    let w = hold ? L + i0 * B : L
                    if !hold {
                        maskedLogitsKeyed(g: gs, a: a, k: k, i0: i0, rr: rr, chunk: c, n: B, anchorOffset: offset,
                                          chunkOffset: 0, labelKeys: keys, into: w)
                    }
                    let split = stopGradient ? psw.baseAddress! : nil
                    fusedWeights(w, rows: rr, columns: B, rowLSE: plse.baseAddress! + i0, colLSE: pcl.baseAddress!,
                                 scale: scale, split: split, factors: factors)
                    // dĤ_block += g·W₁ Ĝ ; dĜ += g·W₂ᵀ Ĥ_block (W₂ = W₁ without stop-gradient).
                    T.gemm(.none, .none, m: rr, n: k, k: B, alpha: gs, a: w, lda: B, b: c, ldb: k,
                           beta: 1, c: pdh.baseAddress! + i0 * k, ldc: k)
                    T.gemm(.transpose, .none, m: B, n: k, k: rr, alpha: gs, a: split ?? w, lda: B, b: a + i0 * k, ldb: k,
                           beta: 1, c: pdg.baseAddress!, ldc: k)
                    i0 += rr
                }
            }}}}}}}}}}
        }

        try finishFusedAllgather(f, into: &result, summedLoss: summedLoss, meter: &meter) { i in (i, rowMax[i], colLSE[offset + i]) }
    }

    /// ``fusedSymmetricAllgather`` for opposite-label negatives, grouped by label: the gathered
    /// candidates are permuted so that every label's samples are contiguous, and a block of this
    /// rank's rows with one label y computes its logits only against the other labels' columns
    /// — two contiguous column ranges, [0, s_y) and [e_y, N) — so the same-label pairs, which
    /// the mask would zero (the positive pair included: it is added row by row), cost neither a
    /// gemm nor an exponential: with two balanced labels half the work of the masked form. The
    /// column statistics, log-sum-exps and dĜ partials live in the sorted column order; dĜ is
    /// permuted back before the reduce-scatter. The loss is permutation invariant: the same
    /// values to float rounding.
    private func fusedSymmetricAllgatherGrouped(_ h: Matrix<T>, _ gm: Matrix<T>, labels: [Int]?,
                                                into result: inout SymmetricContrastiveResult<T>) throws {
        var meter = CallMeter(start: communicator.wtime())
        let stopGradient = loss.stopGradient
        let f = try fusedAllgatherSetup(h, gm, labels: labels, labelKeys: false, into: &result, meter: &meter)
        let B = f.B, b = f.b, k = f.k, offset = f.offset, hh = f.hh, gh = f.gh, gs = f.gs, scale = f.scale
        let hold = f.hold, rowsPerBlock = f.rowsPerBlock
        if rowBlock.count < rowsPerBlock * k { resizeZeroed(&rowBlock, rowsPerBlock * k) }
        if rowGradient.count < rowsPerBlock * k { resizeZeroed(&rowGradient, rowsPerBlock * k) }
        var rowShare = 0.0
        var pairs = 0

        // The label order: columns (every rank the same) and this rank's rows.
        var minLabel = Int64.max
        for j in 0..<B { minLabel = Swift.min(minLabel, labelsGlobal[j]) }
        sortByLabel(count: B, label: { labelsGlobal[$0] - minLabel }, into: &colOrder)
        resizeZeroed(&colPos, B)
        resizeZeroed(&sortedLabels, B)
        for q in 0..<B { colPos[colOrder[q]] = q; sortedLabels[q] = labelsGlobal[colOrder[q]] }
        sortByLabel(count: b, label: { labelsGlobal[offset + $0] - minLabel }, into: &rowOrder)
        if k > 0 { permuteRows(&gathered, k: k, order: colOrder) }

        /// Calls `body(pos0, rr, s, e)` for every block of ≤ rowsPerBlock rows (positions in
        /// `rowOrder`) that share a label whose sorted columns are [s, e).
        func forEachBlock(_ body: (Int, Int, Int, Int) -> Void) {
            var pos0 = 0
            while pos0 < b {
                let y = labelsGlobal[offset + rowOrder[pos0]]
                var end = pos0
                while end < b && labelsGlobal[offset + rowOrder[end]] == y { end += 1 }
                let (s, e) = sameLabelRange(y, count: B) { sortedLabels[$0] }  // the sorted columns with label y
                var q = pos0
                while q < end {
                    let rr = Swift.min(rowsPerBlock, end - q)
                    body(q, rr, s, e)
                    q += rr
                }
                pos0 = end
            }
        }

        if b > 0 && k > 0 {
            hh.storage.withUnsafeBufferPointer { pa in
            gh.storage.withUnsafeBufferPointer { pg in
            gathered.withUnsafeBufferPointer { pc in
            logits.withUnsafeMutableBufferPointer { pl in
            rowBlock.withUnsafeMutableBufferPointer { pab in
            rowOrder.withUnsafeBufferPointer { pro in
            colPos.withUnsafeBufferPointer { pcp in
            withStatistics { plp, pm, ps, pcm, pcs, pcsh, pbm in
                let a = pa.baseAddress!, lp = plp.baseAddress!, L = pl.baseAddress!, G = pc.baseAddress!
                let aBlock = pab.baseAddress!
                positiveLogits(g: gs, a: a, p: pg.baseAddress!, b: b, k: k, into: lp)
                for q in 0..<b { pm[q] = lp[pro[q]]; ps[q] = 1 }
                for j in 0..<B { pcm[j] = -.infinity; pcs[j] = 0 }
                for i in 0..<b { pcm[pcp[offset + i]] = lp[i]; pcs[pcp[offset + i]] = 1 }
                forEachBlock { pos0, rr, s, e in
                    let n1 = s, n2 = B - e, n = n1 + n2
                    guard n > 0 else { return }
                    gatherRows(a, order: pro.baseAddress! + pos0, rows: rr, k: k, into: aBlock)
                    let w = hold ? L + pos0 * B : L
                    if n1 > 0 {
                        T.gemm(.none, .transpose, m: rr, n: n1, k: k, alpha: gs, a: aBlock, lda: k, b: G, ldb: k, beta: 0, c: w, ldc: n)
                    }
                    if n2 > 0 {
                        T.gemm(.none, .transpose, m: rr, n: n2, k: k, alpha: gs, a: aBlock, lda: k, b: G + e * k, ldb: k,
                               beta: 0, c: w + n1, ldc: n)
                    }
                    pairs += rr * n
                    fusedRowStatistics(w, rows: rr, columns: n, rowMax: pm.baseAddress! + pos0, rowSum: ps.baseAddress! + pos0)
                    fusedColumnStatistics(w, rows: rr, columns: n1, leading: n, colMax: pcm.baseAddress!, colSum: pcs.baseAddress!,
                                          colShift: pcsh.baseAddress!, blockMax: pbm.baseAddress!)
                    fusedColumnStatistics(w + n1, rows: rr, columns: n2, leading: n, colMax: pcm.baseAddress! + e,
                                          colSum: pcs.baseAddress! + e, colShift: pcsh.baseAddress!, blockMax: pbm.baseAddress!)
                }
            }}}}}}}}
        } else {
            for j in 0..<B { colMax[j] = -.infinity; colSum[j] = 0 }
        }
        for q in 0..<b {
            rowMax[q] += T.log(rowSum[q])  // from here on: the row log-sum-exps (by position)
            rowShare += Double(rowMax[q]) - 2 * Double(positive[rowOrder[q]])
        }
        // In the sorted order, the same on every rank.
        let summedLoss = try combineColumnStatistics(B, rowShare: rowShare, meter: &meter)

        if b > 0 && k > 0 {
            gathered.withUnsafeBufferPointer { pc in
            logits.withUnsafeMutableBufferPointer { pl in
            splitWeights.withUnsafeMutableBufferPointer { psw in
            rowMax.withUnsafeBufferPointer { plse in
            colLSE.withUnsafeBufferPointer { pcl in
            colShift.withUnsafeMutableBufferPointer { pf in
            dCGlobal.withUnsafeMutableBufferPointer { pdg in
            rowBlock.withUnsafeMutableBufferPointer { pab in
            rowGradient.withUnsafeMutableBufferPointer { pgb in
            hh.storage.withUnsafeBufferPointer { pa in
            rowOrder.withUnsafeBufferPointer { pro in
            result.dFirst.storage.withUnsafeMutableBufferPointer { pdh in
                let a = pa.baseAddress!, G = pc.baseAddress!, L = pl.baseAddress!
                let aBlock = pab.baseAddress!, dhBlock = pgb.baseAddress!, dg = pdg.baseAddress!
                let shift = columnFactors(pcl.baseAddress!, count: B, into: pf.baseAddress!), cf = UnsafePointer(pf.baseAddress!)
                forEachBlock { pos0, rr, s, e in
                    let n1 = s, n2 = B - e, n = n1 + n2
                    guard n > 0 else { return }
                    gatherRows(a, order: pro.baseAddress! + pos0, rows: rr, k: k, into: aBlock)
                    let w = hold ? L + pos0 * B : L
                    if !hold {
                        if n1 > 0 {
                            T.gemm(.none, .transpose, m: rr, n: n1, k: k, alpha: gs, a: aBlock, lda: k, b: G, ldb: k, beta: 0, c: w, ldc: n)
                        }
                        if n2 > 0 {
                            T.gemm(.none, .transpose, m: rr, n: n2, k: k, alpha: gs, a: aBlock, lda: k, b: G + e * k, ldb: k,
                                   beta: 0, c: w + n1, ldc: n)
                        }
                    }
                    let split = stopGradient ? psw.baseAddress! : nil
                    let lse = plse.baseAddress! + pos0
                    fusedWeights(w, rows: rr, columns: n1, leading: n, rowLSE: lse, colLSE: pcl.baseAddress!, scale: scale, split: split,
                                 factors: shift.map { ($0, cf) })
                    fusedWeights(w + n1, rows: rr, columns: n2, leading: n, rowLSE: lse, colLSE: pcl.baseAddress! + e, scale: scale,
                                 split: split.map { $0 + n1 }, factors: shift.map { ($0, cf + e) })
                    let w2 = split ?? w
                    // dĤ of the block's rows (then scattered to them); dĜ of both column ranges.
                    dhBlock.update(repeating: 0, count: rr * k)
                    if n1 > 0 {
                        T.gemm(.none, .none, m: rr, n: k, k: n1, alpha: gs, a: w, lda: n, b: G, ldb: k, beta: 1, c: dhBlock, ldc: k)
                        T.gemm(.transpose, .none, m: n1, n: k, k: rr, alpha: gs, a: w2, lda: n, b: aBlock, ldb: k, beta: 1, c: dg, ldc: k)
                    }
                    if n2 > 0 {
                        T.gemm(.none, .none, m: rr, n: k, k: n2, alpha: gs, a: w + n1, lda: n, b: G + e * k, ldb: k, beta: 1,
                               c: dhBlock, ldc: k)
                        T.gemm(.transpose, .none, m: n2, n: k, k: rr, alpha: gs, a: w2 + n1, lda: n, b: aBlock, ldb: k, beta: 1,
                               c: dg + e * k, ldc: k)
                    }
                    scatterAddRows(dhBlock, order: pro.baseAddress! + pos0, rows: rr, k: k, into: pdh.baseAddress!)
                }
            }}}}}}}}}}}}
        }

        // dĜ back to the global order, then to its owners; rows and columns by position.
        if k > 0 { permuteRows(&dCGlobal, k: k, order: colPos) }
        lastPairFraction = b * B > 0 ? Double(pairs) / Double(b * B) : 1
        try finishFusedAllgather(f, into: &result, summedLoss: summedLoss, meter: &meter) { q in
            let i = rowOrder[q]
            return (i, rowMax[q], colLSE[colPos[offset + i]])
        }
    }

    /// `order` ← the indices 0 ..< count sorted by (label(i), i) (heap sort of combined keys in
    /// `sortKeys`: no allocation once the arrays have their size).
    private func sortByLabel(count n: Int, label: (Int) -> Int64, into order: inout [Int]) {
        resizeZeroed(&sortKeys, n)
        for i in 0..<n { sortKeys[i] = label(i) &* Int64(n) &+ Int64(i) }
        sortKeys.withUnsafeMutableBufferPointer { heapSort($0) }
        resizeZeroed(&order, n)
        for q in 0..<n { order[q] = Int(sortKeys[q] % Int64(Swift.max(n, 1))) }
    }

    /// In place: row q of the rows × k matrix `x` becomes its row order[q] (cycle by cycle,
    /// one row of scratch; no allocation once the scratch has its size).
    private func permuteRows(_ x: inout [T], k: Int, order: [Int]) {
        let n = order.count
        if visited.count != n { visited = [Bool](repeating: false, count: n) } else { for q in 0..<n { visited[q] = false } }
        if rowTemp.count < k { resizeZeroed(&rowTemp, k) }
        x.withUnsafeMutableBufferPointer { px in
        rowTemp.withUnsafeMutableBufferPointer { pt in
            let base = px.baseAddress!, tmp = pt.baseAddress!
            for start in 0..<n where !visited[start] {
                tmp.update(from: base + start * k, count: k)
                var q = start
                while true {
                    visited[q] = true
                    let src = order[q]
                    if src == start { (base + q * k).update(from: tmp, count: k); break }
                    (base + q * k).update(from: base + src * k, count: k)
                    q = src
                }
            }
        }}
    }

    /// The symmetric InfoNCE with both directions from one similarity matrix, ring exchange.
    /// Sweep 1: the ĝ chunks travel; each rank folds S[R, J] into its online row statistics
    /// and into chunk J's column statistics, which travel one hop behind the chunk and arrive
    /// home complete (``TravellingPartial/statistics``); the owner adds the positive pairs and
    /// turns them into J's column log-sum-exps. Sweep 2: each chunk travels with its column
    /// log-sum-exps; S[R, J] is recomputed, turned into the weights of both directions,
    /// dĤ_R += g·W₁ Ĝ_J, and the partial dĜ_J = g·W₂ᵀ Ĥ_R travels home behind the chunk.
    /// Four b × maxb × k gemms per chunk for both directions (unfused: six with
    /// stop-gradient, eight without); memory a few blocks of maxb × (k + 2), never N × k.
    private func fusedSymmetricRing(_ h: Matrix<T>, _ gm: Matrix<T>, labels: [Int]?,
                                    into result: inout SymmetricContrastiveResult<T>) throws {
        let comm = communicator
        var meter = CallMeter(start: comm.wtime())
        let needLabels = loss.negatives == .oppositeLabel
        let stopGradient = loss.stopGradient
        let f = try fusedInputs(h, gm, labels: labels, labelKeys: needLabels, meter: &meter)
        let B = f.B, maxb = f.maxb, b = f.b, k = f.k, offset = f.offset, hh = f.hh, gh = f.gh, gs = f.gs, scale = f.scale
        result.dFirst.reshape(rows: b, cols: k)
        result.dSecond.reshape(rows: b, cols: k)
        fillZero(&result.dFirst.storage)
        fillZero(&result.dSecond.storage)
        var localLoss = 0.0
        let ring: RingExchange<T>
        if let existing = self.ring { ring = existing } else { ring = RingExchange(communicator: comm); self.ring = ring }
        ring.resetStats()

        if maxb > 0 && k > 0 {
            let chunkElements = maxb * (k + 2)
            try ring.configure(elements: chunkElements, gradient: true)
            let rowsPerBlock = Swift.max(1, Swift.min(Swift.max(b, 1), blockElements / maxb))
            if logits.count < rowsPerBlock * maxb { resizeZeroed(&logits, rowsPerBlock * maxb) }
            if stopGradient && splitWeights.count < rowsPerBlock * maxb { resizeZeroed(&splitWeights, rowsPerBlock * maxb) }
            resizeZeroed(&ownPacked, chunkElements)
            resizeZeroed(&positive, b)
            resizeZeroed(&rowMax, b)
            resizeZeroed(&rowSum, b)
            resizeZeroed(&colShift, maxb)
            resizeZeroed(&blockMax, maxb)
            resizeZeroed(&colLSE, b)
            let lseOffset = maxb * k

            try hh.storage.withUnsafeBufferPointer { pa in
            try gh.storage.withUnsafeBufferPointer { pg in
            try labelKeys.withUnsafeBufferPointer { py in
            try logits.withUnsafeMutableBufferPointer { pl in
            try splitWeights.withUnsafeMutableBufferPointer { psw in
            try ownPacked.withUnsafeMutableBufferPointer { pown in
            try positive.withUnsafeMutableBufferPointer { plp in
            try rowMax.withUnsafeMutableBufferPointer { pm in
            try rowSum.withUnsafeMutableBufferPointer { ps in
            try colShift.withUnsafeMutableBufferPointer { pcsh in
            try blockMax.withUnsafeMutableBufferPointer { pbm in
            try colLSE.withUnsafeMutableBufferPointer { pcl in
            try result.dFirst.storage.withUnsafeMutableBufferPointer { pdh in
                let own = UnsafeBufferPointer(pown)
                let w = pl.baseAddress!, lp = plp.baseAddress ?? w
                // Empty local rows have no base address; nothing reads them then.
                let a = pa.baseAddress ?? UnsafePointer(w), gl = pg.baseAddress ?? UnsafePointer(w)
                let keys: UnsafePointer<T>? = needLabels ? py.baseAddress : nil
                let rMax = pm.baseAddress ?? w, rSum = ps.baseAddress ?? w, cLSE = pcl.baseAddress ?? w
                let dh = pdh.baseAddress ?? w
                if b > 0 { pown.baseAddress!.update(from: gl, count: b * k) }
                positiveLogits(g: gs, a: a, p: gl, b: b, k: k, into: lp)
                for i in 0..<b { rMax[i] = lp[i]; rSum[i] = 1 }

                // Sweep 1: row statistics here, column statistics travelling with their chunk.
                try ring.sweep(own: own, counts: counts, offsets: offsets, k: k, gradient: true, partials: .statistics) { chunk, n, chunkOffset, stats in
                    guard n > 0, b > 0, let stats else { return }
                    for j in 0..<n { stats[j] = -.infinity }
                    var i0 = 0
                    while i0 < b {
                        let rr = Swift.min(rowsPerBlock, b - i0)
                        maskedLogitsKeyed(g: gs, a: a, k: k, i0: i0, rr: rr, chunk: chunk, n: n, anchorOffset: offset,
                                          chunkOffset: chunkOffset, labelKeys: keys, into: w)
                        fusedStatistics(w, rows: rr, columns: n, rowMax: rMax + i0, rowSum: rSum + i0, colMax: stats,
                                        colSum: stats + n, colShift: pcsh.baseAddress!, blockMax: pbm.baseAddress!)
                        i0 += rr
                        try ring.progress()
                    }
                }
                // This rank's columns: every rank's statistics plus the positive pair.
                let stats = ring.ownGradient
                for i in 0..<b {
                    var m = stats[i], sum = stats[b + i]
                    combineStatistics(&m, &sum, lp[i], 1)
                    cLSE[i] = m + T.log(sum)
                    pown[lseOffset + i] = cLSE[i]
                    let lse = rMax[i] + T.log(rSum[i])
                    localLoss += Double(lse - lp[i]) + Double(cLSE[i] - lp[i])
                    rMax[i] = lse  // from here on: the row log-sum-exps
                }

                // Sweep 2: weights of both directions, dĤ here, dĜ travelling home.
                try ring.sweep(own: own, counts: counts, offsets: offsets, k: k, gradient: true, partials: .sum) { chunk, n, chunkOffset, dG in
                    guard n > 0, b > 0, let dG else { return }
                    let chunkLSE = chunk + lseOffset
                    var i0 = 0
                    while i0 < b {
                        let rr = Swift.min(rowsPerBlock, b - i0)
                        maskedLogitsKeyed(g: gs, a: a, k: k, i0: i0, rr: rr, chunk: chunk, n: n, anchorOffset: offset,
                                          chunkOffset: chunkOffset, labelKeys: keys, into: w)
                        let split = stopGradient ? psw.baseAddress! : nil
                        fusedWeights(w, rows: rr, columns: n, rowLSE: rMax + i0, colLSE: chunkLSE, scale: scale, split: split)
                        T.gemm(.none, .none, m: rr, n: k, k: n, alpha: gs, a: w, lda: n, b: chunk, ldb: k,
                               beta: 1, c: dh + i0 * k, ldc: k)
                        T.gemm(.transpose, .none, m: n, n: k, k: rr, alpha: gs, a: split ?? w, lda: n, b: a + i0 * k, ldb: k,
                               beta: 1, c: dG, ldc: k)
                        i0 += rr
                        try ring.progress()
                    }
                }
            }}}}}}}}}}}}}
            if b > 0 {
                let own = ring.ownGradient
                result.dSecond.storage.withUnsafeMutableBufferPointer { d in d.baseAddress!.update(from: own, count: b * k) }
            }
            addPositivePairs(f, into: &result) { i in (i, rowMax[i], colLSE[i]) }
        }
        meter.commSeconds += ring.communicationSeconds
        meter.bytes += ring.bytesSent
        try finishFused(B, into: &result, loss: .local(localLoss), meter: meter, overlappedSeconds: ring.overlappedSeconds)
    }

    /// The ring exchange for this rank's rows: InfoNCE sweeps twice (online log-sum-exps, then
    /// gradients), spectral once. Writes dA, dPos (b × k) and, when `wantDC`, this rank's dC
    /// (b × k, before the normalisation backward); returns this rank's share of the loss.
    /// `grouped` (``sortRingRows`` has run): the rows are taken in label order — this rank's
    /// chunk travels sorted, the per-row statistics are kept by sorted position, each block of
    /// one label's anchor rows is copied out and computed only against the chunk's other-label
    /// columns (``forEachOppositeLabelRange``), its dA added back to its rows. No copy of the
    /// inputs: a block of rows × k of scratch. `width`: the most columns one block computes at
    /// once (maxb, or grouped the widest opposite-label range): the logits block is
    /// rows × width, and grouped rows × (width + 2k) with the scratch fit `blockElements`.
    private func ringRows(_ ring: RingExchange<T>, _ loss: ContrastiveLoss, ah: Matrix<T>, ph: Matrix<T>, ch: Matrix<T>,
                          b: Int, k: Int, B: Int, maxb: Int, width: Int, offset: Int, pairs: Int, needLabels: Bool, grouped: Bool,
                          wantDC: Bool, result: inout ContrastiveResult<T>) throws -> Double {
        result.dA.reshape(rows: b, cols: k)
        result.dPos.reshape(rows: b, cols: k)
        fillZero(&result.dA.storage)
        fillZero(&result.dPos.storage)
        lastPairFraction = 1
        guard maxb > 0, k > 0 else { return 0 }  // No candidates anywhere (or width 0): as `.allgather`.
        try ring.configure(elements: maxb * k, gradient: wantDC)
        // Grouped, a block's logits and its anchor rows and their dA (rows × (width + 2k)) stay
        // within blockElements, and never take more rows than the masked form.
        let maskedRows = Swift.max(1, Swift.min(Swift.max(b, 1), blockElements / maxb))
        let rowsPerBlock = grouped ? Swift.max(1, Swift.min(maskedRows, blockElements / (Swift.max(width, 1) + 2 * k))) : maskedRows
        if logits.count < rowsPerBlock * Swift.max(width, 1) { resizeZeroed(&logits, rowsPerBlock * Swift.max(width, 1)) }
        resizeZeroed(&positive, b)
        resizeZeroed(&rowMax, b)
        resizeZeroed(&rowSum, b)
        if grouped {
            if anchorBlock.count < rowsPerBlock * k { resizeZeroed(&anchorBlock, rowsPerBlock * k) }
            if anchorGradient.count < rowsPerBlock * k { resizeZeroed(&anchorGradient, rowsPerBlock * k) }
        }
        let g = T(loss.scale / loss.temperature)
        let invB = 1 / T(B)
        let infoNCE = loss.objective == .infoNCE
        let labelsGlobal = grouped ? ringLabels : needLabels ? self.labelsGlobal : []
        let order = grouped ? rowOrder : []
        var total = 0.0
        var computedPairs = 0

        try ah.storage.withUnsafeBufferPointer { pa in
        try ph.storage.withUnsafeBufferPointer { pp in
        try ch.storage.withUnsafeBufferPointer { pc in
        try labelsGlobal.withUnsafeBufferPointer { py in
        try order.withUnsafeBufferPointer { po in
        try logits.withUnsafeMutableBufferPointer { pl in
        try anchorBlock.withUnsafeMutableBufferPointer { pab in
        try anchorGradient.withUnsafeMutableBufferPointer { pag in
        try positive.withUnsafeMutableBufferPointer { plp in
        try rowMax.withUnsafeMutableBufferPointer { pm in
        try rowSum.withUnsafeMutableBufferPointer { ps in
        try result.dA.storage.withUnsafeMutableBufferPointer { pdA in
        try result.dPos.storage.withUnsafeMutableBufferPointer { pdP in
            // Empty local rows have no base address; nothing reads them then.
            let L = pl.baseAddress!
            let a = pa.baseAddress ?? UnsafePointer(L), pPos = pp.baseAddress ?? a
            let lp = plp.baseAddress ?? L, mx = pm.baseAddress ?? L
            let sm = ps.baseAddress ?? L, dA = pdA.baseAddress ?? L
            let labels: UnsafeBufferPointer<Int64>? = needLabels ? py : nil
            // Grouped: the sorted order, this rank's sorted labels, and every chunk's (by offset).
            let po0 = grouped ? po.baseAddress : nil, yb = grouped ? py.baseAddress : nil
            let scratch = pab.baseAddress ?? L
            for q in 0..<b {
                let i = po0?[q] ?? q
                lp[q] = g * T.dot(n: k, x: a + i * k, y: pPos + i * k)
            }

            if infoNCE {
                // Pass 1: online row log-sum-exps over the chunks, starting from the positive.
                for q in 0..<b { mx[q] = lp[q]; sm[q] = 1 }
                try ring.sweep(own: pc, ownOrder: grouped ? po : nil, counts: counts, offsets: offsets,
                               k: k, gradient: false) { chunk, n, chunkOffset, _ in
                    try forEachRingBlock(anchors: a, rows: b, k: k, order: po0, rowLabels: yb.map { $0 + offset },
                                         columnLabels: yb.map { $0 + chunkOffset }, columns: n, rowsPerBlock: rowsPerBlock,
                                         scratch: scratch) { q0, rr, anchors, c0, c1 in
                        try chunkLogSumExp(loss, a: anchors, b: rr, k: k, chunk: chunk + c0 * k, n: c1 - c0,
                                           anchorOffset: offset + q0, chunkOffset: chunkOffset + c0, labels: labels,
                                           rowsPerBlock: rowsPerBlock, logits: L, rowMax: mx + q0, rowSum: sm + q0,
                                           between: { try ring.progress() })
                    }
                }
                for q in 0..<b {
                    let lse = mx[q] + T.log(sm[q])
                    total += Double(lse - lp[q])
                    mx[q] = lse
                }
            }
            // Pass 2 (InfoNCE; the only pass for spectral): weights, dA, and dC travelling home.
            try ring.sweep(own: pc, ownOrder: grouped ? po : nil, counts: counts, offsets: offsets,
                           k: k, gradient: wantDC) { chunk, n, chunkOffset, dC in
                computedPairs += try forEachRingBlock(anchors: a, rows: b, k: k, order: po0, rowLabels: yb.map { $0 + offset },
                                                      columnLabels: yb.map { $0 + chunkOffset }, columns: n,
                                                      rowsPerBlock: rowsPerBlock, scratch: scratch) { q0, rr, anchors, c0, c1 in
                    let dRows = grouped ? pag.baseAddress! : dA
                    if grouped { dRows.update(repeating: 0, count: rr * k) }
                    total += try chunkGradient(loss, a: anchors, b: rr, k: k, chunk: chunk + c0 * k, n: c1 - c0,
                                               anchorOffset: offset + q0, chunkOffset: chunkOffset + c0, labels: labels,
                                               rowsPerBlock: rowsPerBlock, logits: L, lse: mx + q0, globalCount: B,
                                               pairCount: pairs, dA: dRows, dC: dC.map { $0 + c0 * k },
                                               between: { try ring.progress() })
                    if let po0 { scatterAddRows(dRows, order: po0 + q0, rows: rr, k: k, into: dA) }
                }
            }
            // The positive pairs: ∂L/∂ℓ(a_i, pos_i) → dâ_i += g·dl·p̂_i, dp̂_i = g·dl·â_i.
            for q in 0..<b {
                let i = po0?[q] ?? q
                let dl: T
                if infoNCE {
                    dl = (T.exp(lp[q] - mx[q]) - 1) * invB
                } else {
                    total -= 2 * Double(lp[q]) / Double(B)
                    dl = -2 * invB
                }
                for t in 0..<k {
                    pdA[i * k + t] += g * dl * pPos[i * k + t]
                    pdP[i * k + t] = g * dl * a[i * k + t]
                }
            }
        }}}}}}}}}}}}}
        if wantDC, b > 0 {
            // This rank's summed dC, its rows in chunk order (sorted when grouped).
            result.dC.reshape(rows: b, cols: k)
            let own = ring.ownGradient
            result.dC.storage.withUnsafeMutableBufferPointer { d in
                if grouped {
                    for q in 0..<b { (d.baseAddress! + rowOrder[q] * k).update(from: own + q * k, count: k) }
                } else {
                    d.baseAddress!.update(from: own, count: b * k)
                }
            }
        }
        if grouped && b * B > 0 { lastPairFraction = Double(computedPairs) / Double(b * B) }
        return infoNCE ? total / Double(B) : total
    }

    /// The ring's label order: `rowOrder` (sorted position → this rank's row, by (label, row))
    /// and `ringLabels`, the N labels with every rank's segment sorted — every rank sorts its
    /// own rows the same way, so this is what each travelling chunk holds.
    /// - Returns: the widest column range a block of this rank's rows computes against any
    ///   chunk (the logits block needs rows × that, not rows × maxb).
    private func sortRingRows(b: Int, B: Int, offset: Int) -> Int {
        var minLabel = Int64.max
        for i in 0..<b { minLabel = Swift.min(minLabel, labelsGlobal[offset + i]) }
        sortByLabel(count: b, label: { labelsGlobal[offset + $0] &- minLabel }, into: &rowOrder)
        resizeZeroed(&ringLabels, B)
        for j in 0..<B { ringLabels[j] = labelsGlobal[j] }
        ringLabels.withUnsafeMutableBufferPointer { py in
            for r in 0..<counts.count where counts[r] > 1 {
                heapSort(UnsafeMutableBufferPointer(rebasing: py[offsets[r] ..< offsets[r] + counts[r]]))
            }
        }
        var widest = 0
        ringLabels.withUnsafeBufferPointer { py in
            guard let y = py.baseAddress else { return }
            for r in 0..<counts.count {
                forEachOppositeLabelRange(rowLabels: y + offset, rows: b, columnLabels: y + offsets[r], columns: counts[r]) { _, _, c0, c1 in
                    widest = Swift.max(widest, c1 - c0)
                }
            }
        }
        return widest
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
