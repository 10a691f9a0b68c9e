// Synthetic/LatentLinear.swift — the linear latent model of Ren & Li (2023, arXiv 2304.03717):
// a shared latent z ~ N(0, diag(λ)) with a non-isotropic spectrum, two views
// x1 = A1 z + e1 (d1), x2 = A2 z + e2 (d2); A1, A2 fixed by the seed.
import Linalg
import RealModule

/// Two linear views of a shared, anisotropic latent.
public struct LatentLinear: Codable, Equatable, Sendable {
    /// The latent variances λ_0 … λ_{r−1}.
    public enum Spectrum: Codable, Equatable, Sendable {
        /// λ_j = decay^j.
        case geometric(decay: Double)
        /// λ_j given explicitly (r values, all > 0).
        case explicit([Double])
    }

    /// How A1 and A2 are drawn.
    public enum Loadings: String, Codable, Equatable, Sendable {
        /// Orthonormal columns (Gram–Schmidt of a Gaussian d × r matrix).
        case orthonormal
        /// I.i.d. N(0, 1/d) entries (columns of norm ≈ 1).
        case gaussian
    }

    /// Number of samples; indices are 0..<n.
    public var n: Int
    /// Latent dimension r.
    public var r: Int
    /// Dimension of view 1.
    public var d1: Int
    /// Dimension of view 2.
    public var d2: Int
    /// The latent covariance spectrum.
    public var spectrum: Spectrum
    /// Standard deviation of the isotropic noise of view 1.
    public var noiseSigma1: Float
    /// Standard deviation of the isotropic noise of view 2.
    public var noiseSigma2: Float
    /// How A1, A2 are drawn.
    public var loadings: Loadings
    /// The key of every random stream (A1 and A2 depend on it, not on `split`).
    public var seed: UInt64
    /// Mixed into the per-sample streams, so train and test samples never coincide.
    public var split: DataSplit

    public init(
        n: Int, r: Int = 8, d1: Int = 32, d2: Int = 32, spectrum: Spectrum = .geometric(decay: 0.5),
        noiseSigma1: Float = 0.1, noiseSigma2: Float = 0.1, loadings: Loadings = .orthonormal,
        seed: UInt64 = 0, split: DataSplit = .train
    ) {
        self.n = n
        self.r = r
        self.d1 = d1
        self.d2 = d2
        self.spectrum = spectrum
        self.noiseSigma1 = noiseSigma1
        self.noiseSigma2 = noiseSigma2
        self.loadings = loadings
        self.seed = seed
        self.split = split
    }

    /// The latent variances λ_j (length r).
    public var lambdas: [Double] {
        switch spectrum {
        case .geometric(let decay): return (0..<max(r, 0)).map { Double.pow(decay, $0) }
        case .explicit(let values): return values
        }
    }

    /// Condition number of the latent covariance, λ_max / λ_min.
    public var latentConditionNumber: Double {
        let l = lambdas
        guard let hi = l.max(), let lo = l.min(), lo > 0 else { return .infinity }
        return hi / lo
    }

    /// Checks every parameter; the error names the parameter and its allowed range.
    public func validate() throws {
        let m = "LatentLinear"
        try require(n >= 1, m, "n", ">= 1", n)
        try require(r >= 1, m, "r", ">= 1", r)
        let minD = loadings == .orthonormal ? r : 1
        try require(d1 >= minD, m, "d1", loadings == .orthonormal ? ">= r = \(r) for orthonormal loadings" : ">= 1", d1)
        try require(d2 >= minD, m, "d2", loadings == .orthonormal ? ">= r = \(r) for orthonormal loadings" : ">= 1", d2)
        switch spectrum {
        case .geometric(let decay):
            try require(decay > 0 && decay <= 1, m, "spectrum decay", "in (0, 1]", decay)
        case .explicit(let values):
            try require(values.count == r, m, "spectrum", "r = \(r) values", "\(values.count) values")
            for v in values { try require(v > 0 && v.isFinite, m, "spectrum values", "> 0 and finite", v) }
        }
        try require(noiseSigma1 >= 0 && noiseSigma1.isFinite, m, "noiseSigma1", ">= 0 and finite", noiseSigma1)
        try require(noiseSigma2 >= 0 && noiseSigma2.isFinite, m, "noiseSigma2", ">= 0 and finite", noiseSigma2)
    }

    /// A1 (d1 × r).
    public func a1() throws -> Matrix<Float> {
        try validate()
        return loadingMatrix(rows: d1, purpose: .loadings1)
    }
    /// A2 (d2 × r).
    public func a2() throws -> Matrix<Float> {
        try validate()
        return loadingMatrix(rows: d2, purpose: .loadings2)
    }

    /// The latent z_i (length r), as used for the views of sample i.
    public func latent(of i: Int) throws -> [Float] {
        var z = Matrix<Float>(rows: 1, cols: r)
        try validate()
        try Sampler.fillLatents(
            model: self, lambdaRoots: lambdas.map { Float($0.squareRoot()) }, CollectionOfOne(i), into: &z)
        return z.storage
    }

    /// A sampler holding A1, A2 (validates once).
    public func makeSampler() throws -> Sampler { try Sampler(model: self) }

