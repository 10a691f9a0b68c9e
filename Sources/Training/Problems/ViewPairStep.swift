// Training/Problems/ViewPairStep.swift — the encoder half of every problem's training step:
// both views through the encoders, the loss, the weight gradients handed to the exchange.
import InfoMax
import Linalg

/// The encoder half of every problem's training step: h = first(x), g = second(x̃) (or
/// first(x̃) when one encoder sees both views, single-modal), the distributed loss, and the
/// encoders' weight gradients handed to the gradient exchange in parameter order. Its
/// embeddings, caches and gradients are reused: no allocation after the first step.
struct ViewPairStep<E: Encoder> where E.Scalar == Float {
    private var h = Matrix<Float>(rows: 0, cols: 0), g = Matrix<Float>(rows: 0, cols: 0)
    private var cacheFirst = EncoderCache<Float>(), cacheSecond = EncoderCache<Float>()
    private var gradFirst: Matrix<Float>, gradSecond: Matrix<Float>

    /// `first`, `second`: the encoders (`second` nil when `first` encodes both views).
    init(first: E, second: E?) {
        gradFirst = first.zeroGradient()
        gradSecond = second?.zeroGradient() ?? Matrix(rows: 0, cols: 0)
    }

    /// Encodes the views `x` and `xSecond`, evaluates `loss` (labels: the samples' classes, if
    /// any) and hands the gradient of the global loss to `gradient`, one encoder at a time:
    /// the first encoder's all-reduce runs while the second's backward pass computes. Books
    /// forward, loss and backward time. Returns the global loss.
    mutating func lossAndGradient<L: StepLoss>(
        first: E, second: E?, x: Matrix<Float>, xSecond: Matrix<Float>, labels: [Int]?,
        loss: inout L, gradient: GradientExchange, timing: inout StepTiming,
        clock: inout StepClock
    ) throws -> Double {
        try first.forward(x, into: &h, cache: &cacheFirst)
        try (second ?? first).forward(xSecond, into: &g, cache: &cacheSecond)
        timing.seconds.forward += clock.lap()
        let value = try loss.evaluate(h, g, labels: labels, timing: &timing, clock: &clock)
        let dH = loss.dFirst
        let dG = loss.dSecond
        ProblemSupport.zero(&gradFirst)
        try first.backward(x, outputGradient: dH, cache: &cacheFirst, accumulatingInto: &gradFirst)
        if let second {
            try gradFirst.storage.withUnsafeBufferPointer { try gradient.deliver($0) }
            ProblemSupport.zero(&gradSecond)
            try second.backward(xSecond, outputGradient: dG, cache: &cacheSecond, accumulatingInto: &gradSecond)
            try gradSecond.storage.withUnsafeBufferPointer { try gradient.deliver($0) }
        } else {
            try first.backward(xSecond, outputGradient: dG, cache: &cacheSecond, accumulatingInto: &gradFirst)
            try gradFirst.storage.withUnsafeBufferPointer { try gradient.deliver($0) }
        }
        try loss.deliverParameterGradient(to: gradient)
        timing.seconds.backward += clock.lap()
        return Double(value)
    }
}
