// Quantized weights times several activation rows: each weight row is unpacked once and used for a tile
// of up to four inputs while it sits in registers and L1, so a decode step of B sequences reads the weights once.
// Per input, the arithmetic is the single-row dot product's, in the same order: results are bit-identical
// to ck_dot_quantized whatever the batch holds (tests rely on it: a sequence decodes the same alone or not).
#include "ck_batch.h"
#include "quant_avx512.h"

#include <stdlib.h>

enum { TILE = 4 };

#ifdef CK_X86

// --- AVX-512 VNNI: the bodies of ck_dot_q8_0_avx512 / ck_dot_q4_0_avx512 for up to four inputs -------

#define CK_ROWS static inline CK_AVX512 __attribute__((always_inline))

// Up to WROWS weight rows (`w` points at the first, rows `row_bytes` apart) times up to TILE inputs:
// each activation vector loaded serves every row. Results go to out[j * out_stride + r].
enum { WROWS = 2 };
#define ROW(type, r) ((const type *)((const uint8_t *)w + (size_t)(r) * row_bytes))
// The (rows, inputs) shapes of a tile, each a specialisation: CASE(unpacked, rows, inputs).
#define CK_TILE_SHAPES(CASE, U) \
    CASE(U, 2, 4) CASE(U, 2, 3) CASE(U, 2, 2) CASE(U, 2, 1) CASE(U, 1, 4) CASE(U, 1, 3) CASE(U, 1, 2) CASE(U, 1, 1)

// Q8_0 for more than one tile of inputs takes each pair of weight rows unpacked once (bytes, offsets, spread
// scales) and the inputs' scales spread once per call; one tile unpacks in registers.
typedef struct {
    const __m512i *q;          // [row][pair]
    const __m512i *offset;     // [row][pair]: -128 * the sum of each lane's four weights
    const __m512 *d;           // [row][pair]
} unpacked_q8_0;

// Unsigned activations a + 128 against the signed weights, each lane starting from -128 * its four
// weights' sum: the single-row dot's integer sums (|w| . sign(w) a) without a sign flip per (row, input).
static inline CK_AVX512 __m512i q8_0_offset(__m512i q) {
    return _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8((char)0x80), q));
}

CK_ROWS void rows_q8_0(const int unpacked, unpacked_q8_0 u, int64_t pairs, const __m512 *scales, const void *w,
                       size_t row_bytes, int nr, const ck_block_q8a *const *x, int count, int64_t blocks,
                       float *out, int64_t out_stride) {
    __m512 acc[WROWS][TILE];
    for (int r = 0; r < nr; r++)
        for (int j = 0; j < count; j++) acc[r][j] = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        const int64_t p = b / 2;
        __m512i q[WROWS], offset[WROWS];
        __m512 wd[WROWS];
        for (int r = 0; r < nr; r++) {
            if (unpacked) {
                q[r] = u.q[r * pairs + p];
                offset[r] = u.offset[r * pairs + p];
                wd[r] = u.d[r * pairs + p];
            } else {
                const block_q8_0 *wr = ROW(block_q8_0, r);
                q[r] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)wr[b].qs)),
                                          _mm256_loadu_si256((const __m256i *)wr[b + 1].qs), 1);
                offset[r] = q8_0_offset(q[r]);
                wd[r] = spread_x2(_cvtsh_ss(wr[b].d), _cvtsh_ss(wr[b + 1].d));
            }
        }
        for (int j = 0; j < count; j++) {
            const ck_block_q8a *xj = x[j] + b;
            __m512i a = _mm512_xor_si512(activations_x2(xj), _mm512_set1_epi8((char)0x80));
            __m512 xd = unpacked ? scales[p * TILE + j] : spread_x2(xj[0].d, xj[1].d);
            for (int r = 0; r < nr; r++) {
                __m512i sums = _mm512_dpbusd_epi32(offset[r], a, q[r]);
                acc[r][j] = _mm512_fmadd_ps(_mm512_mul_ps(wd[r], xd), _mm512_cvtepi32_ps(sums), acc[r][j]);
            }
        }
    }
    for (int r = 0; r < nr; r++)
        for (int j = 0; j < count; j++) {
            float total = _mm512_reduce_add_ps(acc[r][j]);
            if (b < blocks) total += ck_dot_q8_0_avx2(ROW(block_q8_0, r) + b, x[j] + b, 1);
            out[j * out_stride + r] = total;
        }
}

