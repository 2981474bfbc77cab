// Single-precision GEMM with packed panels (the Goto/BLIS scheme, kept small):
//
//   for each block of KC rows of B (pc)        B block: packed once, KC x n, in panels of NR columns
//     for each block of MC rows of A (ic)      A block: packed on the stack into strips of MR rows
//       for each panel of NR columns (jp)      (AVX2, portable; the AVX-512 kernel reads A in place)
//         for each strip of MR rows (s)        B sliver KC x NR stays in L1 while the strips stream past
//           micro-kernel: MR x NR of C in registers, KC rank-1 updates
//
// The packed B layout depends only on NR, which every path shares, so a B packed once (a weight matrix)
// serves whichever micro-kernel runs. Edges: packed panels and strips are zero-padded; stores are masked.
#include "ck_gemm.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_GEMM_X86 1
#endif

enum {
    NR = CK_GEMM_PANEL,  // columns of a packed B panel (two AVX-512 registers)
    KC = CK_GEMM_DEPTH,  // rows of B per block: a 32 KiB sliver, inside Zen's 48 KiB L1 beside one A strip
    MC = 48,   // rows of A per block: 48 KiB on the stack, a multiple of every path's MR
    ARGMAX_ROWS = 48,
};

// A is a packed strip (`lda` unused) or, for kernels that read it in place, rows `lda` apart.
typedef void (*micro_kernel)(int64_t kc, const float *a, int64_t lda, const float *b, float *c, int64_t ldc,
                             int rows, int cols, float alpha, float beta, int read_c);

typedef struct {
    int mr;
    int packs_a;
    micro_kernel kernel;
} gemm_path;

static int64_t round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// --- packing -------------------------------------------------------------------------------------------

size_t ck_gemm_packed_count(int64_t n, int64_t k) {
    if (n <= 0 || k <= 0) return 0;
    return (size_t)round_up(n, NR) * (size_t)k;
}

// Block pc (KC rows of B) starts at pc * npad; inside it panel jp starts at jp * kcb * NR; element (p, j)
// of the panel sits at p * NR + j.
void ck_gemm_pack_b(int64_t n, int64_t k, const float *b, int64_t ldb, int transpose_b, float *packed) {
    int64_t npad = round_up(n, NR);
    for (int64_t pc = 0; pc < k; pc += KC) {
        int64_t kcb = min64(KC, k - pc);
        for (int64_t jp = 0; jp < npad / NR; jp++) {
            float *panel = packed + pc * npad + jp * kcb * NR;
            int64_t cols = min64(NR, n - jp * NR);
            if (transpose_b) {
                // Read each weight row once, contiguously; write it down a column of the panel.
                for (int64_t j = 0; j < NR; j++) {
                    if (j < cols) {
                        const float *row = b + (jp * NR + j) * ldb + pc;
                        for (int64_t p = 0; p < kcb; p++) panel[p * NR + j] = row[p];
                    } else {
                        for (int64_t p = 0; p < kcb; p++) panel[p * NR + j] = 0;
                    }
                }
            } else {
                for (int64_t p = 0; p < kcb; p++) {
                    const float *row = b + (pc + p) * ldb + jp * NR;
                    for (int64_t j = 0; j < NR; j++) panel[p * NR + j] = j < cols ? row[j] : 0;
                }
            }
        }
    }
}

// Strip s of the A block holds rows s*mr ..< s*mr + mr; element (p, r) at s * kcb * mr + p * mr + r.
static void pack_a(int mr, const float *a, int64_t lda, int64_t rows, int64_t kcb, float *packed) {
    for (int64_t s = 0; s * mr < rows; s++) {
        float *strip = packed + s * kcb * mr;
        for (int r = 0; r < mr; r++) {
            int64_t row = s * mr + r;
            if (row < rows) {
                const float *source = a + row * lda;
                for (int64_t p = 0; p < kcb; p++) strip[p * mr + r] = source[p];
            } else {
                for (int64_t p = 0; p < kcb; p++) strip[p * mr + r] = 0;
            }
        }
    }
}

// --- micro-kernels ---------------------------------------------------------------------------------------

enum { MR_PORTABLE = 4 };

