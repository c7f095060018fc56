/* The batch-invariant decode product on Q8_0 panels (see irpo_kernels.h). Each weight is
 * dequantised in registers as scale * q, exactly the float the Q8_0 dequantiser writes, and
 * then enters the same fused multiply-add chain as in the float kernel. */

#include "irpo_kernels.h"
#include <stdlib.h>
#include <string.h>

/* Every multiply and add is written as its own intrinsic; none may be fused behind our back. */
#pragma clang fp contract(off)

#define PANEL 16
#define BLOCK 32

#if defined(__x86_64__)
#include "avx512_tile.h"

#define IRPO_AVX2 __attribute__((target("avx2,fma")))

/* R rows against P panels (R * P <= 24), 16 lanes per panel, the weights rebuilt in registers. */
static inline __attribute__((always_inline)) IRPO_AVX512 void tile512(
    const int R, const int P, float *y, const float *x, const unsigned char *panels,
    ptrdiff_t first_output, ptrdiff_t outputs, ptrdiff_t inner, int accumulate)
{
    __m512 c[8][8];
    for (int r = 0; r < R; r++)
        for (int p = 0; p < P; p++) c[r][p] = _mm512_setzero_ps();
    const ptrdiff_t blocks = inner / BLOCK, stride = blocks * IRPO_Q8_PANEL_BLOCK_BYTES;
    for (ptrdiff_t block = 0; block < blocks; block++) {
        __m512 scale[8];
        const unsigned char *base = panels + block * IRPO_Q8_PANEL_BLOCK_BYTES;
        for (int p = 0; p < P; p++) scale[p] = _mm512_loadu_ps((const float *)(base + p * stride));
        for (int kk = 0; kk < BLOCK; kk++) {
            const ptrdiff_t k = block * BLOCK + kk;
            __m512 b[8];
            for (int p = 0; p < P; p++) {
                const __m128i q = _mm_loadu_si128((const __m128i *)(base + p * stride + 64 + kk * PANEL));
                b[p] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), scale[p]);
            }
            irpo_tile_step(R, P, c, b, x, inner, k);
        }
    }
    irpo_tile_store(R, P, c, y, first_output, outputs, accumulate);
}

/* Dequantises `count` consecutive Q8_0 panels into float panels at `out` (16 * inner floats
 * each, k-major): every weight scale * byte, the same float the tiles above compute. */
static IRPO_AVX512 void dequantize_panels(float *out, const unsigned char *panels, ptrdiff_t count, ptrdiff_t inner) {
    const ptrdiff_t blocks = inner / BLOCK, stride = blocks * IRPO_Q8_PANEL_BLOCK_BYTES;
    for (ptrdiff_t p = 0; p < count; p++)
        for (ptrdiff_t block = 0; block < blocks; block++) {
            const unsigned char *base = panels + p * stride + block * IRPO_Q8_PANEL_BLOCK_BYTES;
            const __m512 scale = _mm512_loadu_ps((const float *)base);
            float *target = out + p * PANEL * inner + block * BLOCK * PANEL;
            for (int kk = 0; kk < BLOCK; kk++) {
                const __m128i q = _mm_loadu_si128((const __m128i *)(base + 64 + kk * PANEL));
                _mm512_storeu_ps(target + kk * PANEL, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), scale));
            }
        }
}

/* Panels per dequantised group when many rows share them, and the calling thread's buffer. */
#define GROUP 3
static _Thread_local float *group_buffer;
static _Thread_local ptrdiff_t group_capacity;

static float *group_scratch(ptrdiff_t floats) {
    if (floats > group_capacity) {
        free(group_buffer);
        const size_t bytes = ((size_t)floats * sizeof(float) + 63) / 64 * 64;
        group_buffer = aligned_alloc(64, bytes);
        group_capacity = group_buffer ? floats : 0;
    }
    return group_buffer;
}

