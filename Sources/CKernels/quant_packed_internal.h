// Shared by quant_packed.c (types of 32-value blocks) and quant_packed_k.c (K-quants): the lane layout of
// packed rows, the file's quants of any packed type, and the AVX-512 helpers both tiles use.
//
// A group holds 16 rows. Per 32-value block, the quants are registers of 16 lanes x 4 bytes, lane i for row i;
// piece p (values 4p..4p+3 of the block) is built from them as:
// - Q8_0: register p, as unsigned bytes (w + 128);
// - 4-bit types: register p's low nibbles (p < 4) or register p - 4's high nibbles (p >= 4);
// - 5-bit types: then bit p of register 4's byte as the fifth bit;
// - Q6_K: then bits 2(p % 4), 2(p % 4) + 1 of register 4 + p / 4 as the top two bits.
#ifndef CKERNELS_QUANT_PACKED_INTERNAL_H
#define CKERNELS_QUANT_PACKED_INTERNAL_H

#include "ck_batch.h"
#include "quant_avx512.h"

enum { GROUP_ROWS = 16, PIECES = 8, LANE_BYTES = GROUP_ROWS * 4, MOST_INPUTS = 8 };

// How far ahead of its reads a product prefetches its thread's packed rows (a linear stream), into L2. Measured on
// Zen 4 (`bench matvec --inputs`): the whole next group into L1 held products at 0.75 of a streaming read with one
// input and 0.5 with four (its lines evicted before use, the loads still waiting); 8 KiB into L2 gives 0.9 for both.
enum { PREFETCH_AHEAD = 8192 };

static inline int packed_is_k(int type) { return type == CK_TYPE_Q4_K || type == CK_TYPE_Q5_K || type == CK_TYPE_Q6_K; }
static inline int packed_has_fifth_bit(int type) {
    return type == CK_TYPE_Q5_0 || type == CK_TYPE_Q5_1 || type == CK_TYPE_Q5_K;
}

// Registers per 32-value block of a packed type.
static inline int packed_registers(int type) {
    if (type == CK_TYPE_Q8_0) return PIECES;
    if (type == CK_TYPE_Q6_K) return 6;
    return packed_has_fifth_bit(type) ? 5 : 4;
}

static inline float half_at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return ck_fp16_to_fp32(h);
}

// The unsigned quant of value i (0-31) of one block from its registers, lane `lane` (portable).
static inline int packed_quant(int type, const uint8_t *registers, int lane, int i) {
    int p = i / 4, t = i % 4;
    const uint8_t *byte = registers + lane * 4 + t;
    if (type == CK_TYPE_Q8_0) return byte[p * LANE_BYTES];
    int q = p < 4 ? byte[p * LANE_BYTES] & 0x0f : byte[(p - 4) * LANE_BYTES] >> 4;
    if (packed_has_fifth_bit(type)) q |= ((byte[4 * LANE_BYTES] >> p) & 1) << 4;
    if (type == CK_TYPE_Q6_K) q |= ((byte[(4 + p / 4) * LANE_BYTES] >> (2 * (p % 4))) & 3) << 4;
    return q;
}

// Stores unsigned quant q of value i (0-31) of one block into its registers (which start zeroed).
static inline void packed_store_quant(int type, uint8_t *registers, int lane, int i, int q) {
    int p = i / 4, t = i % 4;
    uint8_t *byte = registers + lane * 4 + t;
    if (type == CK_TYPE_Q8_0) {
        byte[p * LANE_BYTES] = (uint8_t)q;
        return;
    }
    if (p < 4) byte[p * LANE_BYTES] |= (uint8_t)(q & 0x0f);
    else byte[(p - 4) * LANE_BYTES] |= (uint8_t)((q & 0x0f) << 4);
    if (packed_has_fifth_bit(type)) byte[4 * LANE_BYTES] |= (uint8_t)(((q >> 4) & 1) << p);
    if (type == CK_TYPE_Q6_K) byte[(4 + p / 4) * LANE_BYTES] |= (uint8_t)(((q >> 4) & 3) << (2 * (p % 4)));
}

// The unsigned quants of a file row's n values, as the packed registers hold them (Q8_0: w + 128).
void ck_packed_file_quants(int type, const void *row, int64_t n, uint8_t *q);

// quant_packed_k.c: the K-quants' layout, behind ck_batch.h's functions.
size_t ck_packed_k_bytes(int type, int64_t rows, int64_t n);
void ck_pack_k_rows(int type, const void *weights, int64_t rows, int64_t n, void *packed, int64_t group_begin, int64_t group_end);
float ck_dot_packed_k_row(int type, const void *packed, int64_t row, int64_t n, const ck_block_q8a *x);
void ck_dequantize_packed_k_rows(int type, const void *packed, int64_t rows, int64_t n, int64_t first, int64_t count, float *y);
size_t ck_packed_k_group_bytes(int type, int64_t n);
#ifdef CK_X86
// One tile: a group's 16 rows times `count` (at most MOST_INPUTS) inputs over `units` blocks (K-quants: super-blocks),
// prefetching PREFETCH_AHEAD further on when `prefetch` (the first of a group's tiles); sums[j] holds input j's activation
// half sums (ck_q8a_sums).
typedef void (*ck_packed_tile)(int type, const uint8_t *group, int prefetch, int64_t units, const ck_block_q8a *const *x,
                               const int32_t *const *sums, int count, __m512 *totals);
