// Synthetic/CounterRNG.swift — counter-based random streams over Philox4x32-10. A stream is
// named by (seed, purpose, split, item, draw); word j of it is a pure function of that name
// and j, so any rank can regenerate sample i of any data set from (seed, i) alone.
//
// Key and counter layout (documented because reproducibility depends on it):
//   key     = (low 32 bits of seed, high 32 bits of seed)
//   counter = (c0 = block index within the stream,
//              c1 = item bits 0..<32,
//              c2 = item bits 32..<48 | purpose << 16 | split << 24,
//              c3 = draw)
// Distinct (purpose, split, item, draw, block) give distinct counters, and Philox is a
// bijection of counters for a fixed key, so streams never overlap: train and test sets
// (split .train / .test) are disjoint even with the same seed.
import CRandom
import RealModule

/// The name of one random stream under a seed.
public struct StreamID: Hashable, Codable, Sendable {
    /// What the stream is for.
    public var purpose: RNGPurpose
    /// Train / test / validation.
    public var split: DataSplit
    /// The item (usually the global sample index), 0 ..< 2^48.
    public var item: Int
    /// A further index, e.g. the training step for fresh augmentations, 0 ..< 2^32.
    public var draw: Int

    public init(purpose: RNGPurpose, split: DataSplit = .train, item: Int = 0, draw: Int = 0) {
        precondition(item >= 0 && item < (1 << 48), "StreamID: item \(item) must be in 0..<2^48")
        precondition(draw >= 0 && draw <= Int(UInt32.max), "StreamID: draw \(draw) must be in 0..<2^32")
        self.purpose = purpose
        self.split = split
        self.item = item
        self.draw = draw
    }

    /// Counter words c1, c2, c3 (c0 is the block index).
    @inlinable public var counterWords: (UInt32, UInt32, UInt32) {
        (UInt32(truncatingIfNeeded: item),
         UInt32(truncatingIfNeeded: item >> 32) & 0xFFFF | UInt32(purpose.rawValue) << 16 | split.tag << 24,
         UInt32(truncatingIfNeeded: draw))
    }
}

/// A counter-based random stream: word j is `Philox4x32-10(key: seed, counter: (j / 4, stream))[j % 4]`.
/// The value is its whole state (seed, stream, position), so copies replay the same numbers.
public struct CounterRNG: RandomNumberGenerator, Hashable, Codable, Sendable {
    /// The 64-bit key.
    public let seed: UInt64
    /// The stream's name.
    public let stream: StreamID
    @usableFromInline var _position: UInt64
    /// Index of the next 32-bit word `nextWord()` returns.
    public var position: UInt64 { _position }

    public init(seed: UInt64, stream: StreamID, position: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
        self._position = position
    }

    enum CodingKeys: String, CodingKey { case seed, stream, _position = "position" }

    /// Shorthand for `CounterRNG(seed:stream: StreamID(purpose:split:item:draw:))`.
    public init(seed: UInt64, purpose: RNGPurpose, split: DataSplit = .train, item: Int = 0, draw: Int = 0) {
        self.init(seed: seed, stream: StreamID(purpose: purpose, split: split, item: item, draw: draw))
    }

    /// The four words of block `b` of this stream (pure).
    @inlinable
    public func block(_ b: UInt32) -> SIMD4<UInt32> {
        let (c1, c2, c3) = stream.counterWords
        let r = Philox4x32.block(b, c1, c2, c3, UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
        return SIMD4(r.0, r.1, r.2, r.3)
    }

    /// Word `j` of the stream (pure), j < 2^34.
    @inlinable
    public func word(at j: UInt64) -> UInt32 {
        precondition(j < (1 << 34), "CounterRNG: a stream holds 2^34 words; use another item or draw")
        return block(UInt32(truncatingIfNeeded: j >> 2))[Int(j & 3)]
    }

    /// The next 32-bit word.
    @inlinable
    public mutating func nextWord() -> UInt32 {
        let w = word(at: _position)
        _position += 1
        return w
    }

    /// The next 64 bits (two words, low first); makes the stream a `RandomNumberGenerator`.
    @inlinable
    public mutating func next() -> UInt64 {
        let lo = UInt64(nextWord())
        return lo | UInt64(nextWord()) << 32
    }

    /// A uniform Float in the open interval (0, 1): (k + 0.5)·2⁻²³ for a 23-bit k.
    @inlinable
    public mutating func nextFloat() -> Float { uniformFloat(nextWord()) }

    /// A uniform Double in the open interval (0, 1): (k + 0.5)·2⁻⁵² for a 52-bit k.
    @inlinable
    public mutating func nextDouble() -> Double { uniformDouble(next()) }

    /// A standard normal Double by Box–Muller on two uniforms (the cosine branch).
    @inlinable
    public mutating func nextGaussian() -> Double {
        let u1 = nextDouble(), u2 = nextDouble()
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2)
    }