// Every (unpacked, rows, inputs) shape is its own specialisation of the same arithmetic.
static CK_AVX512 void tile_q8_0_with(unpacked_q8_0 u, int64_t pairs, const __m512 *scales, const void *w, size_t row_bytes,
                                     int nr, const ck_block_q8a *const *x, int count, int64_t blocks, float *out,
                                     int64_t out_stride) {
#define CK_Q80_CASE(U, R, C) \
    case U * 64 + R * 8 + C: rows_q8_0(U, u, pairs, scales, w, row_bytes, R, x, C, blocks, out, out_stride); break;
    switch ((u.q != NULL) * 64 + nr * 8 + count) {
    CK_TILE_SHAPES(CK_Q80_CASE, 0)
    CK_TILE_SHAPES(CK_Q80_CASE, 1)
    default: break;
    }
#undef CK_Q80_CASE
}

static CK_AVX512 void tile_q8_0(const void *w, size_t row_bytes, int nr, const ck_block_q8a *const *x, int count,
                                int64_t blocks, float *out, int64_t out_stride) {
    unpacked_q8_0 none = { NULL, NULL, NULL };
    tile_q8_0_with(none, 0, NULL, w, row_bytes, nr, x, count, blocks, out, out_stride);
}

// Q4_0 as (q - 8) . x = q . x - 8 sum(x).
CK_ROWS void rows_q4_0(const void *w, size_t row_bytes, int nr, const ck_block_q8a *const *x, int count, int64_t blocks,
                       float *out, int64_t out_stride) {
    __m512 acc[WROWS][TILE];
    float offsets[WROWS][TILE];
    for (int r = 0; r < nr; r++)
        for (int j = 0; j < count; j++) { acc[r][j] = _mm512_setzero_ps(); offsets[r][j] = 0; }
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        __m512i q[WROWS];
        float d0[WROWS], d1[WROWS];
        for (int r = 0; r < nr; r++) {
            const block_q4_0 *wr = ROW(block_q4_0, r);
            q[r] = nibbles_to_bytes_x2(wr[b].qs, wr[b + 1].qs);
            d0[r] = _cvtsh_ss(wr[b].d); d1[r] = _cvtsh_ss(wr[b + 1].d);
        }
        for (int j = 0; j < count; j++) {
            const ck_block_q8a *xj = x[j] + b;
            __m512i a = activations_x2(xj);
            for (int r = 0; r < nr; r++) {
                __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q[r], a);
                acc[r][j] = _mm512_fmadd_ps(spread_x2(d0[r] * xj[0].d, d1[r] * xj[1].d), _mm512_cvtepi32_ps(sums), acc[r][j]);
                offsets[r][j] += 8.0f * d0[r] * xj[0].s + 8.0f * d1[r] * xj[1].s;
            }
        }
    }
    for (int r = 0; r < nr; r++)
        for (int j = 0; j < count; j++) {
            float total = _mm512_reduce_add_ps(acc[r][j]) - offsets[r][j];
            if (b < blocks) {
                const block_q4_0 *wb = ROW(block_q4_0, r) + b;
                const ck_block_q8a *xj = x[j] + b;
                float d = _cvtsh_ss(wb->d);
                int sum = 0;
                for (int i = 0; i < 16; i++) sum += (int)(wb->qs[i] & 0x0f) * xj->qs[i] + (int)(wb->qs[i] >> 4) * xj->qs[i + 16];
                total += d * xj->d * (float)sum - 8.0f * d * xj->s;
            }
            out[j * out_stride + r] = total;
        }
}

