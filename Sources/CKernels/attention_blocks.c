// Attention of one query over a KV cache kept in blocks (see Engine/KVBlockPool.swift): the positions
// of one sequence live in blocks that other sequences may share, as floats or halves.
#include "ck_batch.h"
#include "attention_blocks_internal.h"
#include "half_float.h"

#include <math.h>

static inline const void *key_at(const ck_kv_blocks *kv, int64_t t) {
    const uint8_t *block = kv->base + (size_t)kv->table[t / kv->block_tokens] * kv->block_bytes;
    return block + kv->key_offset + (size_t)((t % kv->block_tokens) * kv->stride) * (kv->halves ? 2 : 4);
}

static inline const void *value_at(const ck_kv_blocks *kv, int64_t t) {
    const uint8_t *block = kv->base + (size_t)kv->table[t / kv->block_tokens] * kv->block_bytes;
    return block + kv->value_offset + (size_t)((t % kv->block_tokens) * kv->stride) * (kv->halves ? 2 : 4);
}

static inline float element(const void *row, int halves, int64_t i) {
    return halves ? ck_fp16_to_fp32(((const uint16_t *)row)[i]) : ((const float *)row)[i];
}

static void attend_blocks_portable(const float *query, const ck_kv_blocks *kv, int64_t count, int64_t dimension,
                                   float scale, float *scores, float *out) {
    int halves = kv->halves;
    float maximum = -INFINITY;
    for (int64_t t = 0; t < count; t++) {
        const void *key = key_at(kv, t);
        float dot = 0;
        for (int64_t i = 0; i < dimension; i++) dot += query[i] * element(key, halves, i);
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
        const void *value = value_at(kv, t);
        float weight = scores[t] * inverse;
        for (int64_t i = 0; i < dimension; i++) out[i] += weight * element(value, halves, i);
    }
}

#if defined(__x86_64__)
#include "exp_simd.h"

#define CK_F16C __attribute__((target("avx2,fma,f16c")))

static inline CK_F16C __m256 load8(const void *row, int halves, int64_t i) {
    if (halves) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)row + i)));
    return _mm256_loadu_ps((const float *)row + i);
}

static CK_F16C void attend_blocks_avx2(const float *query, const ck_kv_blocks *kv, int64_t count, int64_t dimension,
                                       float scale, float *scores, float *out) {
    int halves = kv->halves;
    float maximum = -INFINITY;
    for (int64_t t = 0; t < count; t++) {
        const void *key = key_at(kv, t);
        __m256 acc = _mm256_setzero_ps();
        for (int64_t i = 0; i < dimension; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(query + i), load8(key, halves, i), acc);
        __m128 r = _mm_add_ps(_mm256_extractf128_ps(acc, 1), _mm256_castps256_ps128(acc));
        r = _mm_add_ps(r, _mm_movehl_ps(r, r));
        r = _mm_add_ss(r, _mm_movehdup_ps(r));
        scores[t] = _mm_cvtss_f32(r) * scale;
        if (scores[t] > maximum) maximum = scores[t];
    }
    float sum = exp_shifted_sum_avx2(scores, count, maximum);
    __m256 inverse = _mm256_set1_ps(1.0f / sum);
    // The output in registers, 64 values at a time (one whole head of the models at hand).
    for (int64_t i0 = 0; i0 < dimension; i0 += 64) {
        int64_t lanes = (dimension - i0) / 8 < 8 ? (dimension - i0) / 8 : 8;
        __m256 acc[8];
        for (int k = 0; k < 8; k++) acc[k] = _mm256_setzero_ps();
        for (int64_t p = 0; p < count; p++) {
            const void *value = value_at(kv, p);
            __m256 w = _mm256_set1_ps(scores[p]);
            for (int k = 0; k < lanes; k++) acc[k] = _mm256_fmadd_ps(w, load8(value, halves, i0 + 8 * k), acc[k]);
        }
        for (int k = 0; k < lanes; k++) _mm256_storeu_ps(out + i0 + 8 * k, _mm256_mul_ps(acc[k], inverse));
    }
}

