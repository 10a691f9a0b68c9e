// Synthetic/SignalNoise.swift — the signal + noise data model of Huang et al. (NeurIPS 2024,
// arXiv 2411.02837): sample i has a label y_i = ±1, an image x = [y·μ, ξ] and a text
// x̃ = [y·μ̃, ξ̃] sharing y, and single-modal augmentations x̂ = [y·μ, ξ + ε] that keep ξ.
// Every value is a pure function of (seed, split, i[, draw]); rows go into caller matrices.
import Linalg

/// The two-patch signal + noise model. A row is `patches · d` Floats: patch p occupies
/// columns p·d ..< (p+1)·d; patch 0 is y·μ, patch 1 is the noise ξ ~ N(0, σ_p² I_d),
/// projected orthogonal to μ when `projectNoise` — a deviation from the paper, whose eq. (1) does
/// not project; this type defaults to it, the run configuration (`signal_noise.project_noise`) does not.
public struct SignalNoise: Codable, Equatable, Sendable {
    /// One modality: its dimension, its signal vector μ = signalNorm · e_signalAxis and its noise.
    /// Give exactly one of `signalNorm` (‖μ‖) and `snr` (‖μ‖ = snr · σ_p · √d).
    public struct Modality: Codable, Equatable, Sendable {
        /// Patch dimension d (a row has 2d Floats).
        public var d: Int
        /// The coordinate μ points along.
        public var signalAxis: Int
        /// ‖μ‖, or nil when `snr` is given.
        public var signalNorm: Float?
        /// ‖μ‖ / (σ_p √d), or nil when `signalNorm` is given.
        public var snr: Float?
        /// Noise standard deviation σ_p.
        public var sigmaP: Float
        /// Project ξ orthogonal to μ (zero its `signalAxis` coordinate): not the paper's form.
        public var projectNoise: Bool

        public init(
            d: Int, signalAxis: Int = 0, signalNorm: Float? = nil, snr: Float? = nil,
            sigmaP: Float = 1, projectNoise: Bool = true
        ) {
            self.d = d
            self.signalAxis = signalAxis
            self.signalNorm = signalNorm
            self.snr = snr
            self.sigmaP = sigmaP
            self.projectNoise = projectNoise
        }

        /// Patches per row (signal, noise).
        public static let patches = 2
        /// Floats per row: patches · d.
        public var rowWidth: Int { Self.patches * d }
        /// ‖μ‖ from whichever of `signalNorm` / `snr` is given.
        public var resolvedSignalNorm: Float {
            if let s = signalNorm { return s }
            return (snr ?? 0) * sigmaP * Float(d).squareRoot()
        }
        /// SNR = ‖μ‖ / (σ_p √d).
        public var resolvedSNR: Float { resolvedSignalNorm / (sigmaP * Float(d).squareRoot()) }
        /// The signal vector μ (length d).
        public var signal: [Float] {
            var mu = [Float](repeating: 0, count: d)
            if signalAxis >= 0 && signalAxis < d { mu[signalAxis] = resolvedSignalNorm }
            return mu
        }

        /// Checks every parameter; names in errors are prefixed by `prefix` (e.g. "image.").
        public func validate(model: String = "SignalNoise", prefix: String = "") throws {
            try require(d >= 1, model, prefix + "d", ">= 1", d)
            try require(
                signalAxis >= 0 && signalAxis < d, model, prefix + "signalAxis", "in 0..<d = 0..<\(d)", signalAxis)
            try require(
                (signalNorm == nil) != (snr == nil), model, prefix + "signalNorm / " + prefix + "snr",
                "exactly one given", signalNorm == nil ? "neither" : "both")
            if let s = signalNorm {
                try require(s >= 0 && s.isFinite, model, prefix + "signalNorm", ">= 0 and finite", s)
            }
            if let s = snr { try require(s >= 0 && s.isFinite, model, prefix + "snr", ">= 0 and finite", s) }
            try require(sigmaP > 0 && sigmaP.isFinite, model, prefix + "sigmaP", "> 0 and finite", sigmaP)
        }
    }

