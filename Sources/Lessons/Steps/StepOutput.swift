// What a step produces: structured values, never preformatted text. The terminal, the JSON record
// and the HTML walkthrough each render the same outputs their own way.

/// One piece of a step's output.
public enum StepOutput: Sendable, Equatable, Encodable {
    /// Sentences about what the step did, one per line.
    case text([String])
    case table(Table)
    case graph(Graph)
    case matrix(Matrix)
    case series(Series)
    case bars(BarSet)
    case code(CodeRegion)
    /// A question for the learner (ExerciseSteps.swift), its answer kept for when they ask.
    case exercise(Exercise)
}

/// One cell of a table: numbers stay numbers until a renderer formats them.
public enum Cell: Sendable, Equatable, Encodable {
    case text(String)
    case integer(Int)
    case number(Double)
    case empty
}

/// Rows and named columns.
public struct Table: Sendable, Equatable, Encodable {
    public var title: String
    public var columns: [String]
    public var rows: [[Cell]]

    public init(title: String, columns: [String], rows: [[Cell]]) {
        self.title = title
        self.columns = columns
        self.rows = rows
    }
}

/// A computation graph: each node is one scalar with the op that made it.
public struct Graph: Sendable, Equatable, Encodable {
    public struct Node: Sendable, Equatable, Encodable {
        public var id: Int
        /// The name given to the value, if any ("a", "w1").
        public var label: String
        /// The op's symbol; "input" for leaves.
        public var op: String
        public var data: Double
        /// Nil when the graph has not been through a backward pass.
        public var grad: Double?
    }
    public struct Edge: Sendable, Equatable, Encodable {
        /// The input node's id.
        public var from: Int
        /// The id of the node that reads it.
        public var to: Int
    }
    public var title: String
    public var nodes: [Node]
    public var edges: [Edge]
}

/// A grid of numbers with labelled rows and columns, such as attention weights. A nil entry is
/// masked out (a position attention may not look at).
public struct Matrix: Sendable, Equatable, Encodable {
    public enum Kind: String, Sendable, Encodable {
        /// Values in [0, 1] such as probabilities, drawn as a heatmap.
        case weights
        /// Whole counts, such as a confusion matrix.
        case counts
    }
    public var title: String
    public var kind: Kind
    public var rowTitle: String
    public var columnTitle: String
    public var rowLabels: [String]
    public var columnLabels: [String]
    public var values: [[Double?]]
}

/// Lines of y values over x = 1, 2, ...: a loss curve.
public struct Series: Sendable, Equatable, Encodable {
    public struct Line: Sendable, Equatable, Encodable {
        public var name: String
        public var values: [Double]
    }
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var lines: [Line]
}

/// Labelled quantities drawn as bars: label probabilities.
public struct BarSet: Sendable, Equatable, Encodable {
    public struct Bar: Sendable, Equatable, Encodable {
        public var label: String
        public var value: Double
    }
    public var title: String
    public var bars: [Bar]
    /// Largest value of the scale (1 for probabilities).
    public var maximum: Double
}

/// A marked region of a source file, as it is on disk now.
public struct CodeRegion: Sendable, Equatable, Encodable {
    /// Path relative to the package root, as in `Sources/Autograd/Backward.swift`.
    public var file: String
    public var region: String
    /// Line number of the region's first line in the file.
    public var firstLine: Int
    public var lines: [String]
}

/// A value a step reports for expectations to check.
public enum CheckValue: Sendable, Equatable, Encodable, CustomStringConvertible {
    case number(Double)
    case text(String)

    public var description: String {
        switch self {
        case .number(let x): return NumberFormat.full(x)
        case .text(let s): return "\"\(s)\""
        }
    }
}

/// A check a step makes of its own results, whatever the chapter expects: a gradient against its
/// finite difference, a value that must be a number. A failed one fails the step at its fence,
/// the way a failed expectation fails it at the expectation's line.
public struct Verification: Sendable, Equatable {
    /// What was checked: a value's name ("grad.a") or what it covers ("finite").
    public var name: String
    /// What the step required, as the record shows it: "-3 ± 3.0e-4, its finite difference".
    public var expected: String
    public var actual: CheckValue
    public var passed: Bool
    /// What went wrong, with the numbers, for the step's error when it failed.
    public var message: String
    public var hint: String?
    /// The tolerance `actual` was judged within (0 when exactly): the walkthrough shows it to
    /// the digits this tolerance needs (`NumberFormat.shown`).
    public var tolerance: Double

    public init(name: String, expected: String, actual: CheckValue, passed: Bool, message: String, hint: String? = nil,
                tolerance: Double = 0) {
        self.tolerance = tolerance
        self.name = name
        self.expected = expected
        self.actual = actual
        self.passed = passed
        self.message = message
        self.hint = hint
    }
}

/// What a step returns: its outputs in order, the named values expectations may check, and the
/// checks it made of itself.
public struct StepReport: Sendable, Equatable {
    public var outputs: [StepOutput] = []
    public var checks: [(name: String, value: CheckValue)] = []
    public var verifications: [Verification] = []

    public init() {}

    public static func == (a: StepReport, b: StepReport) -> Bool {
        a.outputs == b.outputs && a.checks.map(\.name) == b.checks.map(\.name) && a.checks.map(\.value) == b.checks.map(\.value)
            && a.verifications == b.verifications
    }

    public mutating func text(_ lines: String...) { outputs.append(.text(lines)) }
    public mutating func add(_ output: StepOutput) { outputs.append(output) }
    public mutating func check(_ name: String, _ value: Double) { checks.append((name, .number(value))) }
    public mutating func check(_ name: String, _ value: Int) { checks.append((name, .number(Double(value)))) }
    public mutating func check(_ name: String, _ value: String) { checks.append((name, .text(value))) }
    public mutating func verify(_ verification: Verification) { verifications.append(verification) }

    /// The value reported under `name`.
    public func value(_ name: String) -> CheckValue? { checks.first { $0.name == name }?.value }
}

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
