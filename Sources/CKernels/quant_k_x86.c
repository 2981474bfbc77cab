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

// --- AVX2 dequantisation (prompt processing dequantizes weight tiles for sgemm) ------------------------
// Same float operations in the same order as the portable loops (no fused multiply-adds), so both paths
// give identical floats.
#define KD __attribute__((target("avx2,fma,f16c")))

// 32 bytes (signed) -> 32 floats times `scale`, minus `offset`.
static inline KD void store_32(float *y, __m256i bytes, int is_signed, __m256 scale, __m256 offset) {
    __m128i halves[2] = { _mm256_castsi256_si128(bytes), _mm256_extracti128_si256(bytes, 1) };
    for (int h = 0; h < 2; h++) {
        for (int e = 0; e < 2; e++) {
            __m128i eight = e ? _mm_srli_si128(halves[h], 8) : halves[h];
            __m256i ints = is_signed ? _mm256_cvtepi8_epi32(eight) : _mm256_cvtepu8_epi32(eight);
            __m256 v = _mm256_mul_ps(scale, _mm256_cvtepi32_ps(ints));
            _mm256_storeu_ps(y + 16 * h + 8 * e, _mm256_sub_ps(v, offset));
        }
    }
}

static KD void dequantize_q4_K_avx2(const block_q4_K *w, float *y, int64_t superblocks) {
    const __m256i low = _mm256_set1_epi8(0x0f);
    for (int64_t b = 0; b < superblocks; b++) {
        __m256 sc, m;
        k_unpack_avx2(w[b].scales, &sc, &m);
        float steps[8], offsets[8];
        _mm256_storeu_ps(steps, _mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(w[b].d)), sc));
        _mm256_storeu_ps(offsets, _mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(w[b].dmin)), m));
        for (int c = 0; c < 4; c++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(w[b].qs + 32 * c));
            float *out = y + CK_QK * b + 64 * c;
            store_32(out, _mm256_and_si256(q, low), 0, _mm256_set1_ps(steps[2 * c]), _mm256_set1_ps(offsets[2 * c]));
            store_32(out + 32, _mm256_and_si256(_mm256_srli_epi16(q, 4), low), 0,
                     _mm256_set1_ps(steps[2 * c + 1]), _mm256_set1_ps(offsets[2 * c + 1]));
        }
    }
}

static KD void dequantize_q6_K_avx2(const block_q6_K *w, float *y, int64_t superblocks) {
    const __m256i offset = _mm256_set1_epi8(32);
    for (int64_t b = 0; b < superblocks; b++) {
        float d = _cvtsh_ss(w[b].d);
        for (int h = 0; h < 2; h++) {
            __m256i q[4];
            q6_quarters_avx2(&w[b], h, q);
            for (int k = 0; k < 4; k++) {
                float *out = y + CK_QK * b + 128 * h + 32 * k;
                __m256i values = _mm256_sub_epi8(q[k], offset);
                // Values 0-15 and 16-31 have their own scales: store each half with its own.
                __m128i halves[2] = { _mm256_castsi256_si128(values), _mm256_extracti128_si256(values, 1) };
                for (int half = 0; half < 2; half++) {
                    __m256 step = _mm256_set1_ps(d * (float)w[b].scales[8 * h + 2 * k + half]);
                    __m256 v0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(halves[half]));
                    __m256 v1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(halves[half], 8)));
                    _mm256_storeu_ps(out + 16 * half, _mm256_mul_ps(step, v0));
                    _mm256_storeu_ps(out + 16 * half + 8, _mm256_mul_ps(step, v1));
                }
            }
        }
    }
}

static KD void dequantize_q5_0_avx2(const block_q5_0 *w, float *y, int64_t blocks) {
    const __m256i sixteen = _mm256_set1_epi8(16);
    for (int64_t b = 0; b < blocks; b++) {
        __m256i q = _mm256_sub_epi8(_mm256_or_si256(nibbles_avx2(w[b].qs), fifth_bits_avx2(w[b].qh)), sixteen);
        store_32(y + 32 * b, q, 1, _mm256_set1_ps(_cvtsh_ss(w[b].d)), _mm256_setzero_ps());
    }
}

int ck_dequantize_more_avx2(int type, const void *row, float *y, int64_t n) {
    switch (type) {
    case CK_TYPE_Q4_K: dequantize_q4_K_avx2((const block_q4_K *)row, y, n / CK_QK); return 1;
    case CK_TYPE_Q6_K: dequantize_q6_K_avx2((const block_q6_K *)row, y, n / CK_QK); return 1;
    case CK_TYPE_Q5_0: dequantize_q5_0_avx2((const block_q5_0 *)row, y, n / 32); return 1;
    default: return 0;
    }
}