static void kernel_portable(int64_t kc, const float *a, int64_t lda, const float *b, float *c, int64_t ldc,
                            int rows, int cols, float alpha, float beta, int read_c) {
    (void)lda;
    float acc[MR_PORTABLE][NR];
    memset(acc, 0, sizeof(acc));
    for (int64_t p = 0; p < kc; p++) {
        for (int r = 0; r < MR_PORTABLE; r++) {
            float ar = a[p * MR_PORTABLE + r];
            for (int j = 0; j < NR; j++) acc[r][j] += ar * b[p * NR + j];
        }
    }
    for (int r = 0; r < rows; r++) {
        float *out = c + r * ldc;
        for (int j = 0; j < cols; j++) out[j] = alpha * acc[r][j] + (read_c ? beta * out[j] : 0.0f);
    }
}

#ifdef CK_GEMM_X86
#define CK_AVX2_TARGET __attribute__((target("avx2,fma")))
#define CK_AVX512_TARGET __attribute__((target("avx512f")))

enum { MR_AVX2 = 6, MR_AVX512 = 12 };

// Six rows by sixteen columns (12 accumulators of 16 registers), run on each half of the 32-wide panel.
static CK_AVX2_TARGET void kernel_avx2_half(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                                            int rows, int cols, float alpha, float beta, int read_c) {
    __m256 acc[MR_AVX2][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < MR_AVX2; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int64_t p = 0; p < kc; p++) {
        __m256 b0 = _mm256_loadu_ps(b + p * NR), b1 = _mm256_loadu_ps(b + p * NR + 8);
#pragma clang loop unroll(full)
        for (int r = 0; r < MR_AVX2; r++) {
            __m256 ar = _mm256_broadcast_ss(a + p * MR_AVX2 + r);
            acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
        }
    }
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    for (int r = 0; r < rows; r++) {
        float *out = c + r * ldc;
        if (cols == 16) {
            for (int h = 0; h < 2; h++) {
                __m256 v = _mm256_mul_ps(va, acc[r][h]);
                if (read_c) v = _mm256_fmadd_ps(vb, _mm256_loadu_ps(out + 8 * h), v);
                _mm256_storeu_ps(out + 8 * h, v);
            }
        } else {
            float tile[16];
            _mm256_storeu_ps(tile, acc[r][0]);
            _mm256_storeu_ps(tile + 8, acc[r][1]);
            for (int j = 0; j < cols; j++) out[j] = alpha * tile[j] + (read_c ? beta * out[j] : 0.0f);
        }
    }
}

static CK_AVX2_TARGET void kernel_avx2(int64_t kc, const float *a, int64_t lda, const float *b, float *c, int64_t ldc,
                                       int rows, int cols, float alpha, float beta, int read_c) {
    (void)lda;
    kernel_avx2_half(kc, a, b, c, ldc, rows, cols < 16 ? cols : 16, alpha, beta, read_c);
    if (cols > 16) kernel_avx2_half(kc, a, b + 16, c + 16, ldc, rows, cols - 16, alpha, beta, read_c);
}

// Up to twelve rows by 32 columns: 24 accumulators, two loads of B and twelve broadcasts of A per step. A is
// read in place (broadcasts from twelve row streams cost what broadcasts from a packed strip cost, and
// packing A cost more than the products where B has only one panel, as in attention). Each (row, column)
// is one FMA chain over p whatever the strip holds, so a strip of fewer rows runs only its own chains
// (one input row, as in float decoding, costs 2 FMAs a step, not 24) and gives the same numbers.
static inline CK_AVX512_TARGET __attribute__((always_inline)) void strip_avx512(const int mr, int64_t kc, const float *a,
                                                                               int64_t lda, const float *b, float *c,
                                                                               int64_t ldc, int cols, float alpha,
                                                                               float beta, int read_c) {
    const float *row[MR_AVX512];
    for (int r = 0; r < mr; r++) row[r] = a + r * lda;
    __m512 acc[MR_AVX512][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < mr; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int64_t p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b + p * NR), b1 = _mm512_loadu_ps(b + p * NR + 16);
#pragma clang loop unroll(full)
        for (int r = 0; r < mr; r++) {
            __m512 ar = _mm512_set1_ps(row[r][p]);
            acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
        }
    }
    __mmask16 mask0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
    __mmask16 mask1 = cols >= 32 ? 0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma clang loop unroll(full)
    for (int r = 0; r < mr; r++) {
        float *out = c + r * ldc;
        __m512 v0 = _mm512_mul_ps(va, acc[r][0]), v1 = _mm512_mul_ps(va, acc[r][1]);
        if (read_c) {
            v0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask0, out), v0);
            v1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask1, out + 16), v1);
        }
        _mm512_mask_storeu_ps(out, mask0, v0);
        _mm512_mask_storeu_ps(out + 16, mask1, v1);
    }
}

