/* Decode attention's two products with AVX-512 (see irpo_kernels.h): the same per-lane chains
 * as the Swift DecodeAttention, two key blocks or 16 value columns per register. */

#include "irpo_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define IRPO_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))
#define KEY_BLOCK 8

static inline IRPO_AVX512 const float *key_block(const float *shared_keys, const float *keys, ptrdiff_t shared_rows,
                                                 ptrdiff_t block, ptrdiff_t head_dim) {
    /* Only whole blocks are shared; a partly shared block is kept in the slot's own keys. */
    return (block < shared_rows / KEY_BLOCK ? shared_keys : keys) + block * KEY_BLOCK * head_dim;
}

IRPO_AVX512 void irpo_attention_scores_avx512(
    float *scores, const float *q, const float *shared_keys, const float *keys,
    ptrdiff_t shared_rows, ptrdiff_t length, ptrdiff_t head_dim, float scale)
{
    const ptrdiff_t blocks = (length + KEY_BLOCK - 1) / KEY_BLOCK;
    const ptrdiff_t d = head_dim, d4 = d / 4 * 4;
    ptrdiff_t block = 0;
    for (; block + 2 <= blocks; block += 2) {
        const float *lo = key_block(shared_keys, keys, shared_rows, block, d);
        const float *hi = key_block(shared_keys, keys, shared_rows, block + 1, d);
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
#define ROW(i) _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(lo + (i) * KEY_BLOCK)), _mm256_loadu_ps(hi + (i) * KEY_BLOCK), 1)
        ptrdiff_t i = 0;
        for (; i < d4; i += 4) {
            a0 = _mm512_fmadd_ps(_mm512_set1_ps(q[i]), ROW(i), a0);
            a1 = _mm512_fmadd_ps(_mm512_set1_ps(q[i + 1]), ROW(i + 1), a1);
            a2 = _mm512_fmadd_ps(_mm512_set1_ps(q[i + 2]), ROW(i + 2), a2);
            a3 = _mm512_fmadd_ps(_mm512_set1_ps(q[i + 3]), ROW(i + 3), a3);
        }
        for (; i < d; i++) a0 = _mm512_fmadd_ps(_mm512_set1_ps(q[i]), ROW(i), a0);
#undef ROW
        const __m512 sum = _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3));
        _mm512_storeu_ps(scores + block * KEY_BLOCK, _mm512_mul_ps(sum, _mm512_set1_ps(scale)));
    }
    if (block < blocks) {
        const float *b = key_block(shared_keys, keys, shared_rows, block, d);
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        ptrdiff_t i = 0;
        for (; i < d4; i += 4) {
            a0 = _mm256_fmadd_ps(_mm256_set1_ps(q[i]), _mm256_loadu_ps(b + i * KEY_BLOCK), a0);
            a1 = _mm256_fmadd_ps(_mm256_set1_ps(q[i + 1]), _mm256_loadu_ps(b + (i + 1) * KEY_BLOCK), a1);
            a2 = _mm256_fmadd_ps(_mm256_set1_ps(q[i + 2]), _mm256_loadu_ps(b + (i + 2) * KEY_BLOCK), a2);
            a3 = _mm256_fmadd_ps(_mm256_set1_ps(q[i + 3]), _mm256_loadu_ps(b + (i + 3) * KEY_BLOCK), a3);
        }
        for (; i < d; i++) a0 = _mm256_fmadd_ps(_mm256_set1_ps(q[i]), _mm256_loadu_ps(b + i * KEY_BLOCK), a0);
        const __m256 sum = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
        _mm256_storeu_ps(scores + block * KEY_BLOCK, _mm256_mul_ps(sum, _mm256_set1_ps(scale)));
    }
}

IRPO_AVX512 void irpo_attention_values_avx512(
    float *output, const float *weights, const float *shared_values, const float *values,
    ptrdiff_t shared_rows, ptrdiff_t length, ptrdiff_t head_dim)
{
    const ptrdiff_t d = head_dim;
    const ptrdiff_t shared = shared_rows < length ? shared_rows : length;
    ptrdiff_t c = 0;
    for (; c + 64 <= d; c += 64) {
        __m512 o0 = _mm512_setzero_ps(), o1 = o0, o2 = o0, o3 = o0;
        for (ptrdiff_t j = 0; j < length; j++) {
            const float *row = (j < shared ? shared_values : values) + j * d + c;
            const __m512 w = _mm512_set1_ps(weights[j]);
            o0 = _mm512_fmadd_ps(w, _mm512_loadu_ps(row), o0);
            o1 = _mm512_fmadd_ps(w, _mm512_loadu_ps(row + 16), o1);
            o2 = _mm512_fmadd_ps(w, _mm512_loadu_ps(row + 32), o2);
            o3 = _mm512_fmadd_ps(w, _mm512_loadu_ps(row + 48), o3);
        }
        _mm512_storeu_ps(output + c, o0);
        _mm512_storeu_ps(output + c + 16, o1);
        _mm512_storeu_ps(output + c + 32, o2);
        _mm512_storeu_ps(output + c + 48, o3);
    }
    for (; c + 16 <= d; c += 16) {
        __m512 o = _mm512_setzero_ps();
        for (ptrdiff_t j = 0; j < length; j++) {
            const float *row = (j < shared ? shared_values : values) + j * d + c;
            o = _mm512_fmadd_ps(_mm512_set1_ps(weights[j]), _mm512_loadu_ps(row), o);
        }
        _mm512_storeu_ps(output + c, o);
    }
    for (; c < d; c += 8) {
        __m256 o = _mm256_setzero_ps();
        for (ptrdiff_t j = 0; j < length; j++) {
            const float *row = (j < shared ? shared_values : values) + j * d + c;
            o = _mm256_fmadd_ps(_mm256_set1_ps(weights[j]), _mm256_loadu_ps(row), o);
        }
        _mm256_storeu_ps(output + c, o);
    }
}

#else

void irpo_attention_scores_avx512(float *scores, const float *q, const float *shared_keys, const float *keys,
                                  ptrdiff_t shared_rows, ptrdiff_t length, ptrdiff_t head_dim, float scale) {
    (void)scores; (void)q; (void)shared_keys; (void)keys; (void)shared_rows; (void)length; (void)head_dim; (void)scale;
}
void irpo_attention_values_avx512(float *output, const float *weights, const float *shared_values, const float *values,
                                  ptrdiff_t shared_rows, ptrdiff_t length, ptrdiff_t head_dim) {
    (void)output; (void)weights; (void)shared_values; (void)values; (void)shared_rows; (void)length; (void)head_dim;
}

#endif
