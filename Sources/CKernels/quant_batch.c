// Quantized weights times several activation rows: each weight row is unpacked once and used for a tile
// of up to four inputs while it sits in registers and L1, so a decode step of B sequences reads the weights once.
// Per input, the arithmetic is the single-row dot product's, in the same order: results are bit-identical
// to ck_dot_quantized whatever the batch holds (tests rely on it: a sequence decodes the same alone or not).
#include "ck_batch.h"
#include "quant_avx512.h"

#include <stdlib.h>

enum { TILE = 4 };

#ifdef CK_X86

// --- AVX-512 VNNI: the bodies of ck_dot_q4_1_avx512 / ck_dot_q8_0_avx512 for up to four inputs -------

#define CK_ROWS static inline CK_AVX512 __attribute__((always_inline))

CK_ROWS void rows_q4_1(const block_q4_1 *w, const ck_block_q8a *const *x, int count, int64_t blocks, float *out) {
    __m512 acc[TILE];
    float mins[TILE];
    for (int j = 0; j < count; j++) { acc[j] = _mm512_setzero_ps(); mins[j] = 0; }
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        __m512i q = nibbles_to_bytes_x2(w[b].qs, w[b + 1].qs);
        float d0 = _cvtsh_ss(w[b].d), d1 = _cvtsh_ss(w[b + 1].d);
        float m0 = _cvtsh_ss(w[b].m), m1 = _cvtsh_ss(w[b + 1].m);
        for (int j = 0; j < count; j++) {
            const ck_block_q8a *xj = x[j] + b;
            __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, activations_x2(xj));
            __m512 scale = scales_x2(d0 * xj[0].d, d1 * xj[1].d);
            acc[j] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(sums), acc[j]);
            mins[j] += m0 * xj[0].s + m1 * xj[1].s;
        }
    }
    for (int j = 0; j < count; j++) {
        float total = _mm512_reduce_add_ps(acc[j]) + mins[j];
        if (b < blocks) total += ck_dot_q4_1_avx2(w + b, x[j] + b, 1);
        out[j] = total;
    }
}

CK_ROWS void rows_q8_0(const block_q8_0 *w, const ck_block_q8a *const *x, int count, int64_t blocks, float *out) {
    __m512 acc[TILE];
    for (int j = 0; j < count; j++) acc[j] = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)w[b].qs)),
                                       _mm256_loadu_si256((const __m256i *)w[b + 1].qs), 1);
        __mmask64 negative = _mm512_movepi8_mask(q);
        __m512i magnitude = _mm512_abs_epi8(q);
        float d0 = _cvtsh_ss(w[b].d), d1 = _cvtsh_ss(w[b + 1].d);
        for (int j = 0; j < count; j++) {
            const ck_block_q8a *xj = x[j] + b;
            __m512i a = activations_x2(xj);
            __m512i signed_a = _mm512_mask_sub_epi8(a, negative, _mm512_setzero_si512(), a);
            __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), magnitude, signed_a);
            __m512 scale = scales_x2(d0 * xj[0].d, d1 * xj[1].d);
            acc[j] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(sums), acc[j]);
        }
    }
    for (int j = 0; j < count; j++) {
        float total = _mm512_reduce_add_ps(acc[j]);
        if (b < blocks) total += ck_dot_q8_0_avx2(w + b, x[j] + b, 1);
        out[j] = total;
    }
}

// Q4_0 as (q - 8) . x = q . x - 8 sum(x); `count` inputs (1 for the single-row dot, TILE for a tile).
CK_ROWS void rows_q4_0(
    const block_q4_0 *w, const ck_block_q8a *const *x, int count, int64_t blocks, float *out) {
    __m512 acc[TILE];
    float offsets[TILE];
    for (int j = 0; j < count; j++) { acc[j] = _mm512_setzero_ps(); offsets[j] = 0; }
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        __m512i q = nibbles_to_bytes_x2(w[b].qs, w[b + 1].qs);
        float d0 = _cvtsh_ss(w[b].d), d1 = _cvtsh_ss(w[b + 1].d);
        for (int j = 0; j < count; j++) {
            const ck_block_q8a *xj = x[j] + b;
            __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, activations_x2(xj));
            acc[j] = _mm512_fmadd_ps(scales_x2(d0 * xj[0].d, d1 * xj[1].d), _mm512_cvtepi32_ps(sums), acc[j]);
            offsets[j] += 8.0f * d0 * xj[0].s + 8.0f * d1 * xj[1].s;
        }
    }
    for (int j = 0; j < count; j++) {
        float total = _mm512_reduce_add_ps(acc[j]) - offsets[j];
        if (b < blocks) {
            float d = _cvtsh_ss(w[b].d);
            const ck_block_q8a *xj = x[j] + b;
            int sum = 0;
            for (int i = 0; i < 16; i++) sum += (int)(w[b].qs[i] & 0x0f) * xj->qs[i] + (int)(w[b].qs[i] >> 4) * xj->qs[i + 16];
            total += d * xj->d * (float)sum - 8.0f * d * xj->s;
        }
        out[j] = total;
    }
}