    /// How a single-modal view x̂ is made from x; both keep the sample's own noise ξ.
    public enum Augmentation: Codable, Equatable, Sendable {
        /// x̂ = [y·μ, ξ + ε], ε ~ N(0, augmentationSigma² I) fresh per (i, draw).
        case gaussian(augmentationSigma: Float)
        /// x̂ = [y·μ, m ⊙ ξ]: each noise coordinate zeroed with probability maskFraction, fresh per (i, draw).
        case masking(maskFraction: Float)
    }

    /// Number of samples; indices are 0..<n.
    public var n: Int
    /// The image modality (μ, σ_p).
    public var image: Modality
    /// The text modality (μ̃, its own σ), sharing the label.
    public var text: Modality
    /// P(y = +1).
    public var positiveFraction: Double
    /// The single-modal augmentation.
    public var augmentation: Augmentation
    /// The key of every random stream of this data set.
    public var seed: UInt64
    /// Mixed into every stream, so train and test samples never coincide.
    public var split: DataSplit

    /// Defaults follow the paper's Figure 1: μ = 5·e₀, μ̃ = 15·e₁, σ_p = 1, ε ~ N(0, 0.01 I), balanced labels.
    public init(
        n: Int,
        image: Modality = Modality(d: 2000, signalAxis: 0, signalNorm: 5),
        text: Modality = Modality(d: 2000, signalAxis: 1, signalNorm: 15),
        positiveFraction: Double = 0.5,
        augmentation: Augmentation = .gaussian(augmentationSigma: 0.1),
        seed: UInt64 = 0, split: DataSplit = .train
    ) {
        self.n = n
        self.image = image
        self.text = text
        self.positiveFraction = positiveFraction
        self.augmentation = augmentation
        self.seed = seed
        self.split = split
    }

    /// The training set of the paper's Figure 1: d = 2000, μ = [5, 0, …], μ̃ = [0, 15, 0, …],
    /// ξ, ξ̃ ~ N(0, I) (projected), ε ~ N(0, 0.01 I); the paper uses n = 100.
    public static func paperFigure1(n: Int = 100, seed: UInt64 = 0) -> SignalNoise {
        SignalNoise(n: n, seed: seed, split: .train)
    }

    /// The out-of-distribution test set of Figure 1: x_test = [y·ν, ζ], ν = [2, 0, …], ζ ~ N(0, I),
    /// split `.test` (disjoint from the training streams); the paper uses n = 200.
    public static func paperFigure1Test(n: Int = 200, seed: UInt64 = 0) -> SignalNoise {
        SignalNoise(n: n, image: Modality(d: 2000, signalAxis: 0, signalNorm: 2), seed: seed, split: .test)
    }

    /// Checks every parameter; the error names the parameter and its allowed range.
    public func validate() throws {
        try require(n >= 1, "SignalNoise", "n", ">= 1", n)
        try image.validate(prefix: "image.")
        try text.validate(prefix: "text.")
        try require(
            positiveFraction >= 0 && positiveFraction <= 1, "SignalNoise", "positiveFraction", "in [0, 1]",
            positiveFraction)
        switch augmentation {
        case .gaussian(let s):
            try require(s >= 0 && s.isFinite, "SignalNoise", "augmentationSigma", ">= 0 and finite", s)
        case .masking(let f):
            try require(f >= 0 && f <= 1, "SignalNoise", "maskFraction", "in [0, 1]", f)
        }
    }

    // MARK: accessors

    /// The image signal μ.
    public var imageSignal: [Float] { image.signal }
    /// The text signal μ̃.
    public var textSignal: [Float] { text.signal }

