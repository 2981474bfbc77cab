// Q8_0 and Q4_1 weights repacked sixteen rows at a time for the 8-bit products. Each 32-bit lane of a VNNI
// product belongs to one row, so eight products over a block leave each row's whole block sum in its own
// lane: no per-block conversions of partial sums and no horizontal reductions. The arithmetic per (row,
// input) is fixed whatever the tile or the batch, so a sequence's numbers do not depend on what else is
// being decoded: over blocks in order, total = fma(wd * xd, block sum, total), and for Q4_1 then
// total = fma(wm, xs, total) (the block minimum times the activations' sum).
#include "ck_batch.h"
#include "quant_avx512.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// A group of 16 rows: per block the 16 rows' half scales (Q4_1: then their half minimums), the region padded
// to 64 bytes, then per block the quants as 16 lanes x 4 bytes per piece, lane i for row i:
// - Q8_0: 8 pieces, piece k = bytes 4k..4k+3 as unsigned (w + 128);
// - Q4_1: 4 registers, register k = the file's bytes 4k..4k+3 (low nibbles: values 4k.., high: 16 + 4k..).
// As many bytes per weight as the file: decoding one sequence is bound by reading them.
enum { GROUP_ROWS = 16, PIECES = 8, LANE_BYTES = GROUP_ROWS * 4, MOST_INPUTS = 8 };

static int64_t scales_bytes(int type) { return type == CK_TYPE_Q4_1 ? 4 * GROUP_ROWS : 2 * GROUP_ROWS; }
static int64_t quants_bytes(int type) { return type == CK_TYPE_Q4_1 ? PIECES / 2 * LANE_BYTES : PIECES * LANE_BYTES; }
static int64_t scales_region(int type, int64_t blocks) { return (blocks * scales_bytes(type) + 63) / 64 * 64; }
static int64_t group_bytes(int type, int64_t blocks) { return scales_region(type, blocks) + blocks * quants_bytes(type); }

int ck_packing_available(int type) {
#ifdef CK_X86
    return (type == CK_TYPE_Q8_0 || type == CK_TYPE_Q4_1) && ck_have_avx512();
#else
    (void)type;
    return 0;
#endif
}

size_t ck_packed_bytes(int type, int64_t rows, int64_t n) {
    return (size_t)((rows + GROUP_ROWS - 1) / GROUP_ROWS * group_bytes(type, n / 32));
}

void ck_pack_rows(int type, const void *weights, int64_t rows, int64_t n, void *packed, int64_t group_begin, int64_t group_end) {
    int64_t blocks = n / 32, scales = scales_bytes(type), quants = quants_bytes(type), region = scales_region(type, blocks);
    size_t row_bytes = (size_t)blocks * (type == CK_TYPE_Q4_1 ? sizeof(block_q4_1) : sizeof(block_q8_0));
    for (int64_t g = group_begin; g < group_end; g++) {
        uint8_t *group = (uint8_t *)packed + (size_t)(g * group_bytes(type, blocks));
        // Padding rows: zero scales, and zero weights (Q8_0's 128 is 0).
        memset(group, 0, (size_t)(region + blocks * quants));
        if (type == CK_TYPE_Q8_0) memset(group + region, 0x80, (size_t)(blocks * quants));
        for (int lane = 0; lane < GROUP_ROWS && g * GROUP_ROWS + lane < rows; lane++) {
            const uint8_t *row = (const uint8_t *)weights + (size_t)(g * GROUP_ROWS + lane) * row_bytes;
            for (int64_t b = 0; b < blocks; b++) {
                uint8_t *scale = group + b * scales + lane * 2, *q = group + region + b * quants + lane * 4;
                if (type == CK_TYPE_Q4_1) {
                    const block_q4_1 *block = (const block_q4_1 *)row + b;
                    memcpy(scale, &block->d, 2);
                    memcpy(scale + 2 * GROUP_ROWS, &block->m, 2);
                    for (int k = 0; k < PIECES / 2; k++) memcpy(q + k * LANE_BYTES, block->qs + 4 * k, 4);
                } else {
                    const block_q8_0 *block = (const block_q8_0 *)row + b;
                    memcpy(scale, &block->d, 2);
                    for (int k = 0; k < PIECES; k++)
                        for (int t = 0; t < 4; t++) q[k * LANE_BYTES + t] = (uint8_t)(block->qs[4 * k + t] ^ 0x80);
                }
            }
        }
    }
}

