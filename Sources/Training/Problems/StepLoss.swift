// Training/Problems/StepLoss.swift — what a problem's step asks of its loss: the value of the
// embeddings h and g and its gradients (the configured loss, or the guided one).
import Linalg

/// A step's loss of the embeddings h (anchors) and g (their views) and its gradients:
/// ``LossStep`` (the configured loss) or ``GuidedLossStep``.
protocol StepLoss {
    mutating func evaluate(
        _ h: Matrix<Float>, _ g: Matrix<Float>, labels: [Int]?, timing: inout StepTiming,
        clock: inout StepClock
    ) throws -> Float
    var dFirst: Matrix<Float> { get }
    var dSecond: Matrix<Float> { get }
    /// Hands the gradient of the loss's own learned parameters (if any) to `gradient`, after
    /// the encoders' parts.
    func deliverParameterGradient(to gradient: GradientExchange) throws
}

extension StepLoss {
    /// No learned loss parameters.
    func deliverParameterGradient(to gradient: GradientExchange) throws {}
}

extension LossStep: StepLoss {}