// One function per type; each (rows, inputs) shape is its own specialisation of the same arithmetic.
#define CK_TILE(name, rows)                                                                              \
    static CK_AVX512 void name(const void *w, size_t row_bytes, int nr, const ck_block_q8a *const *x, int count, \
                               int64_t blocks, float *out, int64_t out_stride) {                          \
        switch (nr * 8 + count) {                                                                        \
        case 2 * 8 + 4: rows(w, row_bytes, 2, x, 4, blocks, out, out_stride); break;                    \
        case 2 * 8 + 3: rows(w, row_bytes, 2, x, 3, blocks, out, out_stride); break;                    \
        case 2 * 8 + 2: rows(w, row_bytes, 2, x, 2, blocks, out, out_stride); break;                    \
        case 2 * 8 + 1: rows(w, row_bytes, 2, x, 1, blocks, out, out_stride); break;                    \
        case 1 * 8 + 4: rows(w, row_bytes, 1, x, 4, blocks, out, out_stride); break;                    \
        case 1 * 8 + 3: rows(w, row_bytes, 1, x, 3, blocks, out, out_stride); break;                    \
        case 1 * 8 + 2: rows(w, row_bytes, 1, x, 2, blocks, out, out_stride); break;                    \
        default: rows(w, row_bytes, 1, x, 1, blocks, out, out_stride); break;                           \
        }                                                                                                \
    }

CK_TILE(tile_q4_0, rows_q4_0)

// Q4_1 with the inputs' scales prepared once per call: for each tile of four inputs, the activation
// scales of every block pair as vectors (d of block 2p in lanes 0-7, of 2p+1 in lanes 8-15) and the
// block sums s as [block][input]. The arithmetic per (row, input) is still the single-row dot's:
// scale = d_w * d_x lane by lane, and the mins summed as two running sums (even blocks, odd blocks) of
// fused products, added at the end, now four inputs wide.
typedef struct {
    const float *sums;   // [block][TILE]
    const __m512 *scales; // [pair][TILE]
} prepared_tile;

// A pair of weight rows unpacked once for every tile of inputs: bytes of each block pair, their scales
// spread as spread_x2 makes them, and the mins; the same values the single-row dot computes in registers.
typedef struct {
    const __m512i *q;   // [row][pair]
    const __m512 *d;    // [row][pair]
    const float *m;     // [row][block]
} unpacked_rows;

// `unpacked` 0 unpacks each block pair in registers (one tile of inputs: nothing to share), 1 reads `u`.
CK_ROWS void rows_q4_1_prepared(const int unpacked, unpacked_rows u, int64_t pairs, const void *w, size_t row_bytes, int nr,
                                const ck_block_q8a *const *x, int count, int64_t blocks, prepared_tile prep,
                                float *out, int64_t out_stride) {
    __m512 acc[WROWS][TILE];
    __m128 even[WROWS], odd[WROWS];
    for (int r = 0; r < nr; r++) {
        even[r] = odd[r] = _mm_setzero_ps();
        for (int j = 0; j < count; j++) acc[r][j] = _mm512_setzero_ps();
    }
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        const int64_t p = b / 2;
        __m512i q[WROWS];
        __m512 wd[WROWS];
        __m128 m0[WROWS], m1[WROWS];
        for (int r = 0; r < nr; r++) {
            if (unpacked) {
                q[r] = u.q[r * pairs + p];
                wd[r] = u.d[r * pairs + p];
                m0[r] = _mm_set1_ps(u.m[r * blocks + b]);
                m1[r] = _mm_set1_ps(u.m[r * blocks + b + 1]);
            } else {
                const block_q4_1 *wr = ROW(block_q4_1, r);
                q[r] = nibbles_to_bytes_x2(wr[b].qs, wr[b + 1].qs);
                wd[r] = spread_x2(_cvtsh_ss(wr[b].d), _cvtsh_ss(wr[b + 1].d));
                m0[r] = _mm_set1_ps(_cvtsh_ss(wr[b].m));
                m1[r] = _mm_set1_ps(_cvtsh_ss(wr[b + 1].m));
            }
        }
        const __m512 *xd = prep.scales + p * TILE;
        for (int j = 0; j < count; j++) {
            __m512i a = activations_x2(x[j] + b);
            for (int r = 0; r < nr; r++) {
                __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q[r], a);
                acc[r][j] = _mm512_fmadd_ps(_mm512_mul_ps(wd[r], xd[j]), _mm512_cvtepi32_ps(sums), acc[r][j]);
            }
        }
        __m128 s0 = _mm_loadu_ps(prep.sums + b * TILE), s1 = _mm_loadu_ps(prep.sums + (b + 1) * TILE);
        for (int r = 0; r < nr; r++) {
            even[r] = _mm_fmadd_ps(m0[r], s0, even[r]);
            odd[r] = _mm_fmadd_ps(m1[r], s1, odd[r]);
        }
    }
    for (int r = 0; r < nr; r++) {
        float m[TILE];
        _mm_storeu_ps(m, _mm_add_ps(even[r], odd[r]));
        for (int j = 0; j < count; j++) {
            float total = _mm512_reduce_add_ps(acc[r][j]) + m[j];
            if (b < blocks) total += ck_dot_q4_1_avx2(ROW(block_q4_1, r) + b, x[j] + b, 1);
            out[j * out_stride + r] = total;
        }
    }
}

