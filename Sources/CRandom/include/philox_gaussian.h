// CRandom/philox_gaussian.h — the Gaussian fill of the synthetic data sets, vectorised: eight
// Philox4x32-10 blocks at a time (the same counters and words as Synthetic's Philox4x32), each
// block turned into four N(0, σ²) values by Box–Muller with polynomial log, sin and cos.
#ifndef INFOMAX_PHILOX_GAUSSIAN_H
#define INFOMAX_PHILOX_GAUSSIAN_H
#include <stdint.h>

/// Writes `count` values σ·N(0, 1) to `out`. Block b (b = 0, 1, …) is Philox4x32-10 of the
/// counter (b, c1, c2, c3) under the key (k0, k1); its words (w0, w1, w2, w3) give
/// r = σ·sqrt(−2 ln((w0 + ½)·2⁻³²)), θ = 2π·(w1 >> 8)·2⁻²⁴ → (r cos θ, r sin θ), and the
/// same with (w2, w3); values 4b … 4b+3 of the output.
void imx_philox_gaussian(float *out, long count, float sigma, uint32_t c1, uint32_t c2, uint32_t c3,
                         uint32_t k0, uint32_t k1);
#endif
