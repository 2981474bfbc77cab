// The AVX-512 body of ck_attend_blocks, in its own file so only it is compiled for AVX-512.
#ifndef CKERNELS_ATTENTION_BLOCKS_INTERNAL_H
#define CKERNELS_ATTENTION_BLOCKS_INTERNAL_H

#include "ck_batch.h"

/// 1 when the CPU runs AVX-512 F/BW/DQ/VL (the attention body needs no VNNI).
int ck_attention_avx512_available(void);

/// 1 for the head sizes the AVX-512 body is unrolled for (64 and 128).
int ck_attend_blocks_avx512_supports(int64_t dimension);

/// ck_attend_blocks for those head sizes; needs ck_attention_avx512_available().
void ck_attend_blocks_avx512(const float *query, const ck_kv_blocks *kv, int64_t count, int64_t dimension,
                             float scale, float *scores, float *out);

/// 1 for the (group, head size) pairs the grouped AVX-512 body is unrolled for.
int ck_attend_blocks_group_avx512_supports(int group, int64_t dimension);

/// ck_attend_blocks_group for those pairs; needs ck_attention_avx512_available().
void ck_attend_blocks_group_avx512(const float *queries, int group, const ck_kv_blocks *kv, int64_t count,
                                   int64_t dimension, float scale, float *scores, float *out);

#endif