static IRPO_AVX512 void q8_panels_avx512(
    float *y, const float *x, const void *packed, ptrdiff_t panel_start, ptrdiff_t panel_end,
    ptrdiff_t rows, ptrdiff_t outputs, ptrdiff_t inner, int accumulate)
{
    const unsigned char *bytes = (const unsigned char *)packed;
    const ptrdiff_t stride = inner / BLOCK * IRPO_Q8_PANEL_BLOCK_BYTES;
    ptrdiff_t panel = panel_start;
#define AT(p) (bytes + ((p) - panel_start) * stride)
    /* Many rows: dequantise a group of panels once into float panels and run the float kernel
     * on them (the same chains on the same floats), instead of rebuilding the weights in every
     * row tile. */
    float *scratch = rows >= 4 ? group_scratch(GROUP * PANEL * inner) : NULL;
    if (scratch) {
        for (; panel < panel_end; panel += GROUP) {
            const ptrdiff_t count = panel_end - panel < GROUP ? panel_end - panel : GROUP;
            dequantize_panels(scratch, AT(panel), count, inner);
            irpo_invariant_panels_avx512(y, x, scratch, panel, panel + count, rows, outputs, inner, accumulate);
        }
        return;
    }
    /* Few rows (a decode step of one to three sequences, bound by memory): each row rebuilds the
     * weights in registers, eight panels at a time to keep eight chains in flight. */
    for (ptrdiff_t m = 0; m < rows; m++) {
        float *ym = y + m * outputs;
        const float *xm = x + m * inner;
        for (panel = panel_start; panel + 8 <= panel_end; panel += 8) tile512(1, 8, ym, xm, AT(panel), panel * PANEL, outputs, inner, accumulate);
        for (; panel + 4 <= panel_end; panel += 4) tile512(1, 4, ym, xm, AT(panel), panel * PANEL, outputs, inner, accumulate);
        for (; panel < panel_end; panel++) tile512(1, 1, ym, xm, AT(panel), panel * PANEL, outputs, inner, accumulate);
    }
#undef AT
}

/* AVX2: a panel's 16 lanes are two 8-lane registers, each lane the same chain as above. */
static inline IRPO_AVX2 void put256(float *y, __m256 lo, __m256 hi, ptrdiff_t width, int accumulate) {
    if (width >= PANEL) {
        if (accumulate) { lo = _mm256_add_ps(_mm256_loadu_ps(y), lo); hi = _mm256_add_ps(_mm256_loadu_ps(y + 8), hi); }
        _mm256_storeu_ps(y, lo);
        _mm256_storeu_ps(y + 8, hi);
        return;
    }
    float v[PANEL];
    _mm256_storeu_ps(v, lo);
    _mm256_storeu_ps(v + 8, hi);
    for (ptrdiff_t j = 0; j < width; j++) y[j] = accumulate ? y[j] + v[j] : v[j];
}

static inline __attribute__((always_inline)) IRPO_AVX2 void tile256(
    const int R, const int P, float *y, const float *x, const unsigned char *panels,
    ptrdiff_t first_output, ptrdiff_t outputs, ptrdiff_t inner, int accumulate)
{
    __m256 c[4][4][2];
    for (int r = 0; r < R; r++)
        for (int p = 0; p < P; p++) { c[r][p][0] = _mm256_setzero_ps(); c[r][p][1] = _mm256_setzero_ps(); }
    const ptrdiff_t blocks = inner / BLOCK, stride = blocks * IRPO_Q8_PANEL_BLOCK_BYTES;
    for (ptrdiff_t block = 0; block < blocks; block++) {
        __m256 scale[4][2];
        const unsigned char *base = panels + block * IRPO_Q8_PANEL_BLOCK_BYTES;
        for (int p = 0; p < P; p++) {
            scale[p][0] = _mm256_loadu_ps((const float *)(base + p * stride));
            scale[p][1] = _mm256_loadu_ps((const float *)(base + p * stride) + 8);
        }
        for (int kk = 0; kk < BLOCK; kk++) {
            const ptrdiff_t k = block * BLOCK + kk;
            __m256 b[4][2];
            for (int p = 0; p < P; p++) {
                const unsigned char *q = base + p * stride + 64 + kk * PANEL;
                b[p][0] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)q))), scale[p][0]);
                b[p][1] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(q + 8)))), scale[p][1]);
            }
            for (int r = 0; r < R; r++) {
                const __m256 a = _mm256_set1_ps(x[r * inner + k]);
                for (int p = 0; p < P; p++) {
                    c[r][p][0] = _mm256_fmadd_ps(a, b[p][0], c[r][p][0]);
                    c[r][p][1] = _mm256_fmadd_ps(a, b[p][1], c[r][p][1]);
                }
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int p = 0; p < P; p++) {
            const ptrdiff_t n0 = first_output + p * PANEL;
            put256(y + r * outputs + n0, c[r][p][0], c[r][p][1], outputs - n0, accumulate);
        }
}

