// exp, log, tanh and cos written out in plain Swift arithmetic, so a training run gives the same
// bits on every machine. The platform's math library may pick a different code path per CPU (glibc
// chooses FMA variants at load time) or differ between systems; +, -, *, / and sqrt never do.
// Accuracy: within a couple of units in the last place over the ranges a network meets.

/// Transcendental functions with results that do not depend on the platform.
public enum DeterministicMath {
    // ln 2 split into a part with trailing zero bits and the rest, so k * ln2High is exact.
    private static let ln2High = 6.93147180369123816490e-01
    private static let ln2Low = 1.90821492927058770002e-10
    private static let inverseLn2 = 1.44269504088896338700e+00

    /// e^x. Reduces x = k ln2 + r with |r| <= ln2 / 2, sums a Taylor series for e^r, scales by 2^k.
    public static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.782712893384 { return .infinity }
        if x < -745.1332191019412 { return 0 }
        let k = (x * inverseLn2).rounded(.toNearestOrEven)
        let r = (x - k * ln2High) - k * ln2Low
        // Horner form of sum r^n / n! for n = 0...13; |r| <= 0.347 makes the tail below 1e-17.
        var p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        return scaleByPowerOfTwo(p, Int(k))
    }

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

    /// y * 2^k in two exact steps, so results that land in the subnormal range round only once.
    private static func scaleByPowerOfTwo(_ y: Double, _ k: Int) -> Double {
        if k > 1023 {
            return y * Double(sign: .plus, exponent: 1023, significand: 1) * Double(sign: .plus, exponent: k - 1023, significand: 1)
        }
        if k < -1022 {
            return y * Double(sign: .plus, exponent: -1022, significand: 1) * Double(sign: .plus, exponent: k + 1022, significand: 1)
        }
        return y * Double(sign: .plus, exponent: k, significand: 1)
    }
}
