// Hot loops of the engine: quantized dot products, dequantisation and a tiny spinning thread pool.
// Each SIMD function has an AVX2 body and a portable body; the choice is made once, at run time.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// GGML type ids (the values stored in GGUF tensor infos).
enum {
    CK_TYPE_F32 = 0,
    CK_TYPE_F16 = 1,
    CK_TYPE_Q4_0 = 2,
    CK_TYPE_Q4_1 = 3,
    CK_TYPE_Q5_0 = 6,
    CK_TYPE_Q5_1 = 7,
    CK_TYPE_Q8_0 = 8,
    CK_TYPE_Q4_K = 12,
    CK_TYPE_Q5_K = 13,
    CK_TYPE_Q6_K = 14,
    CK_TYPE_BF16 = 30,
};

/// Activations quantized for quantized dot products: 32 values, scale d, and s = d * sum(qs).
typedef struct {
    float d;
    float s;
    int8_t qs[32];
} ck_block_q8a;

/// 1 when the AVX2 paths are in use.
int ck_uses_avx2(void);
/// Which SIMD paths the dot products use, for `doctor` and benchmarks.
const char *ck_simd_description(void);

/// Quantizes n floats (n a multiple of 32) into n/32 activation blocks.
void ck_quantize_row_q8a(const float *x, ck_block_q8a *y, int64_t n);

/// Dot product of one quantized weight row (any quantized type) with quantized activations; `blocks` counts
/// activation blocks of 32.
float ck_dot_quantized(int type, const void *row, const ck_block_q8a *x, int64_t blocks);

/// Dot product of one float weight row (F32, F16 or BF16) with float activations.
float ck_dot_float(int type, const void *row, const float *x, int64_t n);

/// Dot product of one weight row of any type with float activations, dequantizing as it goes.
float ck_dot_dequantized(int type, const void *row, const float *x, int64_t n);

/// out[r] = row r . x for r in [begin, end). Quantized types read `xq` when given, else dequantize
/// against `x`; float types read `x`.
void ck_matvec(int type, const void *weights, size_t row_bytes, int64_t n,
               const float *x, const ck_block_q8a *xq, float *out, int64_t begin, int64_t end);

/// Dequantizes n values of one row (any supported type) into floats.
void ck_dequantize_row(int type, const void *row, float *y, int64_t n);

// --- thread pool ----------------------------------------------------------------------------------

typedef void (*ck_task)(void *context, int thread_index, int thread_count);
typedef struct ck_pool ck_pool;

/// A pool of `threads - 1` workers; the calling thread is worker 0. NULL on failure.
ck_pool *ck_pool_create(int threads);
int ck_pool_threads(const ck_pool *pool);
/// Runs task(context, i, threads) once on every thread and returns when all are done.
void ck_pool_run(ck_pool *pool, ck_task task, void *context);
typedef void (*ck_range_task)(void *context, int64_t begin, int64_t end);

/// Runs task over [0, count) in chunks that threads claim as they come: a worker the OS has not
/// scheduled yet leaves its chunks to the others instead of stalling the caller.
void ck_pool_for(ck_pool *pool, int64_t count, int64_t chunk, ck_range_task task, void *context);

/// Tells idle workers to sleep now instead of spinning (before handing the cores to OpenBLAS).
void ck_pool_rest(ck_pool *pool);
void ck_pool_destroy(ck_pool *pool);

// --- quantized types: sizes, kernel paths, quantizers ----------------------------------------------

/// Values per block of a type (1 for plain floats, 256 for K-quants); 0 for types this engine lacks.
int64_t ck_block_values(int type);
/// Bytes per block of a type; 0 for types this engine lacks.
size_t ck_block_bytes(int type);

/// Which body a quantized dot product runs; a path this CPU or type lacks falls back to the next lower.
enum {
    CK_PATH_PORTABLE = 0,
    CK_PATH_AVX2 = 1,
    CK_PATH_AVX_VNNI = 2,
    CK_PATH_AVX512_VNNI = 3,
};
/// 1 when this CPU can run the path.
int ck_path_available(int path);
/// ck_dot_quantized through a chosen path (tests compare every path with the reference).
float ck_dot_quantized_with(int path, int type, const void *row, const ck_block_q8a *x, int64_t blocks);

/// ck_dequantize_row through a chosen path (tests compare the portable and SIMD bodies).
void ck_dequantize_row_with(int path, int type, const void *row, float *y, int64_t n);

/// Quantizes n floats (a multiple of the type's block) into GGML blocks of `type`, round-to-nearest with
/// GGML's scale choice. Returns 0, or -1 for an unsupported type or length.
int ck_quantize_row(int type, const float *x, void *y, int64_t n);

#ifdef __cplusplus
}
#endif

#endif
