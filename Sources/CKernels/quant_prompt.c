// Quantized weights times float inputs (prompt rows, and every row of float decoding) on AVX-512: a GEMM whose
// B panels are dequantized weights. A span of up to 256 rows is dequantized 256 values deep at a time into
// gemm.c's packed layout (32 rows a panel, one value a line), about 256 KiB that stays in L2, and gemm.c's
// micro-kernel runs every input over it. Packed rows are dequantized straight into the panels (their lanes are
// rows); other types dequantize whole rows once per span and are transposed into them.
//
// Arithmetic per (row, input), fixed whatever the batch, span or thread split: over each 256-value slice in
// order, one FMA chain from zero over the slice's values in order, each slice's chain added to the sum of the
// earlier ones (gemm.c's blocks of KC = 256). The weights are exactly the file's dequantized values. The
// bfloat16 form rounds those values and the inputs to bfloat16 and runs gemm_bf16.c's kernel on the same
// slices instead: one vdpbf16ps chain over the slice's pairs of values, twice the products per instruction.
#include "ck_gemm.h"
#include "quant_packed_internal.h"

#include <stdlib.h>
#include <string.h>

#ifdef CK_X86

enum { SPAN_ROWS = 256, DEPTH = CK_GEMM_DEPTH, PANEL_ROWS = CK_GEMM_PANEL };

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static void *allocate(size_t bytes) {
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) abort();
    return p;
}

// Rows [s0, s0 + width) over values [first, first + depth) into `panels`, gemm.c's layout for a B of `width`
// columns and `depth` rows: panel p (rows s0 + 32p...) at p * depth * 32, value i of its row c at i * 32 + c.
static void fill_panels(int type, const void *packed, const float *dequantized, int64_t n, int64_t s0, int64_t width,
                        int64_t first, int64_t depth, float *panels) {
    if (!packed) {
        ck_gemm_pack_b(width, depth, dequantized + first, n, 1, panels);
        return;
    }
    // Spans start on a group (s0 a multiple of 16), so a group is one half of a panel.
    int64_t r = 0;
    for (; r < width; r += GROUP_ROWS) {
        float *half = panels + r / PANEL_ROWS * depth * PANEL_ROWS + r % PANEL_ROWS;
        ck_dequantize_packed_panel(type, packed, n, (s0 + r) / GROUP_ROWS, first, depth, half, PANEL_ROWS);
    }
    // A last panel with one group: its other half is read by the micro-kernel, never stored; zeros keep it cheap.
    if (r % PANEL_ROWS) {
        float *half = panels + r / PANEL_ROWS * depth * PANEL_ROWS + GROUP_ROWS;
        for (int64_t i = 0; i < depth; i++) memset(half + i * PANEL_ROWS, 0, GROUP_ROWS * sizeof(float));
    }
}

#define CK_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))

// Float panels (gemm.c's layout, `depth` even) as gemm_bf16.c's: each pair of value lines (i, i + 1) as 32 pairs
// (line i's value, line i + 1's) side by side, rounded to nearest even.
static CK_BF16_TARGET void round_panels(const float *panels, int64_t width, int64_t depth, uint16_t *halves) {
    // Half c of line i and half c of line i + 1 (index 32 + c) side by side: columns 0-15, then 16-31.
    static const int16_t low[32] = { 0, 32, 1, 33, 2, 34, 3, 35, 4, 36, 5, 37, 6, 38, 7, 39,
                                     8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47 };
    static const int16_t high[32] = { 16, 48, 17, 49, 18, 50, 19, 51, 20, 52, 21, 53, 22, 54, 23, 55,
                                      24, 56, 25, 57, 26, 58, 27, 59, 28, 60, 29, 61, 30, 62, 31, 63 };
    const __m512i first = _mm512_loadu_si512(low), second = _mm512_loadu_si512(high);
    for (int64_t p = 0; p * PANEL_ROWS < width; p++) {
        const float *panel = panels + p * depth * PANEL_ROWS;
        uint16_t *out = halves + p * depth * PANEL_ROWS;
        for (int64_t i = 0; i < depth; i += 2) {
            const float *line = panel + i * PANEL_ROWS, *next = line + PANEL_ROWS;
            __m512i a = (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(line + 16), _mm512_loadu_ps(line));
            __m512i b = (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(next + 16), _mm512_loadu_ps(next));
            _mm512_storeu_si512(out + i * PANEL_ROWS, _mm512_permutex2var_epi16(a, first, b));
            _mm512_storeu_si512(out + i * PANEL_ROWS + 32, _mm512_permutex2var_epi16(a, second, b));
        }
    }
}