static CK_AVX512 void tile_q4_1_prepared(unpacked_rows u, int64_t pairs, const void *w, size_t row_bytes, int nr,
                                         const ck_block_q8a *const *x, int count, int64_t blocks, prepared_tile prep,
                                         float *out, int64_t out_stride) {
#define CK_Q41_CASE(U, R, C) \
    case U * 64 + R * 8 + C: rows_q4_1_prepared(U, u, pairs, w, row_bytes, R, x, C, blocks, prep, out, out_stride); break;
    switch ((u.q != NULL) * 64 + nr * 8 + count) {
    CK_TILE_SHAPES(CK_Q41_CASE, 0)
    CK_TILE_SHAPES(CK_Q41_CASE, 1)
    default: break;
    }
#undef CK_Q41_CASE
}

static CK_AVX512 void matmul_q4_1_prepared(const uint8_t *base, size_t row_bytes, int64_t blocks, const ck_block_q8a *x,
                                           int64_t x_stride, int64_t inputs, float *out, int64_t out_stride,
                                           int64_t begin, int64_t end) {
    int64_t tiles = (inputs + TILE - 1) / TILE, pairs = blocks / 2, slots = pairs > 0 ? pairs : 1;
    float *sums = malloc((size_t)(tiles * blocks * TILE) * sizeof(float));
    __m512 *scales = aligned_alloc(64, (size_t)(tiles * slots * TILE) * sizeof(__m512));
    __m512i *row_q = aligned_alloc(64, (size_t)(WROWS * slots) * sizeof(__m512i));
    __m512 *row_d = aligned_alloc(64, (size_t)(WROWS * slots) * sizeof(__m512));
    float *row_m = malloc((size_t)(WROWS * blocks) * sizeof(float));
    if (!sums || !scales || !row_q || !row_d || !row_m) abort();
    for (int64_t t = 0; t < tiles; t++) {
        for (int j = 0; j < TILE; j++) {
            // Lanes past the last input repeat it; their results are never stored.
            int64_t input = t * TILE + j < inputs ? t * TILE + j : inputs - 1;
            const ck_block_q8a *xj = x + input * x_stride;
            for (int64_t b = 0; b < blocks; b++) sums[(t * blocks + b) * TILE + j] = xj[b].s;
            for (int64_t p = 0; p < pairs; p++) scales[(t * pairs + p) * TILE + j] = spread_x2(xj[2 * p].d, xj[2 * p + 1].d);
        }
    }
    // With one tile of inputs each row pair is used once: unpacking it to memory first would only add work.
    unpacked_rows u = { tiles > 1 ? row_q : NULL, row_d, row_m };
    for (int64_t r0 = begin; r0 < end; r0 += WROWS) {
        int nr = end - r0 < WROWS ? (int)(end - r0) : WROWS;
        const uint8_t *w = base + (size_t)r0 * row_bytes;
        for (int r = 0; r < nr && u.q; r++) {
            const block_q4_1 *wr = ROW(block_q4_1, r);
            for (int64_t p = 0; p < pairs; p++) {
                row_q[r * pairs + p] = nibbles_to_bytes_x2(wr[2 * p].qs, wr[2 * p + 1].qs);
                row_d[r * pairs + p] = spread_x2(_cvtsh_ss(wr[2 * p].d), _cvtsh_ss(wr[2 * p + 1].d));
            }
            for (int64_t b = 0; b < blocks; b++) row_m[r * blocks + b] = _cvtsh_ss(wr[b].m);
        }
        for (int64_t t = 0; t < tiles; t++) {
            const ck_block_q8a *tile_inputs[TILE];
            int live = inputs - t * TILE < TILE ? (int)(inputs - t * TILE) : TILE;
            for (int j = 0; j < live; j++) tile_inputs[j] = x + (t * TILE + j) * x_stride;
            prepared_tile prep = { sums + t * blocks * TILE, scales + t * pairs * TILE };
            tile_q4_1_prepared(u, pairs, w, row_bytes, nr, tile_inputs, live, blocks, prep, out + t * TILE * out_stride + r0,
                               out_stride);
        }
    }
    free(sums);
    free(scales);
    free(row_q);
    free(row_d);
    free(row_m);
}