// One specialisation per strip height.
static CK_AVX512_TARGET void kernel_avx512(int64_t kc, const float *a, int64_t lda, const float *b, float *c, int64_t ldc,
                                           int rows, int cols, float alpha, float beta, int read_c) {
#define CK_STRIP(R) case R: strip_avx512(R, kc, a, lda, b, c, ldc, cols, alpha, beta, read_c); break;
    switch (rows) {
    CK_STRIP(1) CK_STRIP(2) CK_STRIP(3) CK_STRIP(4) CK_STRIP(5) CK_STRIP(6)
    CK_STRIP(7) CK_STRIP(8) CK_STRIP(9) CK_STRIP(10) CK_STRIP(11)
    default: strip_avx512(MR_AVX512, kc, a, lda, b, c, ldc, cols, alpha, beta, read_c); break;
    }
#undef CK_STRIP
}
#endif

// --- dispatch --------------------------------------------------------------------------------------------

int ck_gemm_supports(int path) {
    switch (path) {
    case CK_GEMM_PORTABLE: return 1;
#ifdef CK_GEMM_X86
    case CK_GEMM_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case CK_GEMM_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f");
#endif
    default: return 0;
    }
}

int ck_gemm_best_path(void) {
    // Threads may race to fill it in; they all store the same value.
    static int best = -1;
    int known = __atomic_load_n(&best, __ATOMIC_RELAXED);
    if (known < 0) {
        known = ck_gemm_supports(CK_GEMM_AVX512) ? CK_GEMM_AVX512
              : ck_gemm_supports(CK_GEMM_AVX2) ? CK_GEMM_AVX2 : CK_GEMM_PORTABLE;
        __atomic_store_n(&best, known, __ATOMIC_RELAXED);
    }
    return known;
}

const char *ck_gemm_path_name(int path) {
    switch (path) {
    case CK_GEMM_AVX512: return "avx512";
    case CK_GEMM_AVX2: return "avx2";
    default: return "portable";
    }
}

static gemm_path path_for(int path) {
#ifdef CK_GEMM_X86
    if (path == CK_GEMM_AVX512 && ck_gemm_supports(CK_GEMM_AVX512)) return (gemm_path){ MR_AVX512, 0, kernel_avx512 };
    if (path == CK_GEMM_AVX2 && ck_gemm_supports(CK_GEMM_AVX2)) return (gemm_path){ MR_AVX2, 1, kernel_avx2 };
#endif
    (void)path;
    return (gemm_path){ MR_PORTABLE, 1, kernel_portable };
}

// --- drivers ---------------------------------------------------------------------------------------------

static void scale_c(int64_t m, int64_t n, float beta, float *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
}

void ck_sgemm_packed_on(int path, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                        const float *packed_b, float beta, float *c, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) { scale_c(m, n, beta, c, ldc); return; }
    gemm_path chosen = path_for(path);
    int64_t npad = round_up(n, NR);
    float packed_a[MC * KC] __attribute__((aligned(64)));
    for (int64_t pc = 0; pc < k; pc += KC) {
        int64_t kcb = min64(KC, k - pc);
        int first = pc == 0;
        float beta_now = first ? beta : 1.0f;
        int read_c = !(first && beta == 0);
        const float *b_block = packed_b + pc * npad;
        for (int64_t ic = 0; ic < m; ic += MC) {
            int64_t mcb = min64(MC, m - ic);
            const float *a_block = a + ic * lda + pc;
            if (chosen.packs_a) pack_a(chosen.mr, a_block, lda, mcb, kcb, packed_a);
            for (int64_t jp = 0; jp < npad / NR; jp++) {
                const float *sliver = b_block + jp * kcb * NR;
                int cols = (int)min64(NR, n - jp * NR);
                for (int64_t s = 0; s * chosen.mr < mcb; s++) {
                    int rows = (int)min64(chosen.mr, mcb - s * chosen.mr);
                    const float *strip = chosen.packs_a ? packed_a + s * kcb * chosen.mr : a_block + s * chosen.mr * lda;
                    chosen.kernel(kcb, strip, lda, sliver, c + (ic + s * chosen.mr) * ldc + jp * NR,
                                  ldc, rows, cols, alpha, beta_now, read_c);
                }
            }
        }
    }
}

void ck_sgemm_packed(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                     const float *packed_b, float beta, float *c, int64_t ldc) {
    ck_sgemm_packed_on(ck_gemm_best_path(), m, n, k, alpha, a, lda, packed_b, beta, c, ldc);
}

