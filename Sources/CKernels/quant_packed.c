// Weights repacked sixteen rows at a time for the 8-bit products: Q8_0, Q4_1, Q5_0 and Q5_1 here, the K-quants
// in quant_packed_k.c. Each 32-bit lane of a VNNI product belongs to one row, so eight products over a block
// leave each row's whole block sum in its own lane: no per-block conversions of partial sums and no horizontal
// reductions. The arithmetic per (row, input) is fixed whatever the tile or the batch, so a sequence's numbers
// do not depend on what else is being decoded. Over blocks in order, S the exact integer sum of weight times
// activation (Q8_0 signed w, Q5_0 q - 16, Q4_1 and Q5_1 q): total = fma(wd * xd, S, total), and for Q4_1 and
// Q5_1 then total = fma(wm, xs, total) (the block minimum times the activations' sum).
#include "quant_packed_internal.h"

#include <math.h>
#include <stdlib.h>

// A group of 16 rows: per block the 16 rows' half scales (Q4_1, Q5_1: then their half minimums), the region
// padded to 64 bytes, then per block the registers of quant_packed_internal.h. About as many bytes per weight
// as the file: decoding one sequence is bound by reading them.
static int has_min(int type) { return type == CK_TYPE_Q4_1 || type == CK_TYPE_Q5_1; }
static int64_t scales_bytes(int type) { return has_min(type) ? 4 * GROUP_ROWS : 2 * GROUP_ROWS; }
static int64_t quants_bytes(int type) { return (int64_t)packed_registers(type) * LANE_BYTES; }
static int64_t scales_region(int type, int64_t blocks) { return (blocks * scales_bytes(type) + 63) / 64 * 64; }
static int64_t group_bytes(int type, int64_t blocks) { return scales_region(type, blocks) + blocks * quants_bytes(type); }
// What each block's sum gains from the unsigned quants' offset, per activation half sum: Q8_0 stores w + 128, Q5_0 q.
static int32_t quant_offset(int type) { return type == CK_TYPE_Q8_0 ? -128 : type == CK_TYPE_Q5_0 ? -16 : 0; }

int ck_packing_available(int type) {
#ifdef CK_X86
    switch (type) {
    case CK_TYPE_Q8_0: case CK_TYPE_Q4_1: case CK_TYPE_Q5_0: case CK_TYPE_Q5_1:
    case CK_TYPE_Q4_K: case CK_TYPE_Q5_K: case CK_TYPE_Q6_K: return ck_have_avx512();
    default: return 0;
    }
#else
    (void)type;
    return 0;
#endif
}

size_t ck_packed_bytes(int type, int64_t rows, int64_t n) {
    if (packed_is_k(type)) return ck_packed_k_bytes(type, rows, n);
    return (size_t)((rows + GROUP_ROWS - 1) / GROUP_ROWS * group_bytes(type, n / 32));
}

// Bit i (0-31) of a 32-value block's fifth bits.
static int fifth_bit(const uint8_t *qh, int i) { return (qh[i / 8] >> (i % 8)) & 1; }

