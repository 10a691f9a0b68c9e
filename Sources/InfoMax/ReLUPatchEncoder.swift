// InfoMax/ReLUPatchEncoder.swift — Huang et al.'s one-hidden-layer ReLU network over patches,
// summed or patch-wise, with a hand-derived backward pass: one gemm each way over the batch
// (over the dense patches only, when one patch is known to lie along a coordinate axis).
import Linalg

/// How the patch responses become the embedding.
public enum PatchOutput: String, Sendable, Codable, CaseIterable {
    /// h_r(x) = Σ_p ReLU(⟨w_r, x^(p)⟩): b × m.
    case summed
    /// [ReLU(X_1 Wᵀ), …, ReLU(X_P Wᵀ)]: b × P·m. The inner product of two patch-wise
    /// embeddings is the paper's patch-wise similarity Σ_p Σ_r h_r(x^(p)) h_r(x'^(p)).
    case patchwise
}

/// A promise about every input row: patch `patch` is zero outside column `axis` (the signal
/// patch y·μ of the signal-noise model, where μ = ‖μ‖·e_axis).
///
/// With it that patch's pre-activations are x^(patch)_axis · W[:, axis] (b·m multiplies, the
/// gemm's bits: every other term is an exact zero) and its weight gradient one column update,
/// so the gemms run over the other patches only. Rows that break the promise get wrong
/// embeddings; only a caller that builds the rows itself should give it.
public struct AxisAlignedPatch: Sendable, Equatable, Codable {
    /// The patch index (in 0..<P) and the only column of it that may be non-zero (in 0..<d).
    public var patch: Int
    public var axis: Int

    public init(patch: Int, axis: Int) {
        self.patch = patch
        self.axis = axis
    }
}

/// The ReLU patch encoder of Huang et al. (2024): weights W (m × d), an input row holds P
/// patches of d values (patch p at columns p·d ..< (p+1)·d).
///
/// Row-major storage makes the b × P·d batch the same memory as a (b·P) × d matrix whose
/// row i·P + p is patch p of sample i, so all P pre-activation blocks X_p Wᵀ come from one
/// gemm into a (b·P) × m matrix (row i·P + p, the b × P·m patch-wise layout), with no copies;
/// likewise dW = Σ_p G_pᵀ X_p is one gemm with inner dimension b·P.
public struct ReLUPatchEncoder<Scalar: BLASScalar>: Encoder, Sendable {
    /// W, m × d (one neuron per row).
    public var weights: Matrix<Scalar>
    /// P, the number of patches per sample.
    public let patches: Int
    public let mode: PatchOutput
    public let axisAlignedPatch: AxisAlignedPatch?

    /// m, the number of neurons, and d, the width of a patch.
    public var neurons: Int { weights.rows }
    public var patchWidth: Int { weights.cols }
    public var inputWidth: Int { patches * weights.cols }
    public var outputWidth: Int { mode == .summed ? weights.rows : patches * weights.rows }

    /// An encoder with weights W (m × d) over `patches` patches; give `axisAlignedPatch` only
    /// when every input row keeps that promise.
    public init(
        weights: Matrix<Scalar>, patches: Int, mode: PatchOutput = .summed, axisAlignedPatch: AxisAlignedPatch? = nil
    ) throws {
        guard patches >= 1 else {
            throw InfoMaxError.invalidOption("ReLUPatchEncoder needs at least one patch, got \(patches)")
        }
        guard weights.rows >= 1, weights.cols >= 1 else {
            throw InfoMaxError.invalidOption(
                "ReLUPatchEncoder needs a non-empty m × d weight matrix, got \(weights.rows)×\(weights.cols)")
        }
        if let a = axisAlignedPatch {
            guard (0..<patches).contains(a.patch), (0..<weights.cols).contains(a.axis) else {
                throw InfoMaxError.invalidOption(
                    "ReLUPatchEncoder: the axis-aligned patch \(a.patch) at column \(a.axis) is outside \(patches) patches of \(weights.cols) columns"
                )
            }
        }
        self.weights = weights
        self.patches = patches
        self.mode = mode
        self.axisAlignedPatch = axisAlignedPatch
    }

