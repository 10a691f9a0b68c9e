// Training/Problems/ColoredProblem.swift — Huang et al.'s Table 1 (ColoredMNIST) as synthetic
// data (Synthetic/ColoredDigits.swift): a ReLU patch encoder h on images [shape, color, noise].
// Multi-modal: a second ReLU encoder g on the ideal text (one-hot of digit and color), positives
// the (image, text) pairs. Single-modal: h on an image and its augmentation (shape and noise
// jittered, color and the sample's noise kept), negatives the original samples. Downstream: a
// softmax probe on h's summed features, fitted on the training distribution (colors agreeing
// with the digit, noisy labels), scored on the out-of-distribution test (colors swapped).
import Evaluation
import InfoMax
import Linalg
import MPI
import RunRecords
import Synthetic

final class ColoredProblem: ContrastiveProblem {
    let config: TrainConfig
    let multiModal: Bool
    let comm: Communicator
    let data: ColoredDigits
    let probeTrain: ColoredDigits
    let probeTest: ColoredDigits
    var image: ReLUPatchEncoder<Float>
    var text: ReLUPatchEncoder<Float>?
    var loss: LossStep

    var x = Matrix<Float>(rows: 0, cols: 0), x2 = Matrix<Float>(rows: 0, cols: 0)
    var views: ViewPairStep<ReLUPatchEncoder<Float>>
    var labels: [Int] = []
    var augmentationScratch: [Float] = []

    init(config: TrainConfig, multiModal: Bool, comm: Communicator) throws {
        self.config = config
        self.multiModal = multiModal
        self.comm = comm
        data = Self.model(config, n: config.trainSamples, split: .train)
        probeTrain = Self.model(config, n: config.probeTrainSamples, split: .validation)
        var test = Self.model(config, n: config.testSamples, split: .test)
        test.colors = config.colored.testColors.scheme
        test.labelNoise = 0
        probeTest = test
        try data.validate()
        try probeTrain.validate()
        try probeTest.validate()

        let m = config.encoder.width
        image = try ReLUPatchEncoder(
            weights: ProblemSupport.gaussianWeights(
                rows: m, cols: data.d, sigma: config.encoder.initScale, seed: config.seed, item: 0),
            patches: ColoredDigits.patches, mode: .summed)
        if multiModal {
            text = try ReLUPatchEncoder(
                weights: ProblemSupport.gaussianWeights(
                    rows: m, cols: data.textWidth, sigma: config.encoder.initScale, seed: config.seed, item: 1),
                patches: 1, mode: .summed)
        }
        views = ViewPairStep(first: image, second: text)
        loss = try LossStep(
            config.loss, width: m, labelledByDefault: false,
            form: multiModal ? (config.loss.symmetric ? .symmetric : .candidatesSecond) : .candidatesFirst,
            comm: comm)
    }

    /// The data set of `n` samples of `split` a config describes (training colors, noisy labels).
    static func model(_ config: TrainConfig, n: Int, split: DataSplit) -> ColoredDigits {
        let o = config.colored
        return ColoredDigits(
            n: n, classes: o.classes, d: o.d, shapeNorm: Float(o.shapeNorm), colorNorm: Float(o.colorNorm),
            sigmaP: Float(o.sigmaP), textNorm: Float(o.textNorm), agreement: o.agreement, colors: .aligned,
            labelNoise: o.labelNoise, augmentationSigma: Float(o.augmentationSigma), seed: config.seed, split: split)
    }

    var parameterCount: Int { image.parameterCount + (text?.parameterCount ?? 0) }

    func copyParameters(into flat: inout [Float]) {
        ProblemSupport.pack(image.weights, text?.weights, into: &flat)
    }

    func setParameters(_ flat: [Float]) {
        ProblemSupport.unpack(flat, into: &image.weights, offset: 0)
        if text != nil { ProblemSupport.unpack(flat, into: &text!.weights, offset: image.parameterCount) }
    }

    func lossAndGradient(localIndices: [Int], draw: UInt64, gradient: GradientExchange, timing: inout StepTiming) throws
        -> Double
    {
        var clock = StepClock(comm)
        try data.fillLabels(localIndices, into: &labels)
        try data.fillImages(localIndices, into: &x)
        if multiModal {
            try data.fillTexts(localIndices, into: &x2)
        } else {
            try data.fillAugmentedImages(localIndices, draw: Int(draw), into: &x2, scratch: &augmentationScratch)
        }
        timing.seconds.data += clock.lap()
        return try views.lossAndGradient(
            first: image, second: text, x: x, xSecond: x2, labels: labels,
            loss: &loss, gradient: gradient, timing: &timing, clock: &clock)
    }

    func gemmFlops(localRows: Int, globalRows: Int) -> Double? { nil }
    func unfusedGemmFlops(localRows: Int, globalRows: Int) -> Double? { nil }

    /// No per-step diagnostics: the model's measure is the downstream probe.
    func diagnostics(into row: inout MetricsRow) throws {}

    func downstreamAccuracy() throws -> (train: Double, test: Double)? {
        let features = image
        func encoder(_ set: ColoredDigits) -> ShardEncoder {
            return { range in
                var xs = Matrix<Float>(rows: 0, cols: 0)
                var ys: [Int] = []
                try set.fillImages(range, into: &xs)
                try set.fillLabels(range, into: &ys)
                return (try features(xs), ys)
            }
        }
        return try ProbeSupport.accuracy(
            comm: comm, trainCount: probeTrain.n, testCount: probeTest.n, classes: config.colored.classes,
            encodeTrain: encoder(probeTrain), encodeTest: encoder(probeTest))
    }
}
