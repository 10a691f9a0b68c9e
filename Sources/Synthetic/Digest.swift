// Synthetic/Digest.swift — FNV-1a 64-bit digests of Float bit patterns, to compare data
// generated on different ranks bit for bit without moving the data.
import Linalg

/// FNV-1a (64-bit) over the bytes of Float bit patterns, little-endian.
public enum FNV1a {
    public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// Digest of `values`, continuing from `hash`.
    @inlinable
    public static func hash(_ values: UnsafeBufferPointer<Float>, into hash: UInt64 = offsetBasis) -> UInt64 {
        var h = hash
        for v in values {
            var bits = v.bitPattern
            for _ in 0..<4 {
                h ^= UInt64(bits & 0xFF)
                h = h &* prime
                bits >>= 8
            }
        }
        return h
    }

    /// Digest of an array.
    public static func hash(_ values: [Float], into hash: UInt64 = offsetBasis) -> UInt64 {
        values.withUnsafeBufferPointer { Self.hash($0, into: hash) }
    }

    /// One digest per row of `m`.
    public static func rowDigests(_ m: Matrix<Float>) -> [UInt64] {
        m.storage.withUnsafeBufferPointer { p in
            (0..<m.rows).map { i in hash(UnsafeBufferPointer(rebasing: p[(i * m.cols)..<((i + 1) * m.cols)])) }
        }
    }
}
