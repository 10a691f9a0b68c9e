// Synthetic/Philox.swift — the Philox4x32-10 counter-based block function (Salmon, Moraes,
// Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011; Random123): a keyed
// bijection of 128-bit counters, so any random word is a pure function of (key, counter).

/// Philox4x32 with 10 rounds: 4×32-bit counter, 2×32-bit key, 4×32-bit output.
public enum Philox4x32 {
    /// The Philox4x32-10 output for `counter` under `key`.
    @inlinable
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        let r = block(counter.x, counter.y, counter.z, counter.w, key.x, key.y)
        return SIMD4(r.0, r.1, r.2, r.3)
    }

    /// Scalar form of `block(counter:key:)`, the one the generators use in hot loops.
    @inlinable @inline(__always)
    public static func block(
        _ c0: UInt32, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32,
        _ k0: UInt32, _ k1: UInt32
    ) -> (UInt32, UInt32, UInt32, UInt32) {
        var x0 = c0
        var x1 = c1
        var x2 = c2
        var x3 = c3
        var key0 = k0
        var key1 = k1
        for round in 0..<10 {  // 10 rounds: the Random123 default, "Philox4x32-10"
            if round > 0 {  // key schedule: bump before rounds 2...10 by the Weyl increments
                key0 &+= 0x9E37_79B9  // (golden ratio, sqrt(3) − 1; Random123 PHILOX_W32_0/1)
                key1 &+= 0xBB67_AE85
            }
            // The multipliers of the two S-boxes (Random123 PHILOX_M4x32_0/1).
            let p0 = UInt64(0xD251_1F53) &* UInt64(x0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(x2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32)
            let lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32)
            let lo1 = UInt32(truncatingIfNeeded: p1)
            x0 = hi1 ^ x1 ^ key0
            x1 = lo1
            x2 = hi0 ^ x3 ^ key1
            x3 = lo0
        }
        return (x0, x1, x2, x3)
    }
}
