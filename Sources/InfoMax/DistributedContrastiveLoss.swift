// InfoMax/DistributedContrastiveLoss.swift — the contrastive losses over a global batch split
// across ranks: all-gather the candidate embeddings (and labels), compute this rank's row
// block of logits in chunks, all-reduce the loss, reduce-scatter the candidate gradients back
// to their owners. Equal to the one-process loss to float rounding at any rank count.
import Linalg
import MPI

/// How the candidate embeddings reach every rank.
public enum CandidateExchange: String, Sendable, Codable, CaseIterable {
    /// One MPI_Allgatherv of the candidates, one MPI_Reduce_scatter of their gradients.
    case allgather
}

/// Where one call spent its time, and how much it sent.
public struct ContrastiveCallStats: Sendable, Equatable, Codable {
    /// Seconds in local arithmetic (normalisation, gemms, log-sum-exps).
    public var computeSeconds: Double
    /// Seconds inside MPI calls (including waiting for slower ranks).
    public var communicationSeconds: Double
    /// Bytes this rank sends, counted as the per-rank volume of the bandwidth-optimal (ring)
    /// algorithms: all-gather and reduce-scatter each move (N − b)·k elements per rank, plus
    /// the labels, the counts and the loss.
    public var bytesSent: Int

    public init(computeSeconds: Double = 0, communicationSeconds: Double = 0, bytesSent: Int = 0) {
        self.computeSeconds = computeSeconds
        self.communicationSeconds = communicationSeconds
        self.bytesSent = bytesSent
    }

    /// Field-wise sum.
    public static func + (l: Self, r: Self) -> Self {
        Self(computeSeconds: l.computeSeconds + r.computeSeconds,
             communicationSeconds: l.communicationSeconds + r.communicationSeconds,
             bytesSent: l.bytesSent + r.bytesSent)
    }
}

/// A ``ContrastiveLoss`` whose global batch is split across the ranks of a communicator.
///
/// Each rank passes its LOCAL anchors A (b × k), positives Pos (b × k) and candidate block
/// C (b × k, the candidates of the same samples as its anchors) and, for `.oppositeLabel`,
/// its b labels. Ranks may hold different b (also 0); the global order is rank order. Every
/// rank gets the same loss value, ∂L/∂A and ∂L/∂Pos for its own rows, and ∂L/∂C for its own
/// candidate block (summed over every rank's anchors). All ranks must call together.
///
/// Memory per rank: the N × k gathered candidates, their N × k gradient, and a logits block
/// of at most `blockElements` scalars (at least one row of N). The B × B matrix is never formed.
/// Buffers are kept between calls: after the first call with a given shape, only the
/// gathered-candidate array and the results are allocated.
public final class DistributedContrastiveLoss<T: BLASScalar & MPIScalar> {
    public let communicator: Communicator
    /// The objective and its options.
    public var loss: ContrastiveLoss
    /// How candidates are exchanged.
    public var exchange: CandidateExchange
    /// Upper bound on the logits held at once (rows of N); 4 Mi scalars by default.
    public var blockElements: Int
    /// Timing and volume of the last `evaluate` (or both directions of `evaluateSymmetric`).
    public private(set) var lastStats = ContrastiveCallStats()

