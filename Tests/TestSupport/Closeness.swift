// "Close to, within tolerance" for the test targets, in one place. Numbers are compared one at a
// time and the largest difference is kept with where it was, so a failure says how far off the
// worst number was and which one, and a pass prints the same line (as llm.c's test_gpt2 does):
//   logits: OK, max |ours - reference| 5.6e-17 at logits[position 0, token 1] over 84 numbers
import Testing

/// Many numbers against their expected values: |actual - expected| <= tolerance * max(1, |expected|),
/// absolute below 1 and relative above. NaN on either side is always a mismatch.
public struct Closeness {
    public let what: String
    public let tolerance: Double
    public private(set) var count = 0
    public private(set) var mismatches = 0
    public private(set) var largest = (difference: 0.0, place: "", actual: 0.0, expected: 0.0)

    public init(_ what: String, tolerance: Double) {
        self.what = what
        self.tolerance = tolerance
    }

    public mutating func check(_ actual: Double, _ expected: Double, at place: @autoclosure () -> String) {
        let difference = abs(actual - expected)
        count += 1
        if !(difference <= tolerance * max(1, abs(expected))) { mismatches += 1 }
        if !(difference <= largest.difference) { largest = (difference, place(), actual, expected) }
    }

    /// Element k of `actual` against element k of `expected`; `place` names element k for the
    /// report (`name[k]` when not given).
    public mutating func check(_ actual: [Double], _ expected: [Double], name: String,
                               place: ((Int) -> String)? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        guard actual.count == expected.count else {
            Issue.record("\(name): \(actual.count) numbers, expected \(expected.count)", sourceLocation: sourceLocation)
            return
        }
        for (k, (a, b)) in zip(actual, expected).enumerated() { check(a, b, at: place?(k) ?? "\(name)[\(k)]") }
    }

    /// Prints one line, OK or NOT OK with the largest difference, and records an issue when any
    /// number was off.
    public func report(sourceLocation: SourceLocation = #_sourceLocation) {
        let verdict = mismatches == 0 ? "OK" : "NOT OK"
        print("\(what): \(verdict), max |actual - expected| \(largest.difference) at \(largest.place) over \(count) numbers")
        #expect(mismatches == 0, """
            \(what): \(mismatches) of \(count) numbers are off by more than \(tolerance) * max(1, |expected|); \
            the largest difference is \(largest.difference) at \(largest.place) (actual \(largest.actual), expected \(largest.expected))
            """, sourceLocation: sourceLocation)
    }
}

/// One comparison of two lists of numbers, reported at once.
public func expectClose(_ actual: [Double], _ expected: [Double], tolerance: Double, _ what: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    var closeness = Closeness(what, tolerance: tolerance)
    closeness.check(actual, expected, name: what, sourceLocation: sourceLocation)
    closeness.report(sourceLocation: sourceLocation)
}

/// One number against another.
public func expectClose(_ actual: Double, _ expected: Double, tolerance: Double, _ what: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose([actual], [expected], tolerance: tolerance, what, sourceLocation: sourceLocation)
}
