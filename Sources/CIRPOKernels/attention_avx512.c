/* Decode attention's two products with AVX-512 (see irpo_kernels.h): the same per-lane chains
 * as the Swift DecodeAttention, two key blocks or 16 value columns per register. */

#include "irpo_kernels.h"

/* Every multiply and add is written as its own intrinsic; none may be fused behind our back. */
#pragma clang fp contract(off)

#if defined(__x86_64__)
#include "avx512_tile.h"
#define KEY_BLOCK 8

static inline IRPO_AVX512 const float *key_block(const float *shared_keys, const float *keys, ptrdiff_t shared_rows,
                                                 ptrdiff_t block, ptrdiff_t head_dim) {
    /* Only whole blocks are shared; a partly shared block is kept in the slot's own keys. */
    return (block < shared_rows / KEY_BLOCK ? shared_keys : keys) + block * KEY_BLOCK * head_dim;
}

/* Scores of G <= 4 query heads (q rows `head_dim` apart, score rows `score_stride` apart) against
 * the same key blocks: each key row is loaded once for all G heads. */
static inline __attribute__((always_inline)) IRPO_AVX512 void scores_group(
    const int G, float *scores, ptrdiff_t score_stride, const float *q, const float *shared_keys, const float *keys,
    ptrdiff_t shared_rows, ptrdiff_t length, ptrdiff_t head_dim, float scale)
{
    const ptrdiff_t blocks = (length + KEY_BLOCK - 1) / KEY_BLOCK;
    const ptrdiff_t d = head_dim, d4 = d / 4 * 4;
    ptrdiff_t block = 0;
    for (; block + 2 <= blocks; block += 2) {
        const float *lo = key_block(shared_keys, keys, shared_rows, block, d);
        const float *hi = key_block(shared_keys, keys, shared_rows, block + 1, d);
        __m512 a[4][4];
        for (int g = 0; g < G; g++) for (int c = 0; c < 4; c++) a[g][c] = _mm512_setzero_ps();
#define ROW(i) _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(lo + (i) * KEY_BLOCK)), _mm256_loadu_ps(hi + (i) * KEY_BLOCK), 1)
        ptrdiff_t i = 0;
        for (; i < d4; i += 4) {
            for (int c = 0; c < 4; c++) {
                const __m512 row = ROW(i + c);
                for (int g = 0; g < G; g++) a[g][c] = _mm512_fmadd_ps(_mm512_set1_ps(q[g * d + i + c]), row, a[g][c]);
            }
        }
        for (; i < d; i++) {
            const __m512 row = ROW(i);
            for (int g = 0; g < G; g++) a[g][0] = _mm512_fmadd_ps(_mm512_set1_ps(q[g * d + i]), row, a[g][0]);
        }
#undef ROW
        for (int g = 0; g < G; g++) {
            const __m512 sum = _mm512_add_ps(_mm512_add_ps(a[g][0], a[g][1]), _mm512_add_ps(a[g][2], a[g][3]));
            _mm512_storeu_ps(scores + g * score_stride + block * KEY_BLOCK, _mm512_mul_ps(sum, _mm512_set1_ps(scale)));
        }
    }
    if (block < blocks) {
        const float *b = key_block(shared_keys, keys, shared_rows, block, d);
        __m256 a[4][4];
        for (int g = 0; g < G; g++) for (int c = 0; c < 4; c++) a[g][c] = _mm256_setzero_ps();
        ptrdiff_t i = 0;
        for (; i < d4; i += 4) {
            for (int c = 0; c < 4; c++) {
                const __m256 row = _mm256_loadu_ps(b + (i + c) * KEY_BLOCK);
                for (int g = 0; g < G; g++) a[g][c] = _mm256_fmadd_ps(_mm256_set1_ps(q[g * d + i + c]), row, a[g][c]);
            }
        }
        for (; i < d; i++) {
            const __m256 row = _mm256_loadu_ps(b + i * KEY_BLOCK);
            for (int g = 0; g < G; g++) a[g][0] = _mm256_fmadd_ps(_mm256_set1_ps(q[g * d + i]), row, a[g][0]);
        }
        for (int g = 0; g < G; g++) {
            const __m256 sum = _mm256_add_ps(_mm256_add_ps(a[g][0], a[g][1]), _mm256_add_ps(a[g][2], a[g][3]));
            _mm256_storeu_ps(scores + g * score_stride + block * KEY_BLOCK, _mm256_mul_ps(sum, _mm256_set1_ps(scale)));
        }
    }
}

IRPO_AVX512 void irpo_attention_scores_avx512(
    float *scores, ptrdiff_t score_stride, const float *q, ptrdiff_t heads,
    const float *shared_keys, const float *keys, ptrdiff_t shared_rows, ptrdiff_t length, ptrdiff_t head_dim, float scale)
{
    for (ptrdiff_t h = 0; h < heads; h += 4) {
        float *s = scores + h * score_stride;
        const float *qh = q + h * head_dim;
        switch (heads - h >= 4 ? 4 : heads - h) {
        case 4: scores_group(4, s, score_stride, qh, shared_keys, keys, shared_rows, length, head_dim, scale); break;
        case 3: scores_group(3, s, score_stride, qh, shared_keys, keys, shared_rows, length, head_dim, scale); break;
        case 2: scores_group(2, s, score_stride, qh, shared_keys, keys, shared_rows, length, head_dim, scale); break;
        default: scores_group(1, s, score_stride, qh, shared_keys, keys, shared_rows, length, head_dim, scale); break;
        }
    }
}

