/* Shared by the AVX-512 kernels of this target (internal): the target attribute every AVX-512
 * function carries, and the decode products' (float and Q8_0 panels) tile multiply-adds and
 * stores. */
#ifndef IRPO_AVX512_TILE_H
#define IRPO_AVX512_TILE_H

#if defined(__x86_64__)
#include <immintrin.h>
#include <stddef.h>

#define IRPO_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))
#define IRPO_PANEL 16

/* Stores (or adds to y) the first `width` of a panel's 16 results. */
static inline IRPO_AVX512 void irpo_put16(float *y, __m512 v, ptrdiff_t width, int accumulate) {
    const __mmask16 mask = width >= IRPO_PANEL ? (__mmask16)0xFFFF : (__mmask16)((1u << width) - 1u);
    if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, y), v);
    _mm512_mask_storeu_ps(y, mask, v);
}

/* One k step of an R x P tile: c[r][p] = fma(x[r, k], b[p], c[r][p]) (x rows `inner` apart). */
static inline __attribute__((always_inline)) IRPO_AVX512 void irpo_tile_step(
    const int R, const int P, __m512 c[8][8], const __m512 b[8], const float *x, ptrdiff_t inner, ptrdiff_t k)
{
    for (int r = 0; r < R; r++) {
        const __m512 a = _mm512_set1_ps(x[r * inner + k]);
        for (int p = 0; p < P; p++) c[r][p] = _mm512_fmadd_ps(a, b[p], c[r][p]);
    }
}

/* Writes an R x P tile's results: row r, panel p to y + r * outputs + first_output + 16 p. */
static inline __attribute__((always_inline)) IRPO_AVX512 void irpo_tile_store(
    const int R, const int P, __m512 c[8][8], float *y, ptrdiff_t first_output, ptrdiff_t outputs, int accumulate)
{
    for (int r = 0; r < R; r++)
        for (int p = 0; p < P; p++) {
            const ptrdiff_t n0 = first_output + p * IRPO_PANEL;
            irpo_put16(y + r * outputs + n0, c[r][p], outputs - n0, accumulate);
        }
}

#endif
#endif
