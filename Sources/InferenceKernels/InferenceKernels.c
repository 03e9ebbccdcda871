// One linear-layer kernel, compiled twice (see InferenceKernels.h). The arithmetic is written
// once, in `linear`, with clang's vector extension: a `v8f` is eight floats, which the compiler
// keeps in two SSE registers or one AVX2 register. Each output's sum runs over k in order, as a
// multiply and then an add, in both versions: tiling decides only which sums run side by side,
// never the order inside one, so the two versions give the same bits.
#include "InferenceKernels.h"

// A multiply followed by an add must stay two roundings: a fused multiply-add would round once
// and give other bits on the CPUs that have one.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

typedef float v8f __attribute__((vector_size(32)));

// Unaligned loads and stores, as macros: a function taking or returning a v8f would have a
// different calling convention in the two versions.
#define LOAD8(v, p) __builtin_memcpy(&(v), (p), sizeof(v8f))
#define STORE8(p, v) __builtin_memcpy((p), &(v), sizeof(v8f))

/// Four input rows at a time, against `lanes` outputs (16 or 8) at a time: 4 x lanes sums in
/// registers, each load of weights serving four rows. With AVX2, sixteen outputs are eight
/// registers of sums; with SSE they would be sixteen, all the registers there are, so the portable
/// version takes eight. A short last group of rows repeats its last row (computed, never stored).
static inline __attribute__((always_inline)) void linear(const float *weights, int inputs, int padded_outputs,
                                                         const float *input, int rows, int input_stride,
                                                         float *out, int output_stride, int lanes) {
    for (int i = 0; i < rows; i += 4) {
        int live = rows - i < 4 ? rows - i : 4;
        const float *x0 = input + (long)i * input_stride;
        const float *x1 = x0 + (long)(live > 1 ? 1 : live - 1) * input_stride;
        const float *x2 = x0 + (long)(live > 2 ? 2 : live - 1) * input_stride;
        const float *x3 = x0 + (long)(live > 3 ? 3 : live - 1) * input_stride;
        float *y = out + (long)i * output_stride;
        int o = 0;
        while (o < padded_outputs) {
            int sixteen = lanes == 16 && o + 16 <= padded_outputs;  // else the next eight
            int second = sixteen ? 8 : 0;
            v8f a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0}, c0 = {0}, c1 = {0}, d0 = {0}, d1 = {0};
            const float *w = weights + o;
            for (int k = 0; k < inputs; k++) {
                v8f w0, w1;
                LOAD8(w0, w);
                LOAD8(w1, w + second);
                float xa = x0[k], xb = x1[k], xc = x2[k], xd = x3[k];
                a0 += xa * w0; b0 += xb * w0; c0 += xc * w0; d0 += xd * w0;
                if (sixteen) { a1 += xa * w1; b1 += xb * w1; c1 += xc * w1; d1 += xd * w1; }
                w += padded_outputs;
            }
            v8f low[4] = {a0, b0, c0, d0}, high[4] = {a1, b1, c1, d1};
            for (int r = 0; r < live; r++) {
                STORE8(y + (long)r * output_stride + o, low[r]);
                if (sixteen) STORE8(y + (long)r * output_stride + o + 8, high[r]);
            }
            o += sixteen ? 16 : 8;
        }
    }
}

void inference_linear_portable(const float *weights, int inputs, int padded_outputs, const float *input, int rows,
                               int input_stride, float *out, int output_stride) {
    linear(weights, inputs, padded_outputs, input, rows, input_stride, out, output_stride, 8);
}

#if defined(__x86_64__)
#include <cpuid.h>

__attribute__((target("avx2")))
void inference_linear_avx2(const float *weights, int inputs, int padded_outputs, const float *input, int rows,
                           int input_stride, float *out, int output_stride) {
    linear(weights, inputs, padded_outputs, input, rows, input_stride, out, output_stride, 16);
}

bool inference_kernels_use_avx2(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    // AVX needs the CPU (bit 28) and the operating system, which must save the wide registers
    // on a task switch: OSXSAVE (bit 27), then XCR0 says it keeps both SSE and AVX state.
    if (!(c & (1u << 27)) || !(c & (1u << 28))) return false;
    unsigned low, high;
    __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    if ((low & 6) != 6) return false;
    if (__get_cpuid_max(0, 0) < 7) return false;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & (1u << 5)) != 0;  // AVX2
}
#else
void inference_linear_avx2(const float *weights, int inputs, int padded_outputs, const float *input, int rows,
                           int input_stride, float *out, int output_stride) {
    inference_linear_portable(weights, inputs, padded_outputs, input, rows, input_stride, out, output_stride);
}

bool inference_kernels_use_avx2(void) { return false; }
#endif
