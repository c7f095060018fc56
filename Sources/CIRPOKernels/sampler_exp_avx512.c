/* The sampler's exp pass with AVX-512 (see irpo_kernels.h): VectorMath.exp's arithmetic,
 * operation for operation, on 16 lanes, and VectorMath.horizontalSum's order per block of 8. */

#include "irpo_kernels.h"

/* Every multiply and add is written as its own intrinsic; none may be fused behind our back. */
#pragma clang fp contract(off)

#if defined(__x86_64__)
#include "avx512_tile.h"

static inline IRPO_AVX512 __m512 exp16(__m512 input) {
    const __mmask16 high = _mm512_cmp_ps_mask(input, _mm512_set1_ps(88.0f), _CMP_GT_OQ);
    const __mmask16 low = _mm512_cmp_ps_mask(input, _mm512_set1_ps(-87.0f), _CMP_LT_OQ);
    __m512 x = _mm512_mask_blend_ps(high, input, _mm512_set1_ps(88.0f));
    x = _mm512_mask_blend_ps(low, x, _mm512_set1_ps(-87.0f));
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    const __m512 t = _mm512_fmadd_ps(x, _mm512_set1_ps(1.4426950408889634f), magic);
    const __m512 n = _mm512_sub_ps(t, magic);
    __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-0.693359375f), x);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.1219444e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    const __m512 y = _mm512_fmadd_ps(_mm512_mul_ps(r, r), p, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    const __m512i bits = _mm512_castps_si512(t);
    const __m512i scale_bits = _mm512_add_epi32(_mm512_slli_epi32(bits, 23), _mm512_set1_epi32(127 << 23));
    const __m512 result = _mm512_mul_ps(y, _mm512_castsi512_ps(scale_bits));
    const __mmask16 zero = _mm512_cmp_ps_mask(input, _mm512_set1_ps(-87.3f), _CMP_LT_OQ);
    return _mm512_mask_blend_ps(zero, result, _mm512_setzero_ps());
}

/* (low four + high four), then (lanes 0, 1 + lanes 2, 3), then lane 0 + lane 1. */
static inline IRPO_AVX512 float sum8(__m256 v) {
    const __m128 four = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 two = _mm_add_ps(four, _mm_movehl_ps(four, four));
    return _mm_cvtss_f32(_mm_add_ss(two, _mm_shuffle_ps(two, two, 1)));
}

IRPO_AVX512 void irpo_block_exp_sums_avx512(const float *values, ptrdiff_t count, float shift, float scale, float *sums) {
    const __m512 s = _mm512_set1_ps(shift), f = _mm512_set1_ps(scale);
    ptrdiff_t i = 0;
    for (; i + 16 <= count; i += 16) {
        const __m512 e = exp16(_mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(values + i), s), f));
        sums[i / 8] = sum8(_mm512_castps512_ps256(e));
        sums[i / 8 + 1] = sum8(_mm512_extractf32x8_ps(e, 1));
    }
    if (i + 8 <= count) {
        const __m512 e = exp16(_mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(0xFF, values + i), s), f));
        sums[i / 8] = sum8(_mm512_castps512_ps256(e));
    }
}

#else

void irpo_block_exp_sums_avx512(const float *values, ptrdiff_t count, float shift, float scale, float *sums) {
    (void)values; (void)count; (void)shift; (void)scale; (void)sums;
}

#endif
