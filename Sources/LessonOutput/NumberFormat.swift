/// Number formats shared by every renderer, so the terminal and the HTML show the same digits.
public enum NumberFormat {
    /// Four decimals, or scientific notation for very large or very small magnitudes.
    public static func short(_ x: Double) -> String {
        if let word = nonFinite(x) { return word }
        if x == 0 { return "0.0000" }
        let magnitude = abs(x)
        if magnitude >= 1e6 || magnitude < 1e-4 { return scientific(x, digits: 3) }
        return fixed(x, decimals: 4)
    }

    /// Enough digits to tell close values apart in an error message.
    public static func full(_ x: Double) -> String {
        if let word = nonFinite(x) { return word }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        return "\(x)"
    }

    /// `x` to the digits a tolerance can tell apart, for showing a learner the value an
    /// expectation judged: one decimal past the tolerance's first digit, trailing zeros dropped
    /// (1.0000000000000002 within 1e-9 shows as "1", 0.70710678118 within 1e-9 as "0.7071067812"),
    /// and a number too small for those decimals in scientific notation. A tolerance of 0 (an
    /// exact expectation) shows `full`, the text the expectation compares.
    public static func shown(_ x: Double, within tolerance: Double) -> String {
        if let word = nonFinite(x) { return word }
        guard tolerance > 0, tolerance.isFinite else { return full(x) }
        var decimals = 1, scaled = tolerance
        while scaled < 0.999_999, decimals < 16 {
            scaled *= 10
            decimals += 1
        }
        var text = fixed(x, decimals: decimals)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        if x != 0, text == "0" || text == "-0" { return scientific(x, digits: 2) }
        return text
    }

    /// "NaN", "inf" or "-inf" for a number that is not finite: every renderer shows these words
    /// (the JSON record writes "NaN", "Infinity" and "-Infinity"; see `RunRecord.json`).
    public static func nonFinite(_ x: Double) -> String? {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return nil
    }

    /// A coordinate in an SVG picture: whole numbers without ".0", others to two decimals.
    public static func svg(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : fixed(x, decimals: 2)
    }

    /// `x` with `decimals` digits after the point, rounded half away from zero.
    public static func fixed(_ x: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(x) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9e15 else { return "\(x)" }
        let whole = Int(scaled) / Int(scale), fraction = Int(scaled) % Int(scale)
        var digits = String(fraction)
        while digits.count < decimals { digits = "0" + digits }
        let sign = x < 0 && scaled != 0 ? "-" : ""
        return decimals == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(digits)"
    }

    /// `x` as m.mmme±x with `digits` decimals in the mantissa.
    public static func scientific(_ x: Double, digits: Int) -> String {
        var exponent = Int((abs(x)).exponent)  // power of two; refine to a power of ten
        exponent = Int((Double(exponent) * 0.30102999566398120).rounded(.down))
        var mantissa = x / power10(exponent)
        while abs(mantissa) >= 10 { mantissa /= 10; exponent += 1 }
        while abs(mantissa) < 1 { mantissa *= 10; exponent -= 1 }
        var text = fixed(mantissa, decimals: digits)
        if text.hasPrefix("10.") || text.hasPrefix("-10.") {  // 9.9996 rounded up to 10.000
            exponent += 1
            text = fixed(mantissa / 10, decimals: digits)
        }
        return "\(text)e\(exponent < 0 ? "-" : "+")\(abs(exponent))"
    }

    private static func power10(_ n: Int) -> Double {
        var result = 1.0
        for _ in 0..<abs(n) { result *= 10 }
        return n < 0 ? 1 / result : result
    }
}
