// Float rows -> GGML blocks of every quantized type: round-to-nearest with ggml's scale choices (the
// `_ref` quantizers; the K-quants use min/max scales without ggml's iterative search). Used to write test
// and benchmark models, never on the decode path.
#include "quant_internal.h"

static float absmax_signed(const float *x, int n) {
    float amax = 0, max = 0;
    for (int i = 0; i < n; i++) {
        if (fabsf(x[i]) > amax) { amax = fabsf(x[i]); max = x[i]; }
    }
    return max;
}

static void min_max(const float *x, int n, float *min, float *max) {
    *min = x[0];
    *max = x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < *min) *min = x[i];
        if (x[i] > *max) *max = x[i];
    }
}

static int clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// --- 32-value blocks ------------------------------------------------------------------------------

static void quantize_q8_0(const float *x, block_q8_0 *y, int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        const float *v = x + 32 * b;
        float amax = fabsf(absmax_signed(v, 32));
        float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
        y[b].d = ck_fp32_to_fp16(d);
        for (int i = 0; i < 32; i++) y[b].qs[i] = (int8_t)roundf(v[i] * id);
    }
}

// Signed 4/5-bit types put the value of largest magnitude at the most negative level (-8 / -16).
static void quantize_q4_0(const float *x, block_q4_0 *y, int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        const float *v = x + 32 * b;
        float d = absmax_signed(v, 32) / -8.0f, id = d != 0 ? 1.0f / d : 0.0f;
        y[b].d = ck_fp32_to_fp16(d);
        for (int i = 0; i < 16; i++) {
            int lo = clamp_int((int)(v[i] * id + 8.5f), 0, 15);
            int hi = clamp_int((int)(v[i + 16] * id + 8.5f), 0, 15);
            y[b].qs[i] = (uint8_t)(lo | (hi << 4));
        }
    }
}

static void quantize_q4_1(const float *x, block_q4_1 *y, int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        const float *v = x + 32 * b;
        float min, max;
        min_max(v, 32, &min, &max);
        float d = (max - min) / 15.0f, id = d != 0 ? 1.0f / d : 0.0f;
        y[b].d = ck_fp32_to_fp16(d);
        y[b].m = ck_fp32_to_fp16(min);
        for (int i = 0; i < 16; i++) {
            int lo = clamp_int((int)((v[i] - min) * id + 0.5f), 0, 15);
            int hi = clamp_int((int)((v[i + 16] - min) * id + 0.5f), 0, 15);
            y[b].qs[i] = (uint8_t)(lo | (hi << 4));
        }
    }
}

// Packs 32 five-bit values: low nibbles as Q4_x, the fifth bits into qh (bit i for element i).
static void pack_5bit(const int *q, uint8_t *qs, uint8_t *qh_bytes) {
    uint32_t qh = 0;
    for (int i = 0; i < 16; i++) {
        qs[i] = (uint8_t)((q[i] & 0x0f) | ((q[i + 16] & 0x0f) << 4));
        qh |= (uint32_t)((q[i] >> 4) & 1) << i;
        qh |= (uint32_t)((q[i + 16] >> 4) & 1) << (i + 16);
    }
    memcpy(qh_bytes, &qh, 4);
}

static void quantize_q5_0(const float *x, block_q5_0 *y, int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        const float *v = x + 32 * b;
        float d = absmax_signed(v, 32) / -16.0f, id = d != 0 ? 1.0f / d : 0.0f;
        int q[32];
        for (int i = 0; i < 32; i++) q[i] = clamp_int((int)(v[i] * id + 16.5f), 0, 31);
        y[b].d = ck_fp32_to_fp16(d);
        pack_5bit(q, y[b].qs, y[b].qh);
    }
}

static void quantize_q5_1(const float *x, block_q5_1 *y, int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        const float *v = x + 32 * b;
        float min, max;
        min_max(v, 32, &min, &max);
        float d = (max - min) / 31.0f, id = d != 0 ? 1.0f / d : 0.0f;
        int q[32];
        for (int i = 0; i < 32; i++) q[i] = clamp_int((int)((v[i] - min) * id + 0.5f), 0, 31);
        y[b].d = ck_fp32_to_fp16(d);
        y[b].m = ck_fp32_to_fp16(min);
        pack_5bit(q, y[b].qs, y[b].qh);
    }
}

