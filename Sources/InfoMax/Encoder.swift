// InfoMax/Encoder.swift — what the trainer needs from an encoder (forward into a reused
// buffer, backward accumulating a weight gradient) and the cache it reuses between the two.
import Linalg

/// Per-call scratch of an encoder, filled by `forward`, read by `backward`: keep one per
/// (encoder, input batch) pair, and nothing is allocated after the first step.
public struct EncoderCache<Scalar: BLASScalar>: Sendable {
    /// Pre-activations of the last forward pass (encoder-specific layout).
    public var preActivation = Matrix<Scalar>(rows: 0, cols: 0)
    /// Scratch for the backward pass (the gradient at the pre-activations).
    public var scratch = Matrix<Scalar>(rows: 0, cols: 0)
    /// One value per output unit (the ReLU encoder's axis-aligned patch: W's column in
    /// forward, the column's gradient sums in backward), so those loops run contiguously.
    public var unitScratch: [Scalar] = []
    public init() {}
}

/// A batched encoder with one weight matrix and a hand-derived backward pass: a batch has one
/// sample per row (`inputWidth` columns), the output one embedding per row (`outputWidth`).
public protocol Encoder {
    associatedtype Scalar: BLASScalar
    var inputWidth: Int { get }
    var outputWidth: Int { get }
    /// The trainable weights; a gradient has the same shape.
    var weights: Matrix<Scalar> { get set }
    /// Encodes `x` (b × inputWidth) into `output` (reshaped to b × outputWidth, storage reused),
    /// recording in `cache` what `backward` needs.
    func forward(_ x: Matrix<Scalar>, into output: inout Matrix<Scalar>, cache: inout EncoderCache<Scalar>) throws
    /// Adds ∂L/∂W to `gradient` (shaped like `weights`), given the same `x` and `cache` as the
    /// last `forward` and `outputGradient` = ∂L/∂output (b × outputWidth).
    func backward(
        _ x: Matrix<Scalar>, outputGradient: Matrix<Scalar>, cache: inout EncoderCache<Scalar>,
        accumulatingInto gradient: inout Matrix<Scalar>) throws
}

extension Encoder {
    /// Number of trainable scalars.
    public var parameterCount: Int { weights.rows * weights.cols }

    /// A zero matrix shaped like the weights (a gradient accumulator).
    public func zeroGradient() -> Matrix<Scalar> { Matrix(rows: weights.rows, cols: weights.cols) }

    /// Encodes `x` into a new matrix (convenience; allocates).
    public func callAsFunction(_ x: Matrix<Scalar>) throws -> Matrix<Scalar> {
        var out = Matrix<Scalar>(rows: 0, cols: 0)
        var cache = EncoderCache<Scalar>()
        try forward(x, into: &out, cache: &cache)
        return out
    }

    func checkInput(_ x: Matrix<Scalar>, _ name: String) throws {
        guard x.cols == inputWidth else {
            throw InfoMaxError.shapeMismatch(
                "\(name) expects rows of \(inputWidth) values, the batch has \(x.cols) columns")
        }
    }

    /// `backward`'s shapes: the input, the output gradient (b × outputWidth), the weight gradient.
    func checkBackward(_ x: Matrix<Scalar>, _ dOut: Matrix<Scalar>, _ gradient: Matrix<Scalar>, _ name: String) throws {
        try checkInput(x, name)
        guard dOut.rows == x.rows, dOut.cols == outputWidth else {
            throw InfoMaxError.shapeMismatch(
                "\(name): output gradient is \(dOut.rows)×\(dOut.cols), expected \(x.rows)×\(outputWidth)")
        }
        guard gradient.rows == weights.rows, gradient.cols == weights.cols else {
            throw InfoMaxError.shapeMismatch(
                "\(name): gradient is \(gradient.rows)×\(gradient.cols), weights are \(weights.rows)×\(weights.cols)")
        }
    }
}