void ck_packed_file_quants(int type, const void *row, int64_t n, uint8_t *q) {
    const uint8_t *bytes = (const uint8_t *)row;
    if (packed_is_k(type)) {
        for (int64_t s = 0; s < n / CK_QK; s++) {
            uint8_t *out = q + s * CK_QK;
            if (type == CK_TYPE_Q6_K) {
                // Value 128h + 32k + l: a nibble of ql[64h + 32(k & 1) + l] (low for k < 2), top bits 2k of qh[32h + l].
                const block_q6_K *w = (const block_q6_K *)row + s;
                for (int i = 0; i < CK_QK; i++) {
                    int h = i / 128, k = i % 128 / 32, l = i % 32;
                    uint8_t low = w->ql[64 * h + 32 * (k & 1) + l];
                    out[i] = (uint8_t)((k < 2 ? low & 0x0f : low >> 4) | ((w->qh[32 * h + l] >> (2 * k)) & 3) << 4);
                }
                continue;
            }
            // Q4_K, Q5_K: sub-block 2c in the low nibbles of qs[32c..], 2c + 1 in the high; Q5_K's bit j of qh[l] for sub-block j.
            const uint8_t *block = bytes + (size_t)s * ck_block_bytes(type);
            const uint8_t *qs = type == CK_TYPE_Q4_K ? ((const block_q4_K *)block)->qs : ((const block_q5_K *)block)->qs;
            for (int i = 0; i < CK_QK; i++) {
                int j = i / 32, l = i % 32;
                uint8_t byte = qs[32 * (j / 2) + l];
                out[i] = (uint8_t)(j % 2 ? byte >> 4 : byte & 0x0f);
                if (type == CK_TYPE_Q5_K) out[i] |= (uint8_t)(((((const block_q5_K *)block)->qh[l] >> j) & 1) << 4);
            }
        }
        return;
    }
    for (int64_t b = 0; b < n / 32; b++) {
        uint8_t *out = q + 32 * b;
        switch (type) {
        case CK_TYPE_Q8_0:
            for (int i = 0; i < 32; i++) out[i] = (uint8_t)(((const block_q8_0 *)row)[b].qs[i] ^ 0x80);
            break;
        case CK_TYPE_Q4_1: {
            const uint8_t *qs = ((const block_q4_1 *)row)[b].qs;
            for (int i = 0; i < 16; i++) out[i] = qs[i] & 0x0f, out[16 + i] = qs[i] >> 4;
            break;
        }
        default: {
            const uint8_t *qs = type == CK_TYPE_Q5_0 ? ((const block_q5_0 *)row)[b].qs : ((const block_q5_1 *)row)[b].qs;
            const uint8_t *qh = type == CK_TYPE_Q5_0 ? ((const block_q5_0 *)row)[b].qh : ((const block_q5_1 *)row)[b].qh;
            for (int i = 0; i < 16; i++) {
                out[i] = (uint8_t)((qs[i] & 0x0f) | fifth_bit(qh, i) << 4);
                out[16 + i] = (uint8_t)((qs[i] >> 4) | fifth_bit(qh, 16 + i) << 4);
            }
        }
        }
    }
}

void ck_pack_rows(int type, const void *weights, int64_t rows, int64_t n, void *packed, int64_t group_begin, int64_t group_end) {
    if (packed_is_k(type)) {
        ck_pack_k_rows(type, weights, rows, n, packed, group_begin, group_end);
        return;
    }
    int64_t blocks = n / 32, scales = scales_bytes(type), quants = quants_bytes(type), region = scales_region(type, blocks);
    size_t block_size = ck_block_bytes(type), row_bytes = (size_t)blocks * block_size;
    uint8_t *values = malloc((size_t)n);
    if (!values) abort();
    for (int64_t g = group_begin; g < group_end; g++) {
        uint8_t *group = (uint8_t *)packed + (size_t)(g * group_bytes(type, blocks));
        // Padding rows: zero scales, and zero weights (Q8_0's 128 is 0).
        memset(group, 0, (size_t)(region + blocks * quants));
        if (type == CK_TYPE_Q8_0) memset(group + region, 0x80, (size_t)(blocks * quants));
        for (int lane = 0; lane < GROUP_ROWS && g * GROUP_ROWS + lane < rows; lane++) {
            const uint8_t *row = (const uint8_t *)weights + (size_t)(g * GROUP_ROWS + lane) * row_bytes;
            ck_packed_file_quants(type, row, n, values);
            for (int64_t b = 0; b < blocks; b++) {
                // Every block type starts with its fp16 d; Q4_1's and Q5_1's m follows.
                const uint8_t *block = row + (size_t)b * block_size;
                uint8_t *scale = group + b * scales + lane * 2, *registers = group + region + b * quants;
                memcpy(scale, block, 2);
                if (has_min(type)) memcpy(scale + 2 * GROUP_ROWS, block + 2, 2);
                for (int i = 0; i < 32; i++) packed_store_quant(type, registers, lane, i, values[32 * b + i]);
            }
        }
    }
    free(values);
}

void ck_q8a_sums(const ck_block_q8a *x, int64_t blocks, int32_t *sums) {
    for (int64_t b = 0; b < blocks; b++) {
        int32_t low = 0, high = 0;
        for (int i = 0; i < 16; i++) low += x[b].qs[i], high += x[b].qs[16 + i];
        sums[2 * b] = low;
        sums[2 * b + 1] = high;
    }
}

float ck_dot_packed_row(int type, const void *packed, int64_t row, int64_t n, const ck_block_q8a *x) {
    if (packed_is_k(type)) return ck_dot_packed_k_row(type, packed, row, n, x);
    int64_t blocks = n / 32, lane = row % GROUP_ROWS, scales = scales_bytes(type), quants = quants_bytes(type);
    const uint8_t *group = (const uint8_t *)packed + (size_t)(row / GROUP_ROWS * group_bytes(type, blocks));
    float total = 0;
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *scale = group + b * scales + lane * 2, *registers = group + scales_region(type, blocks) + b * quants;
        int32_t sum = 0;
        for (int i = 0; i < 32; i++) sum += (packed_quant(type, registers, (int)lane, i) + quant_offset(type)) * x[b].qs[i];
        total = fmaf(half_at(scale) * x[b].d, (float)sum, total);
        if (has_min(type)) total = fmaf(half_at(scale + 2 * GROUP_ROWS), x[b].s, total);
    }
    return total;
}