    private var aHat = Matrix<T>(rows: 0, cols: 0), pHat = Matrix<T>(rows: 0, cols: 0), cHat = Matrix<T>(rows: 0, cols: 0)
    private var aNorms: [T] = [], pNorms: [T] = [], cNorms: [T] = []
    private var logits: [T] = []
    private var dCGlobal: [T] = []

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
    public func evaluate(anchors a: Matrix<T>, positives pos: Matrix<T>, candidates c: Matrix<T>,
                         labels: [Int]? = nil) throws -> ContrastiveResult<T> {
        let comm = communicator
        let start = comm.wtime()
        var commSeconds = 0.0
        var bytes = 0
        let elt = MemoryLayout<T>.stride
        let loss = self.loss
        let cosine = loss.similarity == .cosine
        let needC = loss.needsCandidates
        let needLabels = needC && loss.negatives == .oppositeLabel

        // 1. Validate locally, agree on the outcome, learn every rank's count.
        var localError: Error?
        do {
            try loss.validate()
            try loss.checkShapes(a, pos, needC ? c : a, labels: labels, candidatesGlobal: false)
        } catch { localError = error }
        var t0 = comm.wtime()
        let info = try comm.allgather([Int64(a.rows), Int64(a.cols), localError == nil ? 0 : 1])
        commSeconds += comm.wtime() - t0
        bytes += 3 * 8 * (comm.size - 1)
        if let localError { throw localError }
        let counts = stride(from: 0, to: info.count, by: 3).map { Int(info[$0]) }
        for r in 0..<comm.size where info[3 * r + 2] != 0 {
            throw InfoMaxError.remoteRankFailed("rank \(r) rejected its inputs (see its message)")
        }
        let k = a.cols
        for r in 0..<comm.size where counts[r] > 0 && Int(info[3 * r + 1]) != k {
            throw InfoMaxError.shapeMismatch("rank \(r) has embeddings of width \(info[3 * r + 1]), this rank \(k); all ranks must agree")
        }
        let B = counts.reduce(0, +)
        let b = a.rows
        let offset = counts[..<comm.rank].reduce(0, +)

        // 2. Normalise locally (cosine), then gather candidates and labels.
        if cosine {
            normalizeRows(a, into: &aHat, norms: &aNorms)
            normalizeRows(pos, into: &pHat, norms: &pNorms)
            if needC { normalizeRows(c, into: &cHat, norms: &cNorms) }
        }
        var gathered: [T] = []
        var globalLabels: [Int]?
        if needC {
            t0 = comm.wtime()
            gathered = try comm.allgatherv(cosine ? cHat.storage : c.storage, counts: counts.map { $0 * k })
            if needLabels, let labels {
                globalLabels = try comm.allgatherv(labels.map { Int64($0) }, counts: counts).map { Int($0) }
                bytes += (B - b) * 8
            }
            commSeconds += comm.wtime() - t0
            bytes += (B - b) * k * elt
        }
        let pairs = loss.objective == .spectral ? negativePairCount(loss.negatives, labels: globalLabels, count: B) : 0

        // 3. This rank's row block.
        let wantDC = needC && !loss.stopGradient
        if wantDC {
            if dCGlobal.count != B * k { dCGlobal = [T](repeating: 0, count: B * k) } else {
                dCGlobal.withUnsafeMutableBufferPointer { p in p.update(repeating: 0) }
            }
        }
        var dA = Matrix<T>(rows: b, cols: k), dPos = Matrix<T>(rows: b, cols: k)
        let localLoss: Double = gathered.withUnsafeBufferPointer { pc in
            dCGlobal.withUnsafeMutableBufferPointer { pdc in
                contrastiveRowBlock(loss, aHat: cosine ? aHat : a, pHat: cosine ? pHat : pos, cHat: pc,
                                    labels: globalLabels, offset: offset, globalCount: B, pairCount: pairs,
                                    blockElements: blockElements, logits: &logits, dA: &dA, dP: &dPos,
                                    dC: wantDC ? pdc : nil)
            }
        }

        // 4. Sum the loss; send candidate gradients to their owners.
        t0 = comm.wtime()
        let value = try comm.allreduce(localLoss, op: .sum)
        bytes += 8
        var dC = Matrix<T>(rows: needC ? c.rows : c.rows, cols: needC ? k : c.cols)
        if wantDC {
            try dCGlobal.withUnsafeBufferPointer { src in
                try dC.storage.withUnsafeMutableBufferPointer { dst in
                    try comm.reduceScatter(src, into: dst, counts: counts.map { $0 * k }, op: .sum)
                }
            }
            bytes += (B - b) * k * elt
        }
        commSeconds += comm.wtime() - t0

        // 5. Back through the normalisation, locally.
        if cosine {
            backpropNormalization(&dA, normalized: aHat, norms: aNorms)
            if !loss.stopGradient { backpropNormalization(&dPos, normalized: pHat, norms: pNorms) }
            if wantDC { backpropNormalization(&dC, normalized: cHat, norms: cNorms) }
        }
        if loss.stopGradient { for i in dPos.storage.indices { dPos.storage[i] = 0 } }
        let total = comm.wtime() - start
        lastStats = ContrastiveCallStats(computeSeconds: total - commSeconds, communicationSeconds: commSeconds, bytesSent: bytes)
        return ContrastiveResult(value: T(value), dA: dA, dPos: dPos, dC: dC)
    }

    /// The symmetric loss ½ [L(A=h, Pos=g, C=g) + L(A=g, Pos=h, C=h)] over the global batch
    /// (h, g: this rank's rows of the two embeddings), with ∂/∂h and ∂/∂g of this rank's rows.
    /// `lastStats` covers both directions.
    public func evaluateSymmetric(_ h: Matrix<T>, _ g: Matrix<T>, labels: [Int]? = nil) throws -> SymmetricContrastiveResult<T> {
        let r1 = try evaluate(anchors: h, positives: g, candidates: g, labels: labels)
        let s1 = lastStats
        let r2 = try evaluate(anchors: g, positives: h, candidates: h, labels: labels)
        lastStats = s1 + lastStats
        return combineSymmetric(r1, r2)
    }
}