// --- AVX-512 VNNI: 64 bytes, two activation blocks, per instruction -----------------------------------
#define K512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))

static inline K512 __m512i join_256(__m256i low, __m256i high) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
}

static inline K512 __m512i activations_pair(const ck_block_q8a *x0, const ck_block_q8a *x1) {
    return join_256(_mm256_loadu_si256((const __m256i *)x0->qs), _mm256_loadu_si256((const __m256i *)x1->qs));
}

static inline K512 __m512i dpbusd(__m512i u, __m512i s) { return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, s); }

// Two blocks' nibbles as 64 bytes, [low b, high b, low b+1, high b+1]: elements 0-31 of each block in order.
static inline K512 __m512i nibbles_pair(const uint8_t *qs0, const uint8_t *qs1) {
    __m128i a = _mm_loadu_si128((const __m128i *)qs0), b = _mm_loadu_si128((const __m128i *)qs1);
    __m512i both = join_256(_mm256_set_m128i(a, a), _mm256_set_m128i(b, b));
    return _mm512_and_si512(_mm512_srlv_epi64(both, _mm512_set_epi64(4, 4, 0, 0, 4, 4, 0, 0)), _mm512_set1_epi8(0x0f));
}

// Two blocks' 32 fifth bits as a 64-bit mask -> 0x10 in the bytes whose bit is set.
static inline K512 __m512i fifth_bits_pair(const uint8_t *qh0, const uint8_t *qh1) {
    uint32_t low, high;
    memcpy(&low, qh0, 4);
    memcpy(&high, qh1, 4);
    return _mm512_maskz_mov_epi8(_cvtu64_mask64((uint64_t)high << 32 | low), _mm512_set1_epi8(0x10));
}

// Two blocks' fp16 d as [d0, d1, 0, 0].
static inline K512 __m128 scales_of_pair(uint16_t d0, uint16_t d1) {
    return _mm_cvtph_ps(_mm_cvtsi32_si128((int)((uint32_t)d1 << 16 | d0)));
}

// Lanes 0-7 take lane 0 of `pair`, lanes 8-15 lane 1.
static inline K512 __m512 spread_pair(__m128 pair) {
    return _mm512_permutexvar_ps(join_256(_mm256_setzero_si256(), _mm256_set1_epi32(1)), _mm512_castps128_ps512(pair));
}

static K512 float dot_q5_0_avx512(const block_q5_0 *w, const ck_block_q8a *x, const float *xd, const float *xs,
                                  int64_t blocks) {
    __m512 acc = _mm512_setzero_ps();
    __m128 offsets = _mm_setzero_ps();
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        __m512i q = _mm512_or_si512(nibbles_pair(w[b].qs, w[b + 1].qs), fifth_bits_pair(w[b].qh, w[b + 1].qh));
        __m128 d = scales_of_pair(w[b].d, w[b + 1].d);
        __m512 p = _mm512_cvtepi32_ps(dpbusd(q, activations_pair(x + b, x + b + 1)));
        acc = _mm512_fmadd_ps(spread_pair(_mm_mul_ps(d, _mm_castpd_ps(_mm_load_sd((const double *)(xd + b))))), p, acc);
        offsets = _mm_fmadd_ps(d, _mm_castpd_ps(_mm_load_sd((const double *)(xs + b))), offsets);
    }
    offsets = _mm_add_ps(offsets, _mm_movehdup_ps(offsets));
    float total = _mm512_reduce_add_ps(acc) - 16.0f * _mm_cvtss_f32(offsets);
    if (b < blocks) total += ck_dot_q5_0_avx2(w + b, x + b, xs + b, 1);
    return total;
}

static K512 float dot_q5_1_avx512(const block_q5_1 *w, const ck_block_q8a *x, const float *xd, const float *xs,
                                  int64_t blocks) {
    __m512 acc = _mm512_setzero_ps();
    __m128 mins = _mm_setzero_ps();
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        __m512i q = _mm512_or_si512(nibbles_pair(w[b].qs, w[b + 1].qs), fifth_bits_pair(w[b].qh, w[b + 1].qh));
        __m128 d = scales_of_pair(w[b].d, w[b + 1].d), m = scales_of_pair(w[b].m, w[b + 1].m);
        __m512 p = _mm512_cvtepi32_ps(dpbusd(q, activations_pair(x + b, x + b + 1)));
        acc = _mm512_fmadd_ps(spread_pair(_mm_mul_ps(d, _mm_castpd_ps(_mm_load_sd((const double *)(xd + b))))), p, acc);
        mins = _mm_fmadd_ps(m, _mm_castpd_ps(_mm_load_sd((const double *)(xs + b))), mins);
    }
    mins = _mm_add_ps(mins, _mm_movehdup_ps(mins));
    float total = _mm512_reduce_add_ps(acc) + _mm_cvtss_f32(mins);
    if (b < blocks) total += ck_dot_q5_1_avx2(w + b, x + b, xs + b, 1);
    return total;
}

