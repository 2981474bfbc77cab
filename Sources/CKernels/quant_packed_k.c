// Q4_K, Q5_K and Q6_K rows repacked sixteen at a time, as quant_packed.c does for the 32-value block types:
// each lane of a VNNI product is one row, so a 32-value block's sum for 16 rows is one register. The sub-block
// scales are unpacked at load to a byte per row and sub-block, so the products never decode the file's 6-bit
// fields, and each super-block's fp16 scales are read as 16-lane vectors.
//
// Arithmetic per (row, input), fixed whatever the tile or the batch, over the 32-value blocks b in order:
// - Q4_K, Q5_K (sub-block j of the block's super-block): ds = d * sc_j, dm = dmin * m_j, both exact in float;
//   total = fma(ds * xd_b, S_b, total), then total = fma(-dm, xs_b, total), S_b the exact sum of q times x;
// - Q6_K: S_lo, S_hi the exact sums of (q - 32) times x over the block's two 16-value halves;
//   total = fma(d * xd_b, (float)(sc_lo * S_lo + sc_hi * S_hi), total).
#include "quant_packed_internal.h"

#include <stdlib.h>

// Per group and super-block: a 320-byte header, then eight blocks of registers.
// Q4_K, Q5_K header: d[16] and dmin[16] (fp16), then sc[8][16] and m[8][16] (bytes), sub-block-major.
// Q6_K header: d[16] (fp16), padding to 64, then sc[16][16] (signed bytes), one row per 16-value sub-block.
enum { HEADER_BYTES = 320, SCALES_AT = 64, MINS_AT = 192 };

static int64_t block_bytes(int type) { return (int64_t)packed_registers(type) * LANE_BYTES; }
static int64_t superblock_bytes(int type) { return HEADER_BYTES + 8 * block_bytes(type); }
static int64_t group_bytes(int type, int64_t n) { return n / CK_QK * superblock_bytes(type); }
size_t ck_packed_k_group_bytes(int type, int64_t n) { return (size_t)group_bytes(type, n); }

size_t ck_packed_k_bytes(int type, int64_t rows, int64_t n) {
    return (size_t)((rows + GROUP_ROWS - 1) / GROUP_ROWS * group_bytes(type, n));
}

void ck_pack_k_rows(int type, const void *weights, int64_t rows, int64_t n, void *packed, int64_t group_begin, int64_t group_end) {
    const int64_t superblocks = n / CK_QK;
    const size_t row_bytes = (size_t)superblocks * ck_block_bytes(type);
    uint8_t *quants = malloc((size_t)n);
    if (!quants) abort();
    for (int64_t g = group_begin; g < group_end; g++) {
        uint8_t *group = (uint8_t *)packed + (size_t)(g * group_bytes(type, n));
        // Padding rows: zero scales and quants, so their products are 0.
        memset(group, 0, (size_t)group_bytes(type, n));
        for (int lane = 0; lane < GROUP_ROWS && g * GROUP_ROWS + lane < rows; lane++) {
            const uint8_t *row = (const uint8_t *)weights + (size_t)(g * GROUP_ROWS + lane) * row_bytes;
            ck_packed_file_quants(type, row, n, quants);
            for (int64_t s = 0; s < superblocks; s++) {
                uint8_t *header = group + s * superblock_bytes(type);
                if (type == CK_TYPE_Q6_K) {
                    const block_q6_K *block = (const block_q6_K *)row + s;
                    memcpy(header + 2 * lane, &block->d, 2);
                    for (int k = 0; k < 16; k++) header[SCALES_AT + 16 * k + lane] = (uint8_t)block->scales[k];
                } else {
                    // Q4_K and Q5_K start alike: d, dmin, then the 12 bytes of 6-bit scales and mins.
                    const block_q4_K *block = (const block_q4_K *)((const uint8_t *)row + (size_t)s * ck_block_bytes(type));
                    memcpy(header + 2 * lane, &block->d, 2);
                    memcpy(header + 32 + 2 * lane, &block->dmin, 2);
                    for (int j = 0; j < 8; j++) {
                        int sc, m;
                        k_scale_min(j, block->scales, &sc, &m);
                        header[SCALES_AT + 16 * j + lane] = (uint8_t)sc;
                        header[MINS_AT + 16 * j + lane] = (uint8_t)m;
                    }
                }
                for (int j = 0; j < 8; j++) {
                    uint8_t *registers = header + HEADER_BYTES + j * block_bytes(type);
                    for (int i = 0; i < 32; i++) packed_store_quant(type, registers, lane, i, quants[s * CK_QK + 32 * j + i]);
                }
            }
        }
    }
    free(quants);
}