// Row `row` as floats: the values the file's row dequantizes to, bit for bit (Q8_0 d * w, Q5_0 d * (q - 16),
// Q4_1 fma(d, q, m), Q5_1 d * q + m).
static float dequantized_value(int type, float d, float m, int q) {
    switch (type) {
    case CK_TYPE_Q8_0: return d * (float)(q - 128);
    case CK_TYPE_Q5_0: return d * (float)(q - 16);
    case CK_TYPE_Q4_1: return fmaf(d, (float)q, m);
    default: return d * (float)q + m;
    }
}

static void dequantize_packed_row(int type, const uint8_t *packed, int64_t row, int64_t n, float *y) {
    int64_t blocks = n / 32, lane = row % GROUP_ROWS, scales = scales_bytes(type), quants = quants_bytes(type);
    const uint8_t *group = packed + (size_t)(row / GROUP_ROWS * group_bytes(type, blocks));
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *scale = group + b * scales + lane * 2, *registers = group + scales_region(type, blocks) + b * quants;
        float d = half_at(scale), m = has_min(type) ? half_at(scale + 2 * GROUP_ROWS) : 0;
        for (int i = 0; i < 32; i++) y[b * 32 + i] = dequantized_value(type, d, m, packed_quant(type, registers, (int)lane, i));
    }
}

#ifdef CK_X86

// The rows of one group inside [first, end) as floats, 16 rows per pass over the group's bytes: each quarter
// of a piece holds four rows' four values, widened and scaled at once, then stored as runs of eight. The same
// operations as dequantize_packed_row, so the same values.
static CK_AVX512 void dequantize_group_avx512(int type, const uint8_t *group, int64_t blocks, int64_t n, int64_t group_first,
                                              int64_t first, int64_t end, float *y) {
    const int64_t scales = scales_bytes(type), quants = quants_bytes(type);
    const uint8_t *quant_region = group + scales_region(type, blocks);
    const __m512 offset = _mm512_set1_ps((float)-quant_offset(type));
    for (int64_t b = 0; b < blocks; b++) {
        __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(group + b * scales))), m = _mm512_setzero_ps();
        if (has_min(type)) m = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(group + b * scales + 2 * GROUP_ROWS)));
        __m512i w[PIECES];
        packed_pieces(type, quant_region + b * quants, w);
        for (int quarter = 0; quarter < 4; quarter++) {
            __m512 rd = spread_quarter(d, quarter), rm = spread_quarter(m, quarter);
            for (int k = 0; k < PIECES; k += 2) {
                __m512 v[2];
                for (int e = 0; e < 2; e++) {
                    __m512 q = quarter_values(w[k + e], quarter);
                    switch (type) {
                    case CK_TYPE_Q4_1: v[e] = _mm512_fmadd_ps(rd, q, rm); break;
                    case CK_TYPE_Q5_1: v[e] = _mm512_add_ps(_mm512_mul_ps(rd, q), rm); break;
                    default: v[e] = _mm512_mul_ps(rd, _mm512_sub_ps(q, offset)); break;
                    }
                }
                store_piece_pairs(v[0], v[1], group_first + 4 * quarter, first, end, y, n, b * 32 + 4 * k);
            }
        }
    }
}

CK_AVX512 void ck_dequantize_packed_panel(int type, const void *packed, int64_t n, int64_t g, int64_t first, int64_t count,
                                          float *panel, int64_t stride) {
    if (packed_is_k(type)) {
        ck_dequantize_packed_k_panel(type, packed, n, g, first, count, panel, stride);
        return;
    }
    const int64_t blocks = n / 32, scales = scales_bytes(type), quants = quants_bytes(type);
    const uint8_t *group = (const uint8_t *)packed + (size_t)(g * group_bytes(type, blocks));
    const uint8_t *quant_region = group + scales_region(type, blocks);
    const __m512 offset = _mm512_set1_ps((float)-quant_offset(type));
    for (int64_t b = first / 32; b < (first + count) / 32; b++) {
        __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(group + b * scales))), m = _mm512_setzero_ps();
        if (has_min(type)) m = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(group + b * scales + 2 * GROUP_ROWS)));
        __m512i w[PIECES];
        packed_pieces(type, quant_region + b * quants, w);
        float *out = panel + (b * 32 - first) * stride;
        for (int k = 0; k < PIECES; k++)
            for (int t = 0; t < 4; t++) {
                __m512 q = lane_byte_values(w[k], t), v;
                switch (type) {
                case CK_TYPE_Q4_1: v = _mm512_fmadd_ps(d, q, m); break;
                case CK_TYPE_Q5_1: v = _mm512_add_ps(_mm512_mul_ps(d, q), m); break;
                default: v = _mm512_mul_ps(d, _mm512_sub_ps(q, offset)); break;
                }
                _mm512_storeu_ps(out + (4 * k + t) * stride, v);
            }
    }
}

