// The engine's kernels, written once and compiled twice (see EngineKernels.h). The arithmetic
// uses clang's vector extension: a `v4d` is four doubles, which the compiler keeps in two SSE2
// registers or one AVX2 register. The bodies below are inlined into each version. Tiling decides
// only which sums run side by side, never the order inside one, so the versions agree to the
// bit; EngineKernelTests holds them to it.
#include "EngineKernels.h"
#include <stdlib.h>
#include <string.h>

// A multiply followed by an add must stay two roundings: a fused multiply-add rounds once and
// would give other bits on the CPUs that have one.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

typedef double v4d __attribute__((vector_size(32)));

#define INLINE static inline __attribute__((always_inline))
// Vectors move through macros and pointers, never as a function's argument or result: those
// would have a different calling convention in each version.
#define LOAD4(v, p) __builtin_memcpy(&(v), (p), sizeof(v4d))
#define STORE4(p, v) __builtin_memcpy((p), &(v), sizeof(v4d))
#define SPLAT(x) ({ double s_ = (x); (v4d){s_, s_, s_, s_}; })
#define TOTAL(s) (((s)[0] + (s)[1]) + ((s)[2] + (s)[3]))

// The kernels list the rows (or positions) that carry a gradient. A model's list is short and
// lives on the stack; a longer one (a run of dot products written by hand can have millions)
// would overflow a thread's stack, so it is allocated. Out of memory, the program stops here
// as any allocation in Swift would.
#define LIST_ON_STACK 1024
INLINE long *list_of(long n, long *on_stack) {
    if (n <= LIST_ON_STACK) return on_stack;
    long *list = malloc((size_t)n * sizeof(long));
    if (!list) __builtin_trap();
    return list;
}
INLINE void free_list(long *list, long *on_stack) {
    if (list != on_stack) free(list);
}

// MARK: A linear layer's forward pass

/// Every row of `w` against `inputs` (1 to 4) consecutive inputs starting at `x`, four rows at a
/// time: each load of a row serves every input.
INLINE void matmul_inputs(const double *w, long rows, long n, const double *x, double *out, int inputs) {
    long n4 = n - n % 4;
    long r = 0;
    for (; r + 4 <= rows; r += 4) {
        const double *w0 = w + r * n, *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
        v4d a[4][4] = {{{0}}};
        for (long k = 0; k < n4; k += 4) {
            v4d r0, r1, r2, r3;
            LOAD4(r0, w0 + k); LOAD4(r1, w1 + k); LOAD4(r2, w2 + k); LOAD4(r3, w3 + k);
            for (int p = 0; p < inputs; p++) {
                v4d xk;
                LOAD4(xk, x + p * n + k);
                a[p][0] += r0 * xk; a[p][1] += r1 * xk; a[p][2] += r2 * xk; a[p][3] += r3 * xk;
            }
        }
        for (long k = n4; k < n; k++)
            for (int p = 0; p < inputs; p++) {
                double xk = x[p * n + k];
                a[p][0][0] += w0[k] * xk; a[p][1][0] += w1[k] * xk; a[p][2][0] += w2[k] * xk; a[p][3][0] += w3[k] * xk;
            }
        for (int p = 0; p < inputs; p++)
            for (int q = 0; q < 4; q++) out[p * rows + r + q] = TOTAL(a[p][q]);
    }
    for (; r < rows; r++) {
        const double *w0 = w + r * n;
        v4d a[4] = {{0}};
        for (long k = 0; k < n4; k += 4) {
            v4d r0;
            LOAD4(r0, w0 + k);
            for (int p = 0; p < inputs; p++) {
                v4d xk;
                LOAD4(xk, x + p * n + k);
                a[p] += r0 * xk;
            }
        }
        for (long k = n4; k < n; k++)
            for (int p = 0; p < inputs; p++) a[p][0] += w0[k] * x[p * n + k];
        for (int p = 0; p < inputs; p++) out[p * rows + r] = TOTAL(a[p]);
    }
}

/// out[t][r] = w_r . x_t, `tile` inputs (1, 2 or 4) at a time. With SSE2 four rows and one
/// input already take 12 of the 16 registers; AVX2 has room for two inputs, AVX-512's 32
/// registers for four.
INLINE void matmul(const double *w, long rows, long n, const double *xs, long positions, double *out, int tile) {
    long t = 0;
    if (tile >= 4)
        for (; t + 4 <= positions; t += 4) matmul_inputs(w, rows, n, xs + t * n, out + t * rows, 4);
    if (tile >= 2)
        for (; t + 2 <= positions; t += 2) matmul_inputs(w, rows, n, xs + t * n, out + t * rows, 2);
    for (; t < positions; t++) matmul_inputs(w, rows, n, xs + t * n, out + t * rows, 1);
}