    /// Fills `buffer` with N(0, σ²) Floats from blocks 0, 1, … of this stream (pure: the same
    /// stream always gives the same values; `position` is not used). Each block of 4 words
    /// gives 4 Gaussians by Box–Muller on 2 pairs.
    @inlinable
    public func fillGaussian(_ buffer: UnsafeMutableBufferPointer<Float>, sigma: Float = 1) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        gaussianKernel(base, count: buffer.count, sigma: sigma, seed: seed, stream: stream)
    }

    /// Fills `values` with N(0, σ²) draws keyed by (seed, purpose, split, item, draw).
    @inlinable
    public static func fillGaussian(_ values: inout [Float], sigma: Float = 1, seed: UInt64, purpose: RNGPurpose,
                                    split: DataSplit = .train, item: Int = 0, draw: Int = 0) {
        let rng = CounterRNG(seed: seed, purpose: purpose, split: split, item: item, draw: draw)
        values.withUnsafeMutableBufferPointer { rng.fillGaussian($0, sigma: sigma) }
    }
}

/// (k + 0.5)·2⁻²³ with k the top 23 bits of `w`: uniform on (0, 1), never 0 or 1
/// (every value, 2⁻²⁴ … 1 − 2⁻²⁴, is exact in Float).
@inlinable @inline(__always)
public func uniformFloat(_ w: UInt32) -> Float { (Float(w >> 9) + 0.5) * 0x1p-23 }

/// (k + 0.5)·2⁻⁵² with k the top 52 bits of `w`: uniform on (0, 1), never 0 or 1
/// (every value is exact in Double).
@inlinable @inline(__always)
public func uniformDouble(_ w: UInt64) -> Double { (Double(w >> 12) + 0.5) * 0x1p-52 }

/// Writes `count` N(0, σ²) values from blocks 0, 1, … of `stream` to `out`.
/// Box–Muller per word pair (w0, w1): u = (w0 + ½)·2⁻³² ∈ (0, 1], θ = 2π·(w1 >> 8)·2⁻²⁴,
/// (r cos θ, r sin θ) with r = σ·√(−2 ln u); the pair (w2, w3) likewise. Vectorised in C
/// (CRandom: eight blocks at a time, polynomial log / sin / cos).
@usableFromInline
func gaussianKernel(_ out: UnsafeMutablePointer<Float>, count: Int, sigma: Float, seed: UInt64, stream: StreamID) {
    let (c1, c2, c3) = stream.counterWords
    imx_philox_gaussian(out, count, sigma, c1, c2, c3, UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
}

/// The scalar reference of `gaussianKernel` (libm's logf, sinf, cosf): what the vectorised
/// C kernel must agree with to a few ulp (SyntheticTests).
func gaussianKernelReference(_ out: UnsafeMutablePointer<Float>, count: Int, sigma: Float, seed: UInt64, stream: StreamID) {
    let (c1, c2, c3) = stream.counterWords
    let k0 = UInt32(truncatingIfNeeded: seed), k1 = UInt32(truncatingIfNeeded: seed >> 32)
    var j = 0
    var b: UInt32 = 0
    var tmp: (Float, Float, Float, Float) = (0, 0, 0, 0)
    while j < count {
        let w = Philox4x32.block(b, c1, c2, c3, k0, k1)
        b &+= 1
        let r0 = sigma * (-2 * Float.log((Float(w.0) + 0.5) * 0x1p-32)).squareRoot()
        let t0 = Float(w.1 >> 8) * (2 * Float.pi * 0x1p-24)
        let r1 = sigma * (-2 * Float.log((Float(w.2) + 0.5) * 0x1p-32)).squareRoot()
        let t1 = Float(w.3 >> 8) * (2 * Float.pi * 0x1p-24)
        tmp = (r0 * Float.cos(t0), r0 * Float.sin(t0), r1 * Float.cos(t1), r1 * Float.sin(t1))
        if count - j >= 4 {
            out[j] = tmp.0; out[j + 1] = tmp.1; out[j + 2] = tmp.2; out[j + 3] = tmp.3
        } else {
            withUnsafeBytes(of: &tmp) { p in
                let f = p.bindMemory(to: Float.self)
                for q in 0..<(count - j) { out[j + q] = f[q] }
            }
        }
        j += 4
    }
}
