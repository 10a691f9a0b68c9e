// InfoMaxTests/EncoderPairs.swift — the two ways the tests pair encoders around a loss: one
// per modality, or one shared by two views (the trainer's own pairing, which overlaps the
// gradient exchange with the second backward pass, is Training's ViewPairStep).
import InfoMax
import Linalg

/// Multi-modal usage: one encoder per modality (`first` encodes x, `second` x̃), each with its
/// own cache and gradient.
struct MultiModal<First: Encoder, Second: Encoder> where First.Scalar == Second.Scalar {
    typealias M = Matrix<First.Scalar>
    var first: First, second: Second
    var firstCache = EncoderCache<First.Scalar>(), secondCache = EncoderCache<First.Scalar>()

    init(first: First, second: Second) {
        self.first = first
        self.second = second
    }

    /// h = first(x), g = second(x̃).
    mutating func forward(_ x: M, _ xTilde: M, into h: inout M, _ g: inout M) throws {
        try first.forward(x, into: &h, cache: &firstCache)
        try second.forward(xTilde, into: &g, cache: &secondCache)
    }

    /// Accumulates each encoder's weight gradient from ∂L/∂h and ∂L/∂g.
    mutating func backward(
        _ x: M, _ xTilde: M, dH: M, dG: M, accumulatingInto gradFirst: inout M, _ gradSecond: inout M
    ) throws {
        try first.backward(x, outputGradient: dH, cache: &firstCache, accumulatingInto: &gradFirst)
        try second.backward(xTilde, outputGradient: dG, cache: &secondCache, accumulatingInto: &gradSecond)
    }
}

/// Single-modal usage: one encoder shared by two views (x and its augmentation x̂); its
/// gradient is the sum of both views' contributions.
struct SingleModal<E: Encoder> {
    typealias M = Matrix<E.Scalar>
    var encoder: E
    var cache = EncoderCache<E.Scalar>(), augmentedCache = EncoderCache<E.Scalar>()

    init(encoder: E) { self.encoder = encoder }

    /// h = encoder(x), ĥ = encoder(x̂).
    mutating func forward(_ x: M, _ xHat: M, into h: inout M, _ hHat: inout M) throws {
        try encoder.forward(x, into: &h, cache: &cache)
        try encoder.forward(xHat, into: &hHat, cache: &augmentedCache)
    }

    /// Accumulates dW = ∂L/∂W through h plus ∂L/∂W through ĥ.
    mutating func backward(_ x: M, _ xHat: M, dH: M, dHHat: M, accumulatingInto gradient: inout M) throws {
        try encoder.backward(x, outputGradient: dH, cache: &cache, accumulatingInto: &gradient)
        try encoder.backward(xHat, outputGradient: dHHat, cache: &augmentedCache, accumulatingInto: &gradient)
    }
}
