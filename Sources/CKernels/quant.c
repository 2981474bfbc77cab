// Quantized blocks as in ggml-common.h, fp16 scales, 32 values a block: portable bodies and the
// run-time dispatch to the SIMD bodies in quant_x86.c.
#include "quant_internal.h"

#ifndef CK_X86
static int ck_have_avx2(void) { return 0; }
#endif

// --- portable bodies ------------------------------------------------------------------------------

static void quantize_row_q8a_portable(const float *x, ck_block_q8a *y, int64_t n) {
    for (int64_t b = 0; b < n / 32; b++) {
        const float *v = x + b * 32;
        float amax = 0;
        for (int i = 0; i < 32; i++) amax = fmaxf(amax, fabsf(v[i]));
        float d = amax / 127.0f;
        float id = d != 0 ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int i = 0; i < 32; i++) {
            int q = (int)nearbyintf(v[i] * id);
            y[b].qs[i] = (int8_t)q;
            sum += q;
        }
        y[b].d = d;
        y[b].s = d * (float)sum;
    }
}

static float dot_q8_0_portable(const block_q8_0 *w, const ck_block_q8a *x, int64_t blocks) {
    float total = 0;
    for (int64_t b = 0; b < blocks; b++) {
        int sum = 0;
        for (int i = 0; i < 32; i++) sum += (int)w[b].qs[i] * (int)x[b].qs[i];
        total += ck_fp16_to_fp32(w[b].d) * x[b].d * (float)sum;
    }
    return total;
}

static float dot_q4_0_portable(const block_q4_0 *w, const ck_block_q8a *x, int64_t blocks) {
    float total = 0;
    for (int64_t b = 0; b < blocks; b++) {
        int sum = 0;
        for (int i = 0; i < 16; i++) {
            sum += ((int)(w[b].qs[i] & 0x0f) - 8) * (int)x[b].qs[i];
            sum += ((int)(w[b].qs[i] >> 4) - 8) * (int)x[b].qs[i + 16];
        }
        total += ck_fp16_to_fp32(w[b].d) * x[b].d * (float)sum;
    }
    return total;
}

static float dot_q4_1_portable(const block_q4_1 *w, const ck_block_q8a *x, int64_t blocks) {
    float total = 0;
    for (int64_t b = 0; b < blocks; b++) {
        int sum = 0;
        for (int i = 0; i < 16; i++) {
            sum += (int)(w[b].qs[i] & 0x0f) * (int)x[b].qs[i];
            sum += (int)(w[b].qs[i] >> 4) * (int)x[b].qs[i + 16];
        }
        total += ck_fp16_to_fp32(w[b].d) * x[b].d * (float)sum + ck_fp16_to_fp32(w[b].m) * x[b].s;
    }
    return total;
}

// Shared by the portable and the AVX2 float paths; inlined so each copy is compiled for its target.

// --- dispatch -------------------------------------------------------------------------------------

int ck_uses_avx2(void) { return ck_have_avx2(); }

const char *ck_simd_description(void) {
#ifdef CK_X86
    if (ck_have_avx512()) return "AVX-512 VNNI";
    if (ck_have_vnni()) return "AVX2 + AVX-VNNI";
#endif
    return ck_have_avx2() ? "AVX2" : "portable C";
}

void ck_quantize_row_q8a(const float *x, ck_block_q8a *y, int64_t n) {
#ifdef CK_X86
    if (ck_have_avx2()) { ck_quantize_row_q8a_avx2(x, y, n); return; }
#endif
    quantize_row_q8a_portable(x, y, n);
}

int ck_path_available(int path) {
    switch (path) {
    case CK_PATH_PORTABLE: return 1;
#ifdef CK_X86
    case CK_PATH_AVX2: return ck_have_avx2();
    case CK_PATH_AVX_VNNI: return ck_have_vnni();
    case CK_PATH_AVX512_VNNI: return ck_have_avx512();
#endif
    default: return 0;
    }
}

#ifndef CK_X86
typedef struct { const float *d; const float *s; } ck_q8a_scales;
#endif

