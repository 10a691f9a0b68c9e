// Synthetic/Cooccurrence.swift — the latent-class co-occurrence model behind Zhang, Wang, Wang
// (ICML 2023, arXiv 2306.04272): K classes with prior π, discrete image tokens x_v and text
// tokens x_l drawn independently given the class, so P(x_v, x_l) = Σ_c π_c P(x_v|c) P(x_l|c).
// Multi-modal spectral CL factorizes P(x_v, x_l)/√(P(x_v) P(x_l)); the exact matrices are here.
import Linalg

/// Discrete image/text tokens co-occurring through a latent class.
///
/// Each token is owned by one class (a seeded, balanced assignment); P(x|c) puts mass
/// (1 − leakage) on c's own tokens, with seeded weights in [0.5, 1.5), and spreads `leakage`
/// uniformly over the whole vocabulary. Lower `textLeakage` than `imageLeakage` makes text
/// more semantically consistent than images, as in the paper.
public struct Cooccurrence: Codable, Equatable, Sendable {
    /// Number of samples; indices are 0..<n.
    public var n: Int
    /// Number of latent classes K.
    public var classes: Int
    /// The class prior π (K values summing to 1), or nil for uniform.
    public var classPrior: [Double]?
    /// Image vocabulary size N_v (≥ K).
    public var imageVocabulary: Int
    /// Text vocabulary size N_l (≥ K).
    public var textVocabulary: Int
    /// Mass of P(x_v|c) spread uniformly over all image tokens, in [0, 1].
    public var imageLeakage: Double
    /// Mass of P(x_l|c) spread uniformly over all text tokens, in [0, 1].
    public var textLeakage: Double
    /// Key of every stream (the class-conditional tables depend on it, not on `split`).
    public var seed: UInt64
    /// Mixed into the per-sample streams, so train and test samples never coincide.
    public var split: DataSplit

    public init(
        n: Int, classes: Int = 4, classPrior: [Double]? = nil, imageVocabulary: Int = 32, textVocabulary: Int = 24,
        imageLeakage: Double = 0.4, textLeakage: Double = 0.05, seed: UInt64 = 0, split: DataSplit = .train
    ) {
        self.n = n
        self.classes = classes
        self.classPrior = classPrior
        self.imageVocabulary = imageVocabulary
        self.textVocabulary = textVocabulary
        self.imageLeakage = imageLeakage
        self.textLeakage = textLeakage
        self.seed = seed
        self.split = split
    }

    /// π (uniform when `classPrior` is nil).
    public var prior: [Double] {
        classPrior ?? [Double](repeating: 1 / Double(max(classes, 1)), count: max(classes, 0))
    }

    /// Checks every parameter; the error names the parameter and its allowed range.
    public func validate() throws {
        let m = "Cooccurrence"
        try require(n >= 1, m, "n", ">= 1", n)
        try require(classes >= 1, m, "classes", ">= 1", classes)
        if let p = classPrior {
            try require(p.count == classes, m, "classPrior", "K = \(classes) values", "\(p.count) values")
            for v in p { try require(v >= 0 && v.isFinite, m, "classPrior values", ">= 0", v) }
            let s = p.reduce(0, +)
            try require(abs(s - 1) < 1e-9, m, "classPrior", "summing to 1", "sum \(s)")
        }
        try require(imageVocabulary >= classes, m, "imageVocabulary", ">= classes = \(classes)", imageVocabulary)
        try require(textVocabulary >= classes, m, "textVocabulary", ">= classes = \(classes)", textVocabulary)
        try require(imageLeakage >= 0 && imageLeakage <= 1, m, "imageLeakage", "in [0, 1]", imageLeakage)
        try require(textLeakage >= 0 && textLeakage <= 1, m, "textLeakage", "in [0, 1]", textLeakage)
    }

    /// P(x_v | c) as a K × N_v matrix (rows sum to 1).
    public func imageConditionals() throws -> Matrix<Double> {
        try validate()
        return conditionals(vocabulary: imageVocabulary, leakage: imageLeakage, item: 0)
    }

