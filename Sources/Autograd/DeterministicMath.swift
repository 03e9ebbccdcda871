// exp, log, tanh, sigmoid and cos written out in plain Swift arithmetic, so a training run gives the same
// bits on every machine. The platform's math library may pick a different code path per CPU (glibc
// chooses FMA variants at load time) or differ between systems; +, -, *, / and sqrt never do.
// Accuracy: within a couple of units in the last place over the ranges a network meets.

/// Transcendental functions with results that do not depend on the platform.
public enum DeterministicMath {
    // ln 2 split into a part with trailing zero bits and the rest, so k * ln2High is exact.
    private static let ln2High = 6.93147180369123816490e-01
    private static let ln2Low = 1.90821492927058770002e-10
    private static let inverseLn2 = 1.44269504088896338700e+00

    /// e^x. Reduces x = (32m + j) ln2/32 + r with |r| <= ln2/64, so e^x = 2^m * 2^(j/32) * e^r:
    /// 2^(j/32) comes from a table of correctly rounded constants and e^r from a short Taylor
    /// series (degree 6; the first term left out is below 1e-17). The softmax and the loss call
    /// this thousands of times per training step, so it is kept short.
    public static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.782712893384 { return .infinity }
        if x < -745.1332191019412 { return 0 }
        // Round to nearest or even by adding and taking away 1.5 * 2^52: exactly `rounded(.toNearestOrEven)`
        // for |k| < 2^51 (here |k| < 34,400), without the libm call a portable x86-64 build makes of that.
        let k = (x * (32 * inverseLn2) + 0x1.8p52) - 0x1.8p52
        let r = (x - k * (ln2High / 32)) - k * (ln2Low / 32)
        var p = 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r  // e^r - 1, added to the table value below to keep its low bits
        let n = Int(k)
        let t = twoToTheJOver32[n & 31]
        return scaleByPowerOfTwo(t + t * p, n >> 5)
    }

    /// 2^(j/32) for j = 0...31, each the double nearest the exact value.
    /// `exp` of four numbers at once, each lane with exactly the bits `exp` gives it: the same
    /// operations in the same order, lane by lane (softmax calls this; its inputs are <= 0).
    /// Lanes that need one of `exp`'s special cases, or a result outside the normal range, are
    /// taken one at a time by `exp` itself.
    public static func exp(_ x: SIMD4<Double>) -> SIMD4<Double> {
        // Within +-700 the result is a normal number and k >> 5 lies in -1022...1023.
        guard all(x .>= -700 .& x .<= 700) else { return SIMD4(exp(x[0]), exp(x[1]), exp(x[2]), exp(x[3])) }
        let shifted = x * (32 * inverseLn2) + 0x1.8p52
        let k = shifted - 0x1.8p52
        // k as an integer, read off the bits of `shifted`: its fraction's low bits hold k + 2^51
        // (a conversion instruction for four lanes needs AVX-512; Swift's generic one is slow).
        let n = unsafeBitCast(shifted, to: SIMD4<Int64>.self) &- Int64(bitPattern: (0x1.8p52 as Double).bitPattern)
        let r = (x - k * (ln2High / 32)) - k * (ln2Low / 32)
        var p = SIMD4<Double>(repeating: 1.0 / 720.0)
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r
        let t = twoToTheJOver32.withUnsafeBufferPointer { table in
            SIMD4(table[Int(n[0] & 31)], table[Int(n[1] & 31)], table[Int(n[2] & 31)], table[Int(n[3] & 31)])
        }
        // 2^(n >> 5) for each lane: the exponent field is (n >> 5) + 1023, the fraction zero.
        let scale = unsafeBitCast(((n &>> 5) &+ 1023) &<< 52, to: SIMD4<Double>.self)
        return (t + t * p) * scale
    }

    private static let twoToTheJOver32: [Double] = [
        0x1.0000000000000p+0, 0x1.059b0d3158574p+0, 0x1.0b5586cf9890fp+0, 0x1.11301d0125b51p+0,
        0x1.172b83c7d517bp+0, 0x1.1d4873168b9aap+0, 0x1.2387a6e756238p+0, 0x1.29e9df51fdee1p+0,
        0x1.306fe0a31b715p+0, 0x1.371a7373aa9cbp+0, 0x1.3dea64c123422p+0, 0x1.44e086061892dp+0,
        0x1.4bfdad5362a27p+0, 0x1.5342b569d4f82p+0, 0x1.5ab07dd485429p+0, 0x1.6247eb03a5585p+0,
        0x1.6a09e667f3bcdp+0, 0x1.71f75e8ec5f74p+0, 0x1.7a11473eb0187p+0, 0x1.82589994cce13p+0,
        0x1.8ace5422aa0dbp+0, 0x1.93737b0cdc5e5p+0, 0x1.9c49182a3f090p+0, 0x1.a5503b23e255dp+0,
        0x1.ae89f995ad3adp+0, 0x1.b7f76f2fb5e47p+0, 0x1.c199bdd85529cp+0, 0x1.cb720dcef9069p+0,
        0x1.d5818dcfba487p+0, 0x1.dfc97337b9b5fp+0, 0x1.ea4afa2a490dap+0, 0x1.f50765b6e4540p+0,
    ]

    /// Natural logarithm. Writes x = m 2^e with m in [sqrt(1/2), sqrt(2)), then
    /// log m = 2 atanh(s) with s = (m - 1) / (m + 1), an odd series in s with |s| < 0.172.
    public static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x == .infinity { return x }
        var m = x.significand  // in [1, 2), exact
        var e = Double(x.exponent)
        if m > 1.4142135623730951 {
            m *= 0.5
            e += 1
        }
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var series = 1.0 / 23.0
        var n = 21.0
        while n >= 1 {
            series = series * s2 + 1.0 / n
            n -= 2
        }
        let logM = 2 * s * series
        return e * ln2High + (logM + e * ln2Low)
    }

    /// Hyperbolic tangent through e^(-2|x|), with a short series near 0 where 1 - e^(-2|x|) would cancel.
    public static func tanh(_ x: Double) -> Double {
        if x.isNaN { return x }
        let a = abs(x)
        if a > 22 { return x > 0 ? 1 : -1 }
        if a < 0.01 {
            let x2 = x * x
            return x * (1 + x2 * (-1.0 / 3 + x2 * (2.0 / 15 + x2 * (-17.0 / 315))))
        }
        let t = exp(-2 * a)
        let y = (1 - t) / (1 + t)
        return x > 0 ? y : -y
    }

    /// The logistic function 1 / (1 + e^-x), written so that e^ never overflows: for x < 0 as
    /// e^x / (1 + e^x).
    public static func sigmoid(_ x: Double) -> Double {
        if x >= 0 { return 1 / (1 + exp(-x)) }
        let e = exp(x)
        return e / (1 + e)
    }

    /// Cosine, for the Box-Muller transform. Reduces x to r in [-pi/4, pi/4] plus a quarter turn count.
    public static func cos(_ x: Double) -> Double {
        if !x.isFinite { return .nan }
        let halfPiHigh = 1.57079632673412561417e+00
        let halfPiLow = 6.07710050650619224932e-11
        let quarterTurns = (x * (2 / Double.pi)).rounded(.toNearestOrEven)
        let r = (x - quarterTurns * halfPiHigh) - quarterTurns * halfPiLow
        let turn = Int(quarterTurns.truncatingRemainder(dividingBy: 4))
        switch (turn + 4) % 4 {
        case 0: return cosSeries(r)
        case 1: return -sinSeries(r)
        case 2: return -cosSeries(r)
        default: return sinSeries(r)
        }
    }

    private static func cosSeries(_ r: Double) -> Double {
        let r2 = r * r
        var p = 1.0 / 20922789888000.0  // 1/16!
        var n = 14.0
        while n >= 2 {
            p = -p * r2 + 1.0 / factorial(n)
            n -= 2
        }
        return -p * r2 + 1
    }

    private static func sinSeries(_ r: Double) -> Double {
        let r2 = r * r
        var p = 1.0 / 355687428096000.0  // 1/17!
        var n = 15.0
        while n >= 3 {
            p = -p * r2 + 1.0 / factorial(n)
            n -= 2
        }
        return r * (-p * r2 + 1)
    }

    private static func factorial(_ n: Double) -> Double {
        var result = 1.0
        var k = 2.0
        while k <= n {
            result *= k
            k += 1
        }
        return result
    }

    /// y * 2^k, with 2^k built from its bits; outside the normal range in two exact steps, so
    /// results that land in the subnormal range round only once.
    @inline(__always)
    private static func scaleByPowerOfTwo(_ y: Double, _ k: Int) -> Double {
        if k >= -1022 && k <= 1023 { return y * powerOfTwo(k) }
        if k > 1023 { return y * powerOfTwo(1023) * powerOfTwo(k - 1023) }
        return y * powerOfTwo(-1022) * powerOfTwo(k + 1022)
    }

    /// 2^k for -1022 <= k <= 1023: the exponent field is k + 1023, the fraction zero.
    @inline(__always)
    private static func powerOfTwo(_ k: Int) -> Double {
        Double(bitPattern: UInt64(k + 1023) << 52)
    }
}
