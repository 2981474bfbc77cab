// One attention head for one query: scores over the cached keys, softmax, weighted sum of values.
#include "ckernels.h"

#include <math.h>

static inline __attribute__((always_inline)) void attend_body(
    const float *query, const float *keys, const float *values, int64_t stride, int64_t count,
    int64_t dimension, float scale, float *scores, float *out) {
    float maximum = -INFINITY;
    for (int64_t t = 0; t < count; t++) {
        const float *key = keys + t * stride;
        float dot = 0;
        for (int64_t i = 0; i < dimension; i++) dot += query[i] * key[i];
        scores[t] = dot * scale;
        if (scores[t] > maximum) maximum = scores[t];
    }
    float sum = 0;
    for (int64_t t = 0; t < count; t++) {
        scores[t] = expf(scores[t] - maximum);
        sum += scores[t];
    }
    float inverse = 1.0f / sum;
    for (int64_t i = 0; i < dimension; i++) out[i] = 0;
    for (int64_t t = 0; t < count; t++) {
        const float *value = values + t * stride;
        float weight = scores[t] * inverse;
        for (int64_t i = 0; i < dimension; i++) out[i] += weight * value[i];
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#include "exp_simd.h"

// The dot loop above cannot be vectorized without reassociation; this one sums in 8 lanes.
static __attribute__((target("avx2,fma"))) void attend_avx2(
    const float *query, const float *keys, const float *values, int64_t stride, int64_t count,
    int64_t dimension, float scale, float *scores, float *out) {
    if (dimension % 8 != 0) {
        attend_body(query, keys, values, stride, count, dimension, scale, scores, out);
        return;
    }
    float maximum = -INFINITY;
    for (int64_t t = 0; t < count; t++) {
        const float *key = keys + t * stride;
        __m256 acc = _mm256_setzero_ps();
        for (int64_t i = 0; i < dimension; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(query + i), _mm256_loadu_ps(key + i), acc);
        __m128 r = _mm_add_ps(_mm256_extractf128_ps(acc, 1), _mm256_castps256_ps128(acc));
        r = _mm_add_ps(r, _mm_movehl_ps(r, r));
        r = _mm_add_ss(r, _mm_movehdup_ps(r));
        scores[t] = _mm_cvtss_f32(r) * scale;
        if (scores[t] > maximum) maximum = scores[t];
    }
    float sum = exp_shifted_sum_avx2(scores, count, maximum);
    float inverse = 1.0f / sum;
    if (dimension == 64) {
        // One pass over the values with the whole head in eight registers.
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int64_t t = 0; t < count; t++) {
            const float *v = values + t * stride;
            __m256 w = _mm256_set1_ps(scores[t]);
            a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(v), a0);
            a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(v + 8), a1);
            a2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(v + 16), a2);
            a3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(v + 24), a3);
            a4 = _mm256_fmadd_ps(w, _mm256_loadu_ps(v + 32), a4);
            a5 = _mm256_fmadd_ps(w, _mm256_loadu_ps(v + 40), a5);
            a6 = _mm256_fmadd_ps(w, _mm256_loadu_ps(v + 48), a6);
            a7 = _mm256_fmadd_ps(w, _mm256_loadu_ps(v + 56), a7);
        }
        __m256 k = _mm256_set1_ps(inverse);
        _mm256_storeu_ps(out, _mm256_mul_ps(a0, k));
        _mm256_storeu_ps(out + 8, _mm256_mul_ps(a1, k));
        _mm256_storeu_ps(out + 16, _mm256_mul_ps(a2, k));
        _mm256_storeu_ps(out + 24, _mm256_mul_ps(a3, k));
        _mm256_storeu_ps(out + 32, _mm256_mul_ps(a4, k));
        _mm256_storeu_ps(out + 40, _mm256_mul_ps(a5, k));
        _mm256_storeu_ps(out + 48, _mm256_mul_ps(a6, k));
        _mm256_storeu_ps(out + 56, _mm256_mul_ps(a7, k));
        return;
    }
    for (int64_t i = 0; i < dimension; i += 8) {
        __m256 acc = _mm256_setzero_ps();
        for (int64_t t = 0; t < count; t++) {
            acc = _mm256_fmadd_ps(_mm256_set1_ps(scores[t]), _mm256_loadu_ps(values + t * stride + i), acc);
        }
        _mm256_storeu_ps(out + i, _mm256_mul_ps(acc, _mm256_set1_ps(inverse)));
    }
}
#endif

void ck_attend(const float *query, const float *keys, const float *values, int64_t stride, int64_t count,
               int64_t dimension, float scale, float *scores, float *out) {
#if defined(__x86_64__)
    if (ck_uses_avx2()) {
        attend_avx2(query, keys, values, stride, count, dimension, scale, scores, out);
        return;
    }
#endif
    attend_body(query, keys, values, stride, count, dimension, scale, scores, out);
}