/* G <= 4 heads' weighted sums over the same value rows, W columns (W = 16 x lanes) at `c`. */
static inline __attribute__((always_inline)) IRPO_AVX512 void values_group(
    const int G, const int V, float *output, const float *weights, ptrdiff_t weight_stride,
    const float *shared_values, const float *values, ptrdiff_t shared, ptrdiff_t length, ptrdiff_t d, ptrdiff_t c)
{
    __m512 o[4][4];
    for (int g = 0; g < G; g++) for (int v = 0; v < V; v++) o[g][v] = _mm512_setzero_ps();
    for (ptrdiff_t j = 0; j < length; j++) {
        const float *row = (j < shared ? shared_values : values) + j * d + c;
        __m512 r[4];
        for (int v = 0; v < V; v++) r[v] = _mm512_loadu_ps(row + 16 * v);
        for (int g = 0; g < G; g++) {
            const __m512 w = _mm512_set1_ps(weights[g * weight_stride + j]);
            for (int v = 0; v < V; v++) o[g][v] = _mm512_fmadd_ps(w, r[v], o[g][v]);
        }
    }
    for (int g = 0; g < G; g++)
        for (int v = 0; v < V; v++) _mm512_storeu_ps(output + g * d + c + 16 * v, o[g][v]);
}

static inline __attribute__((always_inline)) IRPO_AVX512 void values_heads(
    const int G, float *output, const float *weights, ptrdiff_t weight_stride,
    const float *shared_values, const float *values, ptrdiff_t shared, ptrdiff_t length, ptrdiff_t d)
{
    ptrdiff_t c = 0;
    /* Up to 16 accumulators: four 16-lane columns for one or two heads, fewer for more. */
    if (G <= 2) for (; c + 64 <= d; c += 64) values_group(G, 4, output, weights, weight_stride, shared_values, values, shared, length, d, c);
    for (; c + 32 <= d; c += 32) values_group(G, 2, output, weights, weight_stride, shared_values, values, shared, length, d, c);
    for (; c + 16 <= d; c += 16) values_group(G, 1, output, weights, weight_stride, shared_values, values, shared, length, d, c);
    for (; c < d; c += 8) {
        __m256 o[4];
        for (int g = 0; g < G; g++) o[g] = _mm256_setzero_ps();
        for (ptrdiff_t j = 0; j < length; j++) {
            const __m256 row = _mm256_loadu_ps((j < shared ? shared_values : values) + j * d + c);
            for (int g = 0; g < G; g++) o[g] = _mm256_fmadd_ps(_mm256_set1_ps(weights[g * weight_stride + j]), row, o[g]);
        }
        for (int g = 0; g < G; g++) _mm256_storeu_ps(output + g * d + c, o[g]);
    }
}

IRPO_AVX512 void irpo_attention_values_avx512(
    float *output, const float *weights, ptrdiff_t weight_stride, ptrdiff_t heads,
    const float *shared_values, const float *values, ptrdiff_t shared_rows, ptrdiff_t length, ptrdiff_t head_dim)
{
    const ptrdiff_t d = head_dim;
    const ptrdiff_t shared = shared_rows < length ? shared_rows : length;
    for (ptrdiff_t h = 0; h < heads; h += 4) {
        float *out = output + h * d;
        const float *w = weights + h * weight_stride;
        switch (heads - h >= 4 ? 4 : heads - h) {
        case 4: values_heads(4, out, w, weight_stride, shared_values, values, shared, length, d); break;
        case 3: values_heads(3, out, w, weight_stride, shared_values, values, shared, length, d); break;
        case 2: values_heads(2, out, w, weight_stride, shared_values, values, shared, length, d); break;
        default: values_heads(1, out, w, weight_stride, shared_values, values, shared, length, d); break;
        }
    }
}

#else

void irpo_attention_scores_avx512(float *scores, ptrdiff_t score_stride, const float *q, ptrdiff_t heads,
                                  const float *shared_keys, const float *keys, ptrdiff_t shared_rows, ptrdiff_t length,
                                  ptrdiff_t head_dim, float scale) {
    (void)scores; (void)score_stride; (void)q; (void)heads; (void)shared_keys; (void)keys; (void)shared_rows;
    (void)length; (void)head_dim; (void)scale;
}
void irpo_attention_values_avx512(float *output, const float *weights, ptrdiff_t weight_stride, ptrdiff_t heads,
                                  const float *shared_values, const float *values, ptrdiff_t shared_rows, ptrdiff_t length,
                                  ptrdiff_t head_dim) {
    (void)output; (void)weights; (void)weight_stride; (void)heads; (void)shared_values; (void)values; (void)shared_rows;
    (void)length; (void)head_dim;
}

#endif
