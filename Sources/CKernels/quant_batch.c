// Quantized weights times several activation rows, for matrices without packed rows (quant_packed.c and
// quant_packed_k.c serve the types they pack on AVX-512 VNNI machines): each Q4_0 weight row is unpacked once
// and used for a tile of up to four inputs, so a decode step of B sequences reads the weights once; other types take the single-row dot per input.
// Per input, the arithmetic is the single-row dot product's, in the same order: results are bit-identical
// to ck_dot_quantized whatever the batch holds (tests rely on it: a sequence decodes the same alone or not).
// Float inputs (prompt rows) multiply dequantized rows.
#include "ck_batch.h"
#include "quant_avx512.h"

#include <stdlib.h>

enum { TILE = 4 };

#ifdef CK_X86

// --- AVX-512 VNNI: the body of ck_dot_q4_0_avx512 for up to four inputs ---------------------------------

#define CK_ROWS static inline CK_AVX512 __attribute__((always_inline))

// Up to WROWS weight rows (`w` points at the first, rows `row_bytes` apart) times up to TILE inputs:
// each activation vector loaded serves every row. Results go to out[j * out_stride + r].
enum { WROWS = 2 };
#define ROW(type, r) ((const type *)((const uint8_t *)w + (size_t)(r) * row_bytes))

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
    tile_fn tile = tile_for(type);
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

void ck_matmul_dequantized(int type, const void *weights, size_t row_bytes, const void *packed, int64_t rows, int64_t n,
                           const float *x, int64_t x_stride, int64_t inputs, float *out, int64_t out_stride,
                           int64_t begin, int64_t end) {
    const uint8_t *base = (const uint8_t *)weights;
#ifdef CK_X86
    if (ck_have_avx512() && n % 16 == 0) {
        // A block of dequantized rows that stays in L2 while each tile of inputs, in L1, passes over it: the
        // inputs are read once per block rather than once per four rows (prompt steps hold hundreds).
        // Whole groups of 16 rows, the packed layout's unit.
        int64_t block_rows = (DEQUANTIZED_BLOCK_BYTES / ((int64_t)n * (int64_t)sizeof(float))) / 16 * 16;
        if (block_rows < 16) block_rows = 16;
        float *dequantized = malloc((size_t)(n * block_rows) * sizeof(float));
        if (!dequantized) abort();
        for (int64_t b0 = begin; b0 < end; b0 += block_rows) {
            int64_t nb = end - b0 < block_rows ? end - b0 : block_rows;
            if (packed) ck_dequantize_packed_rows(type, packed, rows, n, b0, nb, dequantized);
            else
                for (int64_t r = 0; r < nb; r++) ck_dequantize_row(type, base + (size_t)(b0 + r) * row_bytes, dequantized + r * n, n);
            for (int64_t j0 = 0; j0 < inputs; j0 += TILE) {
                const float *tile_inputs[TILE];
                int live = inputs - j0 < TILE ? (int)(inputs - j0) : TILE;
                for (int j = 0; j < live; j++) tile_inputs[j] = x + (j0 + j) * x_stride;
                for (int64_t r0 = 0; r0 < nb; r0 += ROWS) {
                    int nr = nb - r0 < ROWS ? (int)(nb - r0) : ROWS;
                    tile_f32(dequantized + r0 * n, n, nr, tile_inputs, live, n, out + j0 * out_stride + b0 + r0, out_stride);
                }
            }
        }
        free(dequantized);
        return;
    }
#endif
    float *row = malloc((size_t)n * sizeof(float));
    if (!row) abort();
    for (int64_t r = begin; r < end; r++) {
        if (packed) ck_dequantize_packed_rows(type, packed, rows, n, r, 1, row);
        else ck_dequantize_row(type, base + (size_t)r * row_bytes, row, n);
        for (int64_t j = 0; j < inputs; j++) out[j * out_stride + r] = ck_dot_float(CK_TYPE_F32, row, x + j * x_stride, n);
    }
    free(row);
}