// The sum of a block's 32 activations times -128: what Q8_0's unsigned weights' +128 adds to a block sum.
static int32_t activation_offset(const ck_block_q8a *x) {
    int32_t sum = 0;
    for (int i = 0; i < 32; i++) sum += x->qs[i];
    return -128 * sum;
}

void ck_q8a_offsets(const ck_block_q8a *x, int64_t blocks, int32_t *offsets) {
    for (int64_t b = 0; b < blocks; b++) offsets[b] = activation_offset(x + b);
}

static float half_at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return ck_fp16_to_fp32(h);
}

float ck_dot_packed_row(int type, const void *packed, int64_t row, int64_t n, const ck_block_q8a *x) {
    int64_t blocks = n / 32, lane = row % GROUP_ROWS, scales = scales_bytes(type), quants = quants_bytes(type);
    const uint8_t *group = (const uint8_t *)packed + (size_t)(row / GROUP_ROWS * group_bytes(type, blocks));
    float total = 0;
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *scale = group + b * scales + lane * 2, *q = group + scales_region(type, blocks) + b * quants + lane * 4;
        int32_t sum = 0;
        if (type == CK_TYPE_Q4_1) {
            for (int k = 0; k < PIECES / 2; k++)
                for (int t = 0; t < 4; t++) {
                    uint8_t byte = q[k * LANE_BYTES + t];
                    sum += (int32_t)(byte & 0x0f) * x[b].qs[4 * k + t] + (int32_t)(byte >> 4) * x[b].qs[16 + 4 * k + t];
                }
        } else {
            sum = activation_offset(x + b);
            for (int k = 0; k < PIECES; k++)
                for (int t = 0; t < 4; t++) sum += (int32_t)q[k * LANE_BYTES + t] * x[b].qs[4 * k + t];
        }
        float product_scale = half_at(scale) * x[b].d;
        total = fmaf(product_scale, (float)sum, total);
        if (type == CK_TYPE_Q4_1) total = fmaf(half_at(scale + 2 * GROUP_ROWS), x[b].s, total);
    }
    return total;
}

// Row `row` as floats: the values the file's row dequantizes to, bit for bit (Q8_0 d * q; Q4_1 fma(d, q, m)).
static void dequantize_packed_row(int type, const uint8_t *packed, int64_t row, int64_t n, float *y) {
    int64_t blocks = n / 32, lane = row % GROUP_ROWS, scales = scales_bytes(type), quants = quants_bytes(type);
    const uint8_t *group = packed + (size_t)(row / GROUP_ROWS * group_bytes(type, blocks));
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *scale = group + b * scales, *q = group + scales_region(type, blocks) + b * quants + lane * 4;
        float d = half_at(scale), *out = y + b * 32;
        if (type == CK_TYPE_Q4_1) {
            float m = half_at(scale + 2 * GROUP_ROWS);
            for (int k = 0; k < PIECES / 2; k++)
                for (int t = 0; t < 4; t++) {
                    uint8_t byte = q[k * LANE_BYTES + t];
                    out[4 * k + t] = fmaf(d, (float)(byte & 0x0f), m);
                    out[16 + 4 * k + t] = fmaf(d, (float)(byte >> 4), m);
                }
        } else {
            for (int k = 0; k < PIECES; k++)
                for (int t = 0; t < 4; t++) out[4 * k + t] = d * (float)(int8_t)(q[k * LANE_BYTES + t] ^ 0x80);
        }
    }
}

#ifdef CK_X86

