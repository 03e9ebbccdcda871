// The engine's inner loops over doubles (a linear layer's forward pass, the two halves of its
// backward pass, and Adam's update), in C so that one source can be compiled twice: for any x86-64 (SSE2, two
// doubles to a register), for CPUs with AVX2 (four) and for those with AVX-512 (more registers),
// the version chosen when the program runs.
// Swift compiles a whole build for one CPU, and a portable build is the only kind this package
// ships. LinearOps.swift and ParameterGradients.swift call them; each has the plain rule it
// computes written beside the call.
//
// Every sum runs in the order written in EngineKernels.c, as a multiply and then an add (never
// fused), so all versions give the same bits on every CPU: training gives the same model file
// whichever version runs (EngineKernelTests and TrainingDeterminismTests in ChunkedForwardTests.swift hold them to it).
#ifndef ENGINE_KERNELS_H
#define ENGINE_KERNELS_H

#include <stdbool.h>

/// One version of every kernel.
typedef struct {
    /// out[t * rows + r] = w_r . x_t for every row r of `w` ([rows][n]) and every input x_t of
    /// `xs` ([positions][n]). Each dot product has four running sums (sum j takes the terms
    /// k = j, j + 4, ... below n rounded down to a multiple of 4), the remaining terms added to
    /// sum 0 in order, and the total (s0 + s1) + (s2 + s3).
    void (*matmul)(const double *w, long rows, long n, const double *xs, long positions, double *out);
    /// gx[t * n + k] += sum over r of g[t * rows + r] * row_r[k], for positions t and components
    /// k < n, where row_r starts at rows[r]: the gradient a linear layer passes to its inputs.
    /// Each sum starts at 0 and adds its terms in the order of r, then goes into gx. Positions go
    /// four at a time; a row whose four gradients (or, for the last positions, whose one
    /// gradient) are all zero is skipped.
    void (*inputs_gradient)(const double *const *rows, long row_count, const double *g, long positions, long n,
                            double *gx);
    /// grad_rows[r][k] = grad_rows[r][k] + g[0][r] * x[0][k] + g[1][r] * x[1][k] + ..., added in
    /// the order of the positions t < positions, for rows r < rows and components k < n: the
    /// gradient of a linear layer's weights. Rows go four at a time; a position whose four
    /// gradients (for the last rows: as many as there are) are all zero is skipped.
    void (*weight_gradient)(double *const *grad_rows, long rows, long n, const double *const *g,
                            const double *const *x, long positions);
    /// One step of Adam on n weights: m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g g;
    /// values -= lr (m correction1) / (sqrt(v correction2) + epsilon), each operation in that
    /// order, where settings = {beta1, beta2, epsilon, lr, correction1, correction2}.
    void (*adam)(double *values, const double *grads, double *m, double *v, long n, const double *settings);
} EngineKernelSet;

/// The version for any CPU of its kind.
extern const EngineKernelSet engine_kernels_portable;
/// The version for AVX2; elsewhere than x86-64, the portable one again.
extern const EngineKernelSet engine_kernels_avx2;
/// The version for AVX-512 (F and VL); elsewhere than x86-64, the portable one again.
extern const EngineKernelSet engine_kernels_avx512;
/// The fastest version this CPU and its operating system support: 0 portable, 1 AVX2, 2 AVX-512;
/// at most 0 when the environment says GPT_KERNELS=portable and at most 1 when it says
/// GPT_KERNELS=avx2 (to check that all give the same bits).
int engine_kernels_level(void);

#endif
