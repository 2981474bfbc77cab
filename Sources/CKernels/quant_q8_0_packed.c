// Q8_0 weights repacked sixteen rows at a time for the 8-bit products. Each 32-bit lane of a VNNI product
// belongs to one row, so eight products over a block leave each row's whole block sum in its own lane: no
// per-block conversions of partial sums and no horizontal reductions. The arithmetic per (row, input) is
// fixed, sum over blocks in order of fma(wd * xd, block sum, total), whatever the tile or the batch, so a
// sequence's numbers do not depend on what else is being decoded.
#include "ck_batch.h"
#include "quant_avx512.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// A group of 16 rows: each block's 16 half scales (the file's), padded to 64 bytes in all, then per block
// 8 pieces of 16 lanes x 4 bytes, where lane i holds bytes 4k..4k+3 of row i's block as unsigned (w + 128).
// 1.0625 bytes per weight, as the file: decoding one sequence is bound by reading them.
enum { GROUP_ROWS = 16, PIECES = 8, SCALES_BYTES = GROUP_ROWS * 2, QUANTS_BYTES = PIECES * GROUP_ROWS * 4 };
enum { MOST_INPUTS = 8 };

static int64_t scales_region(int64_t blocks) { return (blocks * SCALES_BYTES + 63) / 64 * 64; }
static int64_t group_bytes(int64_t blocks) { return scales_region(blocks) + blocks * QUANTS_BYTES; }

size_t ck_q8_0_packed_bytes(int64_t rows, int64_t n) {
    return (size_t)((rows + GROUP_ROWS - 1) / GROUP_ROWS * group_bytes(n / 32));
}

int ck_q8_0_packing_available(void) {
#ifdef CK_X86
    return ck_have_avx512();
#else
    return 0;
#endif
}

void ck_pack_q8_0(const void *weights, int64_t rows, int64_t n, void *packed, int64_t group_begin, int64_t group_end) {
    int64_t blocks = n / 32;
    size_t row_bytes = (size_t)blocks * sizeof(block_q8_0);
    for (int64_t g = group_begin; g < group_end; g++) {
        uint8_t *group = (uint8_t *)packed + (size_t)(g * group_bytes(blocks));
        memset(group, 0, (size_t)scales_region(blocks));
        memset(group + scales_region(blocks), 0x80, (size_t)(blocks * QUANTS_BYTES));  // padding rows: zero weights
        for (int lane = 0; lane < GROUP_ROWS && g * GROUP_ROWS + lane < rows; lane++) {
            const block_q8_0 *row = (const block_q8_0 *)((const uint8_t *)weights + (size_t)(g * GROUP_ROWS + lane) * row_bytes);
            for (int64_t b = 0; b < blocks; b++) {
                memcpy(group + (b * GROUP_ROWS + lane) * 2, &row[b].d, 2);
                uint8_t *quants = group + scales_region(blocks) + b * QUANTS_BYTES;
                for (int k = 0; k < PIECES; k++)
                    for (int t = 0; t < 4; t++) quants[(k * GROUP_ROWS + lane) * 4 + t] = (uint8_t)(row[b].qs[4 * k + t] ^ 0x80);
            }
        }
    }
}

// The sum of a block's 32 activations times -128: what the unsigned weights' +128 adds to each block sum.
static int32_t activation_offset(const ck_block_q8a *x) {
    int32_t sum = 0;
    for (int i = 0; i < 32; i++) sum += x->qs[i];
    return -128 * sum;
}

float ck_dot_q8_0_packed_row(const void *packed, int64_t row, int64_t n, const ck_block_q8a *x) {
    int64_t blocks = n / 32, lane = row % GROUP_ROWS;
    const uint8_t *group = (const uint8_t *)packed + (size_t)(row / GROUP_ROWS * group_bytes(blocks));
    float total = 0;
    for (int64_t b = 0; b < blocks; b++) {
        uint16_t half;
        memcpy(&half, group + (b * GROUP_ROWS + lane) * 2, sizeof half);
        float wd = ck_fp16_to_fp32(half);
        const uint8_t *quants = group + scales_region(blocks) + b * QUANTS_BYTES;
        int32_t sum = activation_offset(x + b);
        for (int k = 0; k < PIECES; k++)
            for (int t = 0; t < 4; t++) sum += (int32_t)quants[(k * GROUP_ROWS + lane) * 4 + t] * x[b].qs[4 * k + t];
        float scale = wd * x[b].d;
        total = fmaf(scale, (float)sum, total);
    }
    return total;
}

#ifdef CK_X86

static inline CK_AVX512 __m512i broadcast_piece(const int8_t *qs, int k) {
    int32_t piece;
    memcpy(&piece, qs + 4 * k, sizeof piece);
    return _mm512_set1_epi32(piece);
}