// One group of 16 rows times `count` inputs; sums[j] holds input j's activation half sums (ck_q8a_sums).
// With `prefetch`, each block's lines PREFETCH_AHEAD on are fetched into L2, so the weights stream from memory while
// this group computes.
static inline CK_AVX512 __attribute__((always_inline)) void group_tile(int type, const uint8_t *group, int prefetch,
                                                                      int64_t blocks, const ck_block_q8a *const *x,
                                                                      const int32_t *const *sums, int count, __m512 *totals) {
    const int64_t scales = scales_bytes(type), quants = quants_bytes(type);
    const uint8_t *quant_region = group + scales_region(type, blocks);
    __m512 acc[MOST_INPUTS];
    for (int j = 0; j < count; j++) acc[j] = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *scale = group + b * scales, *q = quant_region + b * quants;
        if (prefetch) {
            for (int64_t line = 0; line < quants; line += 64) _mm_prefetch((const char *)(q + PREFETCH_AHEAD + line), _MM_HINT_T1);
            // The scales region runs alongside the quants at its own, smaller, pace.
            _mm_prefetch((const char *)(scale + PREFETCH_AHEAD * scales / quants), _MM_HINT_T1);
        }
        __m512 wd = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)scale)), wm = _mm512_setzero_ps();
        if (has_min(type)) wm = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(scale + 2 * GROUP_ROWS)));
        __m512i w[PIECES];
        packed_pieces(type, q, w);
        for (int j = 0; j < count; j++) {
            const ck_block_q8a *xb = x[j] + b;
            // Integer sums are exact, so two chains (even and odd pieces) give the same block sum sooner.
            __m512i even = quant_offset(type) ? _mm512_set1_epi32(quant_offset(type) * (sums[j][2 * b] + sums[j][2 * b + 1]))
                                              : _mm512_setzero_si512();
            __m512i odd = _mm512_setzero_si512();
            for (int k = 0; k < PIECES; k += 2) {
                even = _mm512_dpbusd_epi32(even, w[k], broadcast_piece(xb->qs, k));
                odd = _mm512_dpbusd_epi32(odd, w[k + 1], broadcast_piece(xb->qs, k + 1));
            }
            __m512 product_scale = _mm512_mul_ps(wd, _mm512_set1_ps(xb->d));
            acc[j] = _mm512_fmadd_ps(product_scale, _mm512_cvtepi32_ps(_mm512_add_epi32(even, odd)), acc[j]);
            if (has_min(type)) acc[j] = _mm512_fmadd_ps(wm, _mm512_set1_ps(xb->s), acc[j]);
        }
    }
    for (int j = 0; j < count; j++) totals[j] = acc[j];
}

// Every (type, inputs) pair is its own specialisation of the same arithmetic.
static CK_AVX512 void group_tile_any(int type, const uint8_t *group, int prefetch, int64_t blocks,
                                     const ck_block_q8a *const *x, const int32_t *const *sums, int count, __m512 *totals) {
#define CK_PACKED_CASE(T, C) case T * 16 + C: group_tile(T, group, prefetch, blocks, x, sums, C, totals); break;
#define CK_PACKED_COUNTS(T) \
    CK_PACKED_CASE(T, 1) CK_PACKED_CASE(T, 2) CK_PACKED_CASE(T, 3) CK_PACKED_CASE(T, 4) \
    CK_PACKED_CASE(T, 5) CK_PACKED_CASE(T, 6) CK_PACKED_CASE(T, 7) CK_PACKED_CASE(T, 8)
    switch (type * 16 + count) {
    CK_PACKED_COUNTS(CK_TYPE_Q8_0)
    CK_PACKED_COUNTS(CK_TYPE_Q4_1)
    CK_PACKED_COUNTS(CK_TYPE_Q5_0)
    CK_PACKED_COUNTS(CK_TYPE_Q5_1)
    default: break;
    }
#undef CK_PACKED_COUNTS
#undef CK_PACKED_CASE
}

