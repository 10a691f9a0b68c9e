// InfoMax/LinearEncoder.swift — Ren & Li's linear encoder Z = X Wᵀ and its gradient dW = dZᵀ X.
import Linalg

/// A linear map from d inputs to k features: Z = X Wᵀ with W (k × d).
public struct LinearEncoder<Scalar: BLASScalar>: Encoder, Sendable {
    public var weights: Matrix<Scalar>
    public var inputWidth: Int { weights.cols }
    public var outputWidth: Int { weights.rows }

    public init(weights: Matrix<Scalar>) throws {
        guard weights.rows >= 1, weights.cols >= 1 else {
            throw InfoMaxError.invalidOption(
                "LinearEncoder needs a non-empty k × d weight matrix, got \(weights.rows)×\(weights.cols)")
        }
        self.weights = weights
    }

    public func forward(_ x: Matrix<Scalar>, into output: inout Matrix<Scalar>, cache: inout EncoderCache<Scalar>)
        throws
    {
        try checkInput(x, "LinearEncoder")
        output.reshape(rows: x.rows, cols: outputWidth)
        gemm(x, .none, weights, .transpose, alpha: 1, beta: 0, into: &output)
    }

    public func backward(
        _ x: Matrix<Scalar>, outputGradient: Matrix<Scalar>, cache: inout EncoderCache<Scalar>,
        accumulatingInto gradient: inout Matrix<Scalar>
    ) throws {
        try checkBackward(x, outputGradient, gradient, "LinearEncoder.backward")
        gemm(outputGradient, .transpose, x, .none, alpha: 1, beta: 1, into: &gradient)
    }
}
