// Quantized weights times several activation rows, for matrices without packed rows (quant_packed.c and
// quant_packed_k.c serve the types they pack on AVX-512 VNNI machines): each Q4_0 weight row is unpacked once
// and used for a tile of up to four inputs, so a decode step of B sequences reads the weights once; other types take the single-row dot per input.
// Per input, the arithmetic is the single-row dot product's, in the same order: results are bit-identical
// to ck_dot_quantized whatever the batch holds (tests rely on it: a sequence decodes the same alone or not).
// Float inputs (prompt rows) are quant_prompt.c's.
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
