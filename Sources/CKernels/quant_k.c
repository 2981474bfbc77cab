// Portable bodies of Q5_0, Q5_1 and the K-quants (Q4_K, Q5_K, Q6_K), laid out as in ggml-common.h:
// dequantisation and dot products with 8-bit activation blocks of 32. The K-quant dots read the same
// 32-value activation blocks as the other types: a Q4_K/Q5_K sub-block is one activation block (its min
// term uses the block's s), a Q6_K activation block spans two 16-value sub-blocks.
#include "quant_internal.h"

// --- dequantisation -------------------------------------------------------------------------------

static void dequantize_q5_0(const block_q5_0 *w, float *y, int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        float d = ck_fp16_to_fp32(w[b].d);
        uint32_t qh;
        memcpy(&qh, w[b].qh, 4);
        for (int i = 0; i < 16; i++) {
            int lo = (w[b].qs[i] & 0x0f) | (int)(((qh >> i) & 1) << 4);
            int hi = (w[b].qs[i] >> 4) | (int)(((qh >> (i + 16)) & 1) << 4);
            y[b * 32 + i] = d * (float)(lo - 16);
            y[b * 32 + i + 16] = d * (float)(hi - 16);
        }
    }
}

static void dequantize_q5_1(const block_q5_1 *w, float *y, int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        float d = ck_fp16_to_fp32(w[b].d), m = ck_fp16_to_fp32(w[b].m);
        uint32_t qh;
        memcpy(&qh, w[b].qh, 4);
        for (int i = 0; i < 16; i++) {
            int lo = (w[b].qs[i] & 0x0f) | (int)(((qh >> i) & 1) << 4);
            int hi = (w[b].qs[i] >> 4) | (int)(((qh >> (i + 16)) & 1) << 4);
            y[b * 32 + i] = d * (float)lo + m;
            y[b * 32 + i + 16] = d * (float)hi + m;
        }
    }
}

// Q4_K and Q5_K: 32-byte chunk c of qs holds sub-block 2c in its low nibbles and 2c + 1 in its high ones.
static void dequantize_q4_K(const block_q4_K *w, float *y, int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        float d = ck_fp16_to_fp32(w[b].d), dmin = ck_fp16_to_fp32(w[b].dmin);
        float *out = y + b * CK_QK;
        for (int c = 0; c < 4; c++) {
            int sc0, m0, sc1, m1;
            k_scale_min(2 * c, w[b].scales, &sc0, &m0);
            k_scale_min(2 * c + 1, w[b].scales, &sc1, &m1);
            float d0 = d * (float)sc0, min0 = dmin * (float)m0;
            float d1 = d * (float)sc1, min1 = dmin * (float)m1;
            const uint8_t *q = w[b].qs + 32 * c;
            for (int l = 0; l < 32; l++) {
                out[64 * c + l] = d0 * (float)(q[l] & 0x0f) - min0;
                out[64 * c + 32 + l] = d1 * (float)(q[l] >> 4) - min1;
            }
        }
    }
}

// Q5_K: as Q4_K, plus bit j of qh[l] as the fifth bit of value l of sub-block j.
static void dequantize_q5_K(const block_q5_K *w, float *y, int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        float d = ck_fp16_to_fp32(w[b].d), dmin = ck_fp16_to_fp32(w[b].dmin);
        float *out = y + b * CK_QK;
        for (int c = 0; c < 4; c++) {
            int sc0, m0, sc1, m1;
            k_scale_min(2 * c, w[b].scales, &sc0, &m0);
            k_scale_min(2 * c + 1, w[b].scales, &sc1, &m1);
            float d0 = d * (float)sc0, min0 = dmin * (float)m0;
            float d1 = d * (float)sc1, min1 = dmin * (float)m1;
            const uint8_t *q = w[b].qs + 32 * c;
            for (int l = 0; l < 32; l++) {
                int lo = (q[l] & 0x0f) | (((w[b].qh[l] >> (2 * c)) & 1) << 4);
                int hi = (q[l] >> 4) | (((w[b].qh[l] >> (2 * c + 1)) & 1) << 4);
                out[64 * c + l] = d0 * (float)lo - min0;
                out[64 * c + 32 + l] = d1 * (float)hi - min1;
            }
        }
    }
}

// Q6_K value of half h (0, 1), quarter k (0-3), position l (0-31): the low 4 bits come from ql[64h + l]
// (k 0, 2: low/high nibble) or ql[64h + 32 + l] (k 1, 3); the top 2 bits are bits 2k of qh[32h + l].
static inline int q6_K_value(const block_q6_K *w, int h, int k, int l) {
    uint8_t low = w->ql[64 * h + 32 * (k & 1) + l];
    int nibble = k < 2 ? (low & 0x0f) : (low >> 4);
    int top = (w->qh[32 * h + l] >> (2 * k)) & 3;
    return (nibble | (top << 4)) - 32;
}

