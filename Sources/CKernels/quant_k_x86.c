// SIMD bodies of the Q5_0, Q5_1 and K-quant dot products: the 256-bit bodies of quant_k_dots.inc
// compiled for AVX2 and for AVX-VNNI, and AVX-512 VNNI bodies that take two activation blocks a step.
// Each has its own target attributes (no global flags); ck_dot_more_simd picks one by path.
#include "quant_internal.h"

#ifdef CK_X86
#include <immintrin.h>

// --- AVX2: maddubs then madd with ones --------------------------------------------------------------
#define K_TARGET __attribute__((target("avx2,fma,f16c")))
#define K_NAME(x) x##_avx2
#define K_MULSUM(u, s) _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1))
#include "quant_k_dots.inc"
#undef K_TARGET
#undef K_NAME
#undef K_MULSUM

// --- AVX-VNNI: one vpdpbusd ---------------------------------------------------------------------------
#define K_TARGET __attribute__((target("avx2,fma,f16c,avxvnni")))
#define K_NAME(x) x##_vnni
#define K_MULSUM(u, s) _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), u, s)
#include "quant_k_dots.inc"
#undef K_TARGET
#undef K_NAME
#undef K_MULSUM

// --- AVX-512 VNNI: 64 bytes, two activation blocks, per instruction -----------------------------------
#define K512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))

static inline K512 __m512i join_256(__m256i low, __m256i high) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
}

static inline K512 __m512i activations_pair(const ck_block_q8a *x0, const ck_block_q8a *x1) {
    return join_256(_mm256_loadu_si256((const __m256i *)x0->qs), _mm256_loadu_si256((const __m256i *)x1->qs));
}

static inline K512 __m512 scale_pair(float s0, float s1) {
    return _mm512_insertf32x8(_mm512_set1_ps(s0), _mm256_set1_ps(s1), 1);
}

static inline K512 __m512i dpbusd(__m512i u, __m512i s) { return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, s); }

static K512 float dot_q5_0_avx512(const block_q5_0 *w, const ck_block_q8a *x, int64_t blocks) {
    __m512 acc = _mm512_setzero_ps();
    float offsets = 0;
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        __m512i q = join_256(_mm256_or_si256(nibbles_avx2(w[b].qs), fifth_bits_avx2(w[b].qh)),
                             _mm256_or_si256(nibbles_avx2(w[b + 1].qs), fifth_bits_avx2(w[b + 1].qh)));
        float d0 = _cvtsh_ss(w[b].d), d1 = _cvtsh_ss(w[b + 1].d);
        __m512 p = _mm512_cvtepi32_ps(dpbusd(q, activations_pair(x + b, x + b + 1)));
        acc = _mm512_fmadd_ps(scale_pair(d0 * x[b].d, d1 * x[b + 1].d), p, acc);
        offsets += 16.0f * (d0 * x[b].s + d1 * x[b + 1].s);
    }
    float total = _mm512_reduce_add_ps(acc) - offsets;
    if (b < blocks) total += ck_dot_q5_0_avx2(w + b, x + b, 1);
    return total;
}

static K512 float dot_q5_1_avx512(const block_q5_1 *w, const ck_block_q8a *x, int64_t blocks) {
    __m512 acc = _mm512_setzero_ps();
    float mins = 0;
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        __m512i q = join_256(_mm256_or_si256(nibbles_avx2(w[b].qs), fifth_bits_avx2(w[b].qh)),
                             _mm256_or_si256(nibbles_avx2(w[b + 1].qs), fifth_bits_avx2(w[b + 1].qh)));
        __m512 p = _mm512_cvtepi32_ps(dpbusd(q, activations_pair(x + b, x + b + 1)));
        acc = _mm512_fmadd_ps(scale_pair(_cvtsh_ss(w[b].d) * x[b].d, _cvtsh_ss(w[b + 1].d) * x[b + 1].d), p, acc);
        mins += _cvtsh_ss(w[b].m) * x[b].s + _cvtsh_ss(w[b + 1].m) * x[b + 1].s;
    }
    float total = _mm512_reduce_add_ps(acc) + mins;
    if (b < blocks) total += ck_dot_q5_1_avx2(w + b, x + b, 1);
    return total;
}