// Row `row`'s header and block j of super-block s.
typedef struct { const uint8_t *header, *registers; int lane; } k_block;

static k_block block_at(int type, const uint8_t *packed, int64_t row, int64_t n, int64_t s, int j) {
    const uint8_t *header = packed + (size_t)(row / GROUP_ROWS * group_bytes(type, n)) + s * superblock_bytes(type);
    return (k_block){ header, header + HEADER_BYTES + j * block_bytes(type), (int)(row % GROUP_ROWS) };
}

static int32_t half_sum(const ck_block_q8a *x, int half) {
    int32_t sum = 0;
    for (int i = 0; i < 16; i++) sum += x->qs[16 * half + i];
    return sum;
}

float ck_dot_packed_k_row(int type, const void *packed, int64_t row, int64_t n, const ck_block_q8a *x) {
    float total = 0;
    for (int64_t s = 0; s < n / CK_QK; s++) {
        for (int j = 0; j < 8; j++) {
            k_block k = block_at(type, (const uint8_t *)packed, row, n, s, j);
            const ck_block_q8a *xb = x + 8 * s + j;
            if (type == CK_TYPE_Q6_K) {
                int32_t sums[2] = { -32 * half_sum(xb, 0), -32 * half_sum(xb, 1) };
                for (int i = 0; i < 32; i++) sums[i / 16] += packed_quant(type, k.registers, k.lane, i) * xb->qs[i];
                int32_t scaled = (int8_t)k.header[SCALES_AT + 16 * (2 * j) + k.lane] * sums[0] +
                                 (int8_t)k.header[SCALES_AT + 16 * (2 * j + 1) + k.lane] * sums[1];
                total = fmaf(half_at(k.header + 2 * k.lane) * xb->d, (float)scaled, total);
            } else {
                int32_t sum = 0;
                for (int i = 0; i < 32; i++) sum += packed_quant(type, k.registers, k.lane, i) * xb->qs[i];
                float ds = half_at(k.header + 2 * k.lane) * (float)k.header[SCALES_AT + 16 * j + k.lane];
                float dm = half_at(k.header + 32 + 2 * k.lane) * (float)k.header[MINS_AT + 16 * j + k.lane];
                total = fmaf(ds * xb->d, (float)sum, total);
                total = fmaf(-dm, xb->s, total);
            }
        }
    }
    return total;
}

// Row `row` as floats, bit for bit the file's dequantisation: Q4_K/Q5_K (d * sc) * q - dmin * m, Q6_K (d * sc) * (q - 32).
static void dequantize_k_row(int type, const uint8_t *packed, int64_t row, int64_t n, float *y) {
    for (int64_t s = 0; s < n / CK_QK; s++) {
        for (int j = 0; j < 8; j++) {
            k_block k = block_at(type, packed, row, n, s, j);
            float d = half_at(k.header + 2 * k.lane), *out = y + s * CK_QK + 32 * j;
            for (int i = 0; i < 32; i++) {
                int q = packed_quant(type, k.registers, k.lane, i);
                if (type == CK_TYPE_Q6_K) {
                    float step = d * (float)(int8_t)k.header[SCALES_AT + 16 * (2 * j + i / 16) + k.lane];
                    out[i] = step * (float)(q - 32);
                } else {
                    float step = d * (float)k.header[SCALES_AT + 16 * j + k.lane];
                    float min = half_at(k.header + 32 + 2 * k.lane) * (float)k.header[MINS_AT + 16 * j + k.lane];
                    out[i] = step * (float)q - min;
                }
            }
        }
    }
}

#ifdef CK_X86

static inline CK_AVX512 __m512 bytes_as_floats(const uint8_t *p, int is_signed) {
    __m128i bytes = _mm_loadu_si128((const __m128i *)p);
    return _mm512_cvtepi32_ps(is_signed ? _mm512_cvtepi8_epi32(bytes) : _mm512_cvtepu8_epi32(bytes));
}

