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
// would have a different calling convention in the two versions.
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

/// Four rows against `tile` inputs (1 or 2) at a time: each load of a row serves every input of
/// the tile. With SSE2 four rows and one input already take 12 of the 16 registers.
INLINE void matmul(const double *w, long rows, long n, const double *xs, long positions, double *out, int tile) {
    long n4 = n - n % 4;
    long t = 0;
    for (; t < positions; t += tile) {
        int pair = tile == 2 && t + 1 < positions;
        const double *x = xs + t * n, *y = pair ? x + n : x;
        double *outX = out + t * rows, *outY = outX + rows;
        long r = 0;
        for (; r + 4 <= rows; r += 4) {
            const double *w0 = w + r * n, *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
            v4d a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};
            for (long k = 0; k < n4; k += 4) {
                v4d xk, yk, r0, r1, r2, r3;
                LOAD4(xk, x + k); LOAD4(r0, w0 + k); LOAD4(r1, w1 + k); LOAD4(r2, w2 + k); LOAD4(r3, w3 + k);
                a0 += r0 * xk; a1 += r1 * xk; a2 += r2 * xk; a3 += r3 * xk;
                if (pair) {
                    LOAD4(yk, y + k);
                    b0 += r0 * yk; b1 += r1 * yk; b2 += r2 * yk; b3 += r3 * yk;
                }
            }
            for (long k = n4; k < n; k++) {
                a0[0] += w0[k] * x[k]; a1[0] += w1[k] * x[k]; a2[0] += w2[k] * x[k]; a3[0] += w3[k] * x[k];
                if (pair) { b0[0] += w0[k] * y[k]; b1[0] += w1[k] * y[k]; b2[0] += w2[k] * y[k]; b3[0] += w3[k] * y[k]; }
            }
            outX[r] = TOTAL(a0); outX[r + 1] = TOTAL(a1); outX[r + 2] = TOTAL(a2); outX[r + 3] = TOTAL(a3);
            if (pair) { outY[r] = TOTAL(b0); outY[r + 1] = TOTAL(b1); outY[r + 2] = TOTAL(b2); outY[r + 3] = TOTAL(b3); }
        }
        for (; r < rows; r++) {
            const double *w0 = w + r * n;
            v4d a0 = {0}, b0 = {0};
            for (long k = 0; k < n4; k += 4) {
                v4d xk, yk, r0;
                LOAD4(xk, x + k); LOAD4(r0, w0 + k);
                a0 += r0 * xk;
                if (pair) { LOAD4(yk, y + k); b0 += r0 * yk; }
            }
            for (long k = n4; k < n; k++) {
                a0[0] += w0[k] * x[k];
                if (pair) b0[0] += w0[k] * y[k];
            }
            outX[r] = TOTAL(a0);
            if (pair) outY[r] = TOTAL(b0);
        }
        if (!pair) t -= tile - 1;  // a lone last position: one step on
    }
}

// MARK: A linear layer's backward pass