    /// The label y_i ∈ {−1, +1} of sample i.
    public func label(of i: Int) throws -> Float {
        try checkIndices(CollectionOfOne(i), n: n, model: "SignalNoise")
        return labelValue(i)
    }

    /// The image noise ξ_i (length image.d), exactly as in row i of `fillImages`.
    public func imageNoise(of i: Int) throws -> [Float] {
        var m = Matrix<Float>(rows: 1, cols: image.d)
        try fillImageNoise(CollectionOfOne(i), into: &m)
        return m.storage
    }

    /// The text noise ξ̃_i (length text.d), exactly as in row i of `fillTexts`.
    public func textNoise(of i: Int) throws -> [Float] {
        var m = Matrix<Float>(rows: 1, cols: text.d)
        try fillTextNoise(CollectionOfOne(i), into: &m)
        return m.storage
    }

    // MARK: generation into caller matrices

    /// Labels of `indices` into `labels` (resized to indices.count, capacity reused).
    @_specialize(where C == [Int])
    @_specialize(where C == Range<Int>)
    public func fillLabels<C: Collection>(_ indices: C, into labels: inout [Float]) throws where C.Element == Int {
        try checkIndices(indices, n: n, model: "SignalNoise")
        labels.removeAll(keepingCapacity: true)
        for i in indices { labels.append(labelValue(i)) }
    }

    /// Image rows [y·μ, ξ] of `indices` into `x`, reshaped to indices.count × image.rowWidth
    /// (no allocation when the shape repeats).
    @_specialize(where C == [Int])
    @_specialize(where C == Range<Int>)
    public func fillImages<C: Collection>(_ indices: C, into x: inout Matrix<Float>) throws where C.Element == Int {
        try fillRows(indices, modality: image, noise: .imageNoise, into: &x)
    }

    /// Text rows [y·μ̃, ξ̃] of `indices` into `x` (indices.count × text.rowWidth).
    @_specialize(where C == [Int])
    @_specialize(where C == Range<Int>)
    public func fillTexts<C: Collection>(_ indices: C, into x: inout Matrix<Float>) throws where C.Element == Int {
        try fillRows(indices, modality: text, noise: .textNoise, into: &x)
    }

    /// Augmented image rows x̂ of `indices` for augmentation draw `draw` (e.g. the training step;
    /// use distinct draws for independent views). The noise ξ_i is the same as in `fillImages`.
    @_specialize(where C == [Int])
    @_specialize(where C == Range<Int>)
    public func fillAugmentedImages<C: Collection>(_ indices: C, draw: Int, into x: inout Matrix<Float>) throws
    where C.Element == Int {
        var scratch: [Float] = []
        try fillAugmentedImages(indices, draw: draw, into: &x, scratch: &scratch)
    }

    /// `fillAugmentedImages` with a caller-kept scratch row (no allocation once it has d values).
    @_specialize(where C == [Int])
    @_specialize(where C == Range<Int>)
    public func fillAugmentedImages<C: Collection>(
        _ indices: C, draw: Int, into x: inout Matrix<Float>,
        scratch eps: inout [Float]
    ) throws where C.Element == Int {
        try fillRows(indices, modality: image, noise: .imageNoise, into: &x)
        let d = image.d
        let width = image.rowWidth
        let split = split
        let seed = seed
        switch augmentation {
        case .gaussian(let sigma):
            guard sigma > 0 else { return }
            if eps.count != d { eps = [Float](repeating: 0, count: d) }
            x.storage.withUnsafeMutableBufferPointer { p in
                eps.withUnsafeMutableBufferPointer { e in
                    for (r, i) in indices.enumerated() {
                        gaussianKernel(
                            e.baseAddress!, count: d, sigma: sigma, seed: seed,
                            stream: StreamID(purpose: .augmentation, split: split, item: i, draw: draw))
                        let row = p.baseAddress! + r * width + d
                        for k in 0..<d { row[k] += e[k] }
                    }
                }
            }
        case .masking(let fraction):
            guard fraction > 0 else { return }
            x.storage.withUnsafeMutableBufferPointer { p in
                for (r, i) in indices.enumerated() {
                    let rng = CounterRNG(seed: seed, purpose: .mask, split: split, item: i, draw: draw)
                    let row = p.baseAddress! + r * width + d
                    var k = 0
                    var b: UInt32 = 0
                    while k < d {
                        let w = rng.block(b)
                        b &+= 1
                        for q in 0..<min(4, d - k) where uniformFloat(w[q]) < fraction { row[k + q] = 0 }
                        k += 4
                    }
                }
            }
        }
    }

