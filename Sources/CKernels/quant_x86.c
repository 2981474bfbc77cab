// SIMD bodies of the quantized kernels: AVX2, AVX-VNNI and AVX-512 VNNI, each compiled for its own
// target with function attributes (no global flags), chosen at run time by quant.c.
#include "quant_internal.h"

#ifdef CK_X86
#include <immintrin.h>

#define CK_AVX2 __attribute__((target("avx2,fma,f16c")))

static inline CK_AVX2 float hsum_float_8(__m256 x) {
    __m128 res = _mm256_extractf128_ps(x, 1);
    res = _mm_add_ps(res, _mm256_castps256_ps128(x));
    res = _mm_add_ps(res, _mm_movehl_ps(res, res));
    res = _mm_add_ss(res, _mm_movehdup_ps(res));
    return _mm_cvtss_f32(res);
}

// 16 bytes of nibbles -> 32 bytes: low nibbles (elements 0-15) then high nibbles (16-31).
static inline CK_AVX2 __m256i nibbles_to_bytes(const uint8_t *qs) {
    __m128i packed = _mm_loadu_si128((const __m128i *)qs);
    __m256i both = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
    return _mm256_and_si256(_mm256_set1_epi8(0x0f), both);
}

// Sum of unsigned(a) * signed(b) over groups of 4 bytes, as 8 floats.
static inline CK_AVX2 __m256 mul_sum_us8_float(__m256i a, __m256i b) {
    __m256i pairs = _mm256_maddubs_epi16(a, b);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

static inline CK_AVX2 __m256 mul_sum_i8_float(__m256i a, __m256i b) {
    return mul_sum_us8_float(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
}

static inline CK_AVX2 float fp16_avx(uint16_t h) { return _cvtsh_ss(h); }

CK_AVX2 float ck_dot_q8_0_avx2(const block_q8_0 *w, const ck_block_q8a *x, int64_t blocks) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        __m256 p0 = mul_sum_i8_float(_mm256_loadu_si256((const __m256i *)w[b].qs),
                                     _mm256_loadu_si256((const __m256i *)x[b].qs));
        __m256 p1 = mul_sum_i8_float(_mm256_loadu_si256((const __m256i *)w[b + 1].qs),
                                     _mm256_loadu_si256((const __m256i *)x[b + 1].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(fp16_avx(w[b].d) * x[b].d), p0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(fp16_avx(w[b + 1].d) * x[b + 1].d), p1, acc1);
    }
    for (; b < blocks; b++) {
        __m256 p = mul_sum_i8_float(_mm256_loadu_si256((const __m256i *)w[b].qs),
                                    _mm256_loadu_si256((const __m256i *)x[b].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(fp16_avx(w[b].d) * x[b].d), p, acc0);
    }
    return hsum_float_8(_mm256_add_ps(acc0, acc1));
}

CK_AVX2 float ck_dot_q4_0_avx2(const block_q4_0 *w, const ck_block_q8a *x, int64_t blocks) {
    __m256 acc = _mm256_setzero_ps();
    const __m256i eight = _mm256_set1_epi8(8);
    for (int64_t b = 0; b < blocks; b++) {
        __m256i q = _mm256_sub_epi8(nibbles_to_bytes(w[b].qs), eight);
        __m256 p = mul_sum_i8_float(q, _mm256_loadu_si256((const __m256i *)x[b].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16_avx(w[b].d) * x[b].d), p, acc);
    }
    return hsum_float_8(acc);
}

CK_AVX2 float ck_dot_q4_1_avx2(const block_q4_1 *w, const ck_block_q8a *x, int64_t blocks) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float mins = 0;
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        __m256 p0 = mul_sum_us8_float(nibbles_to_bytes(w[b].qs), _mm256_loadu_si256((const __m256i *)x[b].qs));
        __m256 p1 = mul_sum_us8_float(nibbles_to_bytes(w[b + 1].qs), _mm256_loadu_si256((const __m256i *)x[b + 1].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(fp16_avx(w[b].d) * x[b].d), p0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(fp16_avx(w[b + 1].d) * x[b + 1].d), p1, acc1);
        mins += fp16_avx(w[b].m) * x[b].s + fp16_avx(w[b + 1].m) * x[b + 1].s;
    }
    for (; b < blocks; b++) {
        __m256 p = mul_sum_us8_float(nibbles_to_bytes(w[b].qs), _mm256_loadu_si256((const __m256i *)x[b].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(fp16_avx(w[b].d) * x[b].d), p, acc0);
        mins += fp16_avx(w[b].m) * x[b].s;
    }
    return hsum_float_8(_mm256_add_ps(acc0, acc1)) + mins;
}

static CK_AVX2 float dot_f32_avx2(const float *w, const float *x, int64_t n) {
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), acc);
    float sum = hsum_float_8(acc);
    for (; i < n; i++) sum += w[i] * x[i];
    return sum;
}