static void dequantize_q6_K(const block_q6_K *w, float *y, int64_t blocks) {
    for (int64_t b = 0; b < blocks; b++) {
        float d = ck_fp16_to_fp32(w[b].d);
        float *out = y + b * CK_QK;
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 4; k++) {
                for (int l = 0; l < 32; l++) {
                    int index = 128 * h + 32 * k + l;
                    out[index] = d * (float)w[b].scales[index / 16] * (float)q6_K_value(&w[b], h, k, l);
                }
            }
        }
    }
}

void ck_dequantize_more(int type, const void *row, float *y, int64_t n) {
    switch (type) {
    case CK_TYPE_Q5_0: dequantize_q5_0((const block_q5_0 *)row, y, n / 32); break;
    case CK_TYPE_Q5_1: dequantize_q5_1((const block_q5_1 *)row, y, n / 32); break;
    case CK_TYPE_Q4_K: dequantize_q4_K((const block_q4_K *)row, y, n / CK_QK); break;
    case CK_TYPE_Q5_K: dequantize_q5_K((const block_q5_K *)row, y, n / CK_QK); break;
    case CK_TYPE_Q6_K: dequantize_q6_K((const block_q6_K *)row, y, n / CK_QK); break;
    default: break;
    }
}

// --- dot products with 8-bit activations ----------------------------------------------------------

static float dot_q5_0(const block_q5_0 *w, const ck_block_q8a *x, int64_t blocks) {
    float total = 0;
    for (int64_t b = 0; b < blocks; b++) {
        uint32_t qh;
        memcpy(&qh, w[b].qh, 4);
        int sum = 0;
        for (int i = 0; i < 16; i++) {
            int lo = (w[b].qs[i] & 0x0f) | (int)(((qh >> i) & 1) << 4);
            int hi = (w[b].qs[i] >> 4) | (int)(((qh >> (i + 16)) & 1) << 4);
            sum += (lo - 16) * x[b].qs[i] + (hi - 16) * x[b].qs[i + 16];
        }
        total += ck_fp16_to_fp32(w[b].d) * x[b].d * (float)sum;
    }
    return total;
}

static float dot_q5_1(const block_q5_1 *w, const ck_block_q8a *x, int64_t blocks) {
    float total = 0;
    for (int64_t b = 0; b < blocks; b++) {
        uint32_t qh;
        memcpy(&qh, w[b].qh, 4);
        int sum = 0;
        for (int i = 0; i < 16; i++) {
            int lo = (w[b].qs[i] & 0x0f) | (int)(((qh >> i) & 1) << 4);
            int hi = (w[b].qs[i] >> 4) | (int)(((qh >> (i + 16)) & 1) << 4);
            sum += lo * x[b].qs[i] + hi * x[b].qs[i + 16];
        }
        total += ck_fp16_to_fp32(w[b].d) * x[b].d * (float)sum + ck_fp16_to_fp32(w[b].m) * x[b].s;
    }
    return total;
}

// Q4_K / Q5_K: sum over sub-blocks j of d*sc_j * x.d * (q . x.qs) - dmin*m_j * x.s.
static float dot_q4_K(const block_q4_K *w, const ck_block_q8a *x, int64_t superblocks) {
    float total = 0;
    for (int64_t b = 0; b < superblocks; b++) {
        float d = ck_fp16_to_fp32(w[b].d), dmin = ck_fp16_to_fp32(w[b].dmin);
        const ck_block_q8a *xb = x + 8 * b;
        for (int c = 0; c < 4; c++) {
            int sc0, m0, sc1, m1;
            k_scale_min(2 * c, w[b].scales, &sc0, &m0);
            k_scale_min(2 * c + 1, w[b].scales, &sc1, &m1);
            const uint8_t *q = w[b].qs + 32 * c;
            int sum0 = 0, sum1 = 0;
            for (int l = 0; l < 32; l++) {
                sum0 += (q[l] & 0x0f) * xb[2 * c].qs[l];
                sum1 += (q[l] >> 4) * xb[2 * c + 1].qs[l];
            }
            total += d * (float)sc0 * xb[2 * c].d * (float)sum0 - dmin * (float)m0 * xb[2 * c].s;
            total += d * (float)sc1 * xb[2 * c + 1].d * (float)sum1 - dmin * (float)m1 * xb[2 * c + 1].s;
        }
    }
    return total;
}