static CK_AVX512 void matmul_q8_0_unpacked(const uint8_t *base, size_t row_bytes, int64_t blocks, const ck_block_q8a *x,
                                           int64_t x_stride, int64_t inputs, float *out, int64_t out_stride,
                                           int64_t begin, int64_t end) {
    int64_t tiles = (inputs + TILE - 1) / TILE, pairs = blocks / 2, slots = pairs > 0 ? pairs : 1;
    __m512 *scales = aligned_alloc(64, (size_t)(tiles * slots * TILE) * sizeof(__m512));
    __m512i *q = aligned_alloc(64, (size_t)(WROWS * slots) * sizeof(__m512i));
    __m512i *offset = aligned_alloc(64, (size_t)(WROWS * slots) * sizeof(__m512i));
    __m512 *d = aligned_alloc(64, (size_t)(WROWS * slots) * sizeof(__m512));
    if (!scales || !q || !offset || !d) abort();
    for (int64_t t = 0; t < tiles; t++)
        for (int j = 0; j < TILE; j++) {
            int64_t input = t * TILE + j < inputs ? t * TILE + j : inputs - 1;  // past the last: never stored
            const ck_block_q8a *xj = x + input * x_stride;
            for (int64_t p = 0; p < pairs; p++) scales[(t * pairs + p) * TILE + j] = spread_x2(xj[2 * p].d, xj[2 * p + 1].d);
        }
    unpacked_q8_0 u = { q, offset, d };
    for (int64_t r0 = begin; r0 < end; r0 += WROWS) {
        int nr = end - r0 < WROWS ? (int)(end - r0) : WROWS;
        const uint8_t *w = base + (size_t)r0 * row_bytes;
        for (int r = 0; r < nr; r++) {
            const block_q8_0 *wr = ROW(block_q8_0, r);
            for (int64_t p = 0; p < pairs; p++) {
                __m512i bytes = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)wr[2 * p].qs)),
                                                   _mm256_loadu_si256((const __m256i *)wr[2 * p + 1].qs), 1);
                q[r * pairs + p] = bytes;
                offset[r * pairs + p] = q8_0_offset(bytes);
                d[r * pairs + p] = spread_x2(_cvtsh_ss(wr[2 * p].d), _cvtsh_ss(wr[2 * p + 1].d));
            }
        }
        for (int64_t t = 0; t < tiles; t++) {
            const ck_block_q8a *tile_inputs[TILE];
            int live = inputs - t * TILE < TILE ? (int)(inputs - t * TILE) : TILE;
            for (int j = 0; j < live; j++) tile_inputs[j] = x + (t * TILE + j) * x_stride;
            tile_q8_0_with(u, pairs, scales + t * pairs * TILE, w, row_bytes, nr, tile_inputs, live, blocks,
                           out + t * TILE * out_stride + r0, out_stride);
        }
    }
    free(scales);
    free(q);
    free(offset);
    free(d);
}

