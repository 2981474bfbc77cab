// Single-precision matrix products for the encoder and k-means: packed panels, a register-blocked
// micro-kernel (AVX-512, AVX2 or portable C, chosen once at run time), single-threaded per call
// (callers split rows over their own threads).
//
// All matrices are row-major. B is either [k x n] or, with `transpose_b`, [n x k] (the PyTorch layout of
// a Linear weight). A packed B is laid out for the micro-kernel once and reused across calls.
#ifndef CK_GEMM_H
#define CK_GEMM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Micro-kernel bodies; `ck_gemm_paths` says which this CPU can run.
enum {
    CK_GEMM_PORTABLE = 0,
    CK_GEMM_AVX2 = 1,
    CK_GEMM_AVX512 = 2,
};

/// The fastest path this CPU supports.
int ck_gemm_best_path(void);
/// 1 when `path` can run here.
int ck_gemm_supports(int path);
/// "avx512", "avx2" or "portable".
const char *ck_gemm_path_name(int path);

/// The packed layout's panel width (columns) and block depth (rows of B): a B of at most CK_GEMM_DEPTH rows
/// is one block, panel p of it at p * k * CK_GEMM_PANEL, element (row i, column c of the panel) at i * CK_GEMM_PANEL + c.
enum { CK_GEMM_PANEL = 32, CK_GEMM_DEPTH = 256 };

/// Floats a packed B of n columns and k rows needs (n rounded up to the panel width, times k).
size_t ck_gemm_packed_count(int64_t n, int64_t k);

/// Packs B ([k x n], or [n x k] with transpose_b, rows `ldb` apart) into `packed` (ck_gemm_packed_count floats).
void ck_gemm_pack_b(int64_t n, int64_t k, const float *b, int64_t ldb, int transpose_b, float *packed);

/// C = alpha * A * B + beta * C with B packed; beta 0 never reads C. Runs on the best path.
void ck_sgemm_packed(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                     const float *packed_b, float beta, float *c, int64_t ldc);

/// The same on a chosen path (tests compare the paths); an unsupported path falls back to portable.
void ck_sgemm_packed_on(int path, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                        const float *packed_b, float beta, float *c, int64_t ldc);

/// C = alpha * A * op(B) + beta * C, packing B on the way (for operands used once). Returns 0, or -1 when
/// memory for the packed copy could not be had.
int ck_sgemm(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
             const float *b, int64_t ldb, int transpose_b, float beta, float *c, int64_t ldc);

/// For each row i of A, the column j of the largest (A * B)[i][j] (the lowest j on ties) and that value:
/// nearest centroid by inner product, without storing the m x n product. Returns 0, or -1 without memory.
int ck_gemm_argmax(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *packed_b,
                   int32_t *best_column, float *best_value);

/// `ck_gemm_argmax` on a chosen path.
int ck_gemm_argmax_on(int path, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                      const float *packed_b, int32_t *best_column, float *best_value);

// --- bfloat16 weights (AVX-512 BF16: vdpbf16ps, twice the products of FP32 per instruction) -----------

/// 1 when the CPU has AVX-512 BF16; the bfloat16 products below need it.
int ck_gemm_bf16_supported(void);

/// 16-bit values a bfloat16 packed B needs: n rounded up to the panel width, times k rounded up to even.
size_t ck_gemm_packed_bf16_count(int64_t n, int64_t k);

/// Packs B rounded to bfloat16 (to nearest even), the two values of each pair of rows side by side.
void ck_gemm_pack_b_bf16(int64_t n, int64_t k, const float *b, int64_t ldb, int transpose_b, uint16_t *packed);

/// C = alpha * bf16(A) * B + beta * C with products summed in FP32; beta 0 never reads C.
/// Needs ck_gemm_bf16_supported().
void ck_sgemm_bf16_packed(int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                          const uint16_t *packed_b, float beta, float *c, int64_t ldc);

#ifdef __cplusplus
}
#endif

#endif