// The rows of one group inside [first, end) as floats, 16 rows per pass over the group's bytes: each
// 16-byte quarter of a piece holds four rows' four values, widened and scaled at once, then stored as
// four 4-value runs. The same operations as dequantize_packed_row, so the same values.
// Two adjacent pieces' values for four rows (v0: values c..c+3 of each row, v1: c+4..c+7) stored as one
// run of eight per row.
static inline CK_AVX512 __attribute__((always_inline)) void store_piece_pairs(__m512 v0, __m512 v1, int64_t row0, int64_t first,
                                                                              int64_t end, float *y, int64_t n, int64_t column) {
    const __m512i rows01 = _mm512_set_epi32(23, 22, 21, 20, 7, 6, 5, 4, 19, 18, 17, 16, 3, 2, 1, 0);
    const __m512i rows23 = _mm512_set_epi32(31, 30, 29, 28, 15, 14, 13, 12, 27, 26, 25, 24, 11, 10, 9, 8);
    __m512 a = _mm512_permutex2var_ps(v0, rows01, v1), b = _mm512_permutex2var_ps(v0, rows23, v1);
    const __m256 runs[4] = { _mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1), _mm512_castps512_ps256(b),
                             _mm512_extractf32x8_ps(b, 1) };
    for (int i = 0; i < 4; i++)
        if (row0 + i >= first && row0 + i < end) _mm256_storeu_ps(y + (row0 + i - first) * n + column, runs[i]);
}

static CK_AVX512 void dequantize_group_avx512(int type, const uint8_t *group, int64_t blocks, int64_t n, int64_t group_first,
                                              int64_t first, int64_t end, float *y) {
    const int64_t scales = scales_bytes(type), quants = quants_bytes(type);
    const uint8_t *quant_region = group + scales_region(type, blocks);
    const __m512i row_of_lane = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    for (int64_t b = 0; b < blocks; b++) {
        __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(group + b * scales))), m = _mm512_setzero_ps();
        if (type == CK_TYPE_Q4_1) m = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(group + b * scales + 2 * GROUP_ROWS)));
        // Each quarter's scales (and minimums) spread over its four rows' four values, once per block.
        __m512 rds[4], rms[4];
        for (int quarter = 0; quarter < 4; quarter++) {
            __m512i spread = _mm512_add_epi32(row_of_lane, _mm512_set1_epi32(4 * quarter));
            rds[quarter] = _mm512_permutexvar_ps(spread, d);
            rms[quarter] = _mm512_permutexvar_ps(spread, m);
        }
        int registers = type == CK_TYPE_Q4_1 ? PIECES / 2 : PIECES;
        for (int k = 0; k < registers; k += 2) {
            const uint8_t *bytes = quant_region + b * quants + k * LANE_BYTES;
            for (int quarter = 0; quarter < 4; quarter++) {
                __m128i raw0 = _mm_loadu_si128((const __m128i *)(bytes + 16 * quarter));
                __m128i raw1 = _mm_loadu_si128((const __m128i *)(bytes + LANE_BYTES + 16 * quarter));
                __m512 rd = rds[quarter];
                int64_t row0 = group_first + 4 * quarter;
                if (type == CK_TYPE_Q4_1) {
                    const __m128i nibble = _mm_set1_epi8(0x0f);
                    __m512 rm = rms[quarter];
#define CK_Q41_VALUES(q) _mm512_fmadd_ps(rd, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(q)), rm)
                    store_piece_pairs(CK_Q41_VALUES(_mm_and_si128(raw0, nibble)), CK_Q41_VALUES(_mm_and_si128(raw1, nibble)),
                                      row0, first, end, y, n, b * 32 + 4 * k);
                    store_piece_pairs(CK_Q41_VALUES(_mm_and_si128(_mm_srli_epi16(raw0, 4), nibble)),
                                      CK_Q41_VALUES(_mm_and_si128(_mm_srli_epi16(raw1, 4), nibble)), row0, first, end, y, n,
                                      b * 32 + 16 + 4 * k);
#undef CK_Q41_VALUES
                } else {
                    const __m128i flip = _mm_set1_epi8((char)0x80);
#define CK_Q80_VALUES(q) _mm512_mul_ps(rd, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_xor_si128(q, flip))))
                    store_piece_pairs(CK_Q80_VALUES(raw0), CK_Q80_VALUES(raw1), row0, first, end, y, n, b * 32 + 4 * k);
#undef CK_Q80_VALUES
                }
            }
        }
    }
}