// Lanes 0-7 take multiplier 2c, lanes 8-15 multiplier 2c + 1 (sub-blocks 2c and 2c + 1).
static inline K512 __m512 pair_of(__m512 multipliers, int c) {
    __m512i index = join_256(_mm256_set1_epi32(2 * c), _mm256_set1_epi32(2 * c + 1));
    return _mm512_permutexvar_ps(index, multipliers);
}

static K512 float dot_q4_K_avx512(const block_q4_K *w, const ck_block_q8a *x, const float *xd, const float *xs,
                                  int64_t superblocks) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    __m256 mins = _mm256_setzero_ps();
    const __m512i low = _mm512_set1_epi8(0x0f);
    const __m512i nibble_shifts = _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0);
    for (int64_t b = 0; b < superblocks; b++) {
        const ck_block_q8a *xb = x + 8 * b;
        __m256 sc, m;
        k_unpack_avx2(w[b].scales, &sc, &m);
        mins = _mm256_fmadd_ps(_mm256_mul_ps(m, _mm256_set1_ps(_cvtsh_ss(w[b].dmin))), _mm256_loadu_ps(xs + 8 * b), mins);
        __m512 mult = _mm512_castps256_ps512(_mm256_mul_ps(_mm256_mul_ps(sc, _mm256_loadu_ps(xd + 8 * b)),
                                                           _mm256_set1_ps(_cvtsh_ss(w[b].d))));
        for (int c = 0; c < 4; c += 2) {
            // Chunk c as [low nibbles, high nibbles] against activation blocks 2c and 2c + 1.
            __m512i q0 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(w[b].qs + 32 * c)));
            __m512i q1 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(w[b].qs + 32 * c + 32)));
            q0 = _mm512_and_si512(_mm512_srlv_epi64(q0, nibble_shifts), low);
            q1 = _mm512_and_si512(_mm512_srlv_epi64(q1, nibble_shifts), low);
            __m512 p0 = _mm512_cvtepi32_ps(dpbusd(q0, activations_pair(xb + 2 * c, xb + 2 * c + 1)));
            __m512 p1 = _mm512_cvtepi32_ps(dpbusd(q1, activations_pair(xb + 2 * c + 2, xb + 2 * c + 3)));
            acc0 = _mm512_fmadd_ps(pair_of(mult, c), p0, acc0);
            acc1 = _mm512_fmadd_ps(pair_of(mult, c + 1), p1, acc1);
        }
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) - hsum_avx2(mins);
}

static K512 float dot_q5_K_avx512(const block_q5_K *w, const ck_block_q8a *x, const float *xd, const float *xs,
                                  int64_t superblocks) {
    __m512 acc = _mm512_setzero_ps();
    __m256 mins = _mm256_setzero_ps();
    const __m512i low = _mm512_set1_epi8(0x0f), sixteen = _mm512_set1_epi8(0x10);
    const __m512i nibble_shifts = _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0);
    for (int64_t b = 0; b < superblocks; b++) {
        const ck_block_q8a *xb = x + 8 * b;
        __m256 sc, m;
        k_unpack_avx2(w[b].scales, &sc, &m);
        mins = _mm256_fmadd_ps(_mm256_mul_ps(m, _mm256_set1_ps(_cvtsh_ss(w[b].dmin))), _mm256_loadu_ps(xs + 8 * b), mins);
        __m512 mult = _mm512_castps256_ps512(_mm256_mul_ps(_mm256_mul_ps(sc, _mm256_loadu_ps(xd + 8 * b)),
                                                           _mm256_set1_ps(_cvtsh_ss(w[b].d))));
        // Sub-blocks 2c and 2c + 1 take bits 2c and 2c + 1 of qh: test them per byte, set 0x10 where present.
        __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)w[b].qh));
        __m512i bits = join_256(_mm256_set1_epi8(1), _mm256_set1_epi8(2));
        for (int c = 0; c < 4; c++) {
            __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(w[b].qs + 32 * c)));
            q = _mm512_and_si512(_mm512_srlv_epi64(q, nibble_shifts), low);
            q = _mm512_or_si512(q, _mm512_maskz_mov_epi8(_mm512_test_epi8_mask(qh, bits), sixteen));
            bits = _mm512_slli_epi16(bits, 2);
            __m512 p = _mm512_cvtepi32_ps(dpbusd(q, activations_pair(xb + 2 * c, xb + 2 * c + 1)));
            acc = _mm512_fmadd_ps(pair_of(mult, c), p, acc);
        }
    }
    return _mm512_reduce_add_ps(acc) - hsum_avx2(mins);
}

