// Training/Problems/CooccurrenceProblem.swift — Zhang et al. (2023): embedding tables (linear
// encoders on one-hot tokens). Multi-modal: image table vs text table, positives co-occurring
// (image, text) pairs. Single-modal: the image and a positive view chosen by
// `cooccurrence.positives` — a fresh token of the same latent class ("class"), a local
// augmentation of the token ("augmentation"), or the image of another training sample with the
// same text token ("resampled", an oracle of the text-induced pseudo-positives of the paper),
// or the augmentation under a frozen multi-modal guide ("guided", negatives_drop and/or
// positives_drop: GuidedLossStep, Zhang et al.'s own recipes). Diagnostic:
// alignment of the learned image features with the exact top-k singular subspace of the
// normalised co-occurrence matrix; downstream: the latent class from the image feature.
import Evaluation
import InfoMax
import Linalg
import MPI
import RunRecords
import Synthetic

final class CooccurrenceProblem: ContrastiveProblem {
    let config: TrainConfig
    let multiModal: Bool
    let comm: Communicator
    let sampler: Cooccurrence.Sampler
    let probeTrain: Cooccurrence.Sampler
    let probeTest: Cooccurrence.Sampler
    var image: LinearEncoder<Float>
    var text: LinearEncoder<Float>?
    var loss: LossStep
    /// Single-modal with a guide (positives "guided" or a negatives drop): the loss it takes.
    var guided: GuidedLossStep?
    let reference: Matrix<Double>
    let imageMarginal: [Double]

    var x = Matrix<Float>(rows: 0, cols: 0), xt = Matrix<Float>(rows: 0, cols: 0), x2 = Matrix<Float>(rows: 0, cols: 0)
    var views: ViewPairStep<LinearEncoder<Float>>
    var classes: [Int] = []
    /// How single-modal positives are drawn.
    let positives: SingleModalPositives

    init(config: TrainConfig, multiModal: Bool, comm: Communicator, guide: GuideEncoder?) throws {
        self.config = config
        self.multiModal = multiModal
        self.comm = comm
        let c = config.cooccurrence
        func model(_ n: Int, _ split: DataSplit) -> Cooccurrence {
            Cooccurrence(
                n: n, classes: c.classes, imageVocabulary: c.imageVocabulary, textVocabulary: c.textVocabulary,
                imageLeakage: c.imageLeak, textLeakage: c.textLeak, seed: config.seed, split: split)
        }
        let train = model(config.trainSamples, .train)
        sampler = try train.makeSampler()
        probeTrain = try model(config.probeTrainSamples, .validation).makeSampler()
        probeTest = try model(config.testSamples, .test).makeSampler()
        let k = config.encoder.width
        reference = try train.topSingularSubspace(min(k, c.imageVocabulary, c.textVocabulary)).u
        imageMarginal = try train.imageMarginal()
        image = try LinearEncoder(
            weights: ProblemSupport.gaussianWeights(
                rows: k, cols: c.imageVocabulary, sigma: config.encoder.initScale, seed: config.seed, item: 0))
        if multiModal {
            text = try LinearEncoder(
                weights: ProblemSupport.gaussianWeights(
                    rows: k, cols: c.textVocabulary, sigma: config.encoder.initScale, seed: config.seed, item: 1))
        }
        views = ViewPairStep(first: image, second: text)
        loss = try LossStep(
            config.loss, width: k, labelledByDefault: false,
            form: multiModal && config.loss.symmetric ? .symmetric : .candidatesSecond, comm: comm)
        positives = try SingleModalPositives(config: c, sampler: sampler, seed: config.seed)
        if !multiModal && c.needsGuide {
            let source =
                c.guideRun.isEmpty
                ? try guide ?? GuideEncoder.train(config: config, comm: comm)
                : try GuideEncoder.read(run: c.guideRun, imageVocabulary: c.imageVocabulary, comm: comm)
            guided = try GuidedLossStep(config: config, guide: source, comm: comm)
        }
    }