/// W^T g for four positions at a time: each load of a row serves four sums. The rows that carry
/// a gradient at any of the four positions are listed once, so the loops over components need
/// no test. `wide` (AVX2) takes eight components at a time, 8 registers of sums; SSE2 has room
/// for four.
INLINE void inputs_gradient(const double *const *rows, long row_count, const double *g, long positions, long n,
                            double *gx, int wide) {
    long n4 = n - n % 4;
    long on_stack[LIST_ON_STACK];
    long *live = list_of(row_count, on_stack);
    long t = 0;
    for (; t + 4 <= positions; t += 4) {
        const double *g0 = g + t * row_count, *g1 = g0 + row_count, *g2 = g1 + row_count, *g3 = g2 + row_count;
        double *x0 = gx + t * n, *x1 = x0 + n, *x2 = x1 + n, *x3 = x2 + n;
        long count = 0;
        for (long r = 0; r < row_count; r++)
            if (g0[r] != 0 || g1[r] != 0 || g2[r] != 0 || g3[r] != 0) live[count++] = r;
        long k = 0;
        if (wide) {
            for (; k + 8 <= n4; k += 8) {
                v4d a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};
                for (long i = 0; i < count; i++) {
                    long r = live[i];
                    v4d w, u, f;
                    LOAD4(w, rows[r] + k); LOAD4(u, rows[r] + k + 4);
                    f = SPLAT(g0[r]); a0 += f * w; b0 += f * u;
                    f = SPLAT(g1[r]); a1 += f * w; b1 += f * u;
                    f = SPLAT(g2[r]); a2 += f * w; b2 += f * u;
                    f = SPLAT(g3[r]); a3 += f * w; b3 += f * u;
                }
                v4d s;
                LOAD4(s, x0 + k); s += a0; STORE4(x0 + k, s); LOAD4(s, x0 + k + 4); s += b0; STORE4(x0 + k + 4, s);
                LOAD4(s, x1 + k); s += a1; STORE4(x1 + k, s); LOAD4(s, x1 + k + 4); s += b1; STORE4(x1 + k + 4, s);
                LOAD4(s, x2 + k); s += a2; STORE4(x2 + k, s); LOAD4(s, x2 + k + 4); s += b2; STORE4(x2 + k + 4, s);
                LOAD4(s, x3 + k); s += a3; STORE4(x3 + k, s); LOAD4(s, x3 + k + 4); s += b3; STORE4(x3 + k + 4, s);
            }
        }
        for (; k < n4; k += 4) {
            v4d a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            for (long i = 0; i < count; i++) {
                long r = live[i];
                v4d w;
                LOAD4(w, rows[r] + k);
                a0 += SPLAT(g0[r]) * w; a1 += SPLAT(g1[r]) * w; a2 += SPLAT(g2[r]) * w; a3 += SPLAT(g3[r]) * w;
            }
            v4d s;
            LOAD4(s, x0 + k); s += a0; STORE4(x0 + k, s);
            LOAD4(s, x1 + k); s += a1; STORE4(x1 + k, s);
            LOAD4(s, x2 + k); s += a2; STORE4(x2 + k, s);
            LOAD4(s, x3 + k); s += a3; STORE4(x3 + k, s);
        }
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

/// The weights' gradient of a linear layer over several positions, sum_t g_t x_t^T, for four
/// rows at a time: each load of an input serves four rows. A position whose four gradients are
/// all zero is skipped. `wide` (AVX2) takes eight components at a time.
INLINE void weight_gradient(double *const *grad_rows, long rows, long n, const double *const *g,
                            const double *const *x, long positions, int wide) {
    long n4 = n - n % 4;
    long on_stack[LIST_ON_STACK];
    long *live = list_of(positions, on_stack);
    long r = 0;
    for (; r < rows; r += 4) {
        int height = rows - r < 4 ? (int)(rows - r) : 4;
        // A short last block repeats its last row's gradient pointer but never stores it.
        double *w0 = grad_rows[r], *w1 = grad_rows[r + (height > 1)], *w2 = grad_rows[r + (height > 2 ? 2 : height - 1)],
               *w3 = grad_rows[r + (height > 3 ? 3 : height - 1)];
        long o1 = height > 1, o2 = height > 2 ? 2 : height - 1, o3 = height > 3 ? 3 : height - 1;
        long count = 0;
        for (long t = 0; t < positions; t++) {
            const double *gt = g[t] + r;
            if (gt[0] != 0 || gt[o1] != 0 || gt[o2] != 0 || gt[o3] != 0) live[count++] = t;
        }
        if (count == 0) continue;
        long k = 0;
        if (wide) {
            for (; k + 8 <= n4; k += 8) {
                v4d a0, a1, a2, a3, b0, b1, b2, b3;
                LOAD4(a0, w0 + k); LOAD4(b0, w0 + k + 4); LOAD4(a1, w1 + k); LOAD4(b1, w1 + k + 4);
                LOAD4(a2, w2 + k); LOAD4(b2, w2 + k + 4); LOAD4(a3, w3 + k); LOAD4(b3, w3 + k + 4);
                for (long i = 0; i < count; i++) {
                    long t = live[i];
                    const double *gt = g[t] + r;
                    v4d u, v, f;
                    LOAD4(u, x[t] + k); LOAD4(v, x[t] + k + 4);
                    f = SPLAT(gt[0]); a0 += f * u; b0 += f * v;
                    f = SPLAT(gt[o1]); a1 += f * u; b1 += f * v;
                    f = SPLAT(gt[o2]); a2 += f * u; b2 += f * v;
                    f = SPLAT(gt[o3]); a3 += f * u; b3 += f * v;
                }
                STORE4(w0 + k, a0); STORE4(w0 + k + 4, b0);
                if (height > 1) { STORE4(w1 + k, a1); STORE4(w1 + k + 4, b1); }
                if (height > 2) { STORE4(w2 + k, a2); STORE4(w2 + k + 4, b2); }
                if (height > 3) { STORE4(w3 + k, a3); STORE4(w3 + k + 4, b3); }
            }
        }
        for (; k < n4; k += 4) {
            v4d a0, a1, a2, a3;
            LOAD4(a0, w0 + k); LOAD4(a1, w1 + k); LOAD4(a2, w2 + k); LOAD4(a3, w3 + k);
            for (long i = 0; i < count; i++) {
                long t = live[i];
                const double *gt = g[t] + r;
                v4d u;
                LOAD4(u, x[t] + k);
                a0 += SPLAT(gt[0]) * u; a1 += SPLAT(gt[o1]) * u; a2 += SPLAT(gt[o2]) * u; a3 += SPLAT(gt[o3]) * u;
            }
            STORE4(w0 + k, a0);
            if (height > 1) STORE4(w1 + k, a1);
            if (height > 2) STORE4(w2 + k, a2);
            if (height > 3) STORE4(w3 + k, a3);
        }
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

// MARK: The two versions

#define DEFINE_KERNELS(name, attribute, tile, wide)                                                                 \
    attribute static void name##_matmul(const double *w, long rows, long n, const double *xs, long positions,      \
                                        double *out) {                                                              \
        matmul(w, rows, n, xs, positions, out, tile);                                                               \
    }                                                                                                               \
    attribute static void name##_inputs_gradient(const double *const *rows, long row_count, const double *g,       \
                                                 long positions, long n, double *gx) {                             \
        inputs_gradient(rows, row_count, g, positions, n, gx, wide);                                                \
    }                                                                                                               \
    attribute static void name##_weight_gradient(double *const *grad_rows, long rows, long n, const double *const *g, \
                                                 const double *const *x, long positions) {                         \
        weight_gradient(grad_rows, rows, n, g, x, positions, wide);                                                 \
    }                                                                                                               \
    attribute static void name##_adam(double *values, const double *grads, double *m, double *v, long n,           \
                                      const double *settings) {                                                    \
        adam(values, grads, m, v, n, settings);                                                                     \
    }                                                                                                               \
    const EngineKernelSet engine_kernels_##name = {name##_matmul, name##_inputs_gradient, name##_weight_gradient,   \
                                                   name##_adam};

DEFINE_KERNELS(portable, , 1, 0)

#if defined(__x86_64__)
#include <cpuid.h>

DEFINE_KERNELS(avx2, __attribute__((target("avx2"))), 2, 1)

bool engine_kernels_use_avx2(void) {
    const char *asked = getenv("GPT_KERNELS");
    if (asked && strcmp(asked, "portable") == 0) return false;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    // AVX needs the CPU (bit 28) and the operating system, which must save the wide registers on
    // a task switch: OSXSAVE (bit 27), then XCR0 says it keeps both SSE and AVX state.
    if (!(c & (1u << 27)) || !(c & (1u << 28))) return false;
    unsigned low, high;
    __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    if ((low & 6) != 6) return false;
    if (__get_cpuid_max(0, 0) < 7) return false;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & (1u << 5)) != 0;  // AVX2
}
#else
const EngineKernelSet engine_kernels_avx2 = {portable_matmul, portable_inputs_gradient, portable_weight_gradient,
                                             portable_adam};

bool engine_kernels_use_avx2(void) { return false; }
#endif
