// The inference pass's linear layer, in C so that one source can be compiled twice: for any
// x86-64 (SSE, four numbers to a register) and for CPUs with AVX2 (eight), chosen when the
// program runs. Swift cannot compile one function for another CPU than the whole build's, and a
// portable build is the only kind this package ships. See InferencePass.swift for how it is used.
#ifndef INFERENCE_KERNELS_H
#define INFERENCE_KERNELS_H

#include <stdbool.h>

/// True when this CPU and its operating system support AVX2: then `inference_linear_avx2` may run.
bool inference_kernels_use_avx2(void);

/// out[i][o] = sum over k of input[i][k] * weights[k][o], for `rows` rows of input and every one
/// of `padded_outputs` outputs (a multiple of 8). `weights` is [inputs][padded_outputs], a
/// layer's matrix transposed. Each sum runs over k in order, as a multiply and then an add (never
/// fused), so every CPU and both versions give the same bits.
void inference_linear_portable(const float *weights, int inputs, int padded_outputs,
                               const float *input, int rows, int input_stride,
                               float *out, int output_stride);
void inference_linear_avx2(const float *weights, int inputs, int padded_outputs,
                           const float *input, int rows, int input_stride,
                           float *out, int output_stride);

#endif