static CK_AVX2 float dot_f16_avx2(const uint16_t *w, const float *x, int64_t n) {
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 wf = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i)));
        acc = _mm256_fmadd_ps(wf, _mm256_loadu_ps(x + i), acc);
    }
    float sum = hsum_float_8(acc);
    for (; i < n; i++) sum += _cvtsh_ss(w[i]) * x[i];
    return sum;
}

CK_AVX2 float ck_dot_float_avx2(int type, const void *row, const float *x, int64_t n) {
    if (type == CK_TYPE_F32) return dot_f32_avx2((const float *)row, x, n);
    if (type == CK_TYPE_F16) return dot_f16_avx2((const uint16_t *)row, x, n);
    return dot_float_body(type, row, x, n);
}

CK_AVX2 void ck_quantize_row_q8a_avx2(const float *x, ck_block_q8a *y, int64_t n) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    for (int64_t b = 0; b < n / 32; b++) {
        const float *v = x + b * 32;
        __m256 v0 = _mm256_loadu_ps(v), v1 = _mm256_loadu_ps(v + 8);
        __m256 v2 = _mm256_loadu_ps(v + 16), v3 = _mm256_loadu_ps(v + 24);
        __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign_mask, v0), _mm256_andnot_ps(sign_mask, v1)),
                                 _mm256_max_ps(_mm256_andnot_ps(sign_mask, v2), _mm256_andnot_ps(sign_mask, v3)));
        __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        float amax = _mm_cvtss_f32(m4);
        float d = amax / 127.0f;
        float id = d != 0 ? 1.0f / d : 0.0f;
        __m256 scale = _mm256_set1_ps(id);
        // Round half to even like nearbyintf, so both paths quantize identically.
        __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m256i sum = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
        __m128i s4 = _mm_add_epi32(_mm256_extracti128_si256(sum, 1), _mm256_castsi256_si128(sum));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
        // Pack 32 x int32 -> 32 x int8, then undo the lane interleaving of the packs.
        __m256i p01 = _mm256_packs_epi32(i0, i1);
        __m256i p23 = _mm256_packs_epi32(i2, i3);
        __m256i bytes = _mm256_packs_epi16(p01, p23);
        bytes = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)y[b].qs, bytes);
        y[b].d = d;
        y[b].s = d * (float)_mm_cvtsi128_si32(s4);
    }
}

CK_AVX2 void ck_dequantize_avx2(int type, const void *row, float *y, int64_t n) {
    if (type == CK_TYPE_Q4_1) {
        const block_q4_1 *w = (const block_q4_1 *)row;
        for (int64_t b = 0; b < n / 32; b++) {
            __m256i bytes = nibbles_to_bytes(w[b].qs);
            __m256 d = _mm256_set1_ps(_cvtsh_ss(w[b].d)), m = _mm256_set1_ps(_cvtsh_ss(w[b].m));
            __m128i lo = _mm256_castsi256_si128(bytes), hi = _mm256_extracti128_si256(bytes, 1);
            _mm256_storeu_ps(y + b * 32, _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo)), m));
            _mm256_storeu_ps(y + b * 32 + 8, _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8))), m));
            _mm256_storeu_ps(y + b * 32 + 16, _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi)), m));
            _mm256_storeu_ps(y + b * 32 + 24, _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8))), m));
        }
        return;
    }
    if (type == CK_TYPE_Q8_0) {
        const block_q8_0 *w = (const block_q8_0 *)row;
        for (int64_t b = 0; b < n / 32; b++) {
            __m256 d = _mm256_set1_ps(_cvtsh_ss(w[b].d));
            for (int k = 0; k < 4; k++) {
                __m128i q = _mm_loadl_epi64((const __m128i *)(w[b].qs + 8 * k));
                _mm256_storeu_ps(y + b * 32 + 8 * k, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q))));
            }
        }
        return;
    }
    if (type == CK_TYPE_F16) {
        const uint16_t *w = (const uint16_t *)row;
        int64_t i = 0;
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i))));
        for (; i < n; i++) y[i] = _cvtsh_ss(w[i]);
        return;
    }
    if (ck_dequantize_more_avx2(type, row, y, n)) return;
    dequantize_body(type, row, y, n);
}

