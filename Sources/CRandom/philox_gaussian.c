// CRandom/philox_gaussian.c — see philox_gaussian.h. Eight Philox blocks at a time in GCC /
// clang vector types: the words sit in 64-bit lanes so the 32×32→64 multiplies are packed
// (pmuludq), and Box–Muller runs on packed floats with Cephes' single-precision polynomials
// for log, sin and cos (within a few ulp of libm; Synthetic's tests compare every value
// with the scalar libm formula).
#include "philox_gaussian.h"
#include <string.h>

#define LANES 8

// On x86-64 Linux the fill is compiled twice and picked at load time (ifunc): for AVX2 + FMA
// (x86-64-v3) and for the SSE2 baseline. Contraction into FMA is off for this whole file (the
// pragmas below, which used to be -ffp-contract=off in Package.swift), so both clones give the
// same bits at any optimisation level and every node of a mixed cluster generates the same data.
#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
// The vector types' ABI differs with and without AVX; nothing here crosses a call boundary
// (the helpers are always inlined), so the warning about it says nothing (was -Wno-psabi).
#pragma GCC diagnostic ignored "-Wpsabi"
#if defined(__x86_64__) && defined(__linux__)
#define IMX_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define IMX_CLONES
#endif
#define IMX_INLINE static inline __attribute__((always_inline))

typedef uint64_t u64x8 __attribute__((vector_size(64)));
typedef uint32_t u32x8 __attribute__((vector_size(32)));
typedef int32_t i32x8 __attribute__((vector_size(32)));
typedef float f32x8 __attribute__((vector_size(32)));

IMX_INLINE f32x8 splat(float x) { return (f32x8){x, x, x, x, x, x, x, x}; }
IMX_INLINE f32x8 as_f(i32x8 v) { f32x8 r; memcpy(&r, &v, sizeof r); return r; }
IMX_INLINE i32x8 as_i(f32x8 v) { i32x8 r; memcpy(&r, &v, sizeof r); return r; }
IMX_INLINE f32x8 select_f(i32x8 mask, f32x8 a, f32x8 b) { return as_f((mask & as_i(a)) | (~mask & as_i(b))); }

// ln x for normal x > 0 (Cephes logf): x = m·2^e with m in [√½, √2).
IMX_INLINE f32x8 vlog(f32x8 x) {
    i32x8 bits = as_i(x);
    i32x8 e = ((bits >> 23) & 0xff) - 126;
    f32x8 m = as_f((bits & 0x007fffff) | 0x3f000000);   // in [0.5, 1)
    i32x8 small = m < splat(0.707106781186547524f);    // −1 where true
    e = e + small;
    m = select_f(small, m + m - 1.0f, m - 1.0f);
    f32x8 z = m * m;
    f32x8 y = splat(7.0376836292e-2f);
    y = y * m - 1.1514610310e-1f;
    y = y * m + 1.1676998740e-1f;
    y = y * m - 1.2420140846e-1f;
    y = y * m + 1.4249322787e-1f;
    y = y * m - 1.6668057665e-1f;
    y = y * m + 2.0000714765e-1f;
    y = y * m - 2.4999993993e-1f;
    y = y * m + 3.3333331174e-1f;
    y = y * m * z;
    f32x8 fe = __builtin_convertvector(e, f32x8);
    y = y + -2.12194440e-4f * fe;
    y = y + -0.5f * z;
    return m + y + 0.693359375f * fe;
}

// sin and cos of 2π·v for v = k·2⁻²⁴ in [0, 1): exact reduction to a quarter turn, Cephes'
// minimax polynomials on [−π/4, π/4], then the quadrant's rotation.
IMX_INLINE void vsincos_turns(f32x8 v, f32x8 *s, f32x8 *c) {
    i32x8 qi = __builtin_convertvector(v * 4.0f + 0.5f, i32x8);   // v ≥ 0: truncation = floor
    f32x8 a = (v - 0.25f * __builtin_convertvector(qi, f32x8)) * 6.28318530717958648f;
    f32x8 a2 = a * a;
    f32x8 sn = a + a * a2 * (-1.6666654611e-1f + a2 * (8.3321608736e-3f + a2 * -1.9515295891e-4f));
    f32x8 cs = 1.0f - 0.5f * a2 + a2 * a2 * (4.166664568298827e-2f + a2 * (-1.388731625493765e-3f + a2 * 2.443315711809948e-5f));
    i32x8 q = qi & 3;
    i32x8 swap = (q & 1) == 1;                  // quadrants 1, 3: sin ↔ cos
    f32x8 ss = select_f(swap, cs, sn), cc = select_f(swap, sn, cs);
    i32x8 sflip = (q >> 1) << 31;               // quadrants 2, 3: −sin
    i32x8 cflip = ((q ^ (q >> 1)) & 1) << 31;   // quadrants 1, 2: −cos
    *s = as_f(as_i(ss) ^ sflip);
    *c = as_f(as_i(cc) ^ cflip);
}

