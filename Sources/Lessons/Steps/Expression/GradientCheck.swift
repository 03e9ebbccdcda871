// The backward step's check of the engine: every input's gradient against a central finite
// difference of the same expression on plain Doubles. A disagreement fails the step; where a
// finite difference cannot judge (a kink of relu, abs, max or min nearby, a value that is not finite, estimates that
// move with the step size), the step says so instead of counting it as agreement or failure.
import LessonOutput

/// Gradients against finite differences, with the tolerance and step sizes in one place.
enum GradientCheck {
    /// Relative tolerance: backward and a finite difference agree when
    /// |grad - fd| <= 1e-4 * max(1, |grad|, |fd|), so relative for large gradients and 1e-4 absolute
    /// near zero. With the step below a central difference is good to about 1e-9 on smooth
    /// expressions of ordinary size; a wrong backward rule is off by a whole term.
    static let relativeTolerance = 1e-4

    static func tolerance(_ a: Double, _ b: Double) -> Double { relativeTolerance * max(1, abs(a), abs(b)) }

    /// h = 1e-6 * max(1, |x|): near the cube root of Double's precision (6e-6), where the central
    /// difference's truncation error (about h^2 f''' / 6) and its rounding error (about
    /// 1e-16 |f| / h) are both far below the tolerance, scaled so a large input moves visibly.
    static func step(at x: Double) -> Double { 1e-6 * max(1, abs(x)) }

    /// The second estimate uses a step this many times larger. Where f is smooth on the interval
    /// both estimates agree to far better than the tolerance; where they do not, rounding or
    /// curvature spoils the estimate, and it cannot judge the gradient.
    static let widerStep = 10.0

    enum Verdict: Equatable {
        case agrees
        case differs
        /// The finite difference cannot judge this gradient, and why.
        case unchecked(String)

        /// The word in the check column of the step's table.
        var word: String {
            switch self {
            case .agrees: return "agrees"
            case .differs: return "DIFFERS"
            case .unchecked: return "not checked"
            }
        }

        var wasChecked: Bool { if case .unchecked = self { false } else { true } }
    }

    /// One input's gradient and its finite difference at step h.
    struct Result: Equatable {
        let input: String
        let gradient: Double
        let estimate: Double
        let verdict: Verdict

        var difference: Double { abs(gradient - estimate) }
        var tolerance: Double { GradientCheck.tolerance(gradient, estimate) }

        /// The self-check the step records, or nil when the finite difference cannot judge.
        var verification: Verification? {
            guard verdict.wasChecked else { return nil }
            let passed = verdict == .agrees
            let within = self.tolerance, tolerance = NumberFormat.scientific(within, digits: 1)
            return Verification(
                name: "grad.\(input)", expected: "\(NumberFormat.shown(estimate, within: within)) ± \(tolerance), its finite difference",
                actual: .number(gradient), passed: passed,
                message: passed ? "" : "the gradient of \(input) disagrees with its finite difference: backward gives "
                    + "\(NumberFormat.full(gradient)), the finite difference \(NumberFormat.full(estimate)); they differ by "
                    + "\(NumberFormat.short(difference)), more than the tolerance \(tolerance)",
                hint: passed ? nil : "a gradient must match its finite difference to 1e-4 * max(1, |grad|, |fd|); the engine's "
                    + "backward pass is wrong for this graph: read the node table from the output down to the first grad "
                    + "that breaks its op's rule",
                tolerance: within)
        }
    }

