// What a registry step returns to the runner: its outputs, the values expectations may check, and
// the checks it made of itself.
import LessonOutput

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
    /// Expectations the step stated itself, already checked: a Swift cell's `expect` calls, each
    /// at its own line. The runner treats them as the fence's `expect` lines.
    public var statedChecks: [CheckRecord] = []
    /// Why the step failed after it showed what it had (a Swift cell that crashed, with what it
    /// printed first). Unlike a thrown error, it keeps the outputs, and what the step provides
    /// stays usable for the steps below: the step failed alone.
    public var failure: LessonError?
    /// What the step cost, for the record (a Swift cell's compile and run).
    public var cost: StepCost?

    public init() {}

    public static func == (a: StepReport, b: StepReport) -> Bool {
        a.outputs == b.outputs && a.checks.map(\.name) == b.checks.map(\.name) && a.checks.map(\.value) == b.checks.map(\.value)
            && a.verifications == b.verifications && a.statedChecks == b.statedChecks && a.failure == b.failure && a.cost == b.cost
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
