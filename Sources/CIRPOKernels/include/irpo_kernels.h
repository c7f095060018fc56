#ifndef IRPO_KERNELS_H
#define IRPO_KERNELS_H

/* AVX-512 versions of irpo's hottest decode kernels, chosen at run time.
 *
 * The file is compiled for the x86-64 baseline; each AVX-512 function carries its own target
 * attribute, so the library loads on every CPU and only calls these after
 * irpo_avx512_usable() said yes. Every function computes exactly what its Swift (AVX2)
 * counterpart computes, bit for bit: the same fused multiply-add chain per output element, in
 * the same order; only more lanes run at once. */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when the CPU has AVX-512 F, BW, DQ and VL and the operating system saves the 512-bit
 * registers (XCR0 bits 5-7 with 1-2); 0 otherwise (always 0 on non-x86 builds). */
int irpo_avx512_usable(void);

/* The batch-invariant decode product over packed panels [panel_start, panel_end):
 * y[m, n] = sum_k x[m, k] * w[n, k] for n in the panels' outputs (below `outputs`), every
 * element one chain acc = fma(x[m, k], w[n, k], acc) for k ascending from 0, then stored, or
 * added to y when `accumulate` is non-zero. `packed` points at panel `panel_start` of the panels of
 * 16 outputs stored k-major one after the other (panel p at packed + (p - panel_start) * 16 *
 * inner, element [k][j] = w[16 p + j, k], zero past the last output); y rows are `outputs` apart, x rows `inner` apart. Must only be called when
 * irpo_avx512_usable() returned 1. */
void irpo_invariant_panels_avx512(
    float *y, const float *x, const float *packed,
    ptrdiff_t panel_start, ptrdiff_t panel_end,
    ptrdiff_t rows, ptrdiff_t outputs, ptrdiff_t inner, int accumulate);

/* Bytes of one Q8_0 panel block: 16 float scales, then 32 x 16 signed bytes (k-major). */
#define IRPO_Q8_PANEL_BLOCK_BYTES 576

/* The batch-invariant decode product over Q8_0 panels [panel_start, panel_end): as
 * irpo_invariant_panels_avx512 with every weight w[n, k] = scale[n, k / 32] * q[n, k] (the
 * product of a float made from a half and a small integer, which is exact), so the result is
 * bit for bit that of the float kernel on the dequantised weights. `packed` points at panel
 * `panel_start`; a panel is `blocks` blocks of IRPO_Q8_PANEL_BLOCK_BYTES (block b: the scales
 * of outputs 16 p + j for k in [32 b, 32 b + 32), then q[k][j] for those 32 k); `inner` must be
 * 32 * blocks. With `avx512` non-zero it runs the AVX-512 kernel (only after
 * irpo_avx512_usable() returned 1), else the AVX2 one (needs AVX2 and FMA); same bits. */
void irpo_q8_panels(
    float *y, const float *x, const void *packed,
    ptrdiff_t panel_start, ptrdiff_t panel_end,
    ptrdiff_t rows, ptrdiff_t outputs, ptrdiff_t inner, int accumulate, int avx512);

/* Decode attention, scores of `heads` query heads that share one kv head (query rows `head_dim`
 * apart at q; score rows `score_stride` apart): scores[h][8 b + l] = scale * (q_h . key of
 * position 8 b + l) for every key block b < ceil(length / 8), each block [head_dim][8] floats at
 * shared_keys + 8 b head_dim while b < floor(shared_rows / 8), else at keys + 8 b head_dim.
 * Per position: four fused multiply-add chains over the dimensions i % 4 (the tail
 * i >= 4 floor(head_dim / 4) on chain 0), summed as (a0 + a1) + (a2 + a3), then multiplied by
 * scale: the Swift kernel's order, 16 positions and up to 4 heads per pass over the keys.
 * Needs irpo_avx512_usable(). */
void irpo_attention_scores_avx512(
    float *scores, ptrdiff_t score_stride, const float *q, ptrdiff_t heads,
    const float *shared_keys, const float *keys, ptrdiff_t shared_rows, ptrdiff_t length, ptrdiff_t head_dim, float scale);

/* Decode attention, values of `heads` query heads (weight rows `weight_stride` apart, output
 * rows `head_dim` apart): output[h][c] = sum_j weights[h][j] * row_j[c] for j < length
 * ascending (one fused multiply-add chain per element from 0), row j at shared_values +
 * j head_dim below shared_rows, else at values + j head_dim; head_dim a multiple of 8. Up to 4
 * heads per pass over the values. Needs irpo_avx512_usable(). */
void irpo_attention_values_avx512(
    float *output, const float *weights, ptrdiff_t weight_stride, ptrdiff_t heads,
    const float *shared_values, const float *values, ptrdiff_t shared_rows, ptrdiff_t length, ptrdiff_t head_dim);

/* The sampler's exp pass: sums[b] = the sum of exp((values[8 b + l] - shift) * scale) over
 * l < 8, for every whole block b < count / 8, with the same polynomial exp, lane by lane, as
 * the Swift VectorMath.exp, and each block's eight values added as the Swift
 * VectorMath.horizontalSum adds them (halves, then halves, then the last two), so the sums are
 * the Swift ones to the bit; 16 values per step. Needs irpo_avx512_usable(). */
void irpo_block_exp_sums_avx512(const float *values, ptrdiff_t count, float shift, float scale, float *sums);

#ifdef __cplusplus
}
#endif

#endif
