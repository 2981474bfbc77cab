// Element-wise ops of the BERT encoder over rows of activations: bias + GELU (erf form), bias add,
// LayerNorm. AVX-512 where the CPU has it (Swift's own loops compile to SSE for baseline x86-64), else C.
#ifndef CK_ENCODER_OPS_H
#define CK_ENCODER_OPS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// x <- gelu(x + bias) for each of `rows` rows of `width` values; `bias` (width values) may be NULL.
/// erf is Eigen's rational approximation on [-4, 4] (within 2e-6 of the exact GELU).
void ck_bias_gelu_rows(float *x, int64_t rows, int64_t width, const float *bias);

/// x <- x + bias for each of `rows` rows of `width` values.
void ck_bias_add_rows(float *x, int64_t rows, int64_t width, const float *bias);

/// x <- (x + bias - mean) / sqrt(var + epsilon) * gamma + beta per row; `bias` may be NULL.
void ck_layer_norm_rows(float *x, int64_t rows, int64_t width, const float *gamma, const float *beta,
                        float epsilon, const float *bias);

#ifdef __cplusplus
}
#endif

#endif