// MARK: A linear layer's backward pass

/// Components k ..< k + 4 * blocks of four positions' input gradients: 4 * blocks running sums
/// in registers, each load of a row serving all four positions.
INLINE void inputs_gradient_columns(const double *const *rows, const long *live, long count, const double *g0,
                                    const double *g1, const double *g2, const double *g3, double *x0, double *x1,
                                    double *x2, double *x3, long k, int blocks) {
    v4d a[4][4] = {{{0}}};
    for (long i = 0; i < count; i++) {
        long r = live[i];
        v4d w[4], f;
        for (int b = 0; b < blocks; b++) LOAD4(w[b], rows[r] + k + 4 * b);
        f = SPLAT(g0[r]); for (int b = 0; b < blocks; b++) a[0][b] += f * w[b];
        f = SPLAT(g1[r]); for (int b = 0; b < blocks; b++) a[1][b] += f * w[b];
        f = SPLAT(g2[r]); for (int b = 0; b < blocks; b++) a[2][b] += f * w[b];
        f = SPLAT(g3[r]); for (int b = 0; b < blocks; b++) a[3][b] += f * w[b];
    }
    double *x[4] = {x0, x1, x2, x3};
    for (int p = 0; p < 4; p++)
        for (int b = 0; b < blocks; b++) {
            v4d s;
            LOAD4(s, x[p] + k + 4 * b); s += a[p][b]; STORE4(x[p] + k + 4 * b, s);
        }
}

/// W^T g for four positions at a time: each load of a row serves four sums. The rows that carry
/// a gradient at any of the four positions are listed once, so the loops over components need
/// no test. A pass takes 4 * `blocks` components: 4 * blocks registers of sums. The list is
/// written without a branch (each row written, the count moved on only if it is live): whether
/// a row is live is a coin toss after a ReLU, which a branch would guess wrong half the time.
INLINE void inputs_gradient(const double *const *rows, long row_count, const double *g, long positions, long n,
                            double *gx, int blocks) {
    long n4 = n - n % 4;
    long on_stack[LIST_ON_STACK];
    long *live = list_of(row_count, on_stack);
    long t = 0;
    for (; t + 4 <= positions; t += 4) {
        const double *g0 = g + t * row_count, *g1 = g0 + row_count, *g2 = g1 + row_count, *g3 = g2 + row_count;
        double *x0 = gx + t * n, *x1 = x0 + n, *x2 = x1 + n, *x3 = x2 + n;
        long count = 0;
        for (long r = 0; r < row_count; r++) {
            live[count] = r;
            count += (g0[r] != 0) | (g1[r] != 0) | (g2[r] != 0) | (g3[r] != 0);
        }
        long k = 0;
        if (blocks >= 4)
            for (; k + 16 <= n4; k += 16) inputs_gradient_columns(rows, live, count, g0, g1, g2, g3, x0, x1, x2, x3, k, 4);
        if (blocks >= 2)
            for (; k + 8 <= n4; k += 8) inputs_gradient_columns(rows, live, count, g0, g1, g2, g3, x0, x1, x2, x3, k, 2);
        for (; k < n4; k += 4) inputs_gradient_columns(rows, live, count, g0, g1, g2, g3, x0, x1, x2, x3, k, 1);
        for (; k < n; k++) {
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (long i = 0; i < count; i++) {
                long r = live[i];
                double w = rows[r][k];
                a0 += g0[r] * w; a1 += g1[r] * w; a2 += g2[r] * w; a3 += g3[r] * w;
            }
            x0[k] += a0; x1[k] += a1; x2[k] += a2; x3[k] += a3;
        }
    }
    for (; t < positions; t++) {
        const double *g0 = g + t * row_count;
        double *x0 = gx + t * n;
        long count = 0;
        for (long r = 0; r < row_count; r++)
            if (g0[r] != 0) live[count++] = r;
        long k = 0;
        for (; k < n4; k += 4) {
            v4d a0 = {0};
            for (long i = 0; i < count; i++) {
                v4d w;
                LOAD4(w, rows[live[i]] + k);
                a0 += SPLAT(g0[live[i]]) * w;
            }
            v4d s;
            LOAD4(s, x0 + k); s += a0; STORE4(x0 + k, s);
        }
        for (; k < n; k++) {
            double a0 = 0;
            for (long i = 0; i < count; i++) a0 += g0[live[i]] * rows[live[i]][k];
            x0[k] += a0;
        }
    }
    free_list(live, on_stack);
}

