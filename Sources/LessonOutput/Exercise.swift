// A question for the learner, as a step's output (Lessons/Steps/ExerciseSteps.swift writes them),
// and how a learner's answer is judged.
import Foundation

/// A question for the learner, as a step's output.
public struct Exercise: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Equatable, Codable {
        /// One of `choices` is right.
        case choice
        /// A number, right within `tolerance`.
        case number
    }

    public var kind: Kind
    public var question: String
    /// The choices of a quiz, in the order written; empty for a number.
    public var choices: [String]
    /// The right choice, or the number as written.
    public var answer: String
    /// How far a number may be from the answer and still be right.
    public var tolerance: Double
    public var hint: String?
    /// Why the answer is right, shown with it.
    public var explanation: String?

    public init(kind: Kind, question: String, choices: [String], answer: String, tolerance: Double, hint: String?,
                explanation: String?) {
        self.kind = kind
        self.question = question
        self.choices = choices
        self.answer = answer
        self.tolerance = tolerance
        self.hint = hint
        self.explanation = explanation
    }

    /// Whether `response` is right, and what to tell the learner. A choice may be given as its
    /// text (any case) or its number from 1; a number as any decimal.
    public func check(_ response: String) -> (right: Bool, message: String) {
        let given = response.trimmingCharacters(in: .whitespaces)
        guard !given.isEmpty else { return (false, "no answer given") }
        switch kind {
        case .choice:
            let picked = Int(given).flatMap { $0 >= 1 && $0 <= choices.count ? choices[$0 - 1] : nil }
                ?? choices.first { $0.caseInsensitiveCompare(given) == .orderedSame }
            guard let picked else {
                return (false, "'\(given)' is not one of the choices: " + choices.enumerated().map { "\($0 + 1). \($1)" }.joined(separator: ", "))
            }
            return picked == answer ? (true, "Right: \(answer).") : (false, "Not \(picked).\(hint.map { " Hint: \($0)" } ?? "") Try again.")
        case .number:
            guard let value = Double(given), value.isFinite, let right = Double(answer) else {
                return (false, "'\(given)' is not a number")
            }
            if abs(value - right) <= tolerance { return (true, "Right: \(answer).") }
            return (false, "Not \(given).\(hint.map { " Hint: \($0)" } ?? "") Try again.")
        }
    }
}

/// What an expectation wants.
public enum ExpectedValue: Sendable, Equatable, Codable {
    /// A number, equal to the reported one within `tolerance` (0 for exact).
    case number(Double, tolerance: Double)
    /// Text, equal to the reported text.
    case text(String)
}
