// Training/Optimizer.swift — SGD (with momentum) and Adam over one flat parameter vector,
// the same vector the fused gradient all-reduce uses; every rank applies the same update.
import Linalg
import RealModule

/// An optimizer's state: everything a checkpoint needs to resume bit for bit.
public struct OptimizerState: Codable, Equatable, Sendable {
    /// Updates applied so far.
    public var step: Int = 0
    /// SGD momentum buffer, or Adam's first moment.
    public var first: [Float] = []
    /// Adam's second moment (empty for SGD).
    public var second: [Float] = []
}

/// Applies gradient steps to a flat parameter vector.
public struct Optimizer: Sendable {
    public let config: OptimizerConfig
    public let totalSteps: Int
    public private(set) var state: OptimizerState

    /// An optimizer for `parameterCount` parameters over `totalSteps` steps (for schedules).
    public init(config: OptimizerConfig, parameterCount: Int, totalSteps: Int) {
        self.config = config
        self.totalSteps = max(totalSteps, 1)
        var s = OptimizerState()
        switch config.kind {
        case .sgd:
            s.first = config.momentum > 0 ? [Float](repeating: 0, count: parameterCount) : []
        case .adam:
            s.first = [Float](repeating: 0, count: parameterCount)
            s.second = [Float](repeating: 0, count: parameterCount)
        }
        state = s
    }

    /// Restores a checkpointed state; throws if it does not fit this optimizer.
    public mutating func restore(_ saved: OptimizerState) throws {
        guard saved.first.count == state.first.count, saved.second.count == state.second.count else {
            throw CheckpointError.incompatible(
                "optimizer state has \(saved.first.count)+\(saved.second.count) values, this run needs \(state.first.count)+\(state.second.count)"
            )
        }
        state = saved
    }

    /// The learning rate at the current step (constant, or cosine decay to 0).
    public var currentLearningRate: Float {
        let base = Float(config.learningRate)
        guard config.schedule == .cosine else { return base }
        let t = Float(state.step) / Float(totalSteps)
        return base * 0.5 * (1 + Float(Double.cos(Double(Float.pi * min(t, 1)))))  // in Double, as before
    }

    /// θ ← update(θ, g). `gradient` is the all-reduced gradient of the global loss.
    public mutating func apply(gradient: [Float], to parameters: inout [Float]) {
        gradient.withUnsafeBufferPointer { apply(gradient: $0, to: &parameters) }
    }

    /// θ ← update(θ, g), reading g where it lies (the trainer's gradient exchange buffer).
    public mutating func apply(gradient g: UnsafeBufferPointer<Float>, to parameters: inout [Float]) {
        precondition(g.count == parameters.count, "optimizer: gradient and parameters differ in length")
        let lr = currentLearningRate
        let wd = Float(config.weightDecay)
        let n = parameters.count
        switch config.kind {
        case .sgd:
            let mu = Float(config.momentum)
            if mu > 0 {
                parameters.withUnsafeMutableBufferPointer { p in
                    state.first.withUnsafeMutableBufferPointer { v in
                        for i in 0..<n {
                            v[i] = mu * v[i] + g[i] + wd * p[i]
                            p[i] -= lr * v[i]
                        }
                    }
                }
            } else {
                parameters.withUnsafeMutableBufferPointer { p in
                    for i in 0..<n { p[i] -= lr * (g[i] + wd * p[i]) }
                }
            }
        case .adam:
            let b1 = Float(config.beta1)
            let b2 = Float(config.beta2)
            let eps = Float(config.epsilon)
            let t = Float(state.step + 1)
            let c1 = 1 - Float(Double.pow(Double(b1), Double(t)))
            let c2 = 1 - Float(Double.pow(Double(b2), Double(t)))
            parameters.withUnsafeMutableBufferPointer { p in
                state.first.withUnsafeMutableBufferPointer { m in
                    state.second.withUnsafeMutableBufferPointer { v in
                        for i in 0..<n {
                            let gi = g[i] + wd * p[i]
                            m[i] = b1 * m[i] + (1 - b1) * gi
                            v[i] = b2 * v[i] + (1 - b2) * gi * gi
                            p[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
                        }
                    }
                }
            }
        }
        state.step += 1
    }
}