static inline CK_AVX512 __m512i broadcast_piece(const int8_t *qs, int k) {
    int32_t piece;
    memcpy(&piece, qs + 4 * k, sizeof piece);
    return _mm512_set1_epi32(piece);
}

// One group of 16 rows times `count` inputs; offsets[j][b] is activation_offset of input j's block b (Q8_0).
// `next`, when not NULL, is the following group: fetched block by block alongside, so the weights stream
// from memory while this group computes.
static inline CK_AVX512 __attribute__((always_inline)) void group_tile(int type, const uint8_t *group, const uint8_t *next,
                                                                      int64_t blocks, const ck_block_q8a *const *x,
                                                                      const int32_t *const *offsets, int count, __m512 *totals) {
    const int64_t scales = scales_bytes(type), quants = quants_bytes(type);
    const uint8_t *quant_region = group + scales_region(type, blocks);
    __m512 acc[MOST_INPUTS];
    for (int j = 0; j < count; j++) acc[j] = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *scale = group + b * scales, *q = quant_region + b * quants;
        if (next) {
            for (int64_t line = 0; line < quants; line += 64) _mm_prefetch((const char *)(next + (q - group) + line), _MM_HINT_T0);
            _mm_prefetch((const char *)(next + (scale - group)), _MM_HINT_T0);
        }
        __m512 wd = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)scale)), wm = _mm512_setzero_ps();
        __m512i w[PIECES];
        if (type == CK_TYPE_Q4_1) {
            wm = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(scale + 2 * GROUP_ROWS)));
            const __m512i low = _mm512_set1_epi8(0x0f);
            for (int k = 0; k < PIECES / 2; k++) {
                __m512i bytes = _mm512_load_si512((const void *)(q + k * LANE_BYTES));
                w[k] = _mm512_and_si512(bytes, low);
                w[k + PIECES / 2] = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), low);
            }
        } else {
            for (int k = 0; k < PIECES; k++) w[k] = _mm512_load_si512((const void *)(q + k * LANE_BYTES));
        }
        for (int j = 0; j < count; j++) {
            const ck_block_q8a *xb = x[j] + b;
            // Integer sums are exact, so two chains (even and odd pieces) give the same block sum sooner.
            __m512i even = type == CK_TYPE_Q4_1 ? _mm512_setzero_si512() : _mm512_set1_epi32(offsets[j][b]);
            __m512i odd = _mm512_setzero_si512();
            for (int k = 0; k < PIECES; k += 2) {
                even = _mm512_dpbusd_epi32(even, w[k], broadcast_piece(xb->qs, k));
                odd = _mm512_dpbusd_epi32(odd, w[k + 1], broadcast_piece(xb->qs, k + 1));
            }
            __m512 product_scale = _mm512_mul_ps(wd, _mm512_set1_ps(xb->d));
            acc[j] = _mm512_fmadd_ps(product_scale, _mm512_cvtepi32_ps(_mm512_add_epi32(even, odd)), acc[j]);
            if (type == CK_TYPE_Q4_1) acc[j] = _mm512_fmadd_ps(wm, _mm512_set1_ps(xb->s), acc[j]);
        }
    }
    for (int j = 0; j < count; j++) totals[j] = acc[j];
}

