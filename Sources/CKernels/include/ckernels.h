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
    CK_TYPE_Q8_0 = 8,
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

float ck_fp16_to_fp32(uint16_t h);
uint16_t ck_fp32_to_fp16(float f);

/// Quantizes n floats (n a multiple of 32) into n/32 activation blocks.
void ck_quantize_row_q8a(const float *x, ck_block_q8a *y, int64_t n);

/// Dot product of one quantized weight row (Q4_0, Q4_1 or Q8_0) with quantized activations.
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

/// Attention of one query over `count` cached positions of one head: keys and values are rows `stride`
/// floats apart; `scores` has room for `count` floats; `out` receives `dimension` floats.
void ck_attend(const float *query, const float *keys, const float *values, int64_t stride, int64_t count,
               int64_t dimension, float scale, float *scores, float *out);

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

#ifdef __cplusplus
}
#endif

#endif
