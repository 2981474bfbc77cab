// AVX-512 VNNI helpers shared by the single-row dot products (quant_x86.c) and the several-input
// products (quant_batch.c): both must do the same arithmetic so their results agree bit for bit.
#ifndef CKERNELS_QUANT_AVX512_H
#define CKERNELS_QUANT_AVX512_H

#include "quant_internal.h"

#ifdef CK_X86
#include <immintrin.h>

#define CK_AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))

// Two blocks' nibbles as 64 bytes: [low b, high b, low b+1, high b+1], matching two activation blocks.
static inline CK_AVX512 __m512i nibbles_to_bytes_x2(const uint8_t *qs0, const uint8_t *qs1) {
    __m128i a = _mm_loadu_si128((const __m128i *)qs0), b = _mm_loadu_si128((const __m128i *)qs1);
    __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set_m128i(a, a)), _mm256_set_m128i(b, b), 1);
    const __m512i shifts = _mm512_set_epi64(4, 4, 0, 0, 4, 4, 0, 0);
    return _mm512_and_si512(_mm512_srlv_epi64(both, shifts), _mm512_set1_epi8(0x0f));
}

static inline CK_AVX512 __m512i activations_x2(const ck_block_q8a *x) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)x[0].qs)),
                              _mm256_loadu_si256((const __m256i *)x[1].qs), 1);
}

// Two weight scales (fp16) times two activation scales, spread as [8 x first, 8 x second]: vector
// conversions and one permute, cheaper than scalar fp16 conversions and a broadcast-insert per pair.
static inline CK_AVX512 __m512 scales_x2(uint16_t d0, uint16_t d1, const ck_block_q8a *x) {
    __m128 d = _mm_cvtph_ps(_mm_cvtsi32_si128((int)((uint32_t)d1 << 16 | d0)));
    __m128 xd = _mm_unpacklo_ps(_mm_load_ss(&x[0].d), _mm_load_ss(&x[1].d));
    const __m512i spread = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(_mm_mul_ps(d, xd)));
}

// Two floats spread as [8 x s0, 8 x s1] (one value per block of a pair).
static inline CK_AVX512 __m512 spread_x2(float s0, float s1) {
    return _mm512_insertf32x8(_mm512_set1_ps(s0), _mm256_set1_ps(s1), 1);
}

#endif
#endif