// (float)w of 32-bit unsigned lanes, rounded once like the scalar conversion: hi·2¹⁶ is exact.
IMX_INLINE f32x8 u32_to_float(u32x8 w) {
    return __builtin_convertvector((i32x8)(w >> 16), f32x8) * 65536.0f + __builtin_convertvector((i32x8)(w & 0xffff), f32x8);
}

IMX_INLINE void group(float *dst, uint32_t b, float sigma, uint32_t c1, uint32_t c2, uint32_t c3,
                  uint32_t k0, uint32_t k1) {
    const uint64_t low = 0xffffffffu;
    u64x8 x0 = {b, b + 1u, b + 2u, b + 3u, b + 4u, b + 5u, b + 6u, b + 7u};   // uint32 arithmetic: wraps like the scalar form
    u64x8 x1 = {c1, c1, c1, c1, c1, c1, c1, c1}, x2 = {c2, c2, c2, c2, c2, c2, c2, c2};
    u64x8 x3 = {c3, c3, c3, c3, c3, c3, c3, c3};
    uint32_t key0 = k0, key1 = k1;
    for (int round = 0; round < 10; round++) {
        if (round > 0) { key0 += 0x9E3779B9u; key1 += 0xBB67AE85u; }
        u64x8 p0 = x0 * (uint64_t)0xD2511F53u;
        u64x8 p1 = x2 * (uint64_t)0xCD9E8D57u;
        x0 = (p1 >> 32) ^ x1 ^ (uint64_t)key0;
        x1 = p1 & low;
        x2 = (p0 >> 32) ^ x3 ^ (uint64_t)key1;
        x3 = p0 & low;
    }
    u32x8 w0 = __builtin_convertvector(x0, u32x8), w1 = __builtin_convertvector(x1, u32x8);
    u32x8 w2 = __builtin_convertvector(x2, u32x8), w3 = __builtin_convertvector(x3, u32x8);
    f32x8 u0 = (u32_to_float(w0) + 0.5f) * 0x1p-32f, u2 = (u32_to_float(w2) + 0.5f) * 0x1p-32f;
    f32x8 r0 = splat(sigma) * __builtin_elementwise_sqrt(-2.0f * vlog(u0));
    f32x8 r1 = splat(sigma) * __builtin_elementwise_sqrt(-2.0f * vlog(u2));
    f32x8 s0, co0, s1, co1;
    vsincos_turns(__builtin_convertvector((i32x8)(w1 >> 8), f32x8) * 0x1p-24f, &s0, &co0);
    vsincos_turns(__builtin_convertvector((i32x8)(w3 >> 8), f32x8) * 0x1p-24f, &s1, &co1);
    f32x8 a = r0 * co0, bs = r0 * s0, c = r1 * co1, d = r1 * s1;
    for (int l = 0; l < LANES; l++) {
        dst[4 * l] = a[l];
        dst[4 * l + 1] = bs[l];
        dst[4 * l + 2] = c[l];
        dst[4 * l + 3] = d[l];
    }
}

IMX_CLONES void imx_philox_gaussian(float *out, long count, float sigma, uint32_t c1, uint32_t c2, uint32_t c3,
                         uint32_t k0, uint32_t k1) {
    long j = 0;
    uint32_t b = 0;
    for (; j + 4 * LANES <= count; j += 4 * LANES, b += LANES) group(out + j, b, sigma, c1, c2, c3, k0, k1);
    if (j < count) {
        float tail[4 * LANES];
        group(tail, b, sigma, c1, c2, c3, k0, k1);
        memcpy(out + j, tail, sizeof(float) * (size_t)(count - j));
    }
}