// Every (type, inputs) pair is its own specialisation of the same arithmetic.
static CK_AVX512 void group_tile_any(int type, const uint8_t *group, const uint8_t *next, int64_t blocks,
                                     const ck_block_q8a *const *x, const int32_t *const *offsets, int count, __m512 *totals) {
#define CK_PACKED_CASE(T, C) case T * 16 + C: group_tile(T, group, next, blocks, x, offsets, C, totals); break;
#define CK_PACKED_COUNTS(T) \
    CK_PACKED_CASE(T, 1) CK_PACKED_CASE(T, 2) CK_PACKED_CASE(T, 3) CK_PACKED_CASE(T, 4) \
    CK_PACKED_CASE(T, 5) CK_PACKED_CASE(T, 6) CK_PACKED_CASE(T, 7) CK_PACKED_CASE(T, 8)
    switch (type * 16 + count) {
    CK_PACKED_COUNTS(CK_TYPE_Q8_0)
    CK_PACKED_COUNTS(CK_TYPE_Q4_1)
    default: break;
    }
#undef CK_PACKED_COUNTS
#undef CK_PACKED_CASE
}

static CK_AVX512 void matmul_packed_avx512(int type, const uint8_t *packed, int64_t rows, int64_t blocks,
                                           const ck_block_q8a *x, int64_t x_stride, const int32_t *given_offsets,
                                           int64_t inputs, float *out, int64_t out_stride, int64_t begin, int64_t end) {
    // Q8_0 needs each input block's offset: the caller's, made once per input, or made here.
    int32_t *made = NULL;
    const int32_t *offsets = given_offsets;
    int64_t offsets_stride = x_stride;
    if (type == CK_TYPE_Q8_0 && !offsets) {
        made = malloc((size_t)(inputs * blocks) * sizeof(int32_t));
        if (!made) abort();
        for (int64_t j = 0; j < inputs; j++) ck_q8a_offsets(x + j * x_stride, blocks, made + j * blocks);
        offsets = made;
        offsets_stride = blocks;
    }
    for (int64_t g = begin / GROUP_ROWS; g * GROUP_ROWS < end; g++) {
        const uint8_t *group = packed + (size_t)(g * group_bytes(type, blocks));
        // Only the lanes of rows in [begin, end): a range need not start or end on a group.
        uint32_t lanes = 0;
        for (int lane = 0; lane < GROUP_ROWS; lane++) {
            int64_t r = g * GROUP_ROWS + lane;
            if (r >= begin && r < end && r < rows) lanes |= 1u << lane;
        }
        for (int64_t j0 = 0; j0 < inputs; j0 += MOST_INPUTS) {
            int count = inputs - j0 < MOST_INPUTS ? (int)(inputs - j0) : MOST_INPUTS;
            const ck_block_q8a *tile_x[MOST_INPUTS];
            const int32_t *tile_offsets[MOST_INPUTS];
            for (int j = 0; j < count; j++) {
                tile_x[j] = x + (j0 + j) * x_stride;
                tile_offsets[j] = offsets ? offsets + (j0 + j) * offsets_stride : NULL;
            }
            __m512 totals[MOST_INPUTS];
            const uint8_t *next = j0 == 0 && (g + 1) * GROUP_ROWS < end ? group + group_bytes(type, blocks) : NULL;
            group_tile_any(type, group, next, blocks, tile_x, tile_offsets, count, totals);
            for (int j = 0; j < count; j++)
                _mm512_mask_storeu_ps(out + (j0 + j) * out_stride + g * GROUP_ROWS, (__mmask16)lanes, totals[j]);
        }
    }
    free(made);
}
#endif

void ck_matmul_packed(int type, const void *packed, int64_t rows, int64_t n, const ck_block_q8a *x, int64_t x_stride,
                      const int32_t *offsets, int64_t inputs, float *out, int64_t out_stride, int64_t begin, int64_t end) {
    int64_t blocks = n / 32;
#ifdef CK_X86
    if (ck_have_avx512()) {
        matmul_packed_avx512(type, (const uint8_t *)packed, rows, blocks, x, x_stride, offsets, inputs, out, out_stride, begin, end);
        return;
    }
#endif
    for (int64_t r = begin; r < end; r++)
        for (int64_t j = 0; j < inputs; j++) out[j * out_stride + r] = ck_dot_packed_row(type, packed, r, n, x + j * x_stride);
}

void ck_dequantize_packed_rows(int type, const void *packed, int64_t rows, int64_t n, int64_t first, int64_t count, float *y) {
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