static float dot_q5_K(const block_q5_K *w, const ck_block_q8a *x, int64_t superblocks) {
    float total = 0;
    for (int64_t b = 0; b < superblocks; b++) {
        float d = ck_fp16_to_fp32(w[b].d), dmin = ck_fp16_to_fp32(w[b].dmin);
        const ck_block_q8a *xb = x + 8 * b;
        for (int c = 0; c < 4; c++) {
            int sc0, m0, sc1, m1;
            k_scale_min(2 * c, w[b].scales, &sc0, &m0);
            k_scale_min(2 * c + 1, w[b].scales, &sc1, &m1);
            const uint8_t *q = w[b].qs + 32 * c;
            int sum0 = 0, sum1 = 0;
            for (int l = 0; l < 32; l++) {
                int lo = (q[l] & 0x0f) | (((w[b].qh[l] >> (2 * c)) & 1) << 4);
                int hi = (q[l] >> 4) | (((w[b].qh[l] >> (2 * c + 1)) & 1) << 4);
                sum0 += lo * xb[2 * c].qs[l];
                sum1 += hi * xb[2 * c + 1].qs[l];
            }
            total += d * (float)sc0 * xb[2 * c].d * (float)sum0 - dmin * (float)m0 * xb[2 * c].s;
            total += d * (float)sc1 * xb[2 * c + 1].d * (float)sum1 - dmin * (float)m1 * xb[2 * c + 1].s;
        }
    }
    return total;
}

// Q6_K: activation block (h, k) covers scales 8h + 2k (first 16 values) and 8h + 2k + 1 (last 16).
static float dot_q6_K(const block_q6_K *w, const ck_block_q8a *x, int64_t superblocks) {
    float total = 0;
    for (int64_t b = 0; b < superblocks; b++) {
        float d = ck_fp16_to_fp32(w[b].d);
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 4; k++) {
                const ck_block_q8a *xb = x + 8 * b + 4 * h + k;
                int sum0 = 0, sum1 = 0;
                for (int l = 0; l < 16; l++) sum0 += q6_K_value(&w[b], h, k, l) * xb->qs[l];
                for (int l = 16; l < 32; l++) sum1 += q6_K_value(&w[b], h, k, l) * xb->qs[l];
                int scaled = w[b].scales[8 * h + 2 * k] * sum0 + w[b].scales[8 * h + 2 * k + 1] * sum1;
                total += d * xb->d * (float)scaled;
            }
        }
    }
    return total;
}

float ck_dot_more_portable(int type, const void *row, const ck_block_q8a *x, int64_t blocks) {
    switch (type) {
    case CK_TYPE_Q5_0: return dot_q5_0((const block_q5_0 *)row, x, blocks);
    case CK_TYPE_Q5_1: return dot_q5_1((const block_q5_1 *)row, x, blocks);
    case CK_TYPE_Q4_K: return dot_q4_K((const block_q4_K *)row, x, blocks / 8);
    case CK_TYPE_Q5_K: return dot_q5_K((const block_q5_K *)row, x, blocks / 8);
    case CK_TYPE_Q6_K: return dot_q6_K((const block_q6_K *)row, x, blocks / 8);
    default: return 0;
    }
}

// --- sizes ----------------------------------------------------------------------------------------

int64_t ck_block_values(int type) {
    switch (type) {
    case CK_TYPE_F32: case CK_TYPE_F16: case CK_TYPE_BF16: return 1;
    case CK_TYPE_Q4_0: case CK_TYPE_Q4_1: case CK_TYPE_Q5_0: case CK_TYPE_Q5_1: case CK_TYPE_Q8_0: return 32;
    case CK_TYPE_Q4_K: case CK_TYPE_Q5_K: case CK_TYPE_Q6_K: return CK_QK;
    default: return 0;
    }
}

size_t ck_block_bytes(int type) {
    switch (type) {
    case CK_TYPE_F32: return 4;
    case CK_TYPE_F16: case CK_TYPE_BF16: return 2;
    case CK_TYPE_Q4_0: return sizeof(block_q4_0);
    case CK_TYPE_Q4_1: return sizeof(block_q4_1);
    case CK_TYPE_Q5_0: return sizeof(block_q5_0);
    case CK_TYPE_Q5_1: return sizeof(block_q5_1);
    case CK_TYPE_Q8_0: return sizeof(block_q8_0);
    case CK_TYPE_Q4_K: return sizeof(block_q4_K);
    case CK_TYPE_Q5_K: return sizeof(block_q5_K);
    case CK_TYPE_Q6_K: return sizeof(block_q6_K);
    default: return 0;
    }
}