CK_AVX512 void ck_packed_k_tile(int type, const uint8_t *group, int prefetch, int64_t superblocks, const ck_block_q8a *const *x,
                                const int32_t *const *sums, int count, __m512 *totals);
// Group `g`'s 16 rows as floats over values [first, first + count) (whole 32-value blocks), laid out down a GEMM
// panel: value i of the group's row l at panel[(i - first) * stride + l]. Bit for bit what the file's rows
// dequantize to. The _k_ form serves the K-quants (ck_dequantize_packed_panel hands them to it).
CK_AVX512 void ck_dequantize_packed_panel(int type, const void *packed, int64_t n, int64_t g, int64_t first, int64_t count,
                                          float *panel, int64_t stride);
CK_AVX512 void ck_dequantize_packed_k_panel(int type, const void *packed, int64_t n, int64_t g, int64_t first, int64_t count,
                                            float *panel, int64_t stride);
#endif

#ifdef CK_X86
// The eight pieces of one block from its registers (the layout above), for 16 rows at once.
static inline CK_AVX512 __attribute__((always_inline)) void packed_pieces(int type, const uint8_t *q, __m512i *w) {
    if (type == CK_TYPE_Q8_0) {
        for (int k = 0; k < PIECES; k++) w[k] = _mm512_load_si512((const void *)(q + k * LANE_BYTES));
        return;
    }
    const __m512i low = _mm512_set1_epi8(0x0f);
    for (int k = 0; k < 4; k++) {
        __m512i bytes = _mm512_load_si512((const void *)(q + k * LANE_BYTES));
        w[k] = _mm512_and_si512(bytes, low);
        w[k + 4] = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), low);
    }
    if (packed_has_fifth_bit(type)) {
        // Bit p of each byte to bit 4 of piece p: shifts cross bytes, and one ternary-logic op keeps bit 4 only while
        // it ORs it into the clean nibble (0xf8: nibble | (shifted & mask)).
        __m512i fifth = _mm512_load_si512((const void *)(q + 4 * LANE_BYTES)), bit = _mm512_set1_epi8(0x10);
#define CK_WITH_BIT(k, shifted) w[k] = _mm512_ternarylogic_epi32(w[k], shifted, bit, 0xf8)
        CK_WITH_BIT(0, _mm512_slli_epi16(fifth, 4));
        CK_WITH_BIT(1, _mm512_slli_epi16(fifth, 3));
        CK_WITH_BIT(2, _mm512_slli_epi16(fifth, 2));
        CK_WITH_BIT(3, _mm512_slli_epi16(fifth, 1));
        CK_WITH_BIT(4, fifth);
        CK_WITH_BIT(5, _mm512_srli_epi16(fifth, 1));
        CK_WITH_BIT(6, _mm512_srli_epi16(fifth, 2));
        CK_WITH_BIT(7, _mm512_srli_epi16(fifth, 3));
    }
    if (type == CK_TYPE_Q6_K) {
        // Bits 2k, 2k + 1 of each byte to bits 4, 5 of piece 4h + k, the same way.
        const __m512i bits = _mm512_set1_epi8(0x30);
        for (int h = 0; h < 2; h++) {
            __m512i top = _mm512_load_si512((const void *)(q + (4 + h) * LANE_BYTES));
            w[4 * h + 0] = _mm512_ternarylogic_epi32(w[4 * h + 0], _mm512_slli_epi16(top, 4), bits, 0xf8);
            w[4 * h + 1] = _mm512_ternarylogic_epi32(w[4 * h + 1], _mm512_slli_epi16(top, 2), bits, 0xf8);
            w[4 * h + 2] = _mm512_ternarylogic_epi32(w[4 * h + 2], top, bits, 0xf8);
            w[4 * h + 3] = _mm512_ternarylogic_epi32(w[4 * h + 3], _mm512_srli_epi16(top, 2), bits, 0xf8);
        }
    }
#undef CK_WITH_BIT
}

static inline CK_AVX512 __m512i broadcast_piece(const int8_t *qs, int k) {
    int32_t piece;
    memcpy(&piece, qs + 4 * k, sizeof piece);
    return _mm512_set1_epi32(piece);
}

// Two adjacent pieces' values for four rows (v0: values c..c+3 of each row, v1: c+4..c+7) stored as one run of
// eight per row, for the rows of [first, end).
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

// Per-row values (16 lanes) spread over quarter `quarter`'s four rows, four values each.
static inline CK_AVX512 __m512 spread_quarter(__m512 per_row, int quarter) {
    const __m512i row_of_lane = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    return _mm512_permutexvar_ps(_mm512_add_epi32(row_of_lane, _mm512_set1_epi32(4 * quarter)), per_row);
}

// Byte `t` of every lane of a piece register as floats: value 4p + t of the block for each of the 16 rows.
static inline CK_AVX512 __m512 lane_byte_values(__m512i piece, int t) {
    return _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srli_epi32(piece, (unsigned)(8 * t)), _mm512_set1_epi32(0xff)));
}

// 16 bytes (four rows x four values) of a piece register's quarter as floats.
static inline CK_AVX512 __m512 quarter_values(__m512i piece, int quarter) {
    __m128i bytes;
    switch (quarter) {
    case 0: bytes = _mm512_extracti32x4_epi32(piece, 0); break;
    case 1: bytes = _mm512_extracti32x4_epi32(piece, 1); break;
    case 2: bytes = _mm512_extracti32x4_epi32(piece, 2); break;
    default: bytes = _mm512_extracti32x4_epi32(piece, 3); break;
    }
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes));
}
#endif

#endif