    var parameterCount: Int { image.parameterCount + (text?.parameterCount ?? 0) + loss.parameterCount }
    func copyParameters(into flat: inout [Float]) {
        ProblemSupport.pack(image.weights, text?.weights, extra: loss.parameterCount, into: &flat)
        loss.copyParameters(into: &flat, at: parameterCount - loss.parameterCount)
    }
    func setParameters(_ flat: [Float]) {
        ProblemSupport.unpack(flat, into: &image.weights, offset: 0)
        if text != nil { ProblemSupport.unpack(flat, into: &text!.weights, offset: image.parameterCount) }
        loss.setParameters(flat, at: parameterCount - loss.parameterCount)
    }
    func clampParameters(_ flat: inout [Float]) {
        loss.clampParameters(&flat, at: parameterCount - loss.parameterCount)
    }

    func lossAndGradient(localIndices: [Int], draw: UInt64, gradient: GradientExchange, timing: inout StepTiming) throws
        -> Double
    {
        var clock = StepClock(comm)
        try sampler.fillOneHot(localIndices, images: &x, texts: &xt, classes: &classes)
        if !multiModal { try positives.fill(localIndices, draw: Int(draw), sampler: sampler, into: &x2) }
        try guided?.prepare(localIndices: localIndices, sampler: sampler, views: x2)
        timing.seconds.data += clock.lap()
        if var step = guided {
            return try views.lossAndGradient(
                first: image, second: nil, x: x, xSecond: x2, labels: nil,
                loss: &step, gradient: gradient, timing: &timing, clock: &clock)
        }
        return try views.lossAndGradient(
            first: image, second: text, x: x, xSecond: text != nil ? xt : x2, labels: classes,
            loss: &loss, gradient: gradient, timing: &timing, clock: &clock)
    }

    func diagnostics(into row: inout MetricsRow) throws {
        loss.record(into: &row)
        // Image features: token t ↦ column t of W, i.e. the rows of Wᵀ.
        row[.subspaceAlignment] = try Diagnostics.subspaceAlignment(
            features: image.weights.transposed, reference: reference,
            tokenWeights: imageMarginal)
    }

    func downstreamAccuracy() throws -> (train: Double, test: Double)? {
        let f = image
        func encoder(_ s: Cooccurrence.Sampler) -> ShardEncoder {
            return { range in
                var a = Matrix<Float>(rows: 0, cols: 0)
                var b = Matrix<Float>(rows: 0, cols: 0)
                var cls: [Int] = []
                try s.fillOneHot(range, images: &a, texts: &b, classes: &cls)
                return (try f(a), cls)
            }
        }
        return try ProbeSupport.accuracy(
            comm: comm, trainCount: config.probeTrainSamples, testCount: config.testSamples,
            classes: config.cooccurrence.classes,
            encodeTrain: encoder(probeTrain), encodeTest: encoder(probeTest))
    }
}

/// The single-modal positive view of a training sample (Zhang et al. 2023, Section 5): what
/// the second view of image x_v is decides which co-occurrence single-modal CL factorizes.
struct SingleModalPositives {
    let kind: CooccurrencePositives
    let keep: Double
    let consistency: Double
    let fraction: Double
    let seed: UInt64
    /// "augmentation": the tokens owned by each class (argmax_c P(t | c)) and each token's owner.
    let owner: [Int]
    let tokensOf: [[Int]]
    /// "resampled": every training sample's image token, and the samples sharing each text token.
    let imageOf: [Int]
    let textOf: [Int]
    let samplesWithText: [[Int]]

    static let augmentationStream = RNGPurpose(rawValue: 40)
    static let resampleStream = RNGPurpose(rawValue: 41)