// One group of 16 rows times `count` inputs; offsets[j][b] is activation_offset of input j's block b.
static inline CK_AVX512 __attribute__((always_inline)) void group_tile(const uint8_t *group, int64_t blocks,
                                                                      const ck_block_q8a *const *x, const int32_t *const *offsets,
                                                                      int count, __m512 *totals) {
    __m512 acc[MOST_INPUTS];
    for (int j = 0; j < count; j++) acc[j] = _mm512_setzero_ps();
    const uint8_t *quants = group + scales_region(blocks);
    for (int64_t b = 0; b < blocks; b++) {
        __m512 wd = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(group + b * SCALES_BYTES)));
        __m512i w[PIECES];
        for (int k = 0; k < PIECES; k++) w[k] = _mm512_load_si512((const void *)(quants + b * QUANTS_BYTES + k * 64));
        for (int j = 0; j < count; j++) {
            const ck_block_q8a *xb = x[j] + b;
            // Integer sums are exact, so two chains (even and odd pieces) give the same block sum sooner.
            __m512i even = _mm512_set1_epi32(offsets[j][b]), odd = _mm512_setzero_si512();
            for (int k = 0; k < PIECES; k += 2) {
                even = _mm512_dpbusd_epi32(even, w[k], broadcast_piece(xb->qs, k));
                odd = _mm512_dpbusd_epi32(odd, w[k + 1], broadcast_piece(xb->qs, k + 1));
            }
            __m512 scale = _mm512_mul_ps(wd, _mm512_set1_ps(xb->d));
            acc[j] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(_mm512_add_epi32(even, odd)), acc[j]);
        }
    }
    for (int j = 0; j < count; j++) totals[j] = acc[j];
}

static CK_AVX512 void group_tile_any(const uint8_t *group, int64_t blocks, const ck_block_q8a *const *x,
                                     const int32_t *const *offsets, int count, __m512 *totals) {
#define CK_PACKED_CASE(C) case C: group_tile(group, blocks, x, offsets, C, totals); break;
    switch (count) {
    CK_PACKED_CASE(1) CK_PACKED_CASE(2) CK_PACKED_CASE(3) CK_PACKED_CASE(4)
    CK_PACKED_CASE(5) CK_PACKED_CASE(6) CK_PACKED_CASE(7) CK_PACKED_CASE(8)
    default: break;
    }
#undef CK_PACKED_CASE
}

static CK_AVX512 void matmul_packed_avx512(const uint8_t *packed, int64_t rows, int64_t blocks, const ck_block_q8a *x,
                                           int64_t x_stride, int64_t inputs, float *out, int64_t out_stride,
                                           int64_t begin, int64_t end) {
    int32_t *offsets = malloc((size_t)(inputs * blocks) * sizeof(int32_t));
    if (!offsets) abort();
    for (int64_t j = 0; j < inputs; j++)
        for (int64_t b = 0; b < blocks; b++) offsets[j * blocks + b] = activation_offset(x + j * x_stride + b);
    for (int64_t g = begin / GROUP_ROWS; g * GROUP_ROWS < end; g++) {
        const uint8_t *group = packed + (size_t)(g * group_bytes(blocks));
        // Only the lanes of rows in [begin, end): a range need not start or end on a group.
        uint32_t lanes = 0;
        for (int lane = 0; lane < GROUP_ROWS; lane++) {
            int64_t r = g * GROUP_ROWS + lane;
            if (r >= begin && r < end && r < rows) lanes |= 1u << lane;
        }
        __mmask16 store = (__mmask16)lanes;
        for (int64_t j0 = 0; j0 < inputs; j0 += MOST_INPUTS) {
            int count = inputs - j0 < MOST_INPUTS ? (int)(inputs - j0) : MOST_INPUTS;
            const ck_block_q8a *tile_x[MOST_INPUTS];
            const int32_t *tile_offsets[MOST_INPUTS];
            for (int j = 0; j < count; j++) {
                tile_x[j] = x + (j0 + j) * x_stride;
                tile_offsets[j] = offsets + (j0 + j) * blocks;
            }
            __m512 totals[MOST_INPUTS];
            group_tile_any(group, blocks, tile_x, tile_offsets, count, totals);
            for (int j = 0; j < count; j++) _mm512_mask_storeu_ps(out + (j0 + j) * out_stride + g * GROUP_ROWS, store, totals[j]);
        }
    }
    free(offsets);
}
#endif

void ck_matmul_q8_0_packed(const void *packed, int64_t rows, int64_t n, const ck_block_q8a *x, int64_t x_stride,
                           int64_t inputs, float *out, int64_t out_stride, int64_t begin, int64_t end) {
    int64_t blocks = n / 32;
#ifdef CK_X86
    if (ck_have_avx512()) {
        matmul_packed_avx512((const uint8_t *)packed, rows, blocks, x, x_stride, inputs, out, out_stride, begin, end);
        return;
    }
#endif
    for (int64_t r = begin; r < end; r++)
        for (int64_t j = 0; j < inputs; j++) out[j * out_stride + r] = ck_dot_q8_0_packed_row(packed, r, n, x + j * x_stride);
}
