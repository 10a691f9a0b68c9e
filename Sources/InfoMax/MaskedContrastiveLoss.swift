// InfoMax/MaskedContrastiveLoss.swift — the distributed contrastive loss when each anchor names
// its own positive among the candidates and its own excluded candidates (the guided recipes of
// Zhang et al. 2023: an extra positive from a frozen guide, dropped false or easy negatives or
// false positives): the targets, and the masked plan on the shared skeleton — the candidates
// all-gathered, this rank's rows of logits in blocks, the candidates' gradient reduce-scattered
// to their owners.
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
    /// Per local anchor, whether its positive pair is dropped ("DropFalsePositive"; empty: none
    /// is): such a row has no positive term — InfoNCE and positive-only drop the row, spectral
    /// keeps its negatives — and its positive is no negative either. The mean stays over all B.
    public var withoutPositive: [Bool]

    public init(positives: [Int], offsets: [Int]? = nil, excluded: [Int] = [], withoutPositive: [Bool] = []) {
        self.positives = positives
        self.offsets = offsets ?? [Int](repeating: 0, count: positives.count + 1)
        self.excluded = excluded
        self.withoutPositive = withoutPositive
    }

    /// Whether local anchor r's positive pair is dropped.
    @inlinable public func dropsPositive(_ r: Int) -> Bool { !withoutPositive.isEmpty && withoutPositive[r] }
}

/// A ``ContrastiveLoss`` (negatives: all candidates but the anchor's positive and its excluded
/// ones) whose global batch is split across ranks. Loss i over its positive p(i) and negatives
/// N(i) = {j ∉ {p(i)} ∪ D(i)}: InfoNCE −ℓ_ip + log(e^{ℓ_ip} + Σ_{N(i)} e^{ℓ_ij}), mean over the B
/// anchors; spectral −2 mean_i ℓ_ip + Σ_i Σ_{N(i)} ℓ_ij² / Σ_i |N(i)|; positive-only −mean_i ℓ_ip;
/// sigmoid (SigLIP, ℓ = t·S) (1/B) Σ_i [softplus(−(ℓ_ip + b)) + Σ_{N(i)} softplus(ℓ_ij + b)].
/// With p(i) = i and no exclusions it is the `.allOthers` loss with C = Pos.
///
/// Memory per rank: the N × k gathered candidates and their gradient, and a logits block of at
/// most `blockElements` scalars (at least one row of N), reused between calls.
public final class MaskedContrastiveLoss<T: BLASScalar & MPIScalar>: LossPlan {
    let skeleton: LossSkeleton<T>, ws = LossWorkspace<T>()
    public var communicator: Communicator { skeleton.communicator }
    public private(set) var loss: ContrastiveLoss
    public let blockElements: Int
    /// Timing and volume of the last ``evaluate``.
    public var lastStats: ContrastiveCallStats { skeleton.lastStats }
    /// This rank's share of the last ``evaluate``'s Σ_ij ∂L/∂ℓ_ij · ℓ_ij over its rows (ℓ = e^θ
    /// times a θ-free number, so ∂ℓ/∂θ = ℓ): InfoNCE's ∂L/∂θ, θ = log(1/τ); the sigmoid loss's
    /// ∂L/∂(log t) (ℓ = t·S before the bias); 0 for the other objectives. The ranks' shares sum
    /// to the global value (see ``TemperatureGradient`` for why it is exact).
    public private(set) var thetaGradientShare = 0.0
    /// Sigmoid: this rank's share of the last ``evaluate``'s Σ_ij ∂L/∂ℓ_ij = ∂L/∂b; else 0.
    public private(set) var biasGradientShare = 0.0
    /// Per candidate: the stamp of the last row that excluded it (its positive included).
    private var marks: [Int] = [], stamp = 0

    /// `loss.negatives` must be `.allOthers` (the targets say which candidates are excluded);
    /// `reduceScatter` sums the candidates' gradient over the ranks (`loss.reduce_scatter`).
    public init(
        communicator: Communicator, loss: ContrastiveLoss,
        blockElements: Int = LossPlanner.blockElements, reduceScatter: LossReduceScatter = .mpi
    ) throws {
        try loss.validate()
        guard loss.negatives == .allOthers else {
            throw InfoMaxError.invalidOption(
                "a masked loss takes its exclusions from the targets; use negatives .allOthers")
        }
        guard blockElements >= 1 else {
            throw InfoMaxError.invalidOption("blockElements must be at least 1, got \(blockElements)")
        }
        skeleton = LossSkeleton(communicator: communicator, reduceScatter: reduceScatter)
        self.loss = loss
        self.blockElements = blockElements
    }

    /// The sigmoid loss's learned scale t and bias b for the next calls (as `settingSigmoidParameters`).
    public func setSigmoidParameters(scale t: Double, bias: Double) throws {
        loss = try loss.settingSigmoidParameters(scale: t, bias: bias)
    }

