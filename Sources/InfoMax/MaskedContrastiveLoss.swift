// InfoMax/MaskedContrastiveLoss.swift — the contrastive loss over a global batch split across
// ranks when each anchor names its own positive among the candidates and its own excluded
// candidates (the guided recipes of Zhang et al. 2023: an extra positive from a frozen guide,
// dropped false or easy negatives). All-gathers the candidates, computes this rank's row block
// of logits in chunks, reduce-scatters the candidate gradients to their owners; equals the
// one-process `reference` to float rounding at any rank count.
import Linalg
import MPI

/// Each anchor's positive and excluded candidates, as global candidate rows (rank order).
public struct AnchorTargets: Sendable, Equatable {
    /// The positive candidate of each local anchor.
    public var positives: [Int]
    /// Candidates that are neither positive nor negative for the anchor, per local anchor
    /// (CSR: row r's are `excluded[offsets[r]..<offsets[r + 1]]`; a listed positive is ignored).
    public var offsets: [Int]
    public var excluded: [Int]

    public init(positives: [Int], offsets: [Int]? = nil, excluded: [Int] = []) {
        self.positives = positives
        self.offsets = offsets ?? [Int](repeating: 0, count: positives.count + 1)
        self.excluded = excluded
    }
}

/// A ``ContrastiveLoss`` (negatives: all candidates but the anchor's positive and its excluded
/// ones) whose global batch is split across ranks. Loss i over its positive p(i) and negatives
/// N(i) = {j ∉ {p(i)} ∪ D(i)}: InfoNCE −ℓ_ip + log(e^{ℓ_ip} + Σ_{N(i)} e^{ℓ_ij}), mean over the B
/// anchors; spectral −2 mean_i ℓ_ip + Σ_i Σ_{N(i)} ℓ_ij² / Σ_i |N(i)|; positive-only −mean_i ℓ_ip.
/// With p(i) = i and no exclusions it is the `.allOthers` loss with C = Pos.
///
/// Memory per rank: the N × k gathered candidates and their gradient, and a logits block of at
/// most `blockElements` scalars (at least one row of N). Buffers are reused between calls.
public final class MaskedContrastiveLoss<T: BLASScalar & MPIScalar> {
    public let communicator: Communicator
    public let loss: ContrastiveLoss
    public var blockElements: Int

    private var aHat = Matrix<T>(rows: 0, cols: 0), cHat = Matrix<T>(rows: 0, cols: 0)
    private var aNorms: [T] = [], cNorms: [T] = []
    private var gathered: [T] = [], dCGlobal: [T] = []
    private var logits: [T] = []
    private var marks: [Int] = [], stamp = 0
    private var layout = VectorLayout()

    /// `loss.negatives` must be `.allOthers` (the targets say which candidates are excluded).
    public init(communicator: Communicator, loss: ContrastiveLoss, blockElements: Int = 1 << 22) throws {
        try loss.validate()
        guard loss.negatives == .allOthers else {
            throw InfoMaxError.invalidOption("a masked loss takes its exclusions from the targets; use negatives .allOthers")
        }
        guard blockElements >= 1 else { throw InfoMaxError.invalidOption("blockElements must be at least 1, got \(blockElements)") }
        self.communicator = communicator
        self.loss = loss
        self.blockElements = blockElements
    }