/// Components k ..< k + 4 * blocks of four rows' weight gradients: 4 * blocks running sums in
/// registers, each load of an input serving all four rows. Rows past `height` are summed but
/// never stored.
INLINE void weight_gradient_columns(double *const *w, int height, const long *offsets, const double *const *g,
                                    const double *const *x, long r, const long *live, long count, long k, int blocks) {
    v4d a[4][4];
    for (int q = 0; q < 4; q++)
        for (int b = 0; b < blocks; b++) LOAD4(a[q][b], w[q] + k + 4 * b);
    for (long i = 0; i < count; i++) {
        long t = live[i];
        const double *gt = g[t] + r;
        v4d u[4], f;
        for (int b = 0; b < blocks; b++) LOAD4(u[b], x[t] + k + 4 * b);
        for (int q = 0; q < 4; q++) {
            f = SPLAT(gt[offsets[q]]);
            for (int b = 0; b < blocks; b++) a[q][b] += f * u[b];
        }
    }
    for (int q = 0; q < 4; q++)
        if (q < height)
            for (int b = 0; b < blocks; b++) STORE4(w[q] + k + 4 * b, a[q][b]);
}

/// The weights' gradient of a linear layer over several positions, sum_t g_t x_t^T, for four
/// rows at a time: each load of an input serves four rows. A position whose four gradients are
/// all zero is skipped (the list, as in inputs_gradient, made without a branch). A pass takes
/// 4 * `blocks` components.
INLINE void weight_gradient(double *const *grad_rows, long rows, long n, const double *const *g,
                            const double *const *x, long positions, int blocks) {
    long n4 = n - n % 4;
    long on_stack[LIST_ON_STACK];
    long *live = list_of(positions, on_stack);
    for (long r = 0; r < rows; r += 4) {
        int height = rows - r < 4 ? (int)(rows - r) : 4;
        // A short last block repeats its last row's gradient pointer but never stores it.
        double *w0 = grad_rows[r], *w1 = grad_rows[r + (height > 1)], *w2 = grad_rows[r + (height > 2 ? 2 : height - 1)],
               *w3 = grad_rows[r + (height > 3 ? 3 : height - 1)];
        long o1 = height > 1, o2 = height > 2 ? 2 : height - 1, o3 = height > 3 ? 3 : height - 1;
        long count = 0;
        for (long t = 0; t < positions; t++) {
            const double *gt = g[t] + r;
            live[count] = t;
            count += (gt[0] != 0) | (gt[o1] != 0) | (gt[o2] != 0) | (gt[o3] != 0);
        }
        if (count == 0) continue;
        double *w[4] = {w0, w1, w2, w3};
        const long offsets[4] = {0, o1, o2, o3};
        long k = 0;
        if (blocks >= 4)
            for (; k + 16 <= n4; k += 16) weight_gradient_columns(w, height, offsets, g, x, r, live, count, k, 4);
        if (blocks >= 2)
            for (; k + 8 <= n4; k += 8) weight_gradient_columns(w, height, offsets, g, x, r, live, count, k, 2);
        for (; k < n4; k += 4) weight_gradient_columns(w, height, offsets, g, x, r, live, count, k, 1);
        for (; k < n; k++) {
            double a0 = w0[k], a1 = w1[k], a2 = w2[k], a3 = w3[k];
            for (long i = 0; i < count; i++) {
                long t = live[i];
                const double *gt = g[t] + r;
                double u = x[t][k];
                a0 += gt[0] * u; a1 += gt[o1] * u; a2 += gt[o2] * u; a3 += gt[o3] * u;
            }
            w0[k] = a0;
            if (height > 1) w1[k] = a1;
            if (height > 2) w2[k] = a2;
            if (height > 3) w3[k] = a3;
        }
    }
    free_list(live, on_stack);
}

// MARK: The optimizer

