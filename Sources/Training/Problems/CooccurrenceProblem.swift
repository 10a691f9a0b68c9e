// Training/Problems/CooccurrenceProblem.swift — Zhang et al. (2023): embedding tables (linear
// encoders on one-hot tokens). Multi-modal: image table vs text table, positives co-occurring
// (image, text) pairs. Single-modal: two image tokens of the same latent class. Diagnostic:
// alignment of the learned image features with the exact top-k singular subspace of the
// normalised co-occurrence matrix; downstream: the latent class from the image feature.
import Evaluation
import InfoMax
import Linalg
import MPI
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
    let loss: DistributedContrastiveLoss<Float>
    let symmetric: Bool
    let reference: Matrix<Double>
    let imageMarginal: [Double]

    var x = Matrix<Float>(rows: 0, cols: 0), xt = Matrix<Float>(rows: 0, cols: 0), x2 = Matrix<Float>(rows: 0, cols: 0)
    var h = Matrix<Float>(rows: 0, cols: 0), g = Matrix<Float>(rows: 0, cols: 0)
    var cacheX = EncoderCache<Float>(), cacheX2 = EncoderCache<Float>()
    var gradImage: Matrix<Float>, gradText: Matrix<Float>
    var classes: [Int] = []

    init(config: TrainConfig, multiModal: Bool, comm: Communicator) throws {
        self.config = config
        self.multiModal = multiModal
        self.comm = comm
        let c = config.cooccurrence
        func model(_ n: Int, _ split: DataSplit) -> Cooccurrence {
            Cooccurrence(n: n, classes: c.classes, imageVocabulary: c.imageVocabulary, textVocabulary: c.textVocabulary,
                         imageLeakage: c.imageLeak, textLeakage: c.textLeak, seed: config.seed, split: split)
        }
        let train = model(config.trainSamples, .train)
        sampler = try train.makeSampler()
        probeTrain = try model(config.probeTrainSamples, .validation).makeSampler()
        probeTest = try model(config.testSamples, .test).makeSampler()
        let k = config.encoder.width
        reference = try train.topSingularSubspace(min(k, c.imageVocabulary, c.textVocabulary)).u
        imageMarginal = try train.imageMarginal()
        image = try LinearEncoder(weights: ProblemSupport.gaussianWeights(rows: k, cols: c.imageVocabulary, sigma: config.encoder.initScale, seed: config.seed, item: 0))
        if multiModal {
            text = try LinearEncoder(weights: ProblemSupport.gaussianWeights(rows: k, cols: c.textVocabulary, sigma: config.encoder.initScale, seed: config.seed, item: 1))
        }
        gradImage = Matrix(rows: k, cols: c.imageVocabulary)
        gradText = Matrix(rows: multiModal ? k : 0, cols: multiModal ? c.textVocabulary : 0)
        loss = try DistributedContrastiveLoss<Float>(communicator: comm, loss: ProblemSupport.contrastiveLoss(config.loss, width: k, labelledByDefault: false))
        symmetric = config.loss.symmetric
    }

    var parameterCount: Int { image.parameterCount + (text?.parameterCount ?? 0) }
    func copyParameters(into flat: inout [Float]) { ProblemSupport.pack([image.weights] + (text.map { [$0.weights] } ?? []), into: &flat) }
    func setParameters(_ flat: [Float]) {
        ProblemSupport.unpack(flat, into: &image.weights, offset: 0)
        if text != nil { ProblemSupport.unpack(flat, into: &text!.weights, offset: image.parameterCount) }
    }

    func lossAndGradient(localIndices: [Int], draw: UInt64, gradient: inout [Float], timing: inout StepTiming) throws -> Double {
        var clock = StepClock(comm)
        try sampler.fillOneHot(localIndices, images: &x, texts: &xt, classes: &classes)
        if !multiModal { try sampler.fillAugmentedImages(localIndices, draw: Int(draw), into: &x2) }
        timing.dataSeconds += clock.lap()
        try image.forward(x, into: &h, cache: &cacheX)
        if let text { try text.forward(xt, into: &g, cache: &cacheX2) } else { try image.forward(x2, into: &g, cache: &cacheX2) }
        timing.forwardSeconds += clock.lap()
        let value: Float
        var dH: Matrix<Float>, dG: Matrix<Float>
        if multiModal && symmetric {
            let r = try loss.evaluateSymmetric(h, g, labels: classes)
            value = r.value; dH = r.dFirst; dG = r.dSecond
        } else if multiModal {
            let r = try loss.evaluate(anchors: h, positives: g, candidates: g, labels: classes)
            value = r.value; dH = r.dA; dG = r.dPos; dG += r.dC
        } else {
            let r = try loss.evaluate(anchors: h, positives: g, candidates: g, labels: classes)
            value = r.value; dH = r.dA; dG = r.dPos; dG += r.dC
        }
        timing.lossCommunicationSeconds += loss.lastStats.communicationSeconds
        timing.lossComputeSeconds += clock.lap() - loss.lastStats.communicationSeconds
        ProblemSupport.zero(&gradImage)
        try image.backward(x, outputGradient: dH, cache: &cacheX, accumulatingInto: &gradImage)
        if let text {
            ProblemSupport.zero(&gradText)
            try text.backward(xt, outputGradient: dG, cache: &cacheX2, accumulatingInto: &gradText)
            ProblemSupport.pack([gradImage, gradText], into: &gradient)
        } else {
            try image.backward(x2, outputGradient: dG, cache: &cacheX2, accumulatingInto: &gradImage)
            ProblemSupport.pack([gradImage], into: &gradient)
        }
        timing.backwardSeconds += clock.lap()
        return Double(value)
    }

    func diagnostics(into row: inout MetricsRow) throws {
        // Image features: token t ↦ column t of W, i.e. the rows of Wᵀ.
        row[.subspaceAlignment] = try Diagnostics.subspaceAlignment(features: image.weights.transposed, reference: reference,
                                                                    tokenWeights: imageMarginal)
    }

    func downstreamAccuracy() throws -> (train: Double, test: Double)? {
        let f = image
        func encoder(_ s: Cooccurrence.Sampler) -> ShardEncoder {
            return { range in
                var a = Matrix<Float>(rows: 0, cols: 0), b = Matrix<Float>(rows: 0, cols: 0), cls: [Int] = []
                try s.fillOneHot(range, images: &a, texts: &b, classes: &cls)
                return (try f(a), cls)
            }
        }
        return try ProbeSupport.accuracy(comm: comm, trainCount: config.probeTrainSamples, testCount: config.testSamples,
                                         classes: config.cooccurrence.classes,
                                         encodeTrain: encoder(probeTrain), encodeTest: encoder(probeTest))
    }
}
