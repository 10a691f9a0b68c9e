// Training/LatentLinearPrecisionRun.swift — E2 (Ren & Li) in any precision: a one-process
// reimplementation of the latent-linear InfoNCE training (the config's model, linear encoders,
// the symmetric distributed InfoNCE, plain SGD at a constant rate), generic over the scalar, so
// the same code trains in Float (the trainer's precision) and in Double from the same
// Float-generated views and initial weights. It answers whether E2's late rise of the
// condition number is round-off (Examples/E2Double runs it; E2DoublePrecisionTests checks it).
import InfoMax
import Linalg
import MPI
import Synthetic

/// E2's InfoNCE training in precision T, with the condition number logged along the way.
public enum LatentLinearPrecisionRun {
    /// One logged step: the condition number (σ₁/σ_r)² of W₁·A₁·diag(√λ) (in Double) and the loss.
    public struct Point: Sendable, Equatable {
        public var step: Int
        public var conditionNumber: Double
        public var loss: Double
    }

    /// Trains `config` (a latent-linear multi-modal config with SGD) for `steps` steps in T on
    /// `comm` (one rank: the whole batch), logging every `every` steps — the parameters each step
    /// starts from, as the trainer logs — and after the last step.
    public static func train<T: BLASScalar & MPIScalar>(
        _: T.Type, config: TrainConfig, steps: Int, every: Int, comm: Communicator
    ) throws -> [Point] {
        guard config.model == .latentLinear, config.optimizer.kind == .sgd, config.optimizer.momentum == 0,
            config.optimizer.weightDecay == 0, config.optimizer.schedule == .constant, config.batchSize == 0,
            comm.size == 1, every >= 1
        else {
            throw ConfigError.invalidValue(
                key: ConfigKey.model.path, value: config.model.rawValue,
                allowed: "latent-linear, full batch, plain SGD at a constant rate, one rank (E2's setting)")
        }
        let l = config.latentLinear
        let model = LatentLinear(
            n: config.trainSamples, r: l.latentDim, d1: l.d1, d2: l.d2, spectrum: .geometric(decay: l.decay),
            noiseSigma1: Float(l.noiseSigma), noiseSigma2: Float(l.noiseSigma), seed: config.seed, split: .train)
        let sampler = try model.makeSampler()
        var x1f = Matrix<Float>(rows: 0, cols: 0)
        var x2f = Matrix<Float>(rows: 0, cols: 0)
        var z = Matrix<Float>(rows: 0, cols: 0)
        try sampler.fillViews(0..<config.trainSamples, x1: &x1f, x2: &x2f, latents: &z)
        let x1 = x1f.converted(to: T.self)
        let x2 = x2f.converted(to: T.self)
        let k = config.encoder.width
        func weights(_ cols: Int, _ item: Int) throws -> Matrix<T> {
            try ProblemSupport.gaussianWeights(
                rows: k, cols: cols, sigma: config.encoder.initScale, seed: config.seed, item: item
            ).converted(to: T.self)
        }
        var f1 = try LinearEncoder(weights: weights(l.d1, 0))
        var f2 = try LinearEncoder(weights: weights(l.d2, 1))
        let loss = try DistributedContrastiveLoss<T>(
            communicator: comm,
            loss: ProblemSupport.contrastiveLoss(config.loss, width: k, labelledByDefault: false),
            exchange: config.loss.exchange, reduction: config.loss.reduction.reduction(labelledByDefault: false))
        // The representation of the latent: W₁·A₁·diag(√λ), with λ as the trainer's diagnostic takes it.
        var mixing = sampler.a1.converted(to: Double.self)
        for i in 0..<mixing.rows {
            for j in 0..<mixing.cols { mixing[i, j] *= Double(Float(model.lambdas[j])).squareRoot() }
        }
        func conditionNumber() throws -> Double {
            let s = try singularValues(matmul(f1.weights.converted(to: Double.self), .none, mixing))
            guard let hi = s.first, let lo = s.last, lo > 0 else { return .infinity }
            return (hi / lo) * (hi / lo)
        }
        let lr = T(config.optimizer.learningRate)
        var h = Matrix<T>(rows: 0, cols: 0)
        var g = Matrix<T>(rows: 0, cols: 0)
        var c1 = EncoderCache<T>()
        var c2 = EncoderCache<T>()
        var g1 = f1.zeroGradient()
        var g2 = f2.zeroGradient()
        var result = SymmetricContrastiveResult<T>(
            value: 0, dFirst: Matrix(rows: 0, cols: 0), dSecond: Matrix(rows: 0, cols: 0))
        var points: [Point] = []
        for step in 0...steps {
            try f1.forward(x1, into: &h, cache: &c1)
            try f2.forward(x2, into: &g, cache: &c2)
            try loss.evaluateSymmetric(h, g, into: &result)
            if step % every == 0 || step == steps {
                points.append(Point(step: step, conditionNumber: try conditionNumber(), loss: Double(result.value)))
            }
            if step == steps { break }
            for i in g1.storage.indices { g1.storage[i] = 0 }
            for i in g2.storage.indices { g2.storage[i] = 0 }
            try f1.backward(x1, outputGradient: result.dFirst, cache: &c1, accumulatingInto: &g1)
            try f2.backward(x2, outputGradient: result.dSecond, cache: &c2, accumulatingInto: &g2)
            for i in f1.weights.storage.indices { f1.weights.storage[i] -= lr * g1.storage[i] }
            for i in f2.weights.storage.indices { f2.weights.storage[i] -= lr * g2.storage[i] }
        }
        return points
    }
}