    /// P(x_l | c) as a K × N_l matrix (rows sum to 1).
    public func textConditionals() throws -> Matrix<Double> {
        try validate()
        return conditionals(vocabulary: textVocabulary, leakage: textLeakage, item: 1)
    }

    /// The exact joint P(x_v, x_l) = Σ_c π_c P(x_v|c) P(x_l|c), N_v × N_l.
    public func jointMatrix() throws -> Matrix<Double> {
        let pv = try imageConditionals()
        let pl = try textConditionals()
        var weighted = pv
        let pi = prior
        for c in 0..<classes { for v in 0..<imageVocabulary { weighted[c, v] *= pi[c] } }
        return matmul(weighted, .transpose, pl)
    }

    /// P(x_v) (length N_v).
    public func imageMarginal() throws -> [Double] { try jointMatrix().rowSums() }
    /// P(x_l) (length N_l).
    public func textMarginal() throws -> [Double] { try jointMatrix().columnSums() }

    /// P(x_v, x_l) / √(P(x_v) P(x_l)); its singular values are ≤ 1, the top one exactly 1.
    public func normalizedCooccurrence() throws -> Matrix<Double> {
        var joint = try jointMatrix()
        let pv = joint.rowSums()
        let pl = joint.columnSums()
        for v in 0..<joint.rows {
            for l in 0..<joint.cols {
                let den = (pv[v] * pl[l]).squareRoot()
                joint[v, l] = den > 0 ? joint[v, l] / den : 0
            }
        }
        return joint
    }

    /// The top-k singular triplets of the normalized co-occurrence matrix: U (N_v × k), S (k), Vᵀ (k × N_l).
    /// The optimal spectral-CL features are (scaled) rows of U and columns of Vᵀ.
    public func topSingularSubspace(_ k: Int) throws -> (u: Matrix<Double>, s: [Double], vt: Matrix<Double>) {
        let full = try svd(normalizedCooccurrence())
        try require(k >= 1 && k <= full.s.count, "Cooccurrence", "k", "in 1...\(full.s.count)", k)
        var u = Matrix<Double>(rows: full.u.rows, cols: k)
        for i in 0..<u.rows { for j in 0..<k { u[i, j] = full.u[i, j] } }
        return (u, Array(full.s.prefix(k)), full.vt.rows(0..<k))
    }

    /// A sampler holding the inverse-CDF tables (validates once).
    public func makeSampler() throws -> Sampler { try Sampler(model: self) }

    /// Class owning each token: a seeded shuffle of (t mod K), so every class owns ⌊N/K⌋ or ⌈N/K⌉ tokens.
    func owners(vocabulary: Int, item: Int) -> [Int] {
        var owner = (0..<vocabulary).map { $0 % classes }
        var rng = CounterRNG(seed: seed, purpose: .tokenAssignment, item: item)
        if vocabulary > 1 {
            for i in stride(from: vocabulary - 1, to: 0, by: -1) {
                let j = Int(rng.nextDouble() * Double(i + 1))
                owner.swapAt(i, min(j, i))
            }
        }
        return owner
    }

    func conditionals(vocabulary: Int, leakage: Double, item: Int) -> Matrix<Double> {
        let owner = owners(vocabulary: vocabulary, item: item)
        var rng = CounterRNG(seed: seed, purpose: .tokenWeights, item: item)
        let w = (0..<vocabulary).map { _ in 0.5 + rng.nextDouble() }
        var total = [Double](repeating: 0, count: classes)
        for t in 0..<vocabulary { total[owner[t]] += w[t] }
        return Matrix(rows: classes, cols: vocabulary) { c, t in
            (owner[t] == c ? (1 - leakage) * w[t] / total[c] : 0) + leakage / Double(vocabulary)
        }
    }

    /// Draws classes and tokens of samples and writes one-hot rows into caller matrices.
    public struct Sampler: Sendable {
        /// One sample: its latent class, image token and text token.
        public struct Sample: Equatable, Sendable {
            public var latentClass: Int
            public var image: Int
            public var text: Int
        }

        /// The model.
        public let model: Cooccurrence
        let classCDF: [Double]
        let imageCDF: [[Double]]
        let textCDF: [[Double]]

