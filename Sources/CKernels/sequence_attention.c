// Encoder self-attention per sequence and head: two packed products around a vectorized row softmax.
#include "ck_attention.h"
#include "ck_gemm.h"

#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_ATTENTION_X86 1
#include "exp_simd.h"
#endif

static int64_t round_up_32(int64_t value) { return (value + 31) / 32 * 32; }

size_t ck_sequence_attention_scratch(int64_t length, int64_t head_size) {
    // scores, then the packed keys, then the packed values.
    return (size_t)(length * length + ck_gemm_packed_count(length, head_size) + ck_gemm_packed_count(head_size, length));
}

static void softmax_rows_portable(float *data, int64_t rows, int64_t width, int64_t stride) {
    for (int64_t i = 0; i < rows; i++) {
        float *x = data + i * stride;
        float maximum = -INFINITY;
        for (int64_t j = 0; j < width; j++) if (x[j] > maximum) maximum = x[j];
        float sum = 0;
        for (int64_t j = 0; j < width; j++) { x[j] = expf(x[j] - maximum); sum += x[j]; }
        float inverse = 1.0f / sum;
        for (int64_t j = 0; j < width; j++) x[j] *= inverse;
    }
}

#ifdef CK_ATTENTION_X86
#define CK_AVX512_ATTENTION __attribute__((target("avx512f")))

static CK_AVX512_ATTENTION void softmax_rows_avx512(float *data, int64_t rows, int64_t width, int64_t stride) {
    for (int64_t i = 0; i < rows; i++) {
        float *x = data + i * stride;
        __m512 running = _mm512_set1_ps(-INFINITY);
        int64_t j = 0;
        for (; j + 16 <= width; j += 16) running = _mm512_max_ps(running, _mm512_loadu_ps(x + j));
        __mmask16 tail = (__mmask16)((1u << (width - j)) - 1);
        if (j < width) running = _mm512_max_ps(running, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), tail, x + j));
        __m512 maximum = _mm512_set1_ps(_mm512_reduce_max_ps(running));
        __m512 sums = _mm512_setzero_ps();
        for (j = 0; j + 16 <= width; j += 16) {
            __m512 e = exp_avx512(_mm512_sub_ps(_mm512_loadu_ps(x + j), maximum));
            _mm512_storeu_ps(x + j, e);
            sums = _mm512_add_ps(sums, e);
        }
        if (j < width) {
            __m512 e = exp_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + j), maximum));
            e = _mm512_maskz_mov_ps(tail, e);
            _mm512_mask_storeu_ps(x + j, tail, e);
            sums = _mm512_add_ps(sums, e);
        }
        __m512 inverse = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sums));
        for (j = 0; j + 16 <= width; j += 16) _mm512_storeu_ps(x + j, _mm512_mul_ps(_mm512_loadu_ps(x + j), inverse));
        if (j < width) _mm512_mask_storeu_ps(x + j, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, x + j), inverse));
    }
}
#endif

void ck_softmax_rows(float *data, int64_t rows, int64_t width, int64_t stride) {
#ifdef CK_ATTENTION_X86
    if (ck_gemm_best_path() == CK_GEMM_AVX512) { softmax_rows_avx512(data, rows, width, stride); return; }
#endif
    softmax_rows_portable(data, rows, width, stride);
}

void ck_sequence_attention(const float *qkv, int64_t qkv_stride, int64_t length, int64_t heads, int64_t head_size,
                           float scale, float *context, int64_t context_stride, float *scratch) {
    if (length <= 0) return;
    int64_t width = heads * head_size;
    float *scores = scratch;
    float *keys = scores + length * length;
    float *values = keys + round_up_32(length) * head_size;
    for (int64_t h = 0; h < heads; h++) {
        const float *query = qkv + h * head_size;
        ck_gemm_pack_b(length, head_size, query + width, qkv_stride, 1, keys);
        ck_gemm_pack_b(head_size, length, query + 2 * width, qkv_stride, 0, values);
        ck_sgemm_packed(length, length, head_size, scale, query, qkv_stride, keys, 0.0f, scores, length);
        ck_softmax_rows(scores, length, length, length);
        ck_sgemm_packed(length, head_size, length, 1.0f, scores, length, values, 0.0f, context + h * head_size,
                        context_stride);
    }
}