static int avx2_state = -1;

int ck_have_avx2(void) {
    if (avx2_state < 0) {
        __builtin_cpu_init();
        avx2_state = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }
    return avx2_state;
}

// --- AVX-VNNI bodies (one instruction for the unsigned x signed byte products) ---------------------

#define CK_VNNI __attribute__((target("avx2,fma,f16c,avxvnni")))

static inline CK_VNNI __m256 dot_us8_vnni(__m256i a, __m256i b) {
    return _mm256_cvtepi32_ps(_mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), a, b));
}

CK_VNNI float ck_dot_q8_0_vnni(const block_q8_0 *w, const ck_block_q8a *x, int64_t blocks) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        __m256i w0 = _mm256_loadu_si256((const __m256i *)w[b].qs), w1 = _mm256_loadu_si256((const __m256i *)w[b + 1].qs);
        __m256i x0 = _mm256_loadu_si256((const __m256i *)x[b].qs), x1 = _mm256_loadu_si256((const __m256i *)x[b + 1].qs);
        __m256 p0 = dot_us8_vnni(_mm256_sign_epi8(w0, w0), _mm256_sign_epi8(x0, w0));
        __m256 p1 = dot_us8_vnni(_mm256_sign_epi8(w1, w1), _mm256_sign_epi8(x1, w1));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(w[b].d) * x[b].d), p0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(w[b + 1].d) * x[b + 1].d), p1, acc1);
    }
    for (; b < blocks; b++) {
        __m256i w0 = _mm256_loadu_si256((const __m256i *)w[b].qs), x0 = _mm256_loadu_si256((const __m256i *)x[b].qs);
        __m256 p0 = dot_us8_vnni(_mm256_sign_epi8(w0, w0), _mm256_sign_epi8(x0, w0));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(w[b].d) * x[b].d), p0, acc0);
    }
    return hsum_float_8(_mm256_add_ps(acc0, acc1));
}

CK_VNNI float ck_dot_q4_1_vnni(const block_q4_1 *w, const ck_block_q8a *x, int64_t blocks) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float mins = 0;
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        __m256 p0 = dot_us8_vnni(nibbles_to_bytes(w[b].qs), _mm256_loadu_si256((const __m256i *)x[b].qs));
        __m256 p1 = dot_us8_vnni(nibbles_to_bytes(w[b + 1].qs), _mm256_loadu_si256((const __m256i *)x[b + 1].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(w[b].d) * x[b].d), p0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(w[b + 1].d) * x[b + 1].d), p1, acc1);
        mins += _cvtsh_ss(w[b].m) * x[b].s + _cvtsh_ss(w[b + 1].m) * x[b + 1].s;
    }
    for (; b < blocks; b++) {
        __m256 p = dot_us8_vnni(nibbles_to_bytes(w[b].qs), _mm256_loadu_si256((const __m256i *)x[b].qs));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(w[b].d) * x[b].d), p, acc0);
        mins += _cvtsh_ss(w[b].m) * x[b].s;
    }
    return hsum_float_8(_mm256_add_ps(acc0, acc1)) + mins;
}

CK_VNNI float ck_dot_q4_0_vnni(const block_q4_0 *w, const ck_block_q8a *x, int64_t blocks) {
    // (q - 8) . x = q . x - 8 * sum(x): the sum is s / d of the activation block.
    __m256 acc = _mm256_setzero_ps();
    float offsets = 0;
    for (int64_t b = 0; b < blocks; b++) {
        __m256 p = dot_us8_vnni(nibbles_to_bytes(w[b].qs), _mm256_loadu_si256((const __m256i *)x[b].qs));
        float scale = _cvtsh_ss(w[b].d);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(scale * x[b].d), p, acc);
        offsets += 8.0f * scale * x[b].s;
    }
    return hsum_float_8(acc) - offsets;
}

