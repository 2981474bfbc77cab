// Attention of one query over block-stored keys and values with AVX-512. Scores are computed sixteen
// positions at a time, each position's dot product in its own register, so the products do not wait
// on one another; one transposing reduction then yields the sixteen scores. Values are summed into two
// sets of accumulators (even and odd positions) for the same reason.
#include "attention_blocks_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#include "exp_simd.h"

#define CK_ATT512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl")))

int ck_attention_avx512_available(void) {
    static int state = -1;
    if (state < 0)
        state = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")
            && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    return state;
}

static inline CK_ATT512 __attribute__((always_inline)) __m512 load16(const uint8_t *row, int halves, int64_t i) {
    if (halves) return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)row + i)));
    return _mm512_loadu_ps((const float *)row + i);
}

// Lane i of the result is the sum of v[i]'s sixteen lanes.
static inline CK_ATT512 __m512 sum_lanes_x16(const __m512 v[16]) {
    __m512 pairs[8], quads[4], halves[2];
    for (int i = 0; i < 8; i++)  // per 128-bit lane: (v2i, v2i+1, v2i, v2i+1) partial sums
        pairs[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
    for (int i = 0; i < 4; i++)  // per 128-bit lane: the four vectors' lane sums
        quads[i] = _mm512_add_ps(_mm512_shuffle_ps(pairs[2 * i], pairs[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                                 _mm512_shuffle_ps(pairs[2 * i], pairs[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    for (int i = 0; i < 2; i++)  // 128-bit lanes 0-1: vectors 8i..8i+3 in two halves; lanes 2-3: the next four
        halves[i] = _mm512_add_ps(_mm512_shuffle_f32x4(quads[2 * i], quads[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                                  _mm512_shuffle_f32x4(quads[2 * i], quads[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm512_add_ps(_mm512_shuffle_f32x4(halves[0], halves[1], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(halves[0], halves[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

#define CK_ATT512_INLINE static inline CK_ATT512 __attribute__((always_inline))

// scores[0..n) = scale * query . key(position), for n <= 16 positions `stride_bytes` apart from `keys`.
// Positions past n repeat the last one (in bounds; their lanes are dropped by the caller).
CK_ATT512_INLINE __m512 scores_x16(const float *query, const uint8_t *keys, size_t stride_bytes, int n,
                                   const int dimension, const int halves, float scale) {
    __m512 acc[16];
    for (int p = 0; p < 16; p++) {
        const uint8_t *key = keys + (size_t)(p < n ? p : n - 1) * stride_bytes;
        acc[p] = _mm512_mul_ps(_mm512_loadu_ps(query), load16(key, halves, 0));
        for (int i = 16; i < dimension; i += 16) acc[p] = _mm512_fmadd_ps(_mm512_loadu_ps(query + i), load16(key, halves, i), acc[p]);
    }
    return _mm512_mul_ps(sum_lanes_x16(acc), _mm512_set1_ps(scale));
}

// The cache lines of `positions` rows of one head, `stride_bytes` apart, into L2.
CK_ATT512_INLINE void prefetch_positions(const uint8_t *first, size_t stride_bytes, int64_t positions, int dimension,
                                         int halves) {
    for (int64_t p = 0; p < positions; p++)
        for (int line = 0; line < dimension * (halves ? 2 : 4); line += 64)
            _mm_prefetch((const char *)(first + (size_t)p * stride_bytes + line), _MM_HINT_T1);
}

// While a block computes, the next two blocks' lines are fetched into L2 (one block, 16 positions of a few lines, is
// too little to cover the memory's latency), and on the keys' pass this block's values. Into L2, not L1: the L1's
// few outstanding misses stall on a burst of a block's lines. Abacus's shape, 8 sequences of 528 positions,
// attention alone (scripts/bench/attention_layouts.c): 23-24 GB/s with the next block into L1, 26-28 into L2.
enum { FAR_AHEAD = 2 };

// The lines of block `b` (of the sequence's table) in the region at `offset` (its keys or values), for the positions
// of [0, count) it holds; nothing past the last block.
CK_ATT512_INLINE void prefetch_block(const ck_kv_blocks *kv, int64_t b, int64_t count, size_t offset, size_t stride_bytes,
                                     int dimension, int halves) {
    int64_t first = b * kv->block_tokens;
    if (first >= count) return;
    int64_t positions = count - first < kv->block_tokens ? count - first : kv->block_tokens;
    prefetch_positions(kv->base + (size_t)kv->table[b] * kv->block_bytes + offset, stride_bytes, positions, dimension, halves);
}

// The body for one head size and storage, with every loop over the head's values unrolled. A head's keys and values
// are 2-8 cache lines a position, in blocks anywhere in the pool: no hardware prefetcher follows a sequence from one
// block to the next, so each block's lines are fetched ahead, as the grouped body does.
CK_ATT512_INLINE void attend(const float *query, const ck_kv_blocks *kv, int64_t count, const int dimension,
                             const int halves, float scale, float *scores, float *out) {
    const size_t stride_bytes = (size_t)kv->stride * (halves ? 2 : 4);
    const int64_t bt = kv->block_tokens;
    enum { most_chunks = 8 };
    const int chunks = dimension / 16;
    __m512 maxima = _mm512_set1_ps(-INFINITY);
    for (int64_t start = 0; start < count; start += bt) {
        const uint8_t *block = kv->base + (size_t)kv->table[start / bt] * kv->block_bytes + kv->key_offset;
        int64_t in_block = count - start < bt ? count - start : bt;
        prefetch_block(kv, start / bt + 1, count, kv->key_offset, stride_bytes, dimension, halves);
        prefetch_block(kv, start / bt + FAR_AHEAD, count, kv->key_offset, stride_bytes, dimension, halves);
        prefetch_block(kv, start / bt, count, kv->value_offset, stride_bytes, dimension, halves);
        for (int64_t p = 0; p < in_block; p += 16) {
            int n = in_block - p < 16 ? (int)(in_block - p) : 16;
            __mmask16 live = (__mmask16)((1u << n) - 1);
            __m512 s = scores_x16(query, block + (size_t)p * stride_bytes, stride_bytes, n, dimension, halves, scale);
            _mm512_mask_storeu_ps(scores + start + p, live, s);
            maxima = _mm512_mask_max_ps(maxima, live, maxima, s);
        }
    }
    float sum = exp_shifted_sum_avx2(scores, count, _mm512_reduce_max_ps(maxima));
    __m512 even[most_chunks], odd[most_chunks];
    for (int c = 0; c < chunks; c++) even[c] = odd[c] = _mm512_setzero_ps();
    for (int64_t start = 0; start < count; start += bt) {
        const uint8_t *block = kv->base + (size_t)kv->table[start / bt] * kv->block_bytes + kv->value_offset;
        int64_t in_block = count - start < bt ? count - start : bt, p = 0;
        prefetch_block(kv, start / bt + 1, count, kv->value_offset, stride_bytes, dimension, halves);
        prefetch_block(kv, start / bt + FAR_AHEAD, count, kv->value_offset, stride_bytes, dimension, halves);
        for (; p + 1 < in_block; p += 2) {
            __m512 w0 = _mm512_set1_ps(scores[start + p]), w1 = _mm512_set1_ps(scores[start + p + 1]);
            const uint8_t *v0 = block + (size_t)p * stride_bytes, *v1 = v0 + stride_bytes;
            for (int c = 0; c < chunks; c++) {
                even[c] = _mm512_fmadd_ps(w0, load16(v0, halves, 16 * c), even[c]);
                odd[c] = _mm512_fmadd_ps(w1, load16(v1, halves, 16 * c), odd[c]);
            }
        }
        if (p < in_block) {
            __m512 w = _mm512_set1_ps(scores[start + p]);
            const uint8_t *v = block + (size_t)p * stride_bytes;
            for (int c = 0; c < chunks; c++) even[c] = _mm512_fmadd_ps(w, load16(v, halves, 16 * c), even[c]);
        }
    }
    __m512 inverse = _mm512_set1_ps(1.0f / sum);
    for (int c = 0; c < chunks; c++) _mm512_storeu_ps(out + 16 * c, _mm512_mul_ps(_mm512_add_ps(even[c], odd[c]), inverse));
}

// G query heads sharing one key/value head: every key and value chunk is loaded once for all G. Scores of
// P = 16 / G positions per head are reduced together (lane g * P + q holds head g, position q).
CK_ATT512_INLINE void attend_group(const float *queries, const int G, const ck_kv_blocks *kv, int64_t count,
                                   const int dimension, const int halves, float scale, float *scores, float *out) {
    const size_t stride_bytes = (size_t)kv->stride * (halves ? 2 : 4);
    const int64_t bt = kv->block_tokens;
    const int P = 16 / G, chunks = dimension / 16;
    enum { most_accumulators = 24 };
    __m512 maxima[4];
    for (int g = 0; g < G; g++) maxima[g] = _mm512_set1_ps(-INFINITY);
    for (int64_t start = 0; start < count; start += bt) {
        const uint8_t *block = kv->base + (size_t)kv->table[start / bt] * kv->block_bytes + kv->key_offset;
        int64_t in_block = count - start < bt ? count - start : bt;
        // Blocks lie anywhere in the pool: fetch the next block's keys, and this block's values for the
        // second pass, while this block's scores compute.
        prefetch_block(kv, start / bt + 1, count, kv->key_offset, stride_bytes, dimension, halves);
        prefetch_block(kv, start / bt + FAR_AHEAD, count, kv->key_offset, stride_bytes, dimension, halves);
        prefetch_block(kv, start / bt, count, kv->value_offset, stride_bytes, dimension, halves);
        for (int64_t p = 0; p < in_block; p += P) {
            int n = in_block - p < P ? (int)(in_block - p) : P;
            __m512 acc[16];
            for (int i = 0; i < 16; i++) acc[i] = _mm512_setzero_ps();
            for (int q = 0; q < P; q++) {
                const uint8_t *key = block + (size_t)(p + (q < n ? q : n - 1)) * stride_bytes;
                for (int c = 0; c < chunks; c++) {
                    __m512 k = load16(key, halves, 16 * c);
                    for (int g = 0; g < G; g++)
                        acc[g * P + q] = _mm512_fmadd_ps(_mm512_loadu_ps(queries + g * dimension + 16 * c), k, acc[g * P + q]);
                }
            }
            __m512 s = _mm512_mul_ps(sum_lanes_x16(acc), _mm512_set1_ps(scale));
            for (int g = 0; g < G; g++) {
                __mmask16 lanes = (__mmask16)(((1u << n) - 1) << (g * P));
                _mm512_mask_storeu_ps(scores + g * count + start + p, (__mmask16)((1u << n) - 1), _mm512_maskz_compress_ps(lanes, s));
                maxima[g] = _mm512_mask_max_ps(maxima[g], lanes, maxima[g], s);
            }
        }
    }
    __m512 inverse[4];
    for (int g = 0; g < G; g++)
        inverse[g] = _mm512_set1_ps(1.0f / exp_shifted_sum_avx2(scores + g * count, count, _mm512_reduce_max_ps(maxima[g])));
    __m512 acc[most_accumulators];
    for (int i = 0; i < G * chunks; i++) acc[i] = _mm512_setzero_ps();
    for (int64_t start = 0; start < count; start += bt) {
        const uint8_t *block = kv->base + (size_t)kv->table[start / bt] * kv->block_bytes + kv->value_offset;
        int64_t in_block = count - start < bt ? count - start : bt;
        prefetch_block(kv, start / bt + 1, count, kv->value_offset, stride_bytes, dimension, halves);
        prefetch_block(kv, start / bt + FAR_AHEAD, count, kv->value_offset, stride_bytes, dimension, halves);
        for (int64_t p = 0; p < in_block; p++) {
            const uint8_t *value = block + (size_t)p * stride_bytes;
            __m512 w[4];
            for (int g = 0; g < G; g++) w[g] = _mm512_set1_ps(scores[g * count + start + p]);
            for (int c = 0; c < chunks; c++) {
                __m512 v = load16(value, halves, 16 * c);
                for (int g = 0; g < G; g++) acc[g * chunks + c] = _mm512_fmadd_ps(w[g], v, acc[g * chunks + c]);
            }
        }
    }
    for (int g = 0; g < G; g++)
        for (int c = 0; c < chunks; c++) _mm512_storeu_ps(out + g * dimension + 16 * c, _mm512_mul_ps(acc[g * chunks + c], inverse[g]));
}

int ck_attend_blocks_group_avx512_supports(int group, int64_t dimension) {
    return group >= 2 && group <= 4 && (dimension == 64 || (dimension == 128 && group <= 3));
}

#define CK_GROUP_CASE(G, D)                                                                              \
    if (group == G && dimension == D) {                                                                  \
        if (kv->halves) attend_group(queries, G, kv, count, D, 1, scale, scores, out);                   \
        else attend_group(queries, G, kv, count, D, 0, scale, scores, out);                              \
        return;                                                                                          \
    }

CK_ATT512 void ck_attend_blocks_group_avx512(const float *queries, int group, const ck_kv_blocks *kv, int64_t count,
                                             int64_t dimension, float scale, float *scores, float *out) {
    CK_GROUP_CASE(2, 64) CK_GROUP_CASE(3, 64) CK_GROUP_CASE(4, 64)
    CK_GROUP_CASE(2, 128) CK_GROUP_CASE(3, 128)
}
#undef CK_GROUP_CASE

int ck_attend_blocks_avx512_supports(int64_t dimension) { return dimension == 64 || dimension == 128; }

CK_ATT512 void ck_attend_blocks_avx512(const float *query, const ck_kv_blocks *kv, int64_t count, int64_t dimension,
                                       float scale, float *scores, float *out) {
    if (dimension == 64) {
        if (kv->halves) attend(query, kv, count, 64, 1, scale, scores, out);
        else attend(query, kv, count, 64, 0, scale, scores, out);
    } else {
        if (kv->halves) attend(query, kv, count, 128, 1, scale, scores, out);
        else attend(query, kv, count, 128, 0, scale, scores, out);
    }
}

#else
int ck_attention_avx512_available(void) { return 0; }
int ck_attend_blocks_avx512_supports(int64_t dimension) { (void)dimension; return 0; }
int ck_attend_blocks_group_avx512_supports(int group, int64_t dimension) { (void)group; (void)dimension; return 0; }
#endif