/// Adam's update of n weights, four at a time. Division and square root are correctly rounded
/// in every version, so the lanes give the bits of one weight at a time.
INLINE void adam(double *values, const double *grads, double *m, double *v, long n, const double *settings) {
    double beta1 = settings[0], beta2 = settings[1], epsilon = settings[2], lr = settings[3];
    double correction1 = settings[4], correction2 = settings[5];
    v4d b1 = SPLAT(beta1), c1 = SPLAT(1 - beta1), b2 = SPLAT(beta2), c2 = SPLAT(1 - beta2);
    v4d k1 = SPLAT(correction1), k2 = SPLAT(correction2), eps = SPLAT(epsilon), rate = SPLAT(lr);
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        v4d g, mi, vi, x;
        LOAD4(g, grads + i); LOAD4(mi, m + i); LOAD4(vi, v + i); LOAD4(x, values + i);
        mi = b1 * mi + c1 * g;
        vi = b2 * vi + c2 * g * g;
        v4d mHat = mi * k1, vHat = vi * k2;
        v4d root = __builtin_elementwise_sqrt(vHat);
        x = x - rate * mHat / (root + eps);
        STORE4(m + i, mi); STORE4(v + i, vi); STORE4(values + i, x);
    }
    for (; i < n; i++) {
        double g = grads[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        double mHat = m[i] * correction1, vHat = v[i] * correction2;
        values[i] = values[i] - lr * mHat / (__builtin_elementwise_sqrt(vHat) + epsilon);
    }
}

// MARK: The three versions

// `tile`: inputs a matmul pass takes (1, 2 or 4); `blocks`: groups of four components a pass of
// the two backward kernels takes (1, 2 or 4). They choose only which sums are in registers side
// by side, so all versions give the same bits.
#define DEFINE_KERNELS(name, attribute, tile, blocks)                                                                 \
    attribute static void name##_matmul(const double *w, long rows, long n, const double *xs, long positions,      \
                                        double *out) {                                                              \
        matmul(w, rows, n, xs, positions, out, tile);                                                               \
    }                                                                                                               \
    attribute static void name##_inputs_gradient(const double *const *rows, long row_count, const double *g,       \
                                                 long positions, long n, double *gx) {                             \
        inputs_gradient(rows, row_count, g, positions, n, gx, blocks);                                              \
    }                                                                                                               \
    attribute static void name##_weight_gradient(double *const *grad_rows, long rows, long n, const double *const *g, \
                                                 const double *const *x, long positions) {                         \
        weight_gradient(grad_rows, rows, n, g, x, positions, blocks);                                               \
    }                                                                                                               \
    attribute static void name##_adam(double *values, const double *grads, double *m, double *v, long n,           \
                                      const double *settings) {                                                    \
        adam(values, grads, m, v, n, settings);                                                                     \
    }                                                                                                               \
    const EngineKernelSet engine_kernels_##name = {name##_matmul, name##_inputs_gradient, name##_weight_gradient,   \
                                                   name##_adam};

// SSE2's 16 registers of two doubles hold one input's four sums per matmul pass and four
// components per backward pass; AVX2's 16 of four doubles twice that; AVX-512's 32 (used
// here at four doubles, the same vectors, only more of them) twice that again.
DEFINE_KERNELS(portable, , 1, 1)

#if defined(__x86_64__)
#include <cpuid.h>

DEFINE_KERNELS(avx2, __attribute__((target("avx2"))), 2, 2)
DEFINE_KERNELS(avx512, __attribute__((target("avx2,avx512f,avx512vl"))), 4, 4)

/// What this CPU and its operating system can run: AVX needs the CPU (leaf 1, ecx bit 28) and the
/// operating system, which must save the wide registers on a task switch (OSXSAVE, bit 27, then
/// XCR0 says it keeps the SSE and AVX state, bits 1-2); AVX-512 also needs XCR0 to keep the mask
/// and upper registers (bits 5-7).
static int supported_level(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 27)) || !(c & (1u << 28))) return 0;
    unsigned low, high;
    __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    if ((low & 6) != 6) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    if (!(b & (1u << 5))) return 0;  // AVX2
    int avx512 = (b & (1u << 16)) && (b & (1u << 31)) && (low & 0xE0) == 0xE0;  // AVX-512 F and VL
    return avx512 ? 2 : 1;
}

int engine_kernels_level(void) {
    int level = supported_level();
    const char *asked = getenv("GPT_KERNELS");
    if (asked && strcmp(asked, "portable") == 0) return 0;
    if (asked && strcmp(asked, "avx2") == 0 && level > 1) return 1;
    return level;
}
#else
const EngineKernelSet engine_kernels_avx2 = {portable_matmul, portable_inputs_gradient, portable_weight_gradient,
                                             portable_adam};
const EngineKernelSet engine_kernels_avx512 = {portable_matmul, portable_inputs_gradient, portable_weight_gradient,
                                               portable_adam};

int engine_kernels_level(void) { return 0; }
#endif
