// Training/Problems/LatentLinearProblem.swift — Ren & Li (2023): linear encoders f1, f2 on two
// views of a shared, non-isotropic latent. The diagnostic is the condition number of the
// learned representation of the latent, f1 ∘ A1 under Cov z = diag(λ). Downstream: decode
// the sign of the WEAKEST latent direction, which a collapsed representation loses; with
// latent_linear.probe = cross-view the probe fitted on f1's features is scored on f2's.
import Evaluation
import InfoMax
import Linalg
import MPI
import RunRecords
import Synthetic

final class LatentLinearProblem: ContrastiveProblem {
    let config: TrainConfig
    let comm: Communicator
    let sampler: LatentLinear.Sampler
    let probeTrain: LatentLinear.Sampler
    let probeTest: LatentLinear.Sampler
    var f1: LinearEncoder<Float>
    var f2: LinearEncoder<Float>
    var loss: LossStep

    var x1 = Matrix<Float>(rows: 0, cols: 0), x2 = Matrix<Float>(rows: 0, cols: 0), z = Matrix<Float>(rows: 0, cols: 0)
    var views: ViewPairStep<LinearEncoder<Float>>

    init(config: TrainConfig, multiModal: Bool, comm: Communicator) throws {
        guard multiModal else {
            throw ConfigError.invalidValue(
                key: ConfigKey.mode.path, value: "single-modal",
                allowed:
                    "latent-linear has two views of one latent and trains multi-modal only; set mode = \"multi-modal\"")
        }
        self.config = config
        self.comm = comm
        let l = config.latentLinear
        func model(_ n: Int, _ split: DataSplit) -> LatentLinear {
            LatentLinear(
                n: n, r: l.latentDim, d1: l.d1, d2: l.d2, spectrum: .geometric(decay: l.decay),
                noiseSigma1: Float(l.noiseSigma), noiseSigma2: Float(l.noiseSigma), seed: config.seed, split: split)
        }
        sampler = try model(config.trainSamples, .train).makeSampler()
        probeTrain = try model(config.probeTrainSamples, .validation).makeSampler()
        probeTest = try model(config.testSamples, .test).makeSampler()
        let k = config.encoder.width
        f1 = try LinearEncoder(
            weights: ProblemSupport.gaussianWeights(
                rows: k, cols: l.d1, sigma: config.encoder.initScale, seed: config.seed, item: 0))
        f2 = try LinearEncoder(
            weights: ProblemSupport.gaussianWeights(
                rows: k, cols: l.d2, sigma: config.encoder.initScale, seed: config.seed, item: 1))
        views = ViewPairStep(first: f1, second: f2)
        loss = try LossStep(
            config.loss, width: k, labelledByDefault: false,
            form: config.loss.symmetric ? .symmetric : .candidatesSecond, comm: comm)
    }

    var parameterCount: Int { f1.parameterCount + f2.parameterCount + loss.parameterCount }
    func copyParameters(into flat: inout [Float]) {
        ProblemSupport.pack(f1.weights, f2.weights, extra: loss.parameterCount, into: &flat)
        loss.copyParameters(into: &flat, at: parameterCount - loss.parameterCount)
    }
    func setParameters(_ flat: [Float]) {
        ProblemSupport.unpack(flat, into: &f1.weights, offset: 0)
        ProblemSupport.unpack(flat, into: &f2.weights, offset: f1.parameterCount)
        loss.setParameters(flat, at: parameterCount - loss.parameterCount)
    }
    func clampParameters(_ flat: inout [Float]) {
        loss.clampParameters(&flat, at: parameterCount - loss.parameterCount)
    }

    func lossAndGradient(localIndices: [Int], draw: UInt64, gradient: GradientExchange, timing: inout StepTiming) throws
        -> Double
    {
        var clock = StepClock(comm)
        try sampler.fillViews(localIndices, x1: &x1, x2: &x2, latents: &z)
        timing.seconds.data += clock.lap()
        return try views.lossAndGradient(
            first: f1, second: f2, x: x1, xSecond: x2, labels: nil,
            loss: &loss, gradient: gradient, timing: &timing, clock: &clock)
    }

    func diagnostics(into row: inout MetricsRow) throws {
        loss.record(into: &row)
        row[.conditionNumber] = try Diagnostics.representationConditionNumber(
            encoder: f1.weights, mixing: sampler.a1, spectrum: sampler.model.lambdas.map { Float($0) })
    }

    func downstreamAccuracy() throws -> (train: Double, test: Double)? {
        let weakest = config.latentLinear.latentDim - 1
        /// Encodes a shard's first view with f1, or its second view with f2.
        func encoder(_ s: LatentLinear.Sampler, secondView: Bool) -> ShardEncoder {
            let f = secondView ? f2 : f1
            return { range in
                var a = Matrix<Float>(rows: 0, cols: 0)
                var b = Matrix<Float>(rows: 0, cols: 0)
                var zz = Matrix<Float>(rows: 0, cols: 0)
                try s.fillViews(range, x1: &a, x2: &b, latents: &zz)
                return (try f(secondView ? b : a), (0..<zz.rows).map { zz[$0, weakest] > 0 ? 1 : 0 })
            }
        }
        return try ProbeSupport.accuracy(
            comm: comm, trainCount: config.probeTrainSamples, testCount: config.testSamples, classes: 2,
            encodeTrain: encoder(probeTrain, secondView: false),
            encodeTest: encoder(probeTest, secondView: config.latentLinear.probe == .crossView))
    }
}