int ck_sgemm(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
             const float *b, int64_t ldb, int transpose_b, float beta, float *c, int64_t ldc) {
    if (m <= 0 || n <= 0) return 0;
    if (k <= 0) { scale_c(m, n, beta, c, ldc); return 0; }
    float *packed = aligned_alloc(64, round_up((int64_t)ck_gemm_packed_count(n, k) * sizeof(float), 64));
    if (!packed) return -1;
    ck_gemm_pack_b(n, k, b, ldb, transpose_b, packed);
    ck_sgemm_packed(m, n, k, alpha, a, lda, packed, beta, c, ldc);
    free(packed);
    return 0;
}

// --- nearest column (arg max of each row of the product) -------------------------------------------------

static void argmax_rows_portable(const float *tile, int64_t rows, int64_t n, int64_t stride,
                                 int32_t *best_column, float *best_value) {
    for (int64_t i = 0; i < rows; i++) {
        const float *row = tile + i * stride;
        int32_t best = 0;
        for (int64_t j = 1; j < n; j++) if (row[j] > row[best]) best = (int32_t)j;
        best_column[i] = best;
        best_value[i] = row[best];
    }
}

#ifdef CK_GEMM_X86
// Sixteen running maxima with their columns; strict > keeps the lowest column in each lane, and the
// final reduction takes the lowest column among the lanes that hold the maximum.
static CK_AVX512_TARGET void argmax_rows_avx512(const float *tile, int64_t rows, int64_t n, int64_t stride,
                                                int32_t *best_column, float *best_value) {
    const __m512 negative_infinity = _mm512_set1_ps(-INFINITY);
    for (int64_t i = 0; i < rows; i++) {
        const float *row = tile + i * stride;
        __m512 best = negative_infinity;
        __m512i best_index = _mm512_setzero_si512();
        __m512i index = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        const __m512i step = _mm512_set1_epi32(16);
        int64_t j = 0;
        for (; j + 16 <= n; j += 16) {
            __m512 v = _mm512_loadu_ps(row + j);
            __mmask16 better = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ);
            best = _mm512_mask_mov_ps(best, better, v);
            best_index = _mm512_mask_mov_epi32(best_index, better, index);
            index = _mm512_add_epi32(index, step);
        }
        if (j < n) {
            __mmask16 tail = (__mmask16)((1u << (n - j)) - 1);
            __m512 v = _mm512_mask_loadu_ps(negative_infinity, tail, row + j);
            __mmask16 better = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ);
            best = _mm512_mask_mov_ps(best, better, v);
            best_index = _mm512_mask_mov_epi32(best_index, better, index);
        }
        float maximum = _mm512_reduce_max_ps(best);
        __mmask16 holders = _mm512_cmp_ps_mask(best, _mm512_set1_ps(maximum), _CMP_EQ_OQ);
        if (!holders) {  // every value NaN: fall back to the scalar rule
            argmax_rows_portable(row, 1, n, stride, best_column + i, best_value + i);
            continue;
        }
        best_column[i] = _mm512_mask_reduce_min_epi32(holders, best_index);
        best_value[i] = maximum;
    }
}
#endif

int ck_gemm_argmax_on(int path, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                      const float *packed_b, int32_t *best_column, float *best_value) {
    if (m <= 0 || n <= 0) return 0;
    int64_t npad = round_up(n, NR);
    float *tile = aligned_alloc(64, round_up(ARGMAX_ROWS * npad * (int64_t)sizeof(float), 64));
    if (!tile) return -1;
    for (int64_t start = 0; start < m; start += ARGMAX_ROWS) {
        int64_t rows = min64(ARGMAX_ROWS, m - start);
        ck_sgemm_packed_on(path, rows, n, k, 1.0f, a + start * lda, lda, packed_b, 0.0f, tile, npad);
#ifdef CK_GEMM_X86
        if (path == CK_GEMM_AVX512 && ck_gemm_supports(CK_GEMM_AVX512)) {
            argmax_rows_avx512(tile, rows, n, npad, best_column + start, best_value + start);
            continue;
        }
#endif
        argmax_rows_portable(tile, rows, n, npad, best_column + start, best_value + start);
    }
    free(tile);
    return 0;
}

int ck_gemm_argmax(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *packed_b,
                   int32_t *best_column, float *best_value) {
    return ck_gemm_argmax_on(ck_gemm_best_path(), m, n, k, a, lda, packed_b, best_column, best_value);
}
