// Kernels of batched decoding: quantized weight rows multiplied with several activation rows while each
// weight row is in cache, attention over a KV cache kept in blocks, and float <-> half rows.
#ifndef CK_BATCH_H
#define CK_BATCH_H

#include "ckernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// out[j * out_stride + r] = row r . x_j for rows r in [begin, end) and inputs j in [0, inputs), where
/// x_j = x + j * x_stride (blocks of n / 32 activations). Q4_0 has a batched AVX-512 body; other quantized
/// types (and other machines) take the single-row dot per input (packed rows are faster: see
/// ck_matmul_packed). Each result is bit-identical to ck_dot_quantized(row r, x_j), whatever the other inputs are.
void ck_matmul_q8a(int type, const void *weights, size_t row_bytes, int64_t n, const ck_block_q8a *x,
                   int64_t x_stride, int64_t inputs, float *out, int64_t out_stride, int64_t begin, int64_t end);

/// Q8_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K and Q6_K rows repacked sixteen at a time for 8-bit products (on AVX-512
/// VNNI machines; elsewhere ck_packing_available says 0). ck_pack_rows fills groups [group_begin, group_end) of
/// `packed`, which holds ck_packed_bytes(type, rows, n) bytes aligned to 64; rows past `rows` in the last group are zero.
int ck_packing_available(int type);
size_t ck_packed_bytes(int type, int64_t rows, int64_t n);
void ck_pack_rows(int type, const void *weights, int64_t rows, int64_t n, void *packed, int64_t group_begin, int64_t group_end);

/// out[j * out_stride + r] = packed row r . x_j for rows r in [begin, end) (best on multiples of 16) and
/// inputs j < inputs. Per (row, input), whatever the other inputs, a fixed order of exact integer block sums and
/// fused multiply-adds (quant_packed.c and quant_packed_k.c say which); ck_dot_packed_row is one result, in
/// portable C. `sums` (NULL: made here) holds ck_q8a_sums of each input, 2 * x_stride apart: made once per
/// input, not per call.
void ck_matmul_packed(int type, const void *packed, int64_t rows, int64_t n, const ck_block_q8a *x, int64_t x_stride,
                      const int32_t *sums, int64_t inputs, float *out, int64_t out_stride, int64_t begin, int64_t end);
/// Each activation block's sums of its first and last 16 values (two per block): what the offsets of unsigned
/// packed quants (Q8_0's w + 128, Q5_0's q, Q6_K's q) take from a block sum.
void ck_q8a_sums(const ck_block_q8a *x, int64_t blocks, int32_t *sums);
float ck_dot_packed_row(int type, const void *packed, int64_t row, int64_t n, const ck_block_q8a *x);

/// Rows [first, first + count) of a packed matrix as floats, `n` apart in y: bit for bit what the file's
/// rows dequantize to (ck_dequantize_row).
void ck_dequantize_packed_rows(int type, const void *packed, int64_t rows, int64_t n, int64_t first, int64_t count, float *y);

/// Quantized weights against float inputs (prompt tokens, as a session's float prefill): each weight row
/// is dequantized once per call and multiplied with every x_j = x + j * x_stride (on AVX-512, a GEMM whose
/// arithmetic quant_prompt.c writes out). Each result depends only on the row and x_j, whatever the other
/// inputs are.
/// `packed`, when not NULL, is the same matrix's packed rows (ck_pack_rows, `rows` in all): they are read
/// instead of `weights`, with the same values.
void ck_matmul_dequantized(int type, const void *weights, size_t row_bytes, const void *packed, int64_t rows, int64_t n,
                           const float *x, int64_t x_stride, int64_t inputs, float *out, int64_t out_stride,
                           int64_t begin, int64_t end);

/// The same with the dequantized weights and the inputs rounded to bfloat16 (nearest even) and their products
/// summed in FP32 (vdpbf16ps) where the CPU has AVX-512 BF16; ck_matmul_dequantized elsewhere. Each result
/// still depends only on the row and x_j.
void ck_matmul_dequantized_bf16(int type, const void *weights, size_t row_bytes, const void *packed, int64_t rows, int64_t n,
                                const float *x, int64_t x_stride, int64_t inputs, float *out, int64_t out_stride,
                                int64_t begin, int64_t end);

/// The same for float weight types (F32, F16, BF16) against float inputs x_j = x + j * x_stride:
/// each result equals ck_dot_float(row r, x_j).
void ck_matmul_float(int type, const void *weights, size_t row_bytes, int64_t n, const float *x,
                     int64_t x_stride, int64_t inputs, float *out, int64_t out_stride, int64_t begin, int64_t end);

/// Where a sequence's cached keys and values live: blocks of `block_tokens` positions in one pool,
/// block i of the sequence at base + table[i] * block_bytes; within a block, this head's keys start
/// `key_offset` bytes in and its values `value_offset` bytes in, positions `stride` elements apart.
/// Elements are floats, or IEEE halves when `halves` is 1.
typedef struct {
    const uint8_t *base;
    const int32_t *table;
    size_t block_bytes;
    size_t key_offset;
    size_t value_offset;
    int64_t block_tokens;
    int64_t stride;
    int halves;
} ck_kv_blocks;

/// Attention of one query over the first `count` cached positions of `kv`; `scores` has room for
/// `count` floats; `out` receives `dimension` floats.
void ck_attend_blocks(const float *query, const ck_kv_blocks *kv, int64_t count, int64_t dimension, float scale,
                      float *scores, float *out);

/// ck_attend_blocks through a chosen body (CK_PATH_*; a path this CPU lacks falls back to the next lower):
/// tests compare every body with the portable one.
void ck_attend_blocks_with(int path, const float *query, const ck_kv_blocks *kv, int64_t count, int64_t dimension,
                           float scale, float *scores, float *out);

/// Attention of `group` query heads that share one key/value head (grouped-query attention), each over the
/// first `count` cached positions of `kv`: queries and outputs are `group` rows of `dimension` floats side
/// by side; `scores` has room for group * count floats. Each head's result equals ck_attend_blocks_with's
/// on the same path up to rounding; the keys and values are read once for the group.
void ck_attend_blocks_group(int path, const float *queries, int group, const ck_kv_blocks *kv, int64_t count,
                            int64_t dimension, float scale, float *scores, float *out);

/// Attention of one query over cached positions first..<count of `kv`, the scores (dot x scale) capped as
/// cap * tanh(score / cap) before the softmax when `softcap` > 0 (Gemma 2): sliding-window layers start past 0.
/// `scores` has room for count floats; `out` receives `dimension` floats. Portable arithmetic, for the families
/// that need it.
void ck_attend_blocks_window(const float *query, const ck_kv_blocks *kv, int64_t first, int64_t count, int64_t dimension,
                             float scale, float softcap, float *scores, float *out);

/// n floats to IEEE halves (round to nearest even) and back.
void ck_floats_to_halves(const float *x, uint16_t *y, int64_t n);
void ck_halves_to_floats(const uint16_t *x, float *y, int64_t n);

#ifdef __cplusplus
}
#endif

#endif