static K512 float dot_q4_K_avx512(const block_q4_K *w, const ck_block_q8a *x, int64_t superblocks) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    const __m512i low = _mm512_set1_epi8(0x0f);
    float mins = 0;
    for (int64_t b = 0; b < superblocks; b++) {
        const ck_block_q8a *xb = x + 8 * b;
        float d = _cvtsh_ss(w[b].d), scales[8];
        mins += _cvtsh_ss(w[b].dmin) * k_mins_avx2(w[b].scales, xb, scales);
        for (int c = 0; c < 4; c += 2) {
            // Chunks c and c + 1: [low c, high c] and [low c+1, high c+1] against blocks 2c .. 2c + 3.
            __m512i q0 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(w[b].qs + 32 * c)));
            __m512i q1 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(w[b].qs + 32 * c + 32)));
            const __m512i shifts = _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0);
            q0 = _mm512_and_si512(_mm512_srlv_epi64(q0, shifts), low);
            q1 = _mm512_and_si512(_mm512_srlv_epi64(q1, shifts), low);
            __m512 p0 = _mm512_cvtepi32_ps(dpbusd(q0, activations_pair(xb + 2 * c, xb + 2 * c + 1)));
            __m512 p1 = _mm512_cvtepi32_ps(dpbusd(q1, activations_pair(xb + 2 * c + 2, xb + 2 * c + 3)));
            acc0 = _mm512_fmadd_ps(scale_pair(d * scales[2 * c], d * scales[2 * c + 1]), p0, acc0);
            acc1 = _mm512_fmadd_ps(scale_pair(d * scales[2 * c + 2], d * scales[2 * c + 3]), p1, acc1);
        }
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) - mins;
}

static K512 float dot_q5_K_avx512(const block_q5_K *w, const ck_block_q8a *x, int64_t superblocks) {
    __m512 acc = _mm512_setzero_ps();
    const __m512i low = _mm512_set1_epi8(0x0f), sixteen = _mm512_set1_epi8(0x10);
    const __m512i nibble_shifts = _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0);
    float mins = 0;
    for (int64_t b = 0; b < superblocks; b++) {
        const ck_block_q8a *xb = x + 8 * b;
        float d = _cvtsh_ss(w[b].d), scales[8];
        mins += _cvtsh_ss(w[b].dmin) * k_mins_avx2(w[b].scales, xb, scales);
        // Sub-blocks 2c and 2c + 1 take bits 2c and 2c + 1 of qh: test them per byte, set 0x10 where present.
        __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)w[b].qh));
        __m512i bits = join_256(_mm256_set1_epi8(1), _mm256_set1_epi8(2));
        for (int c = 0; c < 4; c++) {
            __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(w[b].qs + 32 * c)));
            q = _mm512_and_si512(_mm512_srlv_epi64(q, nibble_shifts), low);
            q = _mm512_or_si512(q, _mm512_maskz_mov_epi8(_mm512_test_epi8_mask(qh, bits), sixteen));
            bits = _mm512_slli_epi16(bits, 2);
            __m512 p = _mm512_cvtepi32_ps(dpbusd(q, activations_pair(xb + 2 * c, xb + 2 * c + 1)));
            acc = _mm512_fmadd_ps(scale_pair(d * scales[2 * c], d * scales[2 * c + 1]), p, acc);
        }
    }
    return _mm512_reduce_add_ps(acc) - mins;
}