static float dot_quantized(int path, int type, const void *row, const ck_block_q8a *x, const ck_q8a_scales *scales,
                           int64_t blocks) {
#ifdef CK_X86
    float result;
    if (path >= CK_PATH_AVX512_VNNI && ck_have_avx512()) {
        switch (type) {
        case CK_TYPE_Q8_0: return ck_dot_q8_0_avx512((const block_q8_0 *)row, x, blocks);
        case CK_TYPE_Q4_1: return ck_dot_q4_1_avx512((const block_q4_1 *)row, x, blocks);
        case CK_TYPE_Q4_0: return ck_dot_q4_0_avx512((const block_q4_0 *)row, x, blocks);
        default:
            if (ck_dot_more_simd(CK_PATH_AVX512_VNNI, type, row, x, scales, blocks, &result)) return result;
            break;
        }
    }
    if (path >= CK_PATH_AVX_VNNI && ck_have_vnni()) {
        switch (type) {
        case CK_TYPE_Q8_0: return ck_dot_q8_0_vnni((const block_q8_0 *)row, x, blocks);
        case CK_TYPE_Q4_0: return ck_dot_q4_0_vnni((const block_q4_0 *)row, x, blocks);
        case CK_TYPE_Q4_1: return ck_dot_q4_1_vnni((const block_q4_1 *)row, x, blocks);
        default:
            if (ck_dot_more_simd(CK_PATH_AVX_VNNI, type, row, x, scales, blocks, &result)) return result;
            break;
        }
    }
    if (path >= CK_PATH_AVX2 && ck_have_avx2()) {
        switch (type) {
        case CK_TYPE_Q8_0: return ck_dot_q8_0_avx2((const block_q8_0 *)row, x, blocks);
        case CK_TYPE_Q4_0: return ck_dot_q4_0_avx2((const block_q4_0 *)row, x, blocks);
        case CK_TYPE_Q4_1: return ck_dot_q4_1_avx2((const block_q4_1 *)row, x, blocks);
        default:
            if (ck_dot_more_simd(CK_PATH_AVX2, type, row, x, scales, blocks, &result)) return result;
            break;
        }
    }
#else
    (void)path;
    (void)scales;
#endif
    switch (type) {
    case CK_TYPE_Q8_0: return dot_q8_0_portable((const block_q8_0 *)row, x, blocks);
    case CK_TYPE_Q4_0: return dot_q4_0_portable((const block_q4_0 *)row, x, blocks);
    case CK_TYPE_Q4_1: return dot_q4_1_portable((const block_q4_1 *)row, x, blocks);
    default: return ck_dot_more_portable(type, row, x, blocks);
    }
}

float ck_dot_quantized_with(int path, int type, const void *row, const ck_block_q8a *x, int64_t blocks) {
    return dot_quantized(path, type, row, x, NULL, blocks);
}

float ck_dot_quantized(int type, const void *row, const ck_block_q8a *x, int64_t blocks) {
    return dot_quantized(CK_PATH_AVX512_VNNI, type, row, x, NULL, blocks);
}

float ck_dot_float(int type, const void *row, const float *x, int64_t n) {
#ifdef CK_X86
    if (ck_have_avx2()) return ck_dot_float_avx2(type, row, x, n);
#endif
    return dot_float_body(type, row, x, n);
}

float ck_dot_dequantized(int type, const void *row, const float *x, int64_t n) {
#ifdef CK_X86
    if (ck_have_avx2() && type == CK_TYPE_Q8_0) return ck_dot_q8_0_f32_avx2((const block_q8_0 *)row, x, n / 32);
    if (ck_have_avx2() && type == CK_TYPE_Q4_1) return ck_dot_q4_1_f32_avx2((const block_q4_1 *)row, x, n / 32);
#endif
    int64_t values = ck_block_values(type);
    if (values <= 1) return ck_dot_float(type, row, x, n);
    // 256 values at a time: whole blocks of every quantized type.
    float buffer[256];
    float sum = 0;
    for (int64_t i = 0; i < n; i += 256) {
        int64_t count = n - i < 256 ? n - i : 256;
        ck_dequantize_row(type, (const uint8_t *)row + (size_t)(i / values) * ck_block_bytes(type), buffer, count);
        sum += ck_dot_float(CK_TYPE_F32, buffer, x + i, count);
    }
    return sum;
}

void ck_matvec(int type, const void *weights, size_t row_bytes, int64_t n,
               const float *x, const ck_block_q8a *xq, float *out, int64_t begin, int64_t end) {
    const uint8_t *base = (const uint8_t *)weights;
    int quantized = ck_block_values(type) > 1;
    // The activation blocks' d and s as arrays, once for all rows (the newer types' SIMD bodies read them).
    enum { most_blocks = 1024 };  // as ck_dot_more_simd's chunk, so both sum in the same order
    float xd[most_blocks], xs[most_blocks];
    ck_q8a_scales scales = { xd, xs }, *shared = NULL;
    int64_t blocks = n / 32;
    if (quantized && xq && blocks <= most_blocks && type != CK_TYPE_Q8_0 && type != CK_TYPE_Q4_0 && type != CK_TYPE_Q4_1) {
        for (int64_t b = 0; b < blocks; b++) {
            xd[b] = xq[b].d;
            xs[b] = xq[b].s;
        }
        shared = &scales;
    }
    for (int64_t r = begin; r < end; r++) {
        const void *row = base + (size_t)r * row_bytes;
        if (!quantized) out[r] = ck_dot_float(type, row, x, n);
        else if (xq) out[r] = dot_quantized(CK_PATH_AVX512_VNNI, type, row, xq, shared, blocks);
        else out[r] = ck_dot_dequantized(type, row, x, n);
    }
}

void ck_dequantize_row_with(int path, int type, const void *row, float *y, int64_t n) {
#ifdef CK_X86
    if (path >= CK_PATH_AVX2 && ck_have_avx2()) { ck_dequantize_avx2(type, row, y, n); return; }
#else
    (void)path;
#endif
    dequantize_body(type, row, y, n);
}

void ck_dequantize_row(int type, const void *row, float *y, int64_t n) {
    ck_dequantize_row_with(CK_PATH_AVX512_VNNI, type, row, y, n);
}