    public func forward(_ x: Matrix<Scalar>, into output: inout Matrix<Scalar>, cache: inout EncoderCache<Scalar>)
        throws
    {
        try checkInput(x, "ReLUPatchEncoder")
        let b = x.rows
        let m = neurons
        let d = patchWidth
        let P = patches
        cache.preActivation.reshape(rows: b * P, cols: m)
        output.reshape(rows: b, cols: outputWidth)
        guard b > 0 else { return }
        let aligned = axisAlignedPatch
        x.storage.withUnsafeBufferPointer { px in
            weights.storage.withUnsafeBufferPointer { pw in
                cache.preActivation.storage.withUnsafeMutableBufferPointer { pz in
                    guard let aligned else {
                        Scalar.gemm(
                            .none, .transpose, m: b * P, n: m, k: d, alpha: 1, a: px.baseAddress!, lda: d,
                            b: pw.baseAddress!, ldb: d, beta: 0, c: pz.baseAddress!, ldc: m)
                        return
                    }
                    // Dense patches: rows i·P + p of the (b·P) × d view, i.e. stride P·d.
                    for p in 0..<P where p != aligned.patch {
                        Scalar.gemm(
                            .none, .transpose, m: b, n: m, k: d, alpha: 1, a: px.baseAddress! + p * d, lda: P * d,
                            b: pw.baseAddress!, ldb: d, beta: 0, c: pz.baseAddress! + p * m, ldc: P * m)
                    }
                    // The axis-aligned patch: ⟨w_r, x^(s)⟩ = x^(s)_a · W[r, a], with W's column
                    // copied out once so the per-sample loop runs over contiguous memory.
                    let s = aligned.patch
                    let a = aligned.axis
                    resizeZeroed(&cache.unitScratch, m)
                    cache.unitScratch.withUnsafeMutableBufferPointer { column in
                        for r in 0..<m { column[r] = pw[r * d + a] }
                        for i in 0..<b {
                            let v = px[(i * P + s) * d + a]
                            let zrow = (i * P + s) * m
                            for r in 0..<m { pz[zrow + r] = v * column[r] }
                        }
                    }
                }
            }
        }
        let mode = self.mode
        cache.preActivation.storage.withUnsafeBufferPointer { pz in
            output.storage.withUnsafeMutableBufferPointer { po in
                switch mode {
                case .patchwise:
                    for i in 0..<pz.count { po[i] = Swift.max(pz[i], 0) }
                case .summed:
                    for i in 0..<b {
                        let orow = i * m
                        for r in 0..<m { po[orow + r] = 0 }
                        for p in 0..<P {
                            let zrow = (i * P + p) * m
                            for r in 0..<m { po[orow + r] += Swift.max(pz[zrow + r], 0) }
                        }
                    }
                }
            }
        }
    }

    public func backward(
        _ x: Matrix<Scalar>, outputGradient: Matrix<Scalar>, cache: inout EncoderCache<Scalar>,
        accumulatingInto gradient: inout Matrix<Scalar>
    ) throws {
        try checkBackward(x, outputGradient, gradient, "ReLUPatchEncoder.backward")
        let b = x.rows
        let m = neurons
        let d = patchWidth
        let P = patches
        guard cache.preActivation.rows == b * P, cache.preActivation.cols == m else {
            throw InfoMaxError.shapeMismatch(
                "ReLUPatchEncoder.backward: the cache does not hold a forward pass of this batch; call forward first")
        }
        guard b > 0 else { return }
        cache.scratch.reshape(rows: b * P, cols: m)
        let mode = self.mode
        // G (b·P × m): ∂L/∂pre = dOut_p ⊙ 1[pre_p > 0].
        cache.preActivation.storage.withUnsafeBufferPointer { pz in
            outputGradient.storage.withUnsafeBufferPointer { pd in
                cache.scratch.storage.withUnsafeMutableBufferPointer { pg in
                    switch mode {
                    case .patchwise:
                        for i in 0..<pz.count { pg[i] = pz[i] > 0 ? pd[i] : 0 }
                    case .summed:
                        for i in 0..<b {
                            for p in 0..<P {
                                let zrow = (i * P + p) * m
                                for r in 0..<m { pg[zrow + r] = pz[zrow + r] > 0 ? pd[i * m + r] : 0 }
                            }
                        }
                    }
                }
            }
        }
        // dW += Gᵀ X' with X' the (b·P) × d view of the batch.
        let aligned = axisAlignedPatch
        cache.scratch.storage.withUnsafeBufferPointer { pg in
            x.storage.withUnsafeBufferPointer { px in
                gradient.storage.withUnsafeMutableBufferPointer { pw in
                    guard let aligned else {
                        Scalar.gemm(
                            .transpose, .none, m: m, n: d, k: b * P, alpha: 1, a: pg.baseAddress!, lda: m,
                            b: px.baseAddress!, ldb: d, beta: 1, c: pw.baseAddress!, ldc: d)
                        return
                    }
                    for p in 0..<P where p != aligned.patch {
                        Scalar.gemm(
                            .transpose, .none, m: m, n: d, k: b, alpha: 1, a: pg.baseAddress! + p * m, lda: P * m,
                            b: px.baseAddress! + p * d, ldb: P * d, beta: 1, c: pw.baseAddress!, ldc: d)
                    }
                    // The axis-aligned patch adds to column a only: Σ_i G[i·P + s, r] · x^(s)_{i,a},
                    // summed in sample order with fused multiply-adds, as the gemm's inner loop does
                    // (one running sum per unit, sample-major so G is read row by row).
                    let s = aligned.patch
                    let a = aligned.axis
                    resizeZeroed(&cache.unitScratch, m)
                    cache.unitScratch.withUnsafeMutableBufferPointer { sums in
                        for i in 0..<b {
                            let v = px[(i * P + s) * d + a]
                            let grow = (i * P + s) * m
                            for r in 0..<m { sums[r] = sums[r].addingProduct(pg[grow + r], v) }
                        }
                        for r in 0..<m { pw[r * d + a] += sums[r] }
                    }
                }
            }
        }
    }
}
