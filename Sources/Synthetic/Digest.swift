// Synthetic/Digest.swift — FNV-1a 64-bit digests (not cryptographic): of Float bit patterns,
// to compare data generated on different ranks bit for bit without moving the data, and of
// bytes (the checkpoint and config fingerprints of Training). The package's one FNV-1a.
import Linalg

/// FNV-1a (64-bit), byte by byte; Float values hash as the bytes of their bit patterns,
/// little-endian.
public enum FNV1a {
    public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// `hash` after one more byte.
    @inlinable
    public static func mix(_ hash: UInt64, _ byte: UInt8) -> UInt64 { (hash ^ UInt64(byte)) &* prime }

    /// Digest of `bytes`, continuing from `hash`.
    @inlinable
    public static func hash<Bytes: Sequence>(bytes: Bytes, into hash: UInt64 = offsetBasis) -> UInt64
    where Bytes.Element == UInt8 {
        var h = hash
        for b in bytes { h = mix(h, b) }
        return h
    }

    /// Digest of `values`, continuing from `hash`.
    @inlinable
    public static func hash(_ values: UnsafeBufferPointer<Float>, into hash: UInt64 = offsetBasis) -> UInt64 {
        var h = hash
        for v in values {
            var bits = v.bitPattern
            for _ in 0..<4 {
                h = mix(h, UInt8(truncatingIfNeeded: bits))
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