    func loadingMatrix(rows d: Int, purpose: RNGPurpose) -> Matrix<Float> {
        var g = [Float](repeating: 0, count: d * r)
        CounterRNG.fillGaussian(&g, seed: seed, purpose: purpose)  // split-independent: shared by train and test
        if loadings == .gaussian {
            let s = 1 / Float(d).squareRoot()
            return (try? Matrix(rows: d, cols: r, storage: g.map { $0 * s })) ?? Matrix(rows: d, cols: r)
        }
        // Modified Gram–Schmidt, twice, in Double, on the columns of the d × r matrix g.
        var q = g.map(Double.init)
        for j in 0..<r {
            for _ in 0..<2 {
                for k in 0..<j {
                    var p = 0.0
                    for i in 0..<d { p += q[i * r + k] * q[i * r + j] }
                    for i in 0..<d { q[i * r + j] -= p * q[i * r + k] }
                }
            }
            var norm = 0.0
            for i in 0..<d { norm += q[i * r + j] * q[i * r + j] }
            norm = norm.squareRoot()
            for i in 0..<d { q[i * r + j] /= norm }
        }
        return (try? Matrix(rows: d, cols: r, storage: q.map(Float.init))) ?? Matrix(rows: d, cols: r)
    }

    /// Generates latents and views into caller matrices; holds A1 and A2.
    public struct Sampler: Sendable {
        /// The model.
        public let model: LatentLinear
        /// A1 (d1 × r).
        public let a1: Matrix<Float>
        /// A2 (d2 × r).
        public let a2: Matrix<Float>
        let lambdaRoots: [Float]

        public init(model: LatentLinear) throws {
            try model.validate()
            self.model = model
            self.a1 = model.loadingMatrix(rows: model.d1, purpose: .loadings1)
            self.a2 = model.loadingMatrix(rows: model.d2, purpose: .loadings2)
            self.lambdaRoots = model.lambdas.map { Float($0.squareRoot()) }
        }

        /// Latents z_i of `indices` into `z` (indices.count × r).
        @_specialize(where C == [Int])
        @_specialize(where C == Range<Int>)
        public func fillLatents<C: Collection>(_ indices: C, into z: inout Matrix<Float>) throws
        where C.Element == Int {
            try Sampler.fillLatents(model: model, lambdaRoots: lambdaRoots, indices, into: &z)
        }

        /// Views x1 = A1 z + e1 and x2 = A2 z + e2 of `indices` into `x1` (count × d1) and `x2`
        /// (count × d2); the latents go to `z` (count × r), a scratch the caller may reuse or read.
        @_specialize(where C == [Int])
        @_specialize(where C == Range<Int>)
        public func fillViews<C: Collection>(
            _ indices: C, x1: inout Matrix<Float>, x2: inout Matrix<Float>,
            latents z: inout Matrix<Float>
        ) throws where C.Element == Int {
            try fillLatents(indices, into: &z)
            fillView(
                indices, latents: z, d: model.d1, sigma: model.noiseSigma1, purpose: .viewNoise1, loading: a1, into: &x1
            )
            fillView(
                indices, latents: z, d: model.d2, sigma: model.noiseSigma2, purpose: .viewNoise2, loading: a2, into: &x2
            )
        }

        /// x = e + A·z per row, e ~ N(0, σ² I) from stream (purpose, split, i). The product is an
        /// explicit loop in a fixed order (not BLAS), so row i is bit-identical whatever batch it is in.
        @_specialize(where C == [Int])
        @_specialize(where C == Range<Int>)
        func fillView<C: Collection>(
            _ indices: C, latents z: Matrix<Float>, d: Int, sigma: Float, purpose: RNGPurpose,
            loading a: Matrix<Float>, into x: inout Matrix<Float>
        ) where C.Element == Int {
            let m = model
            let r = m.r
            x.reshape(rows: indices.count, cols: d)
            x.storage.withUnsafeMutableBufferPointer { p in
                z.storage.withUnsafeBufferPointer { pz in
                    a.storage.withUnsafeBufferPointer { pa in
                        for (row, i) in indices.enumerated() {
                            let out = p.baseAddress! + row * d
                            if sigma > 0 {
                                gaussianKernel(
                                    out, count: d, sigma: sigma, seed: m.seed,
                                    stream: StreamID(purpose: purpose, split: m.split, item: i))
                            } else {
                                out.update(repeating: 0, count: d)
                            }
                            let zi = pz.baseAddress! + row * r
                            for k in 0..<d {
                                var acc: Float = 0
                                for j in 0..<r { acc += pa[k * r + j] * zi[j] }
                                out[k] += acc
                            }
                        }
                    }
                }
            }
        }

        @_specialize(where C == [Int])
        @_specialize(where C == Range<Int>)
        static func fillLatents<C: Collection>(
            model m: LatentLinear, lambdaRoots: [Float], _ indices: C,
            into z: inout Matrix<Float>
        ) throws where C.Element == Int {
            try checkIndices(indices, n: m.n, model: "LatentLinear")
            let r = m.r
            z.reshape(rows: indices.count, cols: r)
            z.storage.withUnsafeMutableBufferPointer { p in
                for (row, i) in indices.enumerated() {
                    let out = p.baseAddress! + row * r
                    gaussianKernel(
                        out, count: r, sigma: 1, seed: m.seed,
                        stream: StreamID(purpose: .latent, split: m.split, item: i))
                    for j in 0..<r { out[j] *= lambdaRoots[j] }
                }
            }
        }
    }
}