static CK_F16C void floats_to_halves_f16c(const float *x, uint16_t *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = ck_fp32_to_fp16(x[i]);
}

static CK_F16C void halves_to_floats_f16c(const uint16_t *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++) y[i] = ck_fp16_to_fp32(x[i]);
}
#endif

void ck_attend_blocks_with(int path, const float *query, const ck_kv_blocks *kv, int64_t count, int64_t dimension,
                           float scale, float *scores, float *out) {
#if defined(__x86_64__)
    if (path >= CK_PATH_AVX512_VNNI && ck_attention_avx512_available() && ck_attend_blocks_avx512_supports(dimension)) {
        ck_attend_blocks_avx512(query, kv, count, dimension, scale, scores, out);
        return;
    }
    if (path >= CK_PATH_AVX2 && ck_uses_avx2() && dimension % 8 == 0) {
        attend_blocks_avx2(query, kv, count, dimension, scale, scores, out);
        return;
    }
#else
    (void)path;
#endif
    attend_blocks_portable(query, kv, count, dimension, scale, scores, out);
}

void ck_attend_blocks_group(int path, const float *queries, int group, const ck_kv_blocks *kv, int64_t count,
                            int64_t dimension, float scale, float *scores, float *out) {
#if defined(__x86_64__)
    if (path >= CK_PATH_AVX512_VNNI && ck_attention_avx512_available() && ck_attend_blocks_group_avx512_supports(group, dimension)) {
        ck_attend_blocks_group_avx512(queries, group, kv, count, dimension, scale, scores, out);
        return;
    }
#endif
    for (int g = 0; g < group; g++)
        ck_attend_blocks_with(path, queries + g * dimension, kv, count, dimension, scale, scores + g * count, out + g * dimension);
}

void ck_attend_blocks_window(const float *query, const ck_kv_blocks *kv, int64_t first, int64_t count, int64_t dimension,
                             float scale, float softcap, float *scores, float *out) {
    int halves = kv->halves;
    float maximum = -INFINITY;
    for (int64_t t = first; t < count; t++) {
        const void *key = key_at(kv, t);
        float dot = 0;
        for (int64_t i = 0; i < dimension; i++) dot += query[i] * element(key, halves, i);
        float score = dot * scale;
        scores[t] = softcap > 0 ? softcap * tanhf(score / softcap) : score;
        if (scores[t] > maximum) maximum = scores[t];
    }
    float sum = 0;
    for (int64_t t = first; t < count; t++) {
        scores[t] = expf(scores[t] - maximum);
        sum += scores[t];
    }
    float inverse = 1.0f / sum;
    for (int64_t i = 0; i < dimension; i++) out[i] = 0;
    for (int64_t t = first; t < count; t++) {
        const void *value = value_at(kv, t);
        float weight = scores[t] * inverse;
        for (int64_t i = 0; i < dimension; i++) out[i] += weight * element(value, halves, i);
    }
}

void ck_attend_blocks(const float *query, const ck_kv_blocks *kv, int64_t count, int64_t dimension, float scale,
                      float *scores, float *out) {
    ck_attend_blocks_with(CK_PATH_AVX512_VNNI, query, kv, count, dimension, scale, scores, out);
}

void ck_floats_to_halves(const float *x, uint16_t *y, int64_t n) {
#if defined(__x86_64__)
    if (ck_uses_avx2()) { floats_to_halves_f16c(x, y, n); return; }
#endif
    for (int64_t i = 0; i < n; i++) y[i] = ck_fp32_to_fp16(x[i]);
}

void ck_halves_to_floats(const uint16_t *x, float *y, int64_t n) {
#if defined(__x86_64__)
    if (ck_uses_avx2()) { halves_to_floats_f16c(x, y, n); return; }
#endif
    for (int64_t i = 0; i < n; i++) y[i] = ck_fp16_to_fp32(x[i]);
}
