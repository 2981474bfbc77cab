// Encoder self-attention over one packed sequence, on the GEMM of ck_gemm.h: for each head, scores
// Q K^T * scale, a row softmax (AVX-512 exp where the CPU has it), then the scores times V.
#ifndef CK_ATTENTION_H
#define CK_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Floats of scratch `ck_sequence_attention` needs for a sequence of `length` tokens.
size_t ck_sequence_attention_scratch(int64_t length, int64_t head_size);

/// `qkv` holds `length` rows of 3 * heads * head_size floats (all query heads, then keys, then values),
/// rows `qkv_stride` apart; head h of the context goes to columns h * head_size of `context`, rows
/// `context_stride` apart. Unmasked: every token sees every token of its own sequence.
void ck_sequence_attention(const float *qkv, int64_t qkv_stride, int64_t length, int64_t heads, int64_t head_size,
                           float scale, float *context, int64_t context_stride, float *scratch);

/// Softmax of each row in place (rows `width` long, `stride` apart): the kernel attention uses, for tests.
void ck_softmax_rows(float *data, int64_t rows, int64_t width, int64_t stride);

#ifdef __cplusplus
}
#endif

#endif
