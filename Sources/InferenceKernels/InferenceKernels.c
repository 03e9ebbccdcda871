// The inference pass's kernels, written once and compiled twice (see InferenceKernels.h). The
// arithmetic uses clang's vector extension: a `v8f` is eight floats, which the compiler keeps in
// two SSE registers or one AVX2 register. The bodies below are inlined into each version. Tiling
// decides only which sums run side by side, never the order inside one, so the versions agree to
// the bit; InferencePass's tests hold them to it.
#include "InferenceKernels.h"
#include "EngineKernels.h"
#include <math.h>

// A multiply followed by an add must stay two roundings: a fused multiply-add rounds once and
// would give other bits on the CPUs that have one.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

#define INLINE static inline __attribute__((always_inline))
// Vectors move through macros and pointers, never as a function's argument or result: those
// would have a different calling convention in the two versions.
#define LOAD8(v, p) __builtin_memcpy(&(v), (p), sizeof(v8f))
#define STORE8(p, v) __builtin_memcpy((p), &(v), sizeof(v8f))
#define SPLAT(x) ({ float s_ = (x); (v8f){s_, s_, s_, s_, s_, s_, s_, s_}; })
/// Lanes of `a` where mask is set (all ones), else of `b`: a compare and a blend.
#define BLEND(mask, a, b) ((v8f)(((v8i)(a) & (mask)) | ((v8i)(b) & ~(mask))))

// MARK: Linear layers

