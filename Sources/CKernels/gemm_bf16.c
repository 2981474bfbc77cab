// GEMM with bfloat16 operands and FP32 sums (AVX-512 BF16), for weight matrices packed once.
//
// vdpbf16ps adds a[2i] * b[2i] + a[2i+1] * b[2i+1] into FP32 lane i. So a packed panel holds, for each pair
// of rows (k, k+1) of B, 32 columns of (B[k][j], B[k+1][j]) side by side (two registers), and A supplies
// (A[r][k], A[r][k+1]) broadcast as one 32-bit value. A block of A is rounded to bfloat16 on the stack
// first; blocking and edges are those of gemm.c (panels of 32 columns, 12-row strips, masked stores).
#include "ck_gemm.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_BF16_X86 1
#endif

// KC 384 covers the encoder's 384-deep products in one block (measured ~10% faster than 256 here); the
// bfloat16 sliver is 24 KiB, the rounded A block 36 KiB of stack.
enum { BF16_NR = 32, BF16_KC = 384, BF16_MC = 48, BF16_MR = 12 };

static int64_t round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

int ck_gemm_bf16_supported(void) {
#ifdef CK_BF16_X86
    // Threads may race to fill it in; they all store the same value.
    static int supported = -1;
    int known = __atomic_load_n(&supported, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
        __atomic_store_n(&supported, known, __ATOMIC_RELAXED);
    }
    return known;
#else
    return 0;
#endif
}

size_t ck_gemm_packed_bf16_count(int64_t n, int64_t k) {
    if (n <= 0 || k <= 0) return 0;
    return (size_t)round_up(n, BF16_NR) * (size_t)round_up(k, 2);
}

/// Round to nearest even, as vcvtneps2bf16 does (NaN stays NaN).
static uint16_t to_bf16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40);
    return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1)) >> 16);
}

// Block pc (BF16_KC rows of B, pc even) starts at pc * npad; inside it panel jp starts at jp * kcb * NR,
// and element (p, j) of the panel sits at (p / 2) * 2 * NR + 2 * j + p % 2.
void ck_gemm_pack_b_bf16(int64_t n, int64_t k, const float *b, int64_t ldb, int transpose_b, uint16_t *packed) {
    int64_t npad = round_up(n, BF16_NR), kpad = round_up(k, 2);
    for (int64_t pc = 0; pc < kpad; pc += BF16_KC) {
        int64_t kcb = min64(BF16_KC, kpad - pc);
        for (int64_t jp = 0; jp < npad / BF16_NR; jp++) {
            uint16_t *panel = packed + pc * npad + jp * kcb * BF16_NR;
            for (int64_t j = 0; j < BF16_NR; j++) {
                int64_t column = jp * BF16_NR + j;
                for (int64_t p = 0; p < kcb; p++) {
                    int64_t row = pc + p;
                    float value = column < n && row < k ? (transpose_b ? b[column * ldb + row] : b[row * ldb + column]) : 0;
                    panel[(p / 2) * 2 * BF16_NR + 2 * j + p % 2] = to_bf16(value);
                }
            }
        }
    }
}

#ifdef CK_BF16_X86
#define CK_BF16_TARGET __attribute__((target("avx512f,avx512bf16")))

/// Rows of A rounded to bfloat16, `width` (even, at most BF16_KC) values each, zero past `valid`.
static CK_BF16_TARGET void round_rows(const float *a, int64_t lda, int64_t rows, int64_t valid, int64_t width,
                                      uint16_t *out, int64_t out_stride) {
    for (int64_t i = 0; i < rows; i++) {
        const float *source = a + i * lda;
        uint16_t *target = out + i * out_stride;
        for (int64_t p = 0; p < width; p += 32) {
            int64_t left = valid - p;
            __mmask16 low = left >= 16 ? 0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
            __mmask16 high = left >= 32 ? 0xFFFF : left > 16 ? (__mmask16)((1u << (left - 16)) - 1) : 0;
            __m512bh pair = _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(high, source + p + 16),
                                                _mm512_maskz_loadu_ps(low, source + p));
            // Whole 32s even past `width`: rows are BF16_KC apart and width <= BF16_KC, so this stays in the row.
            _mm512_storeu_si512((void *)(target + p), (__m512i)pair);
        }
    }
}

// Twelve rows by 32 columns; each step consumes two rows of B.
static CK_BF16_TARGET void kernel_bf16(int64_t kc, const uint16_t *a, int64_t lda, const uint16_t *b, float *c,
                                       int64_t ldc, int rows, int cols, float alpha, float beta, int read_c) {
    const uint16_t *row[BF16_MR];
    for (int r = 0; r < BF16_MR; r++) row[r] = a + (r < rows ? r : rows - 1) * lda;
    __m512 acc[BF16_MR][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < BF16_MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int64_t p = 0; p < kc; p += 2) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)(b + p * BF16_NR));
        __m512bh b1 = (__m512bh)_mm512_loadu_si512((const void *)(b + p * BF16_NR + 32));
#pragma clang loop unroll(full)
        for (int r = 0; r < BF16_MR; r++) {
            int32_t pair;
            memcpy(&pair, row[r] + p, 4);
            __m512bh ar = (__m512bh)_mm512_set1_epi32(pair);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], ar, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], ar, b1);
        }
    }
    __mmask16 mask0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
    __mmask16 mask1 = cols >= 32 ? 0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma clang loop unroll(full)
    for (int r = 0; r < BF16_MR; r++) {
        if (r >= rows) continue;
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

static CK_BF16_TARGET void sgemm_bf16(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                                      const uint16_t *packed_b, float beta, float *c, int64_t ldc) {
    int64_t npad = round_up(n, BF16_NR), kpad = round_up(k, 2);
    uint16_t rounded[BF16_MC * BF16_KC] __attribute__((aligned(64)));
    for (int64_t pc = 0; pc < kpad; pc += BF16_KC) {
        int64_t kcb = min64(BF16_KC, kpad - pc);
        int first = pc == 0;
        float beta_now = first ? beta : 1.0f;
        int read_c = !(first && beta == 0);
        const uint16_t *b_block = packed_b + pc * npad;
        for (int64_t ic = 0; ic < m; ic += BF16_MC) {
            int64_t mcb = min64(BF16_MC, m - ic);
            round_rows(a + ic * lda + pc, lda, mcb, k - pc, kcb, rounded, BF16_KC);
            for (int64_t jp = 0; jp < npad / BF16_NR; jp++) {
                const uint16_t *sliver = b_block + jp * kcb * BF16_NR;
                int cols = (int)min64(BF16_NR, n - jp * BF16_NR);
                for (int64_t s = 0; s * BF16_MR < mcb; s++) {
                    int rows = (int)min64(BF16_MR, mcb - s * BF16_MR);
                    kernel_bf16(kcb, rounded + s * BF16_MR * BF16_KC, BF16_KC, sliver,
                                c + (ic + s * BF16_MR) * ldc + jp * BF16_NR, ldc, rows, cols, alpha, beta_now, read_c);
                }
            }
        }
    }
}
#endif

void ck_sgemm_bf16_packed(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                          const uint16_t *packed_b, float beta, float *c, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
#ifdef CK_BF16_X86
    if (k > 0 && ck_gemm_bf16_supported()) { sgemm_bf16(m, n, k, alpha, a, lda, packed_b, beta, c, ldc); return; }
#endif
    // Callers check ck_gemm_bf16_supported(); without it (or with k 0) only beta's part is defined.
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
}