// One group of 16 rows times `count` inputs over every super-block; sums[j] holds input j's half sums (Q6_K).
static inline CK_AVX512 __attribute__((always_inline)) void k_tile(int type, const uint8_t *group, int prefetch,
                                                                  int64_t superblocks, const ck_block_q8a *const *x,
                                                                  const int32_t *const *sums, int count, __m512 *totals) {
    const int64_t block = block_bytes(type);
    __m512 acc[MOST_INPUTS];
    for (int j = 0; j < count; j++) acc[j] = _mm512_setzero_ps();
    for (int64_t s = 0; s < superblocks; s++) {
        const uint8_t *header = group + s * superblock_bytes(type);
        if (prefetch)
            for (int64_t line = 0; line < HEADER_BYTES; line += 64) _mm_prefetch((const char *)(header + PREFETCH_AHEAD + line), _MM_HINT_T1);
        __m512 d = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)header));
        __m512 dmin = type == CK_TYPE_Q6_K ? d : _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(header + 32)));
        for (int sub = 0; sub < 8; sub++) {
            const uint8_t *q = header + HEADER_BYTES + sub * block;
            if (prefetch)
                for (int64_t line = 0; line < block; line += 64) _mm_prefetch((const char *)(q + PREFETCH_AHEAD + line), _MM_HINT_T1);
            __m512i w[PIECES];
            packed_pieces(type, q, w);
            const int64_t b = 8 * s + sub;
            if (type == CK_TYPE_Q6_K) {
                __m512i sc_lo = _mm512_cvtepi8_epi32(_mm_load_si128((const __m128i *)(header + SCALES_AT + 32 * sub)));
                __m512i sc_hi = _mm512_cvtepi8_epi32(_mm_load_si128((const __m128i *)(header + SCALES_AT + 32 * sub + 16)));
                for (int j = 0; j < count; j++) {
                    const ck_block_q8a *xb = x[j] + b;
                    __m512i lo = _mm512_set1_epi32(-32 * sums[j][2 * b]), hi = _mm512_set1_epi32(-32 * sums[j][2 * b + 1]);
                    for (int k = 0; k < 4; k++) {
                        lo = _mm512_dpbusd_epi32(lo, w[k], broadcast_piece(xb->qs, k));
                        hi = _mm512_dpbusd_epi32(hi, w[k + 4], broadcast_piece(xb->qs, k + 4));
                    }
                    __m512i scaled = _mm512_add_epi32(_mm512_mullo_epi32(sc_lo, lo), _mm512_mullo_epi32(sc_hi, hi));
                    acc[j] = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(xb->d)), _mm512_cvtepi32_ps(scaled), acc[j]);
                }
            } else {
                __m512 ds = _mm512_mul_ps(d, bytes_as_floats(header + SCALES_AT + 16 * sub, 0));
                __m512 dm = _mm512_mul_ps(dmin, bytes_as_floats(header + MINS_AT + 16 * sub, 0));
                for (int j = 0; j < count; j++) {
                    const ck_block_q8a *xb = x[j] + b;
                    // Integer sums are exact, so two chains (even and odd pieces) give the same block sum sooner.
                    __m512i even = _mm512_setzero_si512(), odd = _mm512_setzero_si512();
                    for (int k = 0; k < PIECES; k += 2) {
                        even = _mm512_dpbusd_epi32(even, w[k], broadcast_piece(xb->qs, k));
                        odd = _mm512_dpbusd_epi32(odd, w[k + 1], broadcast_piece(xb->qs, k + 1));
                    }
                    __m512 sum = _mm512_cvtepi32_ps(_mm512_add_epi32(even, odd));
                    acc[j] = _mm512_fmadd_ps(_mm512_mul_ps(ds, _mm512_set1_ps(xb->d)), sum, acc[j]);
                    acc[j] = _mm512_fnmadd_ps(dm, _mm512_set1_ps(xb->s), acc[j]);
                }
            }
        }
    }
    for (int j = 0; j < count; j++) totals[j] = acc[j];
}

// Every (type, inputs) pair is its own specialisation of the same arithmetic.
CK_AVX512 void ck_packed_k_tile(int type, const uint8_t *group, int prefetch, int64_t superblocks,
                                 const ck_block_q8a *const *x, const int32_t *const *sums, int count, __m512 *totals) {
#define CK_K_CASE(T, C) case T * 16 + C: k_tile(T, group, prefetch, superblocks, x, sums, C, totals); break;
#define CK_K_COUNTS(T) \
    CK_K_CASE(T, 1) CK_K_CASE(T, 2) CK_K_CASE(T, 3) CK_K_CASE(T, 4) CK_K_CASE(T, 5) CK_K_CASE(T, 6) CK_K_CASE(T, 7) CK_K_CASE(T, 8)
    switch (type * 16 + count) {
    CK_K_COUNTS(CK_TYPE_Q4_K)
    CK_K_COUNTS(CK_TYPE_Q5_K)
    CK_K_COUNTS(CK_TYPE_Q6_K)
    default: break;
    }
#undef CK_K_COUNTS
#undef CK_K_CASE
}

