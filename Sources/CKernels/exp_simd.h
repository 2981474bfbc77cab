// A vectorised e^x, 8 and 16 lanes wide, shared by the attention kernels (attention.c, attention_blocks*.c,
// sequence_attention.c): one polynomial everywhere.
#ifndef CKERNELS_EXP_SIMD_H
#define CKERNELS_EXP_SIMD_H

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

// e^x for x <= 0 (Cephes' expf: range reduction by ln 2, degree-5 polynomial), about 1 ulp. The
// constants once, for both widths.
#define CK_EXP_FLOOR -87.3f
#define CK_EXP_LOG2E 1.44269504088896341f
#define CK_EXP_LN2_HIGH 0.693359375f
#define CK_EXP_LN2_LOW -2.12194440e-4f
#define CK_EXP_POLY(FMA, SET, y, r)                     \
    y = SET(1.9875691500e-4f);                          \
    y = FMA(y, r, SET(1.3981999507e-3f));               \
    y = FMA(y, r, SET(8.3334519073e-3f));               \
    y = FMA(y, r, SET(4.1665795894e-2f));               \
    y = FMA(y, r, SET(1.6666665459e-1f));               \
    y = FMA(y, r, SET(5.0000001201e-1f))

static inline __attribute__((target("avx2,fma"), always_inline)) __m256 exp_avx2(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(CK_EXP_FLOOR));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(CK_EXP_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(CK_EXP_LN2_HIGH), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(CK_EXP_LN2_LOW), r);
    __m256 y;
    CK_EXP_POLY(_mm256_fmadd_ps, _mm256_set1_ps, y, r);
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(scale));
}

// scores[t] = e^(scores[t] - maximum) in place; returns their sum (the softmax's denominator).
static inline __attribute__((target("avx2,fma"), always_inline)) float exp_shifted_sum_avx2(float *scores, int64_t count,
                                                                                          float maximum) {
    __m256 sums = _mm256_setzero_ps();
    int64_t t = 0;
    for (; t + 8 <= count; t += 8) {
        __m256 e = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(scores + t), _mm256_set1_ps(maximum)));
        _mm256_storeu_ps(scores + t, e);
        sums = _mm256_add_ps(sums, e);
    }
    __m128 folded = _mm_add_ps(_mm256_extractf128_ps(sums, 1), _mm256_castps256_ps128(sums));
    folded = _mm_add_ps(folded, _mm_movehl_ps(folded, folded));
    folded = _mm_add_ss(folded, _mm_movehdup_ps(folded));
    float sum = _mm_cvtss_f32(folded);
    for (; t < count; t++) {
        scores[t] = expf(scores[t] - maximum);
        sum += scores[t];
    }
    return sum;
}

// exp_avx2 sixteen lanes wide.
static inline __attribute__((target("avx512f"), always_inline)) __m512 exp_avx512(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(CK_EXP_FLOOR));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(CK_EXP_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(CK_EXP_LN2_HIGH), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(CK_EXP_LN2_LOW), r);
    __m512 y;
    CK_EXP_POLY(_mm512_fmadd_ps, _mm512_set1_ps, y, r);
    y = _mm512_fmadd_ps(y, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512i scale = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(y, _mm512_castsi512_ps(scale));
}

#endif
#endif