// Groups of rows in [begin, end) times every input through `tile`, eight inputs a tile; `units` and `group_size` are
// the tile's blocks (or super-blocks) and a group's bytes. Types whose quants carry an offset (`needs_sums`) read each
// input's half sums: the caller's, made once per input, or made here.
static CK_AVX512 void matmul_groups_avx512(int type, ck_packed_tile tile, int64_t units, int64_t group_size, int needs_sums,
                                           const uint8_t *packed, int64_t rows, int64_t blocks,
                                           const ck_block_q8a *x, int64_t x_stride, const int32_t *given_sums,
                                           int64_t inputs, float *out, int64_t out_stride, int64_t begin, int64_t end) {
    int32_t *made = NULL;
    const int32_t *sums = given_sums;
    int64_t sums_stride = 2 * x_stride;
    if (needs_sums && !sums) {
        made = malloc((size_t)(inputs * blocks) * 2 * sizeof(int32_t));
        if (!made) abort();
        for (int64_t j = 0; j < inputs; j++) ck_q8a_sums(x + j * x_stride, blocks, made + j * 2 * blocks);
        sums = made;
        sums_stride = 2 * blocks;
    }
    for (int64_t g = begin / GROUP_ROWS; g * GROUP_ROWS < end; g++) {
        const uint8_t *group = packed + (size_t)(g * group_size);
        // Only the lanes of rows in [begin, end): a range need not start or end on a group.
        uint32_t lanes = 0;
        for (int lane = 0; lane < GROUP_ROWS; lane++) {
            int64_t r = g * GROUP_ROWS + lane;
            if (r >= begin && r < end && r < rows) lanes |= 1u << lane;
        }
        for (int64_t j0 = 0; j0 < inputs; j0 += MOST_INPUTS) {
            int count = inputs - j0 < MOST_INPUTS ? (int)(inputs - j0) : MOST_INPUTS;
            const ck_block_q8a *tile_x[MOST_INPUTS];
            const int32_t *tile_sums[MOST_INPUTS];
            for (int j = 0; j < count; j++) {
                tile_x[j] = x + (j0 + j) * x_stride;
                tile_sums[j] = sums ? sums + (j0 + j) * sums_stride : NULL;
            }
            __m512 totals[MOST_INPUTS];
            tile(type, group, j0 == 0, units, tile_x, tile_sums, count, totals);
            for (int j = 0; j < count; j++)
                _mm512_mask_storeu_ps(out + (j0 + j) * out_stride + g * GROUP_ROWS, (__mmask16)lanes, totals[j]);
        }
    }
    free(made);
}
#endif

void ck_matmul_packed(int type, const void *packed, int64_t rows, int64_t n, const ck_block_q8a *x, int64_t x_stride,
                      const int32_t *sums, int64_t inputs, float *out, int64_t out_stride, int64_t begin, int64_t end) {
#ifdef CK_X86
    if (ck_have_avx512()) {
        int64_t blocks = n / 32;
        if (packed_is_k(type))
            matmul_groups_avx512(type, ck_packed_k_tile, n / CK_QK, (int64_t)ck_packed_k_group_bytes(type, n), type == CK_TYPE_Q6_K,
                                 (const uint8_t *)packed, rows, blocks, x, x_stride, sums, inputs, out, out_stride, begin, end);
        else
            matmul_groups_avx512(type, group_tile_any, blocks, group_bytes(type, blocks), quant_offset(type) != 0,
                                 (const uint8_t *)packed, rows, blocks, x, x_stride, sums, inputs, out, out_stride, begin, end);
        return;
    }
#endif
    (void)sums;
    for (int64_t r = begin; r < end; r++)
        for (int64_t j = 0; j < inputs; j++) out[j * out_stride + r] = ck_dot_packed_row(type, packed, r, n, x + j * x_stride);
}

void ck_dequantize_packed_rows(int type, const void *packed, int64_t rows, int64_t n, int64_t first, int64_t count, float *y) {
    if (packed_is_k(type)) {
        ck_dequantize_packed_k_rows(type, packed, rows, n, first, count, y);
        return;
    }
    int64_t end = first + count < rows ? first + count : rows, blocks = n / 32;
#ifdef CK_X86
    if (ck_have_avx512()) {
        for (int64_t g = first / GROUP_ROWS; g * GROUP_ROWS < end; g++)
            dequantize_group_avx512(type, (const uint8_t *)packed + (size_t)(g * group_bytes(type, blocks)), blocks, n,
                                    g * GROUP_ROWS, first, end, y);
        return;
    }
#endif
    for (int64_t r = first; r < end; r++) dequantize_packed_row(type, (const uint8_t *)packed, r, n, y + (r - first) * n);
}
