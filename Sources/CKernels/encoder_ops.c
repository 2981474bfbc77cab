// Element-wise ops of the BERT encoder; see ck_encoder_ops.h.
#include "ck_encoder_ops.h"
#include "ck_gemm.h"

#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_OPS_X86 1
#endif

// Eigen's float coefficients for erf(x) = x p(x^2) / q(x^2) on [-4, 4].
#define ERF_P0 -2.72614225801306e-10f
#define ERF_P1 2.77068142495902e-08f
#define ERF_P2 -2.10102402082508e-06f
#define ERF_P3 -5.69250639462346e-05f
#define ERF_P4 -7.34990630326855e-04f
#define ERF_P5 -2.95459980854025e-03f
#define ERF_P6 -1.60960333262415e-02f
#define ERF_Q0 -1.45660718464996e-05f
#define ERF_Q1 -2.13374055278905e-04f
#define ERF_Q2 -1.68282697438203e-03f
#define ERF_Q3 -7.37332916720468e-03f
#define ERF_Q4 -1.42647390514189e-02f

static inline float gelu_scalar(float v) {
    float x = v * 0.70710678118654752f;
    x = x < -4 ? -4 : (x > 4 ? 4 : x);
    float x2 = x * x;
    float p = ERF_P0;
    p = p * x2 + ERF_P1; p = p * x2 + ERF_P2; p = p * x2 + ERF_P3;
    p = p * x2 + ERF_P4; p = p * x2 + ERF_P5; p = p * x2 + ERF_P6;
    float q = ERF_Q0;
    q = q * x2 + ERF_Q1; q = q * x2 + ERF_Q2; q = q * x2 + ERF_Q3; q = q * x2 + ERF_Q4;
    return 0.5f * v * (1 + p * x / q);
}

static void layer_norm_row_scalar(float *x, int64_t width, const float *gamma, const float *beta, float epsilon,
                                  const float *bias) {
    if (bias) for (int64_t j = 0; j < width; j++) x[j] += bias[j];
    float sum = 0;
    for (int64_t j = 0; j < width; j++) sum += x[j];
    float mean = sum / (float)width, squares = 0;
    for (int64_t j = 0; j < width; j++) squares += (x[j] - mean) * (x[j] - mean);
    float inverse = 1.0f / sqrtf(squares / (float)width + epsilon);
    for (int64_t j = 0; j < width; j++) x[j] = (x[j] - mean) * inverse * gamma[j] + beta[j];
}

#ifdef CK_OPS_X86
#define CK_OPS_AVX512 __attribute__((target("avx512f")))

static inline CK_OPS_AVX512 __m512 gelu_avx512(__m512 v) {
    __m512 x = _mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752f));
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-4)), _mm512_set1_ps(4));
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(ERF_P0);
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(ERF_P1));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(ERF_P2));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(ERF_P3));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(ERF_P4));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(ERF_P5));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(ERF_P6));
    __m512 q = _mm512_set1_ps(ERF_Q0);
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(ERF_Q1));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(ERF_Q2));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(ERF_Q3));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(ERF_Q4));
    __m512 erf = _mm512_div_ps(_mm512_mul_ps(p, x), q);
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), v), _mm512_add_ps(_mm512_set1_ps(1), erf));
}

static CK_OPS_AVX512 void bias_gelu_avx512(float *x, int64_t rows, int64_t width, const float *bias) {
    for (int64_t i = 0; i < rows; i++) {
        float *row = x + i * width;
        for (int64_t j = 0; j < width; j += 16) {
            __mmask16 mask = width - j >= 16 ? 0xFFFF : (__mmask16)((1u << (width - j)) - 1);
            __m512 v = _mm512_maskz_loadu_ps(mask, row + j);
            if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias + j));
            _mm512_mask_storeu_ps(row + j, mask, gelu_avx512(v));
        }
    }
}