static K512 float dot_q6_K_avx512(const block_q6_K *w, const ck_block_q8a *x, const float *xd, int64_t superblocks) {
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
                __m128 dx = _mm_mul_ps(_mm_set1_ps(d), _mm_castpd_ps(_mm_load_sd((const double *)(xd + (xb - x)))));
                acc = _mm512_fmadd_ps(spread_pair(dx), p, acc);
            }
        }
    }
    return _mm512_reduce_add_ps(acc);
}

static int dot_more_simd(int path, int type, const void *row, const ck_block_q8a *x, const float *xd, const float *xs,
                         int64_t blocks, float *result) {
    switch (path) {
    case CK_PATH_AVX512_VNNI:
        switch (type) {
        case CK_TYPE_Q5_0: *result = dot_q5_0_avx512((const block_q5_0 *)row, x, xd, xs, blocks); return 1;
        case CK_TYPE_Q5_1: *result = dot_q5_1_avx512((const block_q5_1 *)row, x, xd, xs, blocks); return 1;
        case CK_TYPE_Q4_K: *result = dot_q4_K_avx512((const block_q4_K *)row, x, xd, xs, blocks / 8); return 1;
        case CK_TYPE_Q5_K: *result = dot_q5_K_avx512((const block_q5_K *)row, x, xd, xs, blocks / 8); return 1;
        case CK_TYPE_Q6_K: *result = dot_q6_K_avx512((const block_q6_K *)row, x, xd, blocks / 8); return 1;
        default: return 0;
        }
    case CK_PATH_AVX_VNNI:
        switch (type) {
        case CK_TYPE_Q5_0: *result = ck_dot_q5_0_vnni((const block_q5_0 *)row, x, xs, blocks); return 1;
        case CK_TYPE_Q5_1: *result = ck_dot_q5_1_vnni((const block_q5_1 *)row, x, xs, blocks); return 1;
        case CK_TYPE_Q4_K: *result = ck_dot_q4_K_vnni((const block_q4_K *)row, x, xd, xs, blocks / 8); return 1;
        case CK_TYPE_Q5_K: *result = ck_dot_q5_K_vnni((const block_q5_K *)row, x, xd, xs, blocks / 8); return 1;
        case CK_TYPE_Q6_K: *result = ck_dot_q6_K_vnni((const block_q6_K *)row, x, blocks / 8); return 1;
        default: return 0;
        }
    case CK_PATH_AVX2:
        switch (type) {
        case CK_TYPE_Q5_0: *result = ck_dot_q5_0_avx2((const block_q5_0 *)row, x, xs, blocks); return 1;
        case CK_TYPE_Q5_1: *result = ck_dot_q5_1_avx2((const block_q5_1 *)row, x, xs, blocks); return 1;
        case CK_TYPE_Q4_K: *result = ck_dot_q4_K_avx2((const block_q4_K *)row, x, xd, xs, blocks / 8); return 1;
        case CK_TYPE_Q5_K: *result = ck_dot_q5_K_avx2((const block_q5_K *)row, x, xd, xs, blocks / 8); return 1;
        case CK_TYPE_Q6_K: *result = ck_dot_q6_K_avx2((const block_q6_K *)row, x, blocks / 8); return 1;
        default: return 0;
        }
    default:
        return 0;
    }
}

int ck_dot_more_simd(int path, int type, const void *row, const ck_block_q8a *x, const ck_q8a_scales *scales,
                     int64_t blocks, float *result) {
    if (scales) return dot_more_simd(path, type, row, x, scales->d, scales->s, blocks, result);
    // No shared arrays: make them here, 1024 activation blocks (whole super-blocks) at a time.
    enum { chunk = 1024 };
    float xd[chunk], xs[chunk], total = 0;
    size_t bytes = ck_block_bytes(type);
    int64_t per_block = ck_block_values(type) / 32;
    if (bytes == 0 || per_block == 0) return 0;
    for (int64_t start = 0; start < blocks; start += chunk) {
        int64_t count = blocks - start < chunk ? blocks - start : chunk;
        for (int64_t b = 0; b < count; b++) {
            xd[b] = x[start + b].d;
            xs[b] = x[start + b].s;
        }
        float part;
        const uint8_t *weights = (const uint8_t *)row + (size_t)(start / per_block) * bytes;
        if (!dot_more_simd(path, type, weights, x + start, xd, xs, count, &part)) return 0;
        total = start == 0 ? part : total + part;
    }
    *result = total;
    return 1;
}
#endif