// One function per type; each width is its own specialisation of the same per-input arithmetic.
#define CK_TILE(name, rows, block)                                                                      \
    static CK_AVX512 void name(const void *w, const ck_block_q8a *const *x, int count, int64_t blocks, float *out) { \
        switch (count) {                                                                               \
        case 4: rows((const block *)w, x, 4, blocks, out); break;                                      \
        case 3: rows((const block *)w, x, 3, blocks, out); break;                                      \
        case 2: rows((const block *)w, x, 2, blocks, out); break;                                      \
        default: rows((const block *)w, x, 1, blocks, out); break;                                     \
        }                                                                                              \
    }

CK_TILE(tile_q4_0, rows_q4_0, block_q4_0)
CK_TILE(tile_q4_1, rows_q4_1, block_q4_1)
CK_TILE(tile_q8_0, rows_q8_0, block_q8_0)

CK_AVX512 float ck_dot_q4_0_avx512(const block_q4_0 *w, const ck_block_q8a *x, int64_t blocks) {
    float out;
    rows_q4_0(w, &x, 1, blocks, &out);
    return out;
}

// Float rows: one accumulator of 16 lanes per input, summed in order, then reduced.
CK_ROWS void rows_f32(const float *w, const float *const *x, int count, int64_t n, float *out) {
    __m512 acc[TILE];
    for (int j = 0; j < count; j++) acc[j] = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        __m512 wi = _mm512_loadu_ps(w + i);
        for (int j = 0; j < count; j++) acc[j] = _mm512_fmadd_ps(wi, _mm512_loadu_ps(x[j] + i), acc[j]);
    }
    for (int j = 0; j < count; j++) out[j] = _mm512_reduce_add_ps(acc[j]);
}

static CK_AVX512 void tile_f32(const float *w, const float *const *x, int count, int64_t n, float *out) {
    switch (count) {
    case 4: rows_f32(w, x, 4, n, out); break;
    case 3: rows_f32(w, x, 3, n, out); break;
    case 2: rows_f32(w, x, 2, n, out); break;
    default: rows_f32(w, x, 1, n, out); break;
    }
}
#endif

// --- dispatch -------------------------------------------------------------------------------------

typedef void (*tile_fn)(const void *row, const ck_block_q8a *const *x, int count, int64_t blocks, float *out);

static tile_fn tile_for(int type) {
#ifdef CK_X86
    if (ck_have_avx512()) {
        switch (type) {
        case CK_TYPE_Q4_0: return tile_q4_0;
        case CK_TYPE_Q4_1: return tile_q4_1;
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
    tile_fn tile = tile_for(type);
    for (int64_t r = begin; r < end; r++) {
        const void *row = base + (size_t)r * row_bytes;
        if (!tile) {
            // No tile for this machine or type: the single-row dot per input, equal by construction.
            for (int64_t j = 0; j < inputs; j++) out[j * out_stride + r] = ck_dot_quantized(type, row, x + j * x_stride, blocks);
            continue;
        }
        for (int64_t j0 = 0; j0 < inputs; j0 += TILE) {
            const ck_block_q8a *tile_inputs[TILE];
            float results[TILE];
            int live = inputs - j0 < TILE ? (int)(inputs - j0) : TILE;
            for (int j = 0; j < live; j++) tile_inputs[j] = x + (j0 + j) * x_stride;
            tile(row, tile_inputs, live, blocks, results);
            for (int j = 0; j < live; j++) out[(j0 + j) * out_stride + r] = results[j];
        }
    }
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
    float *row = malloc((size_t)n * sizeof(float));
    if (!row) abort();
#ifdef CK_X86
    int wide = ck_have_avx512() && n % 16 == 0;
#else
    int wide = 0;
#endif
    for (int64_t r = begin; r < end; r++) {
        ck_dequantize_row(type, base + (size_t)r * row_bytes, row, n);
        if (!wide) {
            for (int64_t j = 0; j < inputs; j++) out[j * out_stride + r] = ck_dot_float(CK_TYPE_F32, row, x + j * x_stride, n);
            continue;
        }
#ifdef CK_X86
        for (int64_t j0 = 0; j0 < inputs; j0 += TILE) {
            const float *tile_inputs[TILE];
            float results[TILE];
            int live = inputs - j0 < TILE ? (int)(inputs - j0) : TILE;
            for (int j = 0; j < live; j++) tile_inputs[j] = x + (j0 + j) * x_stride;
            tile_f32(row, tile_inputs, live, n, results);
            for (int j = 0; j < live; j++) out[(j0 + j) * out_stride + r] = results[j];
        }
#endif
    }
    free(row);
}