    /// Checks `gradients[i]`, backward's d(expression)/d(input i), at `point`.
    static func check(_ expression: Expression, at point: [(name: String, value: Double)], gradients: [Double]) -> [Result] {
        let values = Dictionary(uniqueKeysWithValues: point.map { ($0.name, $0.value) })
        return zip(point, gradients).map { input, gradient in
            let h = step(at: input.value)
            let estimate = centralDifference(expression, values, input.name, h)
            let verdict: Verdict
            if !gradient.isFinite {
                verdict = .unchecked("backward gives \(NumberFormat.full(gradient))")
            } else if let kink = kink(in: expression, values, input.name, within: widerStep * h) {
                verdict = .unchecked(kink)
            } else {
                verdict = judge(gradient: gradient, estimate: estimate,
                                widerEstimate: centralDifference(expression, values, input.name, widerStep * h))
            }
            return Result(input: input.name, gradient: gradient, estimate: estimate, verdict: verdict)
        }
    }

    /// The verdict on numbers alone: the two estimates must agree with each other before the
    /// one at h may judge the gradient.
    static func judge(gradient: Double, estimate: Double, widerEstimate: Double) -> Verdict {
        guard estimate.isFinite, widerEstimate.isFinite else {
            return .unchecked("the expression is not finite within \(NumberFormat.full(widerStep))h of this input, "
                              + "so its finite difference is \(NumberFormat.full(estimate.isFinite ? widerEstimate : estimate))")
        }
        guard abs(estimate - widerEstimate) <= tolerance(estimate, widerEstimate) else {
            return .unchecked("the finite difference moves with the step (\(NumberFormat.full(estimate)) at h, "
                              + "\(NumberFormat.full(widerEstimate)) at \(NumberFormat.full(widerStep))h): "
                              + "the expression bends too sharply here, or rounding eats its digits")
        }
        return abs(gradient - estimate) <= tolerance(gradient, estimate) ? .agrees : .differs
    }

    /// (f(x + h) - f(x - h)) / 2h in the input `name`.
    static func centralDifference(_ expression: Expression, _ values: [String: Double], _ name: String, _ h: Double) -> Double {
        var plus = values, minus = values
        plus[name] = values[name, default: .nan] + h
        minus[name] = values[name, default: .nan] - h
        return (expression.evaluate(plus) - expression.evaluate(minus)) / (2 * h)
    }

    /// Why a kink spoils the finite difference in `name`, or nil: a relu or abs whose argument, or
    /// a max or min whose two arguments' difference, takes both signs on [x - reach, x + reach]
    /// (sampled at both ends and the middle) has its kink there. Over a kink the difference mixes
    /// the slopes on both sides (at relu's, (relu(h) - relu(-h)) / 2h = 0.5), while backward
    /// takes one side's slope, or at max's and min's tie their average, by the conventions below.
    static func kink(in expression: Expression, _ values: [String: Double], _ name: String, within reach: Double) -> String? {
        let x = values[name, default: .nan]
        var below = values, above = values
        below[name] = x - reach
        above[name] = x + reach
        let samples = [below, values, above].map { expression.kinks($0) }
        for (index, call) in samples[1].enumerated() {
            let crossings = samples.map { $0[index].crossing }
            guard crossings.allSatisfy(\.isFinite), let low = crossings.min(), let high = crossings.max(), low < 0, high > 0 else { continue }
            return "\(call.call.text) has its kink (\(kinkPlace(call.name))) within \(NumberFormat.full(widerStep))h of "
                + "\(name) = \(NumberFormat.full(x)); there the finite difference mixes the slopes on both sides, "
                + "while backward \(kinkConvention(call.name))"
        }
        return nil
    }

    private static func kinkPlace(_ function: String) -> String {
        function == "max" || function == "min" ? "where its two arguments are equal" : "where its argument is 0"
    }

    /// The engine's convention at each kind of kink (ScalarOps.swift).
    private static func kinkConvention(_ function: String) -> String {
        switch function {
        case "relu": return "takes the slope on one side (relu's slope at 0 is 0 by convention)"
        case "abs": return "takes the slope on one side, or 0 at the kink itself (abs's slope at 0 is 0 by convention)"
        default: return "gives the gradient to the argument that is \(function == "max" ? "larger" : "smaller"), "
            + "and at a tie half to each (as torch.\(function == "max" ? "maximum" : "minimum") does)"
        }
    }
}