static IRPO_AVX2 void q8_panels_avx2(
    float *y, const float *x, const void *packed, ptrdiff_t panel_start, ptrdiff_t panel_end,
    ptrdiff_t rows, ptrdiff_t outputs, ptrdiff_t inner, int accumulate)
{
    const unsigned char *bytes = (const unsigned char *)packed;
    const ptrdiff_t stride = inner / BLOCK * IRPO_Q8_PANEL_BLOCK_BYTES;
    for (ptrdiff_t panel = panel_start; panel < panel_end; ) {
        const unsigned char *at = bytes + (panel - panel_start) * stride;
        if (rows == 1) {
            if (panel + 2 <= panel_end) { tile256(1, 2, y, x, at, panel * PANEL, outputs, inner, accumulate); panel += 2; }
            else { tile256(1, 1, y, x, at, panel * PANEL, outputs, inner, accumulate); panel += 1; }
            continue;
        }
        ptrdiff_t m = 0;
        for (; m + 4 <= rows; m += 4) tile256(4, 1, y + m * outputs, x + m * inner, at, panel * PANEL, outputs, inner, accumulate);
        if (rows - m >= 2) { tile256(2, 1, y + m * outputs, x + m * inner, at, panel * PANEL, outputs, inner, accumulate); m += 2; }
        if (rows - m >= 1) { tile256(1, 1, y + m * outputs, x + m * inner, at, panel * PANEL, outputs, inner, accumulate); }
        panel += 1;
    }
}

void irpo_q8_panels(float *y, const float *x, const void *packed, ptrdiff_t panel_start, ptrdiff_t panel_end,
                    ptrdiff_t rows, ptrdiff_t outputs, ptrdiff_t inner, int accumulate, int avx512) {
    if (avx512) q8_panels_avx512(y, x, packed, panel_start, panel_end, rows, outputs, inner, accumulate);
    else q8_panels_avx2(y, x, packed, panel_start, panel_end, rows, outputs, inner, accumulate);
}

#else

#include <math.h>

/* Portable: the same chains with scalar fused multiply-adds. */
static void q8_portable(
    float *y, const float *x, const void *packed, ptrdiff_t panel_start, ptrdiff_t panel_end,
    ptrdiff_t rows, ptrdiff_t outputs, ptrdiff_t inner, int accumulate)
{
    const unsigned char *bytes = (const unsigned char *)packed;
    const ptrdiff_t blocks = inner / BLOCK, stride = blocks * IRPO_Q8_PANEL_BLOCK_BYTES;
    for (ptrdiff_t panel = panel_start; panel < panel_end; panel++) {
        const unsigned char *at = bytes + (panel - panel_start) * stride;
        for (ptrdiff_t m = 0; m < rows; m++)
            for (ptrdiff_t j = 0; j < PANEL && panel * PANEL + j < outputs; j++) {
                float acc = 0;
                for (ptrdiff_t block = 0; block < blocks; block++) {
                    float scale;
                    memcpy(&scale, at + block * IRPO_Q8_PANEL_BLOCK_BYTES + 4 * j, 4);
                    for (ptrdiff_t kk = 0; kk < BLOCK; kk++) {
                        const signed char q = (signed char)at[block * IRPO_Q8_PANEL_BLOCK_BYTES + 64 + kk * PANEL + j];
                        acc = fmaf(x[m * inner + block * BLOCK + kk], scale * (float)q, acc);
                    }
                }
                float *out = y + m * outputs + panel * PANEL + j;
                *out = accumulate ? *out + acc : acc;
            }
    }
}

void irpo_q8_panels(float *y, const float *x, const void *packed, ptrdiff_t panel_start, ptrdiff_t panel_end,
                    ptrdiff_t rows, ptrdiff_t outputs, ptrdiff_t inner, int accumulate, int avx512) {
    (void)avx512;
    q8_portable(y, x, packed, panel_start, panel_end, rows, outputs, inner, accumulate);
}

#endif