// --- K-quants -------------------------------------------------------------------------------------

// Scales and mins of the 8 sub-blocks of a Q4_K/Q5_K super-block, as 6-bit multiples of d and dmin,
// and the quantized values (0 to levels) against the stored (rounded) scales.
static void quantize_k_superblock(const float *v, int levels, uint16_t *d_out, uint16_t *dmin_out,
                                  uint8_t packed[12], int q[CK_QK]) {
    float scales[8], mins[8], max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; j++) {
        float min, max;
        min_max(v + 32 * j, 32, &min, &max);
        if (min > 0) min = 0;  // the format subtracts a non-negative min
        scales[j] = (max - min) / (float)levels;
        mins[j] = -min;
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    *d_out = ck_fp32_to_fp16(max_scale / 63.0f);
    *dmin_out = ck_fp32_to_fp16(max_min / 63.0f);
    float d = ck_fp16_to_fp32(*d_out), dmin = ck_fp16_to_fp32(*dmin_out);
    int ls[8], lm[8];
    for (int j = 0; j < 8; j++) {
        lm[j] = dmin > 0 ? clamp_int((int)nearbyintf(mins[j] / dmin), 0, 63) : 0;
        ls[j] = d > 0 ? clamp_int((int)nearbyintf(scales[j] / d), 0, 63) : 0;
        // Rounding the scale down would clip the sub-block's maximum: take the next step instead.
        float top = 0;
        for (int l = 0; l < 32; l++) if (v[32 * j + l] > top) top = v[32 * j + l];
        if (ls[j] < 63 && d * (float)ls[j] * (float)levels - dmin * (float)lm[j] < top) ls[j]++;
    }
    memset(packed, 0, 12);
    for (int j = 0; j < 8; j++) {
        if (j < 4) {
            packed[j] = (uint8_t)ls[j];
            packed[j + 4] = (uint8_t)lm[j];
        } else {
            packed[j + 4] = (uint8_t)((ls[j] & 0x0f) | ((lm[j] & 0x0f) << 4));
            packed[j - 4] |= (uint8_t)((ls[j] >> 4) << 6);
            packed[j] |= (uint8_t)((lm[j] >> 4) << 6);
        }
    }
    for (int j = 0; j < 8; j++) {
        int sc, m;
        k_scale_min(j, packed, &sc, &m);
        float step = d * (float)sc, offset = dmin * (float)m;
        for (int l = 0; l < 32; l++) {
            q[32 * j + l] = step > 0 ? clamp_int((int)nearbyintf((v[32 * j + l] + offset) / step), 0, levels) : 0;
        }
    }
}

static void quantize_q4_K(const float *x, block_q4_K *y, int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        int q[CK_QK];
        quantize_k_superblock(x + CK_QK * b, 15, &y[b].d, &y[b].dmin, y[b].scales, q);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) y[b].qs[32 * c + l] = (uint8_t)(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
        }
    }
}

static void quantize_q5_K(const float *x, block_q5_K *y, int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        int q[CK_QK];
        quantize_k_superblock(x + CK_QK * b, 31, &y[b].d, &y[b].dmin, y[b].scales, q);
        memset(y[b].qh, 0, 32);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                int lo = q[64 * c + l], hi = q[64 * c + 32 + l];
                y[b].qs[32 * c + l] = (uint8_t)((lo & 0x0f) | ((hi & 0x0f) << 4));
                y[b].qh[l] |= (uint8_t)(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
            }
        }
    }
}

