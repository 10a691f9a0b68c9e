// Training/Problems/SignalNoiseProblem.swift — Huang et al. (2024): ReLU patch networks on
// signal + noise data. Multi-modal: encoder h on images, g on texts, positives are the pairs.
// Single-modal: one encoder h on an image and its augmentation (which keeps the sample's
// noise), negatives the original samples. Diagnostics (SignalNoiseDiagnostics): signal learning
// and noise memorization, the coefficients of w(t) − w(0) over μ and the noises (over a fixed
// subset of the training set when n is large, with its standard error); downstream: the
// paper's out-of-distribution test [y·ν, ζ].
import Evaluation
import InfoMax
import Linalg
import MPI
import RunRecords
import Synthetic

final class SignalNoiseProblem: ContrastiveProblem {
    let config: TrainConfig
    let multiModal: Bool
    let comm: Communicator
    let data: SignalNoise
    let probeTrain: SignalNoise
    let probeTest: SignalNoise
    var image: ReLUPatchEncoder<Float>
    var text: ReLUPatchEncoder<Float>?
    var loss: LossStep
    let symmetric: Bool
    /// W(0) and the factored Gram systems of the signal / noise diagnostics.
    let signalNoiseDiagnostics: SignalNoiseDiagnostics

    // Buffers reused across steps.
    var x = Matrix<Float>(rows: 0, cols: 0), x2 = Matrix<Float>(rows: 0, cols: 0)
    var views: ViewPairStep<ReLUPatchEncoder<Float>>
    var labelsF: [Float] = [], labels: [Int] = []
    var augmentationScratch: [Float] = []
    /// data.cache: whether x, x2 (multi-modal) and the labels hold the samples of `cachedIndices`.
    let cacheData: Bool
    var cachedIndices: [Int] = []
    var cacheValid = false

    init(config: TrainConfig, multiModal: Bool, comm: Communicator) throws {
        self.config = config
        self.multiModal = multiModal
        self.comm = comm
        let s = config.signalNoise
        let d = s.d
        let (imageModality, textModality) = Self.modalities(config)
        data = SignalNoise(
            n: config.trainSamples, image: imageModality, text: textModality,
            positiveFraction: s.positiveFraction,
            augmentation: .gaussian(augmentationSigma: Float(s.augmentationSigma)),
            seed: config.seed, split: .train)
        // The paper's downstream task: x_test = [y·ν, ζ], ν along μ with norm test_signal_norm.
        let downstream = SignalNoise.Modality(
            d: d, signalAxis: 0, signalNorm: Float(s.testSignalNorm), sigmaP: Float(s.sigmaP),
            projectNoise: s.projectNoise)
        probeTrain = SignalNoise(
            n: config.probeTrainSamples, image: downstream, text: textModality,
            positiveFraction: s.positiveFraction, seed: config.seed, split: .validation)
        probeTest = SignalNoise(
            n: config.testSamples, image: downstream, text: textModality,
            positiveFraction: s.positiveFraction, seed: config.seed, split: .test)
        try data.validate()
        try probeTrain.validate()
        try probeTest.validate()

        let m = config.encoder.width
        let mode: PatchOutput = config.loss.patchwise ? .patchwise : .summed
        // Patch 0 of every row the data model writes is y·‖μ‖·e_axis: the encoders skip its gemm.
        image = try ReLUPatchEncoder(
            weights: ProblemSupport.gaussianWeights(
                rows: m, cols: d, sigma: config.encoder.initScale,
                seed: config.seed, item: 0),
            patches: SignalNoise.Modality.patches, mode: mode,
            axisAlignedPatch: AxisAlignedPatch(patch: 0, axis: imageModality.signalAxis))
        if multiModal {
            text = try ReLUPatchEncoder(
                weights: ProblemSupport.gaussianWeights(
                    rows: m, cols: d, sigma: config.encoder.initScale,
                    seed: config.seed, item: 1),
                patches: SignalNoise.Modality.patches, mode: mode,
                axisAlignedPatch: AxisAlignedPatch(patch: 0, axis: textModality.signalAxis))
        }
        signalNoiseDiagnostics = SignalNoiseDiagnostics(
            config: config, initialImage: image.weights,
            initialText: text?.weights)
        views = ViewPairStep(first: image, second: text)
        cacheData = config.data.cache != .off
        symmetric = config.loss.symmetric
        loss = try LossStep(
            config.loss, width: m, labelledByDefault: true,
            form: multiModal ? (symmetric ? .symmetric : .candidatesSecond) : .candidatesFirst, comm: comm)
    }