CK_AVX512 float ck_dot_q4_0_avx512(const block_q4_0 *w, const ck_block_q8a *x, int64_t blocks) {
    float out;
    rows_q4_0(w, 0, 1, &x, 1, blocks, &out, 1);
    return out;
}

// Float rows: one accumulator of 16 lanes per (weight row, input), summed in order, then reduced; up to
// four dequantized weight rows at a time, so each input vector loaded serves four rows.
enum { ROWS = 4, DEQUANTIZED_BLOCK_BYTES = 192 * 1024 };

CK_ROWS void block_f32(const float *w, int64_t w_stride, int nr, const float *const *x, int count, int64_t n,
                       float *out, int64_t out_stride) {
    __m512 acc[ROWS][TILE];
    for (int r = 0; r < nr; r++)
        for (int j = 0; j < count; j++) acc[r][j] = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        __m512 xi[TILE];
        for (int j = 0; j < count; j++) xi[j] = _mm512_loadu_ps(x[j] + i);
        for (int r = 0; r < nr; r++) {
            __m512 wi = _mm512_loadu_ps(w + r * w_stride + i);
            for (int j = 0; j < count; j++) acc[r][j] = _mm512_fmadd_ps(wi, xi[j], acc[r][j]);
        }
    }
    for (int r = 0; r < nr; r++)
        for (int j = 0; j < count; j++) out[j * out_stride + r] = _mm512_reduce_add_ps(acc[r][j]);
}

// Every (rows, inputs) shape is its own specialisation of the same per-pair arithmetic.
static CK_AVX512 void tile_f32(const float *w, int64_t w_stride, int nr, const float *const *x, int count, int64_t n,
                               float *out, int64_t out_stride) {
#define CK_F32_CASE(R, C) case R * 8 + C: block_f32(w, w_stride, R, x, C, n, out, out_stride); break;
    switch (nr * 8 + count) {
    CK_F32_CASE(4, 4) CK_F32_CASE(4, 3) CK_F32_CASE(4, 2) CK_F32_CASE(4, 1)
    CK_F32_CASE(3, 4) CK_F32_CASE(3, 3) CK_F32_CASE(3, 2) CK_F32_CASE(3, 1)
    CK_F32_CASE(2, 4) CK_F32_CASE(2, 3) CK_F32_CASE(2, 2) CK_F32_CASE(2, 1)
    default: block_f32(w, w_stride, 1, x, count, n, out, out_stride); break;
    }
#undef CK_F32_CASE
}
#endif

// --- dispatch -------------------------------------------------------------------------------------

typedef void (*tile_fn)(const void *w, size_t row_bytes, int nr, const ck_block_q8a *const *x, int count, int64_t blocks,
                        float *out, int64_t out_stride);

static tile_fn tile_for(int type) {
#ifdef CK_X86
    if (ck_have_avx512()) {
        switch (type) {
        case CK_TYPE_Q4_0: return tile_q4_0;
        case CK_TYPE_Q8_0: return tile_q8_0;
        default: break;
        }
    }
#endif
    return NULL;
}