/// Four input rows at a time, against `lanes` outputs (16 or 8) at a time: 4 x lanes sums in
/// registers, each load of weights serving four rows. With AVX2 sixteen outputs are eight
/// registers of sums; with SSE they would be sixteen, every register there is, so the portable
/// version takes eight. A short last group of rows repeats its last row (computed, never stored).
INLINE void linear(const float *weights, int inputs, int padded_outputs, const float *input, int rows,
                   int input_stride, float *out, int output_stride, int lanes) {
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

// MARK: Exponentials and softmax

/// e^x for eight floats. Reduces x = k ln2 + r with |r| <= ln2/2 and uses a degree-7 polynomial
/// for e^r (the classic Cephes expf coefficients): within 2 units in the last place. Below -87.3
/// the result is 0 (a little early: e^x stays a normal float down to -87.34), -inf included;
/// above 88.3 it is +inf (the largest float is e^88.72); NaN stays NaN. Softmax passes x <= 0.
INLINE void exp8(const v8f *input, v8f *output) {
    v8f x = *input;
    v8i below = x < -87.3f, above = x > 88.3f;
    v8f clamped = BLEND(below, SPLAT(-87.3f), x);
    clamped = BLEND(above, SPLAT(88.3f), clamped);
    // k = round(x / ln 2), to nearest or even, by adding and taking away 1.5 * 2^23 (exact for
    // |x / ln 2| < 2^22): a portable x86-64 has no rounding instruction (SSE4.1).
    v8f magic = SPLAT(0x1.8p23f);
    v8f k = (clamped * 1.44269504f + magic) - magic;
    v8f r = (clamped - k * 0.693359375f) - k * -2.12194440e-4f;  // ln 2 in two parts, the first exact times k
    v8f p = SPLAT(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    // 2^k from its exponent bits: adding 1.5 * 2^23 puts the whole number k in the low bits.
    v8i n = (v8i)(k + magic) - (v8i)magic;
    v8f result = p * (v8f)((n + 127) << 23);
    result = BLEND(below, SPLAT(0.0f), result);
    result = BLEND(above, SPLAT(INFINITY), result);
    *output = BLEND(x != x, x, result);  // NaN
}

/// Swift's max(x, y), which keeps x unless y >= x.
INLINE float larger(float x, float y) { return y >= x ? y : x; }

/// Lane `i` of `lanes` set (all ones) where i < live, for the last, partial vector of a row.
#define LANES_BELOW(live) ((v8i){0, 1, 2, 3, 4, 5, 6, 7} < (live))

INLINE float maximum(const float *xs, int n) {
    v8f lanes = SPLAT(-INFINITY);
    int k = 0;
    for (; k + 8 <= n; k += 8) {
        v8f v;
        LOAD8(v, xs + k);
        lanes = BLEND(v > lanes, v, lanes);
    }
    float result = lanes[0];
    for (int lane = 1; lane < 8; lane++) result = larger(result, lanes[lane]);
    for (; k < n; k++) result = larger(result, xs[k]);
    return result;
}

/// The sum of e^(x - shift) over xs[0..<n] as eight lane sums (the last, partial vector's missing
/// lanes adding 0), then the lanes in a written-out order. With `keep`, each term replaces its x.
/// The tail goes through the vector exp as one vector, not one lane at a time: a softmax over 60
/// positions would otherwise take a whole vector exp for each of its last four.
INLINE float sum_of_exponentials(float *xs, int n, float shift, bool keep) {
    v8f sums = {0};
    int k = 0;
    for (; k + 8 <= n; k += 8) {
        v8f v, e;
        LOAD8(v, xs + k);
        v = v - shift;
        exp8(&v, &e);
        if (keep) STORE8(xs + k, e);
        sums += e;
    }
    if (k < n) {
        int live = n - k;
        float tail[8] = {0};
        for (int lane = 0; lane < live; lane++) tail[lane] = xs[k + lane];
        v8f v, e;
        LOAD8(v, tail);
        v = v - shift;
        exp8(&v, &e);
        e = BLEND(LANES_BELOW(live), e, SPLAT(0.0f));
        if (keep) for (int lane = 0; lane < live; lane++) xs[k + lane] = e[lane];
        sums += e;
    }
    float total = sums[0];
    for (int lane = 1; lane < 8; lane++) total += sums[lane];
    return total;
}

INLINE void exponentials(float *xs, int n) {
    int k = 0;
    for (; k + 8 <= n; k += 8) {
        v8f v, e;
        LOAD8(v, xs + k);
        exp8(&v, &e);
        STORE8(xs + k, e);
    }
    for (; k < n; k++) {
        v8f v = SPLAT(xs[k]), e;
        exp8(&v, &e);
        xs[k] = e[0];
    }
}

/// In place over xs[0..<n]: e^(x - max) / sum, for a row with room for whole vectors (n rounded
/// up to 8), as attention's rows of scores have: every vector is loaded, computed and stored whole,
/// its lanes past n counted as -inf (so e^x is 0 there, and 0 is what they hold afterwards).
INLINE void softmax_of_row(float *xs, int n) {
    int chunks = (n + 7) / 8;
    v8i live = LANES_BELOW(n - (chunks - 1) * 8);  // of the last vector
    v8f v, lanes = SPLAT(-INFINITY);
    for (int chunk = 0; chunk < chunks; chunk++) {
        LOAD8(v, xs + chunk * 8);
        if (chunk == chunks - 1) v = BLEND(live, v, SPLAT(-INFINITY));
        lanes = BLEND(v > lanes, v, lanes);
    }
    float shift = lanes[0];
    for (int lane = 1; lane < 8; lane++) shift = larger(shift, lanes[lane]);
    v8f sums = {0}, e;
    for (int chunk = 0; chunk < chunks; chunk++) {
        LOAD8(v, xs + chunk * 8);
        v = v - shift;
        exp8(&v, &e);
        if (chunk == chunks - 1) e = BLEND(live, e, SPLAT(0.0f));
        STORE8(xs + chunk * 8, e);
        sums += e;
    }
    float total = sums[0];
    for (int lane = 1; lane < 8; lane++) total += sums[lane];
    v8f inverse = SPLAT(1 / total);
    for (int chunk = 0; chunk < chunks; chunk++) {
        LOAD8(v, xs + chunk * 8);
        v = v * inverse;
        STORE8(xs + chunk * 8, v);
    }
}

// MARK: Attention

INLINE void attend(const float *query, const float *keys, const float *values, int slots, int heads, int d,
                   int capacity, int width, float *scores, float *out) {
    int c = heads * d;
    float scale = 1 / sqrtf((float)d);
    int chunks = (slots + 7) / 8;  // scores are computed for whole vectors of slots; softmax zeroes the rest
    for (int h = 0; h < heads; h++) {
        float *weights = scores + (long)h * capacity;
        for (int chunk = 0; chunk < chunks; chunk++) {
            int t = chunk * 8;
            v8f even = {0}, odd = {0}, key;  // two chains, so the adds overlap
            int j = h * d;
            for (; j + 2 <= (h + 1) * d; j += 2) {
                LOAD8(key, keys + (long)j * capacity + t);
                even += query[j] * key;
                LOAD8(key, keys + (long)(j + 1) * capacity + t);
                odd += query[j + 1] * key;
            }
            if (j < (h + 1) * d) {
                LOAD8(key, keys + (long)j * capacity + t);
                even += query[j] * key;
            }
            v8f row = (even + odd) * scale;
            STORE8(weights + t, row);
        }
        softmax_of_row(weights, slots);
    }
    // out[j] = sum over t of weight(t) * v[t][j], a head's columns weighted by that head's row.
    // Thirty-two columns at a time when heads are whole vectors wide, and each column as two sums,
    // of the even and of the odd slots, added at the end: eight independent chains, so one
    // multiply-add's latency overlaps the next (one chain per column group waited on its add).
    // Column by column otherwise.
    int j = 0;
    if (d % 8 == 0) {
        for (; j + 32 <= c; j += 32) {
            const float *w0 = scores + (long)(j / d) * capacity, *w1 = scores + (long)((j + 8) / d) * capacity;
            const float *w2 = scores + (long)((j + 16) / d) * capacity, *w3 = scores + (long)((j + 24) / d) * capacity;
            v8f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0}, o0 = {0}, o1 = {0}, o2 = {0}, o3 = {0}, v;
            int t = 0;
            for (; t + 2 <= slots; t += 2) {
                const float *row = values + (long)t * width + j, *next = row + width;
                LOAD8(v, row); s0 += w0[t] * v;
                LOAD8(v, row + 8); s1 += w1[t] * v;
                LOAD8(v, row + 16); s2 += w2[t] * v;
                LOAD8(v, row + 24); s3 += w3[t] * v;
                LOAD8(v, next); o0 += w0[t + 1] * v;
                LOAD8(v, next + 8); o1 += w1[t + 1] * v;
                LOAD8(v, next + 16); o2 += w2[t + 1] * v;
                LOAD8(v, next + 24); o3 += w3[t + 1] * v;
            }
            if (t < slots) {
                const float *row = values + (long)t * width + j;
                LOAD8(v, row); s0 += w0[t] * v;
                LOAD8(v, row + 8); s1 += w1[t] * v;
                LOAD8(v, row + 16); s2 += w2[t] * v;
                LOAD8(v, row + 24); s3 += w3[t] * v;
            }
            s0 += o0; s1 += o1; s2 += o2; s3 += o3;
            STORE8(out + j, s0); STORE8(out + j + 8, s1); STORE8(out + j + 16, s2); STORE8(out + j + 24, s3);
        }
        for (; j < c; j += 8) {
            const float *weights = scores + (long)(j / d) * capacity;
            v8f sum = {0}, v;
            for (int t = 0; t < slots; t++) {
                LOAD8(v, values + (long)t * width + j);
                sum += weights[t] * v;
            }
            STORE8(out + j, sum);
        }
    }
    for (; j < c; j++) {
        const float *weights = scores + (long)(j / d) * capacity;
        float sum = 0;
        for (int t = 0; t < slots; t++) sum += weights[t] * values[(long)t * width + j];
        out[j] = sum;
    }
}

// MARK: The two versions

#define DEFINE_KERNELS(name, attribute, lanes)                                                                     \
    attribute static void name##_linear(const float *weights, int inputs, int padded_outputs, const float *input,   \
                                        int rows, int input_stride, float *out, int output_stride) {               \
        linear(weights, inputs, padded_outputs, input, rows, input_stride, out, output_stride, lanes);             \
    }                                                                                                              \
    attribute static void name##_attend(const float *query, const float *keys, const float *values, int slots,     \
                                        int heads, int head_dim, int slot_capacity, int width, float *scores,      \
                                        float *out) {                                                              \
        attend(query, keys, values, slots, heads, head_dim, slot_capacity, width, scores, out);                    \
    }                                                                                                              \
    attribute static float name##_maximum(const float *xs, int n) { return maximum(xs, n); }                       \
    attribute static float name##_sum_of_exponentials(float *xs, int n, float shift, bool keep) {                  \
        return sum_of_exponentials(xs, n, shift, keep);                                                            \
    }                                                                                                              \
    attribute static void name##_exponentials(float *xs, int n) { exponentials(xs, n); }                           \
    const InferenceKernelSet inference_kernels_##name = {                                                          \
        name##_linear, name##_attend, name##_maximum, name##_sum_of_exponentials, name##_exponentials};

DEFINE_KERNELS(portable, , 8)

#if defined(__x86_64__)

DEFINE_KERNELS(avx2, __attribute__((target("avx2"))), 16)

// The same question as the engine's kernels ask, answered once (EngineKernels.c).
bool inference_kernels_use_avx2(void) { return engine_kernels_level() >= 1; }
#else
const InferenceKernelSet inference_kernels_avx2 = {portable_linear, portable_attend, portable_maximum,
                                                   portable_sum_of_exponentials, portable_exponentials};

bool inference_kernels_use_avx2(void) { return false; }
#endif
