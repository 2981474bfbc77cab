// Shared by quant.c (portable code, dispatch) and quant_x86.c (SIMD bodies): block layouts as in
// ggml-common.h, and the loops both the portable and the AVX2 paths inline.
#ifndef CKERNELS_QUANT_INTERNAL_H
#define CKERNELS_QUANT_INTERNAL_H

#include "ckernels.h"
#include "half_float.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#define CK_X86 1
#endif

typedef struct { uint16_t d; int8_t qs[32]; } block_q8_0;
typedef struct { uint16_t d; uint8_t qs[16]; } block_q4_0;
typedef struct { uint16_t d; uint16_t m; uint8_t qs[16]; } block_q4_1;
// 5-bit: low nibbles as Q4_x, bit i of qh is the fifth bit of element i.
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; } block_q5_0;
typedef struct { uint16_t d; uint16_t m; uint8_t qh[4]; uint8_t qs[16]; } block_q5_1;
// K-quants: super-blocks of 256 values.
#define CK_QK 256
// 8 sub-blocks of 32, each with a 6-bit scale and min packed into 12 bytes; value = d*sc*q - dmin*m.
typedef struct { uint16_t d; uint16_t dmin; uint8_t scales[12]; uint8_t qs[128]; } block_q4_K;
typedef struct { uint16_t d; uint16_t dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } block_q5_K;
// 16 sub-blocks of 16 with int8 scales; value = d*sc*(q - 32), q 6 bits split into ql (4) and qh (2).
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; } block_q6_K;

_Static_assert(sizeof(block_q5_0) == 22, "Q5_0 block");
_Static_assert(sizeof(block_q5_1) == 24, "Q5_1 block");
_Static_assert(sizeof(block_q4_K) == 144, "Q4_K block");
_Static_assert(sizeof(block_q5_K) == 176, "Q5_K block");
_Static_assert(sizeof(block_q6_K) == 210, "Q6_K block");

// Sub-block j's 6-bit scale and min of a Q4_K / Q5_K super-block (ggml's get_scale_min_k4 layout).
static inline void k_scale_min(int j, const uint8_t *packed, int *scale, int *min) {
    if (j < 4) {
        *scale = packed[j] & 63;
        *min = packed[j + 4] & 63;
    } else {
        *scale = (packed[j + 4] & 0x0f) | ((packed[j - 4] >> 6) << 4);
        *min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
    }
}

// Portable bodies of the types added after the first three (quant_k.c).
void ck_dequantize_more(int type, const void *row, float *y, int64_t n);
float ck_dot_more_portable(int type, const void *row, const ck_block_q8a *x, int64_t blocks);

static inline float bf16_to_fp32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline __attribute__((always_inline)) float dot_float_body(int type, const void *row, const float *x, int64_t n) {
    float sum = 0;
    if (type == CK_TYPE_F32) {
        const float *w = (const float *)row;
        for (int64_t i = 0; i < n; i++) sum += w[i] * x[i];
    } else if (type == CK_TYPE_F16) {
        const uint16_t *w = (const uint16_t *)row;
        for (int64_t i = 0; i < n; i++) sum += ck_fp16_to_fp32(w[i]) * x[i];
    } else if (type == CK_TYPE_BF16) {
        const uint16_t *w = (const uint16_t *)row;
        for (int64_t i = 0; i < n; i++) sum += bf16_to_fp32(w[i]) * x[i];
    }
    return sum;
}