    /// The InfoNCE loss's learned temperature τ for the next calls (as `settingTemperature`).
    public func setTemperature(_ tau: Double) throws {
        loss = try loss.settingTemperature(tau)
    }

    /// The global loss of local anchors `a` (b × k) and this rank's candidate block `c` (b × k)
    /// with `targets` for the local anchors; ∂L/∂A and ∂L/∂C (this rank's block) into `result`
    /// (`result.dPos` is left empty: the positives are candidates). Collective.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func evaluate(
        anchors a: Matrix<T>, candidates c: Matrix<T>, targets: AnchorTargets, into result: inout ContrastiveResult<T>
    ) throws {
        let k = a.cols
        let b = a.rows
        guard c.rows == b, c.cols == k, targets.positives.count == b, targets.offsets.count == b + 1,
            targets.withoutPositive.isEmpty || targets.withoutPositive.count == b
        else {
            throw InfoMaxError.shapeMismatch(
                "anchors \(b)×\(k), candidates \(c.rows)×\(c.cols), \(targets.positives.count) positives: one row and one positive per anchor"
            )
        }
        var meter = skeleton.meter()
        let code = LossSkeleton<T>.optionsCode(loss, .allgather) + 64
        let (N, _) = try skeleton.agree(loss, a, a, c, labels: nil, code: code, meter: &meter)
        guard targets.positives.allSatisfy({ (0..<N).contains($0) }),
            targets.excluded.allSatisfy({ (0..<N).contains($0) })
        else {
            throw InfoMaxError.shapeMismatch("a target outside the global batch of \(N) candidates")
        }
        let cosine = loss.similarity == .cosine
        if cosine {
            normalizeRows(a, into: &ws.aHat, norms: &ws.aNorms)
            normalizeRows(c, into: &ws.cHat, norms: &ws.cNorms)
        }
        let ah = cosine ? ws.aHat : a
        try gatherCandidates(cosine ? ws.cHat : c, globalRows: N, gradient: true, meter: &meter)
        if marks.count != N { marks = [Int](repeating: 0, count: N) }
        let g = T(loss.scale / loss.temperature)
        let invB = 1 / T(N)
        // Spectral: the number of negative pairs over the global batch.
        var pairs: T = 1
        if loss.objective == .spectral {
            var local = 0
            for r in 0..<b { local += N - mark(r, targets) }
            pairs = T(try skeleton.communicator.allreduce(Int64(local), op: .sum))
        }
        let needsC = !loss.stopGradient  // the positives are candidates too
        result.dA.reshape(rows: b, cols: k)
        result.dPos.reshape(rows: 0, cols: 0)
        var partial = 0.0
        thetaGradientShare = 0
        biasGradientShare = 0
        let chunk = max(1, min(b, blockElements / max(N, 1)))
        let L = ws.logits.atLeast(chunk * N)
        ah.storage.withUnsafeBufferPointer { pa in
            ws.gathered.withUnsafeBufferPointer { pc in
                ws.dCGlobal.withUnsafeMutableBufferPointer { pdc in
                    result.dA.storage.withUnsafeMutableBufferPointer { pd in
                        for r0 in stride(from: 0, to: b, by: chunk) {
                            let m = min(chunk, b - r0)
                            T.gemm(
                                .none, .transpose, m: m, n: N, k: k, alpha: g, a: pa.baseAddress! + r0 * k, lda: k,
                                b: pc.baseAddress!, ldb: k, beta: 0, c: L, ldc: N)
                            for r in r0..<(r0 + m) {
                                partial += rowGradient(
                                    r, row: L + (r - r0) * N, N: N, targets: targets, invB: invB, pairs: pairs)
                            }
                            // dÂ rows = g · dℓ Ĉ;  dĈ += g · dℓᵀ Â rows.
                            T.gemm(
                                .none, .none, m: m, n: k, k: N, alpha: g, a: L, lda: N, b: pc.baseAddress!, ldb: k,
                                beta: 0, c: pd.baseAddress! + r0 * k, ldc: k)
                            if needsC {
                                T.gemm(
                                    .transpose, .none, m: N, n: k, k: m, alpha: g, a: L, lda: N,
                                    b: pa.baseAddress! + r0 * k, ldb: k, beta: 1, c: pdc.baseAddress!, ldc: k)
                            }
                        }
                    }
                }
            }
        }
        if cosine { backpropNormalization(&result.dA, normalized: ws.aHat, norms: ws.aNorms) }
        result.dC.reshape(rows: b, cols: k)
        if needsC {
            try skeleton.sumCandidateGradient(&ws.dCGlobal, into: &result.dC.storage, width: k, meter: &meter)
            if cosine { backpropNormalization(&result.dC, normalized: ws.cHat, norms: ws.cNorms) }
        } else {
            fillZero(&result.dC.storage)
        }
        // The loss: every rank's share, summed in rank order on every rank.
        result.value = T(try skeleton.sumLossShares(partial, meter: &meter))
        skeleton.record(meter)
    }

    /// Marks local row r's positive and excluded candidates with a new stamp; returns how many.
    @discardableResult
    private func mark(_ r: Int, _ targets: AnchorTargets) -> Int {
        stamp += 1
        marks[targets.positives[r]] = stamp
        var marked = 1
        for j in targets.excluded[targets.offsets[r]..<targets.offsets[r + 1]] where marks[j] != stamp {
            marks[j] = stamp
            marked += 1
        }
        return marked
    }

    /// Replaces the logits of local row r (at `l`) by ∂L/∂ℓ and returns its loss share.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    private func rowGradient(
        _ r: Int, row l: UnsafeMutablePointer<T>, N: Int, targets: AnchorTargets, invB: T, pairs: T
    ) -> Double {
        mark(r, targets)
        let p = targets.positives[r]
        let lp = l[p]
        if targets.dropsPositive(r) && loss.objective != .spectral {
            // A dropped positive pair (DropFalsePositive): the row has no term.
            for j in 0..<N { l[j] = 0 }
            return 0
        }
        switch loss.objective {
        case .sigmoid:
            // z = +1 at p, −1 on N(i): the pair's term softplus(−z(ℓ + b))/B, ∂/∂ℓ = −z σ(−z(ℓ + b))/B.
            let bias = T(loss.bias)
            var s = 0.0
            var dLog = 0.0
            var dBias = 0.0
            weighNegatives(l, N) { x in
                let v = x + bias
                s += Double(SigmoidLossMath.softplus(v))
                let d = SigmoidLossMath.sigmoid(v) * invB
                dLog += Double(d) * Double(x)
                dBias += Double(d)
                return d
            }
            let v = lp + bias
            s += Double(SigmoidLossMath.softplus(-v))
            let d = -SigmoidLossMath.sigmoid(-v) * invB
            thetaGradientShare += dLog + Double(d) * Double(lp)
            biasGradientShare += dBias + Double(d)
            l[p] = d
            return s * Double(invB)
        case .positiveOnly:
            for j in 0..<N { l[j] = 0 }
            l[p] = -invB
            return -Double(lp) * Double(invB)
        case .spectral:
            var s = 0.0
            weighNegatives(l, N) { x in
                s += Double(x * x)
                return 2 * x / pairs
            }
            if targets.dropsPositive(r) { return s / Double(pairs) }  // negatives only
            l[p] = -2 * invB
            return -2 * Double(lp) * Double(invB) + s / Double(pairs)
        case .infoNCE:
            var mx = lp
            for j in 0..<N where marks[j] != stamp { mx = Swift.max(mx, l[j]) }
            var sum = T.exp(lp - mx)
            for j in 0..<N where marks[j] != stamp { sum += T.exp(l[j] - mx) }
            let lse = mx + T.log(sum)
            // ∂L/∂θ of the row: Σ_j ∂L/∂ℓ_j ℓ_j = (E_σ[ℓ] − ℓ_p)/B over {p} ∪ N(i).
            var expected = 0.0
            weighNegatives(l, N) { x in
                let e = T.exp(x - lse)
                expected += Double(e) * Double(x)
                return e * invB
            }
            let sp = T.exp(lp - lse)
            expected += Double(sp) * Double(lp)
            thetaGradientShare += (expected - Double(lp)) * Double(invB)
            l[p] = (sp - 1) * invB
            return Double(lse - lp) * Double(invB)
        }
    }

    /// Row `l` of the marked row: 0 at its positive and excluded candidates, `weight(ℓ)` elsewhere.
    @inline(__always)
    private func weighNegatives(_ l: UnsafeMutablePointer<T>, _ N: Int, _ weight: (T) -> T) {
        for j in 0..<N { l[j] = marks[j] == stamp ? 0 : weight(l[j]) }
    }

    /// Per call: the logits and dA gemms, and dC without stop-gradient (b × N × k each).
    static func gemmFlops(_ s: LossShape) -> (executed: Double, unfused: Double) {
        let flops = (2.0 + (s.loss.stopGradient ? 0 : 1)) * s.pairFlops
        return (flops, flops)
    }

    /// The gathered candidates and their gradient, the results (two), a logits block and the marks.
    static func workspace(_ s: LossShape) -> [LossBuffer] {
        let f = s.scalarBytes
        return [
            LossBuffer(
                "guided loss: gathered candidates, gradients, logits block", global: true, [2, s.B, s.k, f],
                [8, s.b, s.k, f], [Swift.min(s.b, Swift.max(1, s.blockElements / Swift.max(s.B, 1))), s.B, f],
                [s.B, MemoryLayout<Int>.stride])
        ]
    }
}