// Q6_K: each 16-value sub-block's scale puts its largest magnitude at -32; the 16 scales are int8
// multiples of d, chosen so the largest scale is -128 (ggml's make_qx_quants without the search).
static void quantize_q6_K(const float *x, block_q6_K *y, int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        const float *v = x + CK_QK * b;
        float scales[16], max_scale = 0;
        for (int s = 0; s < 16; s++) {
            scales[s] = absmax_signed(v + 16 * s, 16) / -32.0f;
            if (fabsf(scales[s]) > fabsf(max_scale)) max_scale = scales[s];
        }
        memset(y[b].ql, 0, 128);
        memset(y[b].qh, 0, 64);
        if (max_scale == 0) {
            memset(y[b].scales, 0, 16);
            y[b].d = 0;
            // All zero: q = 32 everywhere (value 0).
            for (int h = 0; h < 2; h++) for (int l = 0; l < 32; l++) y[b].qh[32 * h + l] = 0xaa;
            continue;
        }
        float iscale = -128.0f / max_scale;
        y[b].d = ck_fp32_to_fp16(1.0f / iscale);
        float d = ck_fp16_to_fp32(y[b].d);
        for (int s = 0; s < 16; s++) {
            int sc = clamp_int((int)nearbyintf(iscale * scales[s]), -128, 127);
            // A scale rounded towards zero would clip the sub-block's largest value: one step further out.
            if (fabsf(d * (float)sc) * 32.0f < 32.0f * fabsf(scales[s])) {
                int outward = sc != 0 ? (sc > 0 ? 1 : -1) : (d * scales[s] > 0 ? 1 : -1);
                sc = clamp_int(sc + outward, -128, 127);
            }
            y[b].scales[s] = (int8_t)sc;
        }
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 4; k++) {
                for (int l = 0; l < 32; l++) {
                    int index = 128 * h + 32 * k + l;
                    float step = d * (float)y[b].scales[index / 16];
                    int q = step != 0 ? clamp_int((int)nearbyintf(v[index] / step), -32, 31) + 32 : 32;
                    y[b].ql[64 * h + 32 * (k & 1) + l] |= (uint8_t)((q & 0x0f) << (k < 2 ? 0 : 4));
                    y[b].qh[32 * h + l] |= (uint8_t)((q >> 4) << (2 * k));
                }
            }
        }
    }
}

// --- dispatch -------------------------------------------------------------------------------------

int ck_quantize_row(int type, const float *x, void *y, int64_t n) {
    int64_t values = ck_block_values(type);
    if (values == 0 || n % values != 0) return -1;
    int64_t blocks = n / values;
    switch (type) {
    case CK_TYPE_F32: memcpy(y, x, (size_t)n * sizeof(float)); return 0;
    case CK_TYPE_F16: {
        uint16_t *out = (uint16_t *)y;
        for (int64_t i = 0; i < n; i++) out[i] = ck_fp32_to_fp16(x[i]);
        return 0;
    }
    case CK_TYPE_BF16: {
        uint16_t *out = (uint16_t *)y;
        for (int64_t i = 0; i < n; i++) {
            uint32_t bits;
            memcpy(&bits, &x[i], 4);
            // Round to nearest even on the dropped 16 bits (NaN stays NaN).
            out[i] = (bits & 0x7fffffff) > 0x7f800000 ? (uint16_t)((bits >> 16) | 0x40)
                                                      : (uint16_t)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
        }
        return 0;
    }
    case CK_TYPE_Q8_0: quantize_q8_0(x, (block_q8_0 *)y, blocks); return 0;
    case CK_TYPE_Q4_0: quantize_q4_0(x, (block_q4_0 *)y, blocks); return 0;
    case CK_TYPE_Q4_1: quantize_q4_1(x, (block_q4_1 *)y, blocks); return 0;
    case CK_TYPE_Q5_0: quantize_q5_0(x, (block_q5_0 *)y, blocks); return 0;
    case CK_TYPE_Q5_1: quantize_q5_1(x, (block_q5_1 *)y, blocks); return 0;
    case CK_TYPE_Q4_K: quantize_q4_K(x, (block_q4_K *)y, blocks); return 0;
    case CK_TYPE_Q5_K: quantize_q5_K(x, (block_q5_K *)y, blocks); return 0;
    case CK_TYPE_Q6_K: quantize_q6_K(x, (block_q6_K *)y, blocks); return 0;
    default: return -1;
    }
}