static inline __attribute__((always_inline)) void dequantize_body(int type, const void *row, float *y, int64_t n) {
    switch (type) {
    case CK_TYPE_F32:
        memcpy(y, row, (size_t)n * sizeof(float));
        break;
    case CK_TYPE_F16: {
        const uint16_t *w = (const uint16_t *)row;
        for (int64_t i = 0; i < n; i++) y[i] = ck_fp16_to_fp32(w[i]);
        break;
    }
    case CK_TYPE_BF16: {
        const uint16_t *w = (const uint16_t *)row;
        for (int64_t i = 0; i < n; i++) y[i] = bf16_to_fp32(w[i]);
        break;
    }
    case CK_TYPE_Q8_0: {
        const block_q8_0 *w = (const block_q8_0 *)row;
        for (int64_t b = 0; b < n / 32; b++) {
            float d = ck_fp16_to_fp32(w[b].d);
            for (int i = 0; i < 32; i++) y[b * 32 + i] = d * (float)w[b].qs[i];
        }
        break;
    }
    case CK_TYPE_Q4_0: {
        const block_q4_0 *w = (const block_q4_0 *)row;
        for (int64_t b = 0; b < n / 32; b++) {
            float d = ck_fp16_to_fp32(w[b].d);
            for (int i = 0; i < 16; i++) {
                y[b * 32 + i] = d * (float)((int)(w[b].qs[i] & 0x0f) - 8);
                y[b * 32 + i + 16] = d * (float)((int)(w[b].qs[i] >> 4) - 8);
            }
        }
        break;
    }
    case CK_TYPE_Q4_1: {
        const block_q4_1 *w = (const block_q4_1 *)row;
        for (int64_t b = 0; b < n / 32; b++) {
            float d = ck_fp16_to_fp32(w[b].d);
            float m = ck_fp16_to_fp32(w[b].m);
            for (int i = 0; i < 16; i++) {
                y[b * 32 + i] = d * (float)(w[b].qs[i] & 0x0f) + m;
                y[b * 32 + i + 16] = d * (float)(w[b].qs[i] >> 4) + m;
            }
        }
        break;
    }
    default:
        ck_dequantize_more(type, row, y, n);
        break;
    }
}

#ifdef CK_X86
int ck_have_avx2(void);
int ck_have_vnni(void);
int ck_have_avx512(void);
float ck_dot_q8_0_avx2(const block_q8_0 *w, const ck_block_q8a *x, int64_t blocks);
float ck_dot_q4_0_avx2(const block_q4_0 *w, const ck_block_q8a *x, int64_t blocks);
float ck_dot_q4_1_avx2(const block_q4_1 *w, const ck_block_q8a *x, int64_t blocks);
float ck_dot_q8_0_vnni(const block_q8_0 *w, const ck_block_q8a *x, int64_t blocks);
float ck_dot_q4_0_vnni(const block_q4_0 *w, const ck_block_q8a *x, int64_t blocks);
float ck_dot_q4_1_vnni(const block_q4_1 *w, const ck_block_q8a *x, int64_t blocks);
float ck_dot_q8_0_avx512(const block_q8_0 *w, const ck_block_q8a *x, int64_t blocks);
float ck_dot_q4_1_avx512(const block_q4_1 *w, const ck_block_q8a *x, int64_t blocks);
// In quant_batch.c, beside the tile it shares its body with.
float ck_dot_q4_0_avx512(const block_q4_0 *w, const ck_block_q8a *x, int64_t blocks);
float ck_dot_float_avx2(int type, const void *row, const float *x, int64_t n);
float ck_dot_q8_0_f32_avx2(const block_q8_0 *w, const float *x, int64_t blocks);
float ck_dot_q4_1_f32_avx2(const block_q4_1 *w, const float *x, int64_t blocks);
void ck_quantize_row_q8a_avx2(const float *x, ck_block_q8a *y, int64_t n);
void ck_dequantize_avx2(int type, const void *row, float *y, int64_t n);
// The d and s of consecutive activation blocks as two float arrays: made once per matvec, so the K-quant
// bodies load 8 of each with one instruction instead of 16 scalar loads per row.
typedef struct { const float *d; const float *s; } ck_q8a_scales;
// quant_k_x86.c: 0 when there is no AVX2 body for the type.
int ck_dequantize_more_avx2(int type, const void *row, float *y, int64_t n);
// quant_k_x86.c: 0 when the path has no body for the type. `scales` may be NULL (made here, per call).
int ck_dot_more_simd(int path, int type, const void *row, const ck_block_q8a *x, const ck_q8a_scales *scales,
                     int64_t blocks, float *result);
#endif

#endif