        public init(model: Cooccurrence) throws {
            try model.validate()
            self.model = model
            self.classCDF = Sampler.cumulative(model.prior)
            let pv = try model.imageConditionals()
            let pl = try model.textConditionals()
            self.imageCDF = (0..<model.classes).map { Sampler.cumulative(pv.row($0)) }
            self.textCDF = (0..<model.classes).map { Sampler.cumulative(pl.row($0)) }
        }

        /// Sample i's class, image token and text token.
        public func sample(of i: Int) throws -> Sample {
            try checkIndices(CollectionOfOne(i), n: model.n, model: "Cooccurrence")
            return draw(i)
        }

        /// An independent image token of sample i's class (the single-modal augmentation view),
        /// fresh per `draw`.
        public func augmentationToken(of i: Int, draw: Int) throws -> Int {
            try checkIndices(CollectionOfOne(i), n: model.n, model: "Cooccurrence")
            let c = Sampler.pick(classCDF, uniform(.latentClass, i, 0))
            return Sampler.pick(imageCDF[c], uniform(.augmentationToken, i, draw))
        }

        /// One-hot image rows (count × N_v), text rows (count × N_l) and classes of `indices`.
        @_specialize(where C == [Int])
        @_specialize(where C == Range<Int>)
        public func fillOneHot<C: Collection>(
            _ indices: C, images: inout Matrix<Float>, texts: inout Matrix<Float>,
            classes: inout [Int]
        ) throws where C.Element == Int {
            try checkIndices(indices, n: model.n, model: "Cooccurrence")
            images.reshape(rows: indices.count, cols: model.imageVocabulary)
            texts.reshape(rows: indices.count, cols: model.textVocabulary)
            for k in images.storage.indices { images.storage[k] = 0 }
            for k in texts.storage.indices { texts.storage[k] = 0 }
            classes.removeAll(keepingCapacity: true)
            for (row, i) in indices.enumerated() {
                let s = draw(i)
                images[row, s.image] = 1
                texts[row, s.text] = 1
                classes.append(s.latentClass)
            }
        }

        /// One-hot augmentation image rows (count × N_v) of `indices` for draw `draw`.
        @_specialize(where C == [Int])
        @_specialize(where C == Range<Int>)
        public func fillAugmentedImages<C: Collection>(_ indices: C, draw: Int, into images: inout Matrix<Float>) throws
        where C.Element == Int {
            try checkIndices(indices, n: model.n, model: "Cooccurrence")
            images.reshape(rows: indices.count, cols: model.imageVocabulary)
            for k in images.storage.indices { images.storage[k] = 0 }
            for (row, i) in indices.enumerated() {
                let c = Sampler.pick(classCDF, uniform(.latentClass, i, 0))
                images[row, Sampler.pick(imageCDF[c], uniform(.augmentationToken, i, draw))] = 1
            }
        }

        func draw(_ i: Int) -> Sample {
            let c = Sampler.pick(classCDF, uniform(.latentClass, i, 0))
            return Sample(
                latentClass: c, image: Sampler.pick(imageCDF[c], uniform(.imageToken, i, 0)),
                text: Sampler.pick(textCDF[c], uniform(.textToken, i, 0)))
        }

        func uniform(_ purpose: RNGPurpose, _ i: Int, _ draw: Int) -> Double {
            let w = CounterRNG(seed: model.seed, purpose: purpose, split: model.split, item: i, draw: draw).block(0)
            return uniformDouble(UInt64(w[0]) | UInt64(w[1]) << 32)
        }

        static func cumulative(_ p: [Double]) -> [Double] {
            var acc = 0.0
            let total = p.reduce(0, +)
            return p.map {
                acc += $0 / total
                return acc
            }
        }

        /// Smallest index whose cumulative probability exceeds u (binary search).
        static func pick(_ cdf: [Double], _ u: Double) -> Int {
            var lo = 0
            var hi = cdf.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if cdf[mid] > u { hi = mid } else { lo = mid + 1 }
            }
            return lo
        }
    }
}