static K512 float dot_q6_K_avx512(const block_q6_K *w, const ck_block_q8a *x, int64_t superblocks) {
    __m512 acc = _mm512_setzero_ps();
    const __m512i offset = _mm512_set1_epi8(32);
    // Scale bytes 4p .. 4p + 3, each repeated over the 4 int32 lanes of its 16 values.
    const __m128i pick[4] = {
        _mm_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3),
        _mm_setr_epi8(4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7),
        _mm_setr_epi8(8, 8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11),
        _mm_setr_epi8(12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15),
    };
    for (int64_t b = 0; b < superblocks; b++) {
        float d = _cvtsh_ss(w[b].d);
        __m128i scales = _mm_loadu_si128((const __m128i *)w[b].scales);
        for (int h = 0; h < 2; h++) {
            __m256i q[4];
            q6_quarters_avx2(&w[b], h, q);
            for (int k = 0; k < 4; k += 2) {
                const ck_block_q8a *xb = x + 8 * b + 4 * h + k;
                __m512i a = activations_pair(xb, xb + 1);
                __m512i sums = _mm512_sub_epi32(dpbusd(join_256(q[k], q[k + 1]), a), dpbusd(offset, a));
                __m512i scale = _mm512_cvtepi8_epi32(_mm_shuffle_epi8(scales, pick[2 * h + k / 2]));
                __m512 p = _mm512_cvtepi32_ps(_mm512_mullo_epi32(sums, scale));
                acc = _mm512_fmadd_ps(scale_pair(d * xb[0].d, d * xb[1].d), p, acc);
            }
        }
    }
    return _mm512_reduce_add_ps(acc);
}

int ck_dot_more_simd(int path, int type, const void *row, const ck_block_q8a *x, int64_t blocks, float *result) {
    switch (path) {
    case CK_PATH_AVX512_VNNI:
        switch (type) {
        case CK_TYPE_Q5_0: *result = dot_q5_0_avx512((const block_q5_0 *)row, x, blocks); return 1;
        case CK_TYPE_Q5_1: *result = dot_q5_1_avx512((const block_q5_1 *)row, x, blocks); return 1;
        case CK_TYPE_Q4_K: *result = dot_q4_K_avx512((const block_q4_K *)row, x, blocks / 8); return 1;
        case CK_TYPE_Q5_K: *result = dot_q5_K_avx512((const block_q5_K *)row, x, blocks / 8); return 1;
        case CK_TYPE_Q6_K: *result = dot_q6_K_avx512((const block_q6_K *)row, x, blocks / 8); return 1;
        default: return 0;
        }
    case CK_PATH_AVX_VNNI:
        switch (type) {
        case CK_TYPE_Q5_0: *result = ck_dot_q5_0_vnni((const block_q5_0 *)row, x, blocks); return 1;
        case CK_TYPE_Q5_1: *result = ck_dot_q5_1_vnni((const block_q5_1 *)row, x, blocks); return 1;
        case CK_TYPE_Q4_K: *result = ck_dot_q4_K_vnni((const block_q4_K *)row, x, blocks / 8); return 1;
        case CK_TYPE_Q5_K: *result = ck_dot_q5_K_vnni((const block_q5_K *)row, x, blocks / 8); return 1;
        case CK_TYPE_Q6_K: *result = ck_dot_q6_K_vnni((const block_q6_K *)row, x, blocks / 8); return 1;
        default: return 0;
        }
    case CK_PATH_AVX2:
        switch (type) {
        case CK_TYPE_Q5_0: *result = ck_dot_q5_0_avx2((const block_q5_0 *)row, x, blocks); return 1;
        case CK_TYPE_Q5_1: *result = ck_dot_q5_1_avx2((const block_q5_1 *)row, x, blocks); return 1;
        case CK_TYPE_Q4_K: *result = ck_dot_q4_K_avx2((const block_q4_K *)row, x, blocks / 8); return 1;
        case CK_TYPE_Q5_K: *result = ck_dot_q5_K_avx2((const block_q5_K *)row, x, blocks / 8); return 1;
        case CK_TYPE_Q6_K: *result = ck_dot_q6_K_avx2((const block_q6_K *)row, x, blocks / 8); return 1;
        default: return 0;
        }
    default:
        return 0;
    }
}
#endif