    /// The image noises ξ_i of `indices` as rows (indices.count × image.d), for the
    /// noise-memorization diagnostic max_r ⟨w_r, ξ_i⟩.
    @_specialize(where C == [Int])
    @_specialize(where C == Range<Int>)
    public func fillImageNoise<C: Collection>(_ indices: C, into x: inout Matrix<Float>) throws where C.Element == Int {
        try fillNoise(indices, modality: image, noise: .imageNoise, into: &x)
    }

    /// The text noises ξ̃_i of `indices` as rows (indices.count × text.d).
    @_specialize(where C == [Int])
    @_specialize(where C == Range<Int>)
    public func fillTextNoise<C: Collection>(_ indices: C, into x: inout Matrix<Float>) throws where C.Element == Int {
        try fillNoise(indices, modality: text, noise: .textNoise, into: &x)
    }

    // MARK: kernels

    /// y_i = +1 when a (0, 1) uniform from stream (label, split, i) is below positiveFraction.
    @usableFromInline
    func labelValue(_ i: Int) -> Float {
        let w = CounterRNG(seed: seed, purpose: .label, split: split, item: i).block(0)
        let u = uniformDouble(UInt64(w[0]) | UInt64(w[1]) << 32)
        return u < positiveFraction ? 1 : -1
    }

    /// Writes σ_p·g (projected) for sample i into `out` (d Floats).
    @inline(__always)
    func writeNoise(_ out: UnsafeMutablePointer<Float>, modality m: Modality, noise: RNGPurpose, item i: Int) {
        gaussianKernel(
            out, count: m.d, sigma: m.sigmaP, seed: seed, stream: StreamID(purpose: noise, split: split, item: i))
        if m.projectNoise { out[m.signalAxis] = 0 }
    }

    @_specialize(where C == [Int])
    @_specialize(where C == Range<Int>)
    func fillRows<C: Collection>(_ indices: C, modality m: Modality, noise: RNGPurpose, into x: inout Matrix<Float>)
        throws where C.Element == Int
    {
        try checkIndices(indices, n: n, model: "SignalNoise")
        let d = m.d
        let width = m.rowWidth
        let norm = m.resolvedSignalNorm
        let axis = m.signalAxis
        x.reshape(rows: indices.count, cols: width)
        x.storage.withUnsafeMutableBufferPointer { p in
            for (r, i) in indices.enumerated() {
                let row = p.baseAddress! + r * width
                row.update(repeating: 0, count: d)
                row[axis] = labelValue(i) * norm
                writeNoise(row + d, modality: m, noise: noise, item: i)
            }
        }
    }

    @_specialize(where C == [Int])
    @_specialize(where C == Range<Int>)
    func fillNoise<C: Collection>(_ indices: C, modality m: Modality, noise: RNGPurpose, into x: inout Matrix<Float>)
        throws where C.Element == Int
    {
        try checkIndices(indices, n: n, model: "SignalNoise")
        let d = m.d
        x.reshape(rows: indices.count, cols: d)
        x.storage.withUnsafeMutableBufferPointer { p in
            for (r, i) in indices.enumerated() {
                writeNoise(p.baseAddress! + r * d, modality: m, noise: noise, item: i)
            }
        }
    }
}
