// The inference pass's kernels (its linear layers, attention and softmax), in C so that one
// source can be compiled twice: for any x86-64 (SSE, four floats to a register) and for CPUs with
// AVX2 (eight), the version chosen when the program runs. Swift compiles a whole build for one
// CPU, and a portable build is the only kind this package ships. InferencePass.swift runs them.
//
// Every sum runs in the order written in InferenceKernels.c, as a multiply and then an add (never
// fused), so both versions give the same bits on every CPU.
#ifndef INFERENCE_KERNELS_H
#define INFERENCE_KERNELS_H

#include <stdbool.h>

/// One version of every kernel.
typedef struct {
    /// out[i][o] = sum over k of input[i][k] * weights[k][o], for `rows` rows of input and every
    /// one of `padded_outputs` outputs (a multiple of 8). `weights` is [inputs][padded_outputs],
    /// a layer's matrix transposed.
    void (*linear)(const float *weights, int inputs, int padded_outputs,
                   const float *input, int rows, int input_stride, float *out, int output_stride);
    /// Multi-head attention of one query (c numbers, `heads` heads of `head_dim`) over slots
    /// 0..<slots: `keys` is [c][slot_capacity] (transposed), `values` is [slot][width]. Writes
    /// each head's weights to scores[head * slot_capacity + slot] and the heads' outputs side by
    /// side to out[0..<c]. slot_capacity and width are multiples of 8, slots <= slot_capacity.
    void (*attend)(const float *query, const float *keys, const float *values, int slots, int heads,
                   int head_dim, int slot_capacity, int width, float *scores, float *out);
    /// The largest of xs[0..<n].
    float (*maximum)(const float *xs, int n);
    /// The sum of e^(x - shift) over xs[0..<n]; with `keep`, each term replaces its x.
    float (*sum_of_exponentials)(float *xs, int n, float shift, bool keep);
    /// e^x for each of xs[0..<n], in place (the exponential every kernel here uses).
    void (*exponentials)(float *xs, int n);
} InferenceKernelSet;

/// The version for any CPU of its kind.
extern const InferenceKernelSet inference_kernels_portable;
/// The version for AVX2; elsewhere than x86-64, the portable one again.
extern const InferenceKernelSet inference_kernels_avx2;
/// True when this CPU and its operating system support AVX2, so `inference_kernels_avx2` may run.
/// GPT_KERNELS=portable in the environment answers false, as for the engine's kernels.
bool inference_kernels_use_avx2(void);

#endif