    /// The image modality (‖μ‖ from `snr` when it is > 0, else `signal_norm`; noise σ_p) and the
    /// text modality (‖μ̃‖ = `text_signal_norm`, noise `text_sigma`) a config trains on; also
    /// read by HuangAssumptions, so that its checks use the very ‖μ‖ the data model draws.
    static func modalities(_ config: TrainConfig) -> (image: SignalNoise.Modality, text: SignalNoise.Modality) {
        let s = config.signalNoise
        func modality(axis: Int, norm: Double, sigma: Double) -> SignalNoise.Modality {
            if s.snr > 0 && axis == 0 {
                return SignalNoise.Modality(
                    d: s.d, signalAxis: axis, snr: Float(s.snr), sigmaP: Float(sigma),
                    projectNoise: s.projectNoise)
            }
            return SignalNoise.Modality(
                d: s.d, signalAxis: axis, signalNorm: Float(norm), sigmaP: Float(sigma),
                projectNoise: s.projectNoise)
        }
        return (
            modality(axis: 0, norm: s.signalNorm, sigma: s.sigmaP),
            modality(axis: 1, norm: s.textSignalNorm, sigma: s.textSigma)
        )
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
        // The same samples as the last step (the full batch): reuse them (data.cache).
        let reuse = cacheData && cacheValid && cachedIndices == localIndices
        if !reuse {
            cacheValid = false
            try data.fillLabels(localIndices, into: &labelsF)
            labels.removeAll(keepingCapacity: true)
            for y in labelsF { labels.append(y > 0 ? 1 : 0) }
            try data.fillImages(localIndices, into: &x)
            if multiModal { try data.fillTexts(localIndices, into: &x2) }
            if cacheData {
                cachedIndices.removeAll(keepingCapacity: true)
                cachedIndices.append(contentsOf: localIndices)
                cacheValid = true
            }
        }
        if !multiModal {
            try data.fillAugmentedImages(localIndices, draw: Int(draw), into: &x2, scratch: &augmentationScratch)
        }
        timing.seconds.data += clock.lap()
        // Single-modal: anchors and negatives are the original views h(x); positives the augmentations.
        return try views.lossAndGradient(
            first: image, second: text, x: x, xSecond: x2, labels: labels,
            loss: &loss, gradient: gradient, timing: &timing, clock: &clock)
    }

    /// Forward and backward: one b × m × d gemm per view each over the noise patch (the
    /// axis-aligned signal patch takes no gemm). Loss: the gemms the distributed loss executes
    /// (the fused symmetric InfoNCE: 3 or 4 b × B × k for both directions; k = P·m patch-wise,
    /// m summed).
    func gemmFlops(localRows b: Int, globalRows B: Int) -> Double? { flops(localRows: b, globalRows: B).executed }

    /// The same step counted as the plain algorithm does it: (b·P) × m × d encoder gemms over
    /// every patch, and the unfused loss's gemms (per direction: logits, dA, dC unless
    /// stop-gradient, the logits again in the ring's second sweep): the "useful" work.
    func unfusedGemmFlops(localRows b: Int, globalRows B: Int) -> Double? { flops(localRows: b, globalRows: B).unfused }

    private func flops(localRows b: Int, globalRows B: Int) -> (executed: Double, unfused: Double) {
        let P = Double(SignalNoise.Modality.patches)
        let m = Double(config.encoder.width)
        let d = Double(config.signalNoise.d)
        // Per view, forward + backward: 2 gemms of 2·rows·m·d flops.
        func encoders(patches: Double) -> Double { 2 * (2 * Double(b) * patches * m * d) }
        let k = config.loss.patchwise ? SignalNoise.Modality.patches * config.encoder.width : config.encoder.width
        let l = loss.loss.gemmFlops(localRows: b, globalRows: B, width: k, symmetric: multiModal && symmetric)
        return (2 * encoders(patches: P - 1) + l.executed, 2 * encoders(patches: P) + l.unfused)
    }

    func diagnostics(into row: inout MetricsRow) throws {
        loss.record(into: &row)
        try signalNoiseDiagnostics.record(into: &row, data: data, image: image.weights, text: text?.weights, comm: comm)
    }

    func downstreamAccuracy() throws -> (train: Double, test: Double)? {
        // Features: the summed embedding h(x) = Σ_p ReLU(W x^(p)) of the frozen image encoder.
        let features = try ReLUPatchEncoder(
            weights: image.weights, patches: SignalNoise.Modality.patches, mode: .summed,
            axisAlignedPatch: image.axisAlignedPatch)
        func encoder(_ set: SignalNoise) -> ShardEncoder {
            return { range in
                var xs = Matrix<Float>(rows: 0, cols: 0)
                var ys: [Float] = []
                try set.fillImages(range, into: &xs)
                try set.fillLabels(range, into: &ys)
                return (try features(xs), ys.map { $0 > 0 ? 1 : 0 })
            }
        }
        return try ProbeSupport.accuracy(
            comm: comm, trainCount: probeTrain.n, testCount: probeTest.n, classes: 2,
            encodeTrain: encoder(probeTrain), encodeTest: encoder(probeTest))
    }
}