static CK_OPS_AVX512 void bias_add_avx512(float *x, int64_t rows, int64_t width, const float *bias) {
    for (int64_t i = 0; i < rows; i++) {
        float *row = x + i * width;
        for (int64_t j = 0; j < width; j += 16) {
            __mmask16 mask = width - j >= 16 ? 0xFFFF : (__mmask16)((1u << (width - j)) - 1);
            _mm512_mask_storeu_ps(row + j, mask, _mm512_add_ps(_mm512_maskz_loadu_ps(mask, row + j),
                                                               _mm512_maskz_loadu_ps(mask, bias + j)));
        }
    }
}

// Two passes over the row (sum, then centred squares), as the reference computes it.
static CK_OPS_AVX512 void layer_norm_avx512(float *x, int64_t rows, int64_t width, const float *gamma,
                                            const float *beta, float epsilon, const float *bias) {
    for (int64_t i = 0; i < rows; i++) {
        float *row = x + i * width;
        __m512 sums = _mm512_setzero_ps();
        for (int64_t j = 0; j < width; j += 16) {
            __mmask16 mask = width - j >= 16 ? 0xFFFF : (__mmask16)((1u << (width - j)) - 1);
            __m512 v = _mm512_maskz_loadu_ps(mask, row + j);
            if (bias) {
                v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias + j));
                _mm512_mask_storeu_ps(row + j, mask, v);
            }
            sums = _mm512_add_ps(sums, v);
        }
        __m512 mean = _mm512_set1_ps(_mm512_reduce_add_ps(sums) / (float)width);
        __m512 squares = _mm512_setzero_ps();
        for (int64_t j = 0; j < width; j += 16) {
            __mmask16 mask = width - j >= 16 ? 0xFFFF : (__mmask16)((1u << (width - j)) - 1);
            __m512 centred = _mm512_maskz_sub_ps(mask, _mm512_maskz_loadu_ps(mask, row + j), mean);
            squares = _mm512_fmadd_ps(centred, centred, squares);
        }
        __m512 inverse = _mm512_set1_ps(1.0f / sqrtf(_mm512_reduce_add_ps(squares) / (float)width + epsilon));
        for (int64_t j = 0; j < width; j += 16) {
            __mmask16 mask = width - j >= 16 ? 0xFFFF : (__mmask16)((1u << (width - j)) - 1);
            __m512 scaled = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, row + j), mean), inverse);
            __m512 out = _mm512_fmadd_ps(scaled, _mm512_maskz_loadu_ps(mask, gamma + j), _mm512_maskz_loadu_ps(mask, beta + j));
            _mm512_mask_storeu_ps(row + j, mask, out);
        }
    }
}
#endif

static int use_avx512(void) { return ck_gemm_best_path() == CK_GEMM_AVX512; }

void ck_bias_gelu_rows(float *x, int64_t rows, int64_t width, const float *bias) {
#ifdef CK_OPS_X86
    if (use_avx512()) { bias_gelu_avx512(x, rows, width, bias); return; }
#endif
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < width; j++) x[i * width + j] = gelu_scalar(x[i * width + j] + (bias ? bias[j] : 0));
}

void ck_bias_add_rows(float *x, int64_t rows, int64_t width, const float *bias) {
#ifdef CK_OPS_X86
    if (use_avx512()) { bias_add_avx512(x, rows, width, bias); return; }
#endif
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < width; j++) x[i * width + j] += bias[j];
}

void ck_layer_norm_rows(float *x, int64_t rows, int64_t width, const float *gamma, const float *beta,
                        float epsilon, const float *bias) {
#ifdef CK_OPS_X86
    if (use_avx512()) { layer_norm_avx512(x, rows, width, gamma, beta, epsilon, bias); return; }
#endif
    for (int64_t i = 0; i < rows; i++) layer_norm_row_scalar(x + i * width, width, gamma, beta, epsilon, bias);
}