// Float activations against quantized rows, unpacked in registers (no buffer round trip).
CK_AVX2 float ck_dot_q8_0_f32_avx2(const block_q8_0 *w, const float *x, int64_t blocks) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) {
        __m256 d = _mm256_set1_ps(_cvtsh_ss(w[b].d));
        const float *v = x + b * 32;
        __m256 s0 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(w[b].qs)))), _mm256_loadu_ps(v));
        __m256 s1 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(w[b].qs + 8)))), _mm256_loadu_ps(v + 8));
        s0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(w[b].qs + 16)))), _mm256_loadu_ps(v + 16), s0);
        s1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(w[b].qs + 24)))), _mm256_loadu_ps(v + 24), s1);
        acc0 = _mm256_fmadd_ps(d, s0, acc0);
        acc1 = _mm256_fmadd_ps(d, s1, acc1);
    }
    return hsum_float_8(_mm256_add_ps(acc0, acc1));
}

CK_AVX2 float ck_dot_q4_1_f32_avx2(const block_q4_1 *w, const float *x, int64_t blocks) {
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    for (int64_t b = 0; b < blocks; b++) {
        __m256i bytes = nibbles_to_bytes(w[b].qs);
        __m128i lo = _mm256_castsi256_si128(bytes), hi = _mm256_extracti128_si256(bytes, 1);
        const float *v = x + b * 32;
        __m256 v0 = _mm256_loadu_ps(v), v1 = _mm256_loadu_ps(v + 8), v2 = _mm256_loadu_ps(v + 16), v3 = _mm256_loadu_ps(v + 24);
        __m256 s = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo)), v0);
        s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8))), v1, s);
        s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi)), v2, s);
        s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8))), v3, s);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(w[b].d)), s, acc);
        // m * sum(x) for the block.
        __m256 sum = _mm256_add_ps(_mm256_add_ps(v0, v1), _mm256_add_ps(v2, v3));
        mins += _cvtsh_ss(w[b].m) * hsum_float_8(sum);
    }
    return hsum_float_8(acc) + mins;
}

static int vnni_state = -1;

int ck_have_vnni(void) {
    if (vnni_state < 0) vnni_state = ck_have_avx2() && __builtin_cpu_supports("avxvnni");
    return vnni_state;
}

// --- AVX-512 VNNI bodies: two blocks per instruction ------------------------------------------------

#include "quant_avx512.h"

CK_AVX512 float ck_dot_q4_1_avx512(const block_q4_1 *w, const ck_block_q8a *x, int64_t blocks) {
    __m512 acc = _mm512_setzero_ps();
    __m128 mins = _mm_setzero_ps();
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        __m512i q = nibbles_to_bytes_x2(w[b].qs, w[b + 1].qs);
        __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, activations_x2(x + b));
        acc = _mm512_fmadd_ps(scales_x2(w[b].d, w[b + 1].d, x + b), _mm512_cvtepi32_ps(sums), acc);
        __m128 m = _mm_cvtph_ps(_mm_cvtsi32_si128((int)((uint32_t)w[b + 1].m << 16 | w[b].m)));
        mins = _mm_fmadd_ps(m, _mm_unpacklo_ps(_mm_load_ss(&x[b].s), _mm_load_ss(&x[b + 1].s)), mins);
    }
    mins = _mm_add_ps(mins, _mm_movehdup_ps(mins));
    float total = _mm512_reduce_add_ps(acc) + _mm_cvtss_f32(mins);
    if (b < blocks) total += ck_dot_q4_1_avx2(w + b, x + b, 1);
    return total;
}

CK_AVX512 float ck_dot_q8_0_avx512(const block_q8_0 *w, const ck_block_q8a *x, int64_t blocks) {
    __m512 acc = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2) {
        __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)w[b].qs)),
                                       _mm256_loadu_si256((const __m256i *)w[b + 1].qs), 1);
        __m512i a = activations_x2(x + b);
        // |q| . (sign(q) * a): unsigned x signed, as dpbusd wants.
        __mmask64 negative = _mm512_movepi8_mask(q);
        __m512i signed_a = _mm512_mask_sub_epi8(a, negative, _mm512_setzero_si512(), a);
        __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_abs_epi8(q), signed_a);
        acc = _mm512_fmadd_ps(scales_x2(w[b].d, w[b + 1].d, x + b), _mm512_cvtepi32_ps(sums), acc);
    }
    float total = _mm512_reduce_add_ps(acc);
    if (b < blocks) total += ck_dot_q8_0_avx2(w + b, x + b, 1);
    return total;
}

static int avx512_state = -1;

int ck_have_avx512(void) {
    if (avx512_state < 0) {
        avx512_state = ck_have_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
    }
    return avx512_state;
}
#endif