void ck_matmul_q8a(int type, const void *weights, size_t row_bytes, int64_t n, const ck_block_q8a *x,
                   int64_t x_stride, int64_t inputs, float *out, int64_t out_stride, int64_t begin, int64_t end) {
    const uint8_t *base = (const uint8_t *)weights;
    int64_t blocks = n / 32;
#ifdef CK_X86
    // One input of Q4_1 or Q8_0 takes the single-row dot below: the same arithmetic without the tile's
    // set-up (measured 25-30% faster).
    if (type == CK_TYPE_Q4_1 && ck_have_avx512() && inputs > 1) {
        matmul_q4_1_prepared(base, row_bytes, blocks, x, x_stride, inputs, out, out_stride, begin, end);
        return;
    }
    if (type == CK_TYPE_Q8_0 && ck_have_avx512() && inputs > TILE) {
        matmul_q8_0_unpacked(base, row_bytes, blocks, x, x_stride, inputs, out, out_stride, begin, end);
        return;
    }
#endif
    tile_fn tile = inputs > 1 || type != CK_TYPE_Q8_0 ? tile_for(type) : NULL;
    if (!tile) {
        // No tile for this machine or type: the single-row dot per input, equal by construction.
        for (int64_t r = begin; r < end; r++)
            for (int64_t j = 0; j < inputs; j++)
                out[j * out_stride + r] = ck_dot_quantized(type, base + (size_t)r * row_bytes, x + j * x_stride, blocks);
        return;
    }
#ifdef CK_X86
    for (int64_t r0 = begin; r0 < end; r0 += WROWS) {
        int nr = end - r0 < WROWS ? (int)(end - r0) : WROWS;
        for (int64_t j0 = 0; j0 < inputs; j0 += TILE) {
            const ck_block_q8a *tile_inputs[TILE];
            int live = inputs - j0 < TILE ? (int)(inputs - j0) : TILE;
            for (int j = 0; j < live; j++) tile_inputs[j] = x + (j0 + j) * x_stride;
            tile(base + (size_t)r0 * row_bytes, row_bytes, nr, tile_inputs, live, blocks, out + j0 * out_stride + r0, out_stride);
        }
    }
#endif
}

void ck_matmul_float(int type, const void *weights, size_t row_bytes, int64_t n, const float *x,
                     int64_t x_stride, int64_t inputs, float *out, int64_t out_stride, int64_t begin, int64_t end) {
    const uint8_t *base = (const uint8_t *)weights;
    for (int64_t r = begin; r < end; r++) {
        const void *row = base + (size_t)r * row_bytes;
        for (int64_t j = 0; j < inputs; j++) out[j * out_stride + r] = ck_dot_float(type, row, x + j * x_stride, n);
    }
}

void ck_matmul_dequantized(int type, const void *weights, size_t row_bytes, int64_t n, const float *x,
                           int64_t x_stride, int64_t inputs, float *out, int64_t out_stride, int64_t begin, int64_t end) {
    const uint8_t *base = (const uint8_t *)weights;
#ifdef CK_X86
    if (ck_have_avx512() && n % 16 == 0) {
        // A block of dequantized rows that stays in L2 while each tile of inputs, in L1, passes over it: the
        // inputs are read once per block rather than once per four rows (prompt steps hold hundreds).
        int64_t block_rows = (DEQUANTIZED_BLOCK_BYTES / ((int64_t)n * (int64_t)sizeof(float))) / ROWS * ROWS;
        if (block_rows < ROWS) block_rows = ROWS;
        float *rows = malloc((size_t)(n * block_rows) * sizeof(float));
        if (!rows) abort();
        for (int64_t b0 = begin; b0 < end; b0 += block_rows) {
            int64_t nb = end - b0 < block_rows ? end - b0 : block_rows;
            for (int64_t r = 0; r < nb; r++) ck_dequantize_row(type, base + (size_t)(b0 + r) * row_bytes, rows + r * n, n);
            for (int64_t j0 = 0; j0 < inputs; j0 += TILE) {
                const float *tile_inputs[TILE];
                int live = inputs - j0 < TILE ? (int)(inputs - j0) : TILE;
                for (int j = 0; j < live; j++) tile_inputs[j] = x + (j0 + j) * x_stride;
                for (int64_t r0 = 0; r0 < nb; r0 += ROWS) {
                    int nr = nb - r0 < ROWS ? (int)(nb - r0) : ROWS;
                    tile_f32(rows + r0 * n, n, nr, tile_inputs, live, n, out + j0 * out_stride + b0 + r0, out_stride);
                }
            }
        }
        free(rows);
        return;
    }
#endif
    float *row = malloc((size_t)n * sizeof(float));
    if (!row) abort();
    for (int64_t r = begin; r < end; r++) {
        ck_dequantize_row(type, base + (size_t)r * row_bytes, row, n);
        for (int64_t j = 0; j < inputs; j++) out[j * out_stride + r] = ck_dot_float(CK_TYPE_F32, row, x + j * x_stride, n);
    }
    free(row);
}