// Per row (lane) of sub-block `sub`: the step of each half (Q6_K's two 16-value sub-blocks; one step for Q4_K/Q5_K)
// and the min (zero for Q6_K), from the super-block's header, as dequantize_k_row computes them.
static inline CK_AVX512 __attribute__((always_inline)) void k_steps(int type, const uint8_t *header, int sub, __m512 *steps,
                                                                   __m512 *min) {
    __m512 d = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)header));
    if (type == CK_TYPE_Q6_K) {
        steps[0] = _mm512_mul_ps(d, bytes_as_floats(header + SCALES_AT + 32 * sub, 1));
        steps[1] = _mm512_mul_ps(d, bytes_as_floats(header + SCALES_AT + 32 * sub + 16, 1));
        *min = _mm512_setzero_ps();
    } else {
        __m512 dmin = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(header + 32)));
        steps[0] = steps[1] = _mm512_mul_ps(d, bytes_as_floats(header + SCALES_AT + 16 * sub, 0));
        *min = _mm512_mul_ps(dmin, bytes_as_floats(header + MINS_AT + 16 * sub, 0));
    }
}

// Values from their quants q and their half's step and min, as dequantize_k_row.
static inline CK_AVX512 __m512 k_values(int type, __m512 step, __m512 min, __m512 q) {
    return type == CK_TYPE_Q6_K ? _mm512_mul_ps(step, _mm512_sub_ps(q, _mm512_set1_ps(32))) : _mm512_sub_ps(_mm512_mul_ps(step, q), min);
}

// The rows of one group inside [first, end) as floats: the same operations as dequantize_k_row.
static CK_AVX512 void dequantize_k_group_avx512(int type, const uint8_t *group, int64_t n, int64_t group_first, int64_t first,
                                                int64_t end, float *y) {
    for (int64_t s = 0; s < n / CK_QK; s++) {
        const uint8_t *header = group + s * superblock_bytes(type);
        for (int sub = 0; sub < 8; sub++) {
            __m512i w[PIECES];
            packed_pieces(type, header + HEADER_BYTES + sub * block_bytes(type), w);
            __m512 steps[2], mins;
            k_steps(type, header, sub, steps, &mins);
            for (int quarter = 0; quarter < 4; quarter++) {
                __m512 step[2] = { spread_quarter(steps[0], quarter), spread_quarter(steps[1], quarter) };
                __m512 min = spread_quarter(mins, quarter);
                for (int k = 0; k < PIECES; k += 2) {
                    __m512 v[2];
                    for (int e = 0; e < 2; e++) v[e] = k_values(type, step[(k + e) / 4], min, quarter_values(w[k + e], quarter));
                    store_piece_pairs(v[0], v[1], group_first + 4 * quarter, first, end, y, n, s * CK_QK + 32 * sub + 4 * k);
                }
            }
        }
    }
}

CK_AVX512 void ck_dequantize_packed_k_panel(int type, const void *packed, int64_t n, int64_t g, int64_t first, int64_t count,
                                            float *panel, int64_t stride) {
    const uint8_t *group = (const uint8_t *)packed + (size_t)(g * group_bytes(type, n));
    for (int64_t b = first / 32; b < (first + count) / 32; b++) {
        const uint8_t *header = group + b / 8 * superblock_bytes(type);
        const int sub = (int)(b % 8);
        __m512i w[PIECES];
        packed_pieces(type, header + HEADER_BYTES + sub * block_bytes(type), w);
        __m512 steps[2], min;
        k_steps(type, header, sub, steps, &min);
        float *out = panel + (b * 32 - first) * stride;
        for (int k = 0; k < PIECES; k++)
            for (int t = 0; t < 4; t++) _mm512_storeu_ps(out + (4 * k + t) * stride, k_values(type, steps[k / 4], min, lane_byte_values(w[k], t)));
    }
}
#endif

void ck_dequantize_packed_k_rows(int type, const void *packed, int64_t rows, int64_t n, int64_t first, int64_t count, float *y) {
    int64_t end = first + count < rows ? first + count : rows;
#ifdef CK_X86
    if (ck_have_avx512()) {
        for (int64_t g = first / GROUP_ROWS; g * GROUP_ROWS < end; g++)
            dequantize_k_group_avx512(type, (const uint8_t *)packed + (size_t)(g * group_bytes(type, n)), n, g * GROUP_ROWS, first,
                                      end, y);
        return;
    }
#endif
    for (int64_t r = first; r < end; r++) dequantize_k_row(type, (const uint8_t *)packed, r, n, y + (r - first) * n);
}