    init(config c: CooccurrenceConfig, sampler: Cooccurrence.Sampler, seed: UInt64) throws {
        self.kind = c.positives
        self.keep = c.augmentationKeep
        self.consistency = c.augmentationConsistency
        self.fraction = c.resampleFraction
        self.seed = seed
        let model = sampler.model
        var owner: [Int] = []
        var tokensOf: [[Int]] = []
        var imageOf: [Int] = []
        var textOf: [Int] = []
        var samplesWithText: [[Int]] = []
        if kind != .latentClass {
            let p = try model.imageConditionals()
            tokensOf = Array(repeating: [], count: model.classes)
            for t in 0..<model.imageVocabulary {
                var best = 0
                for k in 1..<model.classes where p[k, t] > p[best, t] { best = k }
                owner.append(best)
                tokensOf[best].append(t)
            }
        }
        if kind == .resampled {
            // Every rank draws the whole (small, discrete) training set: O(n) once.
            samplesWithText = Array(repeating: [], count: model.textVocabulary)
            for i in 0..<model.n {
                let s = try sampler.sample(of: i)
                imageOf.append(s.image)
                textOf.append(s.text)
                samplesWithText[s.text].append(i)
            }
        }
        self.owner = owner
        self.tokensOf = tokensOf
        self.imageOf = imageOf
        self.textOf = textOf
        self.samplesWithText = samplesWithText
    }

    /// A uniform double in [0, 1) from the stream (purpose, sample, draw), word pair `word`.
    func uniform(_ purpose: RNGPurpose, _ i: Int, _ draw: Int, _ word: Int) -> Double {
        let w = CounterRNG(seed: seed, purpose: purpose, item: i, draw: draw).block(0)
        let lo = UInt64(w[word * 2])
        let hi = UInt64(w[word * 2 + 1])
        return Double((lo | hi << 32) >> 11) * 0x1p-53
    }

    /// The positive token of sample i for augmentation draw `draw`.
    func token(of i: Int, draw: Int, sampler: Cooccurrence.Sampler) throws -> Int {
        switch kind {
        case .latentClass:
            return try sampler.augmentationToken(of: i, draw: draw)
        case .augmentation, .guided:
            return try augmented(i, draw: draw, sampler: sampler)
        case .resampled:
            let pool = samplesWithText[textOf[i]]
            guard pool.count > 1, uniform(Self.resampleStream, i, draw, 1) < fraction else {
                return try augmented(i, draw: draw, sampler: sampler)
            }
            // Another sample with the same text token, uniformly (skip i itself).
            var k = min(Int(uniform(Self.resampleStream, i, draw, 0) * Double(pool.count - 1)), pool.count - 2)
            if pool[k] >= i { k += 1 }
            return imageOf[pool[k]]
        }
    }

    /// The local augmentation of sample i's image token: kept, moved within its class, or moved
    /// to an adjacent token.
    func augmented(_ i: Int, draw: Int, sampler: Cooccurrence.Sampler) throws -> Int {
        let t = try sampler.sample(of: i).image
        let u = uniform(Self.augmentationStream, i, draw, 0)
        guard u >= keep else { return t }
        let v = uniform(Self.augmentationStream, i, draw, 1)
        if (u - keep) / (1 - keep) < consistency {
            let pool = tokensOf[owner[t]]
            return pool[min(Int(v * Double(pool.count)), pool.count - 1)]
        }
        let n = sampler.model.imageVocabulary
        return v < 0.5 ? (t + 1) % n : (t + n - 1) % n
    }

    /// One-hot positive rows (count × N_v) for `indices`.
    func fill(_ indices: [Int], draw: Int, sampler: Cooccurrence.Sampler, into x: inout Matrix<Float>) throws {
        if kind == .latentClass {
            try sampler.fillAugmentedImages(indices, draw: draw, into: &x)
            return
        }
        let v = sampler.model.imageVocabulary
        x.reshape(rows: indices.count, cols: v)
        x.storage.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        for (row, i) in indices.enumerated() { x[row, try token(of: i, draw: draw, sampler: sampler)] = 1 }
    }
}