static void matmul_spans(int type, const uint8_t *weights, size_t row_bytes, const void *packed, int64_t rows, int64_t n,
                         const float *x, int64_t x_stride, int64_t inputs, float *out, int64_t out_stride, int64_t begin,
                         int64_t end, int bfloat16) {
    float *panels = allocate(SPAN_ROWS * DEPTH * sizeof(float));
    uint16_t *halves = bfloat16 ? allocate(SPAN_ROWS * DEPTH * sizeof(uint16_t)) : NULL;
    float *sums = allocate((size_t)(inputs * SPAN_ROWS) * sizeof(float));
    float *dequantized = packed ? NULL : allocate((size_t)(SPAN_ROWS * n) * sizeof(float));
    for (int64_t s0 = begin / GROUP_ROWS * GROUP_ROWS; s0 < end; s0 += SPAN_ROWS) {
        int64_t width = min64(SPAN_ROWS, min64(end, rows) - s0);
        if (!packed)
            for (int64_t r = 0; r < width; r++) ck_dequantize_row(type, weights + (size_t)(s0 + r) * row_bytes, dequantized + r * n, n);
        for (int64_t first = 0; first < n; first += DEPTH) {
            int64_t depth = min64(DEPTH, n - first);
            fill_panels(type, packed, dequantized, n, s0, width, first, depth, panels);
            float beta = first == 0 ? 0.0f : 1.0f;
            if (bfloat16) {
                round_panels(panels, width, depth, halves);
                ck_sgemm_bf16_packed(inputs, width, depth, 1.0f, x + first, x_stride, halves, beta, sums, SPAN_ROWS);
            } else {
                ck_sgemm_packed(inputs, width, depth, 1.0f, x + first, x_stride, panels, beta, sums, SPAN_ROWS);
            }
        }
        int64_t lo = s0 < begin ? begin : s0, hi = min64(s0 + width, end);
        for (int64_t j = 0; j < inputs; j++)
            memcpy(out + j * out_stride + lo, sums + j * SPAN_ROWS + (lo - s0), (size_t)(hi - lo) * sizeof(float));
    }
    free(dequantized);
    free(halves);
    free(sums);
    free(panels);
}
#endif

void ck_matmul_dequantized_bf16(int type, const void *weights, size_t row_bytes, const void *packed, int64_t rows, int64_t n,
                                const float *x, int64_t x_stride, int64_t inputs, float *out, int64_t out_stride,
                                int64_t begin, int64_t end) {
    if (inputs <= 0 || begin >= end) return;
#ifdef CK_X86
    if (ck_have_avx512() && ck_gemm_bf16_supported() && n % 32 == 0) {
        matmul_spans(type, (const uint8_t *)weights, row_bytes, packed, rows, n, x, x_stride, inputs, out, out_stride, begin, end, 1);
        return;
    }
#endif
    ck_matmul_dequantized(type, weights, row_bytes, packed, rows, n, x, x_stride, inputs, out, out_stride, begin, end);
}

void ck_matmul_dequantized(int type, const void *weights, size_t row_bytes, const void *packed, int64_t rows, int64_t n,
                           const float *x, int64_t x_stride, int64_t inputs, float *out, int64_t out_stride,
                           int64_t begin, int64_t end) {
    if (inputs <= 0 || begin >= end) return;
#ifdef CK_X86
    if (ck_have_avx512() && ck_gemm_best_path() == CK_GEMM_AVX512 && n % 32 == 0) {
        matmul_spans(type, (const uint8_t *)weights, row_bytes, packed, rows, n, x, x_stride, inputs, out, out_stride, begin, end, 0);
        return;
    }
#endif
    float *row = malloc((size_t)n * sizeof(float));
    if (!row) abort();
    for (int64_t r = begin; r < end; r++) {
        if (packed) ck_dequantize_packed_rows(type, packed, rows, n, r, 1, row);
        else ck_dequantize_row(type, (const uint8_t *)weights + (size_t)r * row_bytes, row, n);
        for (int64_t j = 0; j < inputs; j++) out[j * out_stride + r] = ck_dot_float(CK_TYPE_F32, row, x + j * x_stride, n);
    }
    free(row);
}