    /// The global loss of local anchors `a` (b × k) and this rank's candidate block `c` (b × k)
    /// with `targets` for the local anchors; ∂L/∂A and ∂L/∂C (this rank's block) into `result`
    /// (`result.dPos` is left empty: the positives are candidates). Collective.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func evaluate(anchors a: Matrix<T>, candidates c: Matrix<T>, targets: AnchorTargets,
                         into result: inout ContrastiveResult<T>) throws {
        let comm = communicator, k = a.cols, b = a.rows
        guard c.rows == b, c.cols == k, targets.positives.count == b, targets.offsets.count == b + 1 else {
            throw InfoMaxError.shapeMismatch("anchors \(b)×\(k), candidates \(c.rows)×\(c.cols), \(targets.positives.count) positives: one row and one positive per anchor")
        }
        let counts = try comm.allgather(Int64(b)).map(Int.init)
        let N = counts.reduce(0, +)
        guard targets.positives.allSatisfy({ (0..<N).contains($0) }), targets.excluded.allSatisfy({ (0..<N).contains($0) }) else {
            throw InfoMaxError.shapeMismatch("a target outside the global batch of \(N) candidates")
        }
        let cosine = loss.similarity == .cosine
        if cosine { normalizeRows(a, into: &aHat, norms: &aNorms); normalizeRows(c, into: &cHat, norms: &cNorms) } else { aHat = a; cHat = c }
        layout = try VectorLayout(counts: counts.map { $0 * k })
        try comm.allgatherv(cHat.storage, into: &gathered, layout: layout)
        if marks.count != N { marks = [Int](repeating: 0, count: N) }
        let g = T(loss.scale / loss.temperature), invB = 1 / T(N)
        // Spectral: the number of negative pairs over the global batch.
        var pairs: T = 1
        if loss.objective == .spectral {
            var local = 0
            for r in 0..<b { local += N - 1 - excludedCount(r, targets) }
            pairs = T(try comm.allreduce(Int64(local), op: .sum))
        }
        let needsC = !loss.stopGradient   // the positives are candidates too
        result.dA.reshape(rows: b, cols: k)
        if dCGlobal.count != N * k { dCGlobal = [T](repeating: 0, count: N * k) } else { zero(&dCGlobal) }
        var partial = 0.0
        let chunk = max(1, min(b, blockElements / max(N, 1)))
        if logits.count < chunk * N { logits = [T](repeating: 0, count: chunk * N) }
        var r0 = 0
        while r0 < b {
            let m = min(chunk, b - r0)
            aHat.storage.withUnsafeBufferPointer { pa in gathered.withUnsafeBufferPointer { pc in logits.withUnsafeMutableBufferPointer { pl in
                T.gemm(.none, .transpose, m: m, n: N, k: k, alpha: g, a: pa.baseAddress! + r0 * k, lda: k,
                       b: pc.baseAddress!, ldb: k, beta: 0, c: pl.baseAddress!, ldc: N)
            }}}
            for r in r0..<(r0 + m) { partial += rowGradient(r, row: (r - r0) * N, N: N, targets: targets, invB: invB, pairs: pairs) }
            // dÂ rows = g · dℓ Ĉ;  dĈ += g · dℓᵀ Â rows.
            logits.withUnsafeBufferPointer { pl in gathered.withUnsafeBufferPointer { pc in result.dA.storage.withUnsafeMutableBufferPointer { pd in
                T.gemm(.none, .none, m: m, n: k, k: N, alpha: g, a: pl.baseAddress!, lda: N, b: pc.baseAddress!, ldb: k,
                       beta: 0, c: pd.baseAddress! + r0 * k, ldc: k)
            }}}
            if needsC {
                logits.withUnsafeBufferPointer { pl in aHat.storage.withUnsafeBufferPointer { pa in dCGlobal.withUnsafeMutableBufferPointer { pd in
                    T.gemm(.transpose, .none, m: N, n: k, k: m, alpha: g, a: pl.baseAddress!, lda: N, b: pa.baseAddress! + r0 * k, ldb: k,
                           beta: 1, c: pd.baseAddress!, ldc: k)
                }}}
            }
            r0 += m
        }
        if cosine { backpropNormalization(&result.dA, normalized: aHat, norms: aNorms) }
        result.dC.reshape(rows: b, cols: k)
        if needsC {
            try dCGlobal.withUnsafeBufferPointer { src in try result.dC.storage.withUnsafeMutableBufferPointer { dst in
                try comm.reduceScatter(src, into: dst, counts: counts.map { $0 * k }, op: .sum)
            }}
            if cosine { backpropNormalization(&result.dC, normalized: cHat, norms: cNorms) }
        } else {
            zero(&result.dC.storage)
        }
        result.dPos.reshape(rows: 0, cols: 0)
        // The loss: every rank's share, summed in rank order on every rank.
        let parts = try comm.allgather(partial)
        result.value = T(parts.reduce(0, +))
    }

    private func excludedCount(_ r: Int, _ targets: AnchorTargets) -> Int {
        stamp += 1
        var n = 0
        for j in targets.excluded[targets.offsets[r]..<targets.offsets[r + 1]] where j != targets.positives[r] && marks[j] != stamp {
            marks[j] = stamp; n += 1
        }
        return n
    }

    /// Replaces the logits of local row r (at `row` in the block) by ∂L/∂ℓ and returns its loss share.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    private func rowGradient(_ r: Int, row: Int, N: Int, targets: AnchorTargets, invB: T, pairs: T) -> Double {
        stamp += 1
        let p = targets.positives[r]
        marks[p] = stamp
        for j in targets.excluded[targets.offsets[r]..<targets.offsets[r + 1]] { marks[j] = stamp }
        return logits.withUnsafeMutableBufferPointer { pl -> Double in
            let l = pl.baseAddress! + row
            let lp = l[p]
            switch loss.objective {
            case .positiveOnly:
                for j in 0..<N { l[j] = 0 }
                l[p] = -invB
                return -Double(lp) * Double(invB)
            case .spectral:
                var s = 0.0
                for j in 0..<N {
                    if marks[j] == stamp { l[j] = 0 } else { s += Double(l[j] * l[j]); l[j] = 2 * l[j] / pairs }
                }
                l[p] = -2 * invB
                return -2 * Double(lp) * Double(invB) + s / Double(pairs)
            case .infoNCE:
                var mx = lp
                for j in 0..<N where marks[j] != stamp { mx = Swift.max(mx, l[j]) }
                var sum = T.exp(lp - mx)
                for j in 0..<N where marks[j] != stamp { sum += T.exp(l[j] - mx) }
                let lse = mx + T.log(sum)
                for j in 0..<N { l[j] = marks[j] == stamp ? 0 : T.exp(l[j] - lse) * invB }
                l[p] = (T.exp(lp - lse) - 1) * invB
                return Double(lse - lp) * Double(invB)
            }
        }
    }

    private func zero(_ x: inout [T]) { x.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }

    /// The one-process oracle: the same loss from explicit loops on the whole batch (A, C: B × k).
    public static func reference(_ loss: ContrastiveLoss, anchors a: Matrix<T>, candidates c: Matrix<T>,
                                 targets: AnchorTargets) -> (value: Double, dA: Matrix<T>, dC: Matrix<T>) {
        let B = a.rows, k = a.cols
        let an = RowNormalizer(a, cosine: loss.similarity == .cosine), cn = RowNormalizer(c, cosine: loss.similarity == .cosine)
        let ah = an.normalized, ch = cn.normalized, g = loss.scale / loss.temperature
        func logit(_ i: Int, _ j: Int) -> Double { (0..<k).reduce(0.0) { $0 + Double(ah[i, $1]) * Double(ch[j, $1]) } * g }
        func negatives(_ i: Int) -> [Int] {
            let out = Set(targets.excluded[targets.offsets[i]..<targets.offsets[i + 1]]).union([targets.positives[i]])
            return (0..<B).filter { !out.contains($0) }
        }
        let pairs = Double((0..<B).reduce(0) { $0 + negatives($1).count })
        var dl = [[Double]](repeating: [Double](repeating: 0, count: B), count: B)
        var value = 0.0
        for i in 0..<B {
            let p = targets.positives[i], lp = logit(i, p), neg = negatives(i)
            switch loss.objective {
            case .positiveOnly:
                value -= lp / Double(B); dl[i][p] = -1 / Double(B)
            case .spectral:
                value -= 2 * lp / Double(B); dl[i][p] = -2 / Double(B)
                for j in neg { let l = logit(i, j); value += l * l / pairs; dl[i][j] = 2 * l / pairs }
            case .infoNCE:
                let mx = neg.reduce(lp) { m, j in Swift.max(m, logit(i, j)) }
                let sum = neg.reduce(Double.exp(lp - mx)) { $0 + Double.exp(logit(i, $1) - mx) }
                let z = mx + Double.log(sum)
                value += (z - lp) / Double(B)
                dl[i][p] = (Double.exp(lp - z) - 1) / Double(B)
                for j in neg { dl[i][j] = Double.exp(logit(i, j) - z) / Double(B) }
            }
        }
        var dAh = Matrix<T>(rows: B, cols: k), dCh = Matrix<T>(rows: B, cols: k)
        for i in 0..<B { for j in 0..<B where dl[i][j] != 0 { for t in 0..<k {
            dAh[i, t] += T(g * dl[i][j] * Double(ch[j, t]))
            dCh[j, t] += T(g * dl[i][j] * Double(ah[i, t]))
        }}}
        let dC = loss.stopGradient ? Matrix<T>(rows: B, cols: k) : cn.backward(dCh)
        return (value, an.backward(dAh), dC)
    }
}

extension MaskedContrastiveLoss {
    /// Per call: the logits and dA gemms, and dC without stop-gradient (b × N × k each).
    static func gemmFlops(_ s: LossShape) -> (executed: Double, unfused: Double) {
        let flops = (2.0 + (s.loss.stopGradient ? 0 : 1)) * s.pairFlops
        return (flops, flops)
    }

    /// The gathered candidates and their gradient, the results (two), a logits block and the marks.
    static func workspace(_ s: LossShape) -> [LossBuffer] {
        let f = s.scalarBytes
        return [LossBuffer("guided loss: gathered candidates, gradients, logits block", global: true, [2, s.B, s.k, f], [8, s.b, s.k, f],
                           [Swift.min(s.b, Swift.max(1, s.blockElements / Swift.max(s.B, 1))), s.B, f],
                           [s.B, MemoryLayout<Int>.stride])]
    }
}
