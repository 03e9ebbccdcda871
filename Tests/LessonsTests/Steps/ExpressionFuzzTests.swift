// The expression parser on random expressions: deep nesting, long sums, huge numbers, odd Unicode,
// NUL bytes and line breaks, stray characters. Whatever the text, parsing must end with a tree or
// an error inside the text; a tree must survive every walk, and its text must parse back to the
// same text and the same value (exponents are finite, so every text can be read back). See Fuzzing.swift for the seed and the time budget.
import Autograd
import Foundation
import Testing
import TestSupport
@testable import Lessons

@Suite struct ExpressionFuzzTests {
    static let names = ["a", "b", "x1", "w_2", "_", "é", "e\u{301}", "ǅ", "a٣", "tanh", "nan", "inf", "e"]
    static let numbers = ["0", "2", "0.5", ".5", "3.", "1e-3", "1e+20", "1E5", "5e-324", "1e308", "1e309", "1e", "1e-",
                          "1.2.3", String(repeating: "9", count: 400), "0." + String(repeating: "0", count: 400) + "1", "½", "٣"]
    static let noise = ["\0", "\r", "\n", "\r\n", "\t", " ", "$", "€", "(", ")", "\u{301}", "e", "+", "-", "*", "**", "^", ".",
                        "\u{1B}", "\u{202E}", "👩‍👩‍👧", ","]

    /// A random expression, at most `depth` levels of the generator deep; nesting deeper than
    /// that comes from long runs of prefixes, built without recursion.
    static func expression(_ random: inout SplitMix64, depth: Int) -> String {
        switch depth <= 0 ? random.below(2) : random.below(11) {
        case 0: return random.pick(numbers)
        case 1: return random.pick(names)
        case 2: return "(" + expression(&random, depth: depth - 1) + ")"
        case 3: return random.pick(["tanh", "exp", "log", "relu", "sigmoid", "sqrt", "abs", "tahn", "max", "min"])
            + "(" + expression(&random, depth: depth - 1) + ")"
        case 10:  // two arguments, or a wrong number of them, with odd commas now and then
            let count = random.chance(0.8) ? 2 : random.below(4)
            let arguments = (0..<count).map { _ in expression(&random, depth: depth - 1) }
            return random.pick(["max", "min", "sqrt", "maxx"]) + "(" + arguments.joined(separator: random.pick([", ", ",", " , ", ",,"])) + ")"
        case 4: return "-" + expression(&random, depth: depth - 1)
        case 5: return expression(&random, depth: depth - 1) + random.pick(["^", "**", " ^ "]) + random.pick(["2", "-1", "0.5", "(1/0)", "(0/0)", "a", "-(-3)"])
        case 6:  // a long flat chain
            let terms = (0..<random.size(upTo: 1500)).map { _ in random.chance(0.9) ? random.pick(names) : random.pick(numbers) }
            return terms.joined(separator: random.pick([" + ", "-", "*", " / ", "+-"]))
        case 7:  // deep nesting, deeper than the limit now and then
            let count = random.size(upTo: 400)
            let (open, close) = random.pick([("(", ")"), ("-", ""), ("tanh(", ")"), ("-(", ")"), ("2^", "")])
            return String(repeating: open, count: count) + expression(&random, depth: 0) + String(repeating: close, count: count)
        default:
            return expression(&random, depth: depth - 1) + random.pick([" + ", " - ", " * ", " / "]) + expression(&random, depth: depth - 1)
        }
    }

    /// An expression with some noise inserted or characters removed.
    static func text(_ random: inout SplitMix64) -> String {
        var characters = Array(expression(&random, depth: random.below(8)))
        for _ in 0..<(random.chance(0.5) ? 0 : random.size(upTo: 20)) {
            if random.chance(0.7) || characters.isEmpty {
                characters.insert(contentsOf: random.pick(noise), at: random.below(characters.count + 1))
            } else {
                characters.remove(at: random.below(characters.count))
            }
        }
        return String(characters)
    }

    static func same(_ x: Double, _ y: Double) -> Bool { x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN) }

    /// Nil when `text` parses and survives every walk, or fails inside the text.
    static func problem(with text: String, _ random: inout SplitMix64) -> String? {
        let expression: Lessons.Expression
        do {
            expression = try ExpressionParser.parse(text)
        } catch {
            let length = Array(text).count
            return error.offset >= 0 && error.offset <= length && !error.message.isEmpty
                ? nil : "error at offset \(error.offset) of \(length): \(error.message)"
        }
        let variables = expression.variables
        guard Set(variables).count == variables.count else { return "variables repeat: \(variables)" }
        let inputs = Dictionary(uniqueKeysWithValues: variables.map { ($0, Double(random.below(7)) - 3 + 0.25) })
        let value = expression.evaluate(inputs)
        _ = expression.kinks(inputs)
        guard expression == expression else { return "the tree is not equal to itself" }
        let tape = Tape()
        let leaves = Dictionary(uniqueKeysWithValues: variables.map { ($0, Value(inputs[$0] ?? 0, on: tape, label: $0)) })
        if case .value(let out) = expression.record(leaves, on: tape) { out.backward() }
        let written = expression.text
        do {
            let again = try ExpressionParser.parse(written)
            guard again.text == written else { return "text \(shown(written)) reads back as \(shown(again.text))" }
            guard same(again.evaluate(inputs), value) else { return "text \(shown(written)) reads back with another value" }
        } catch {
            return "its text \(shown(written)) does not parse: \(error.message) at \(error.offset)"
        }
        return nil
    }

    @Test func randomExpressionsParseOrFailInPlace() {
        Fuzz.run("expression parser") { random in
            let text = Self.text(&random)
            return Self.problem(with: text, &random).map { "\($0)\n  input: \(shown(text))" }
        }
    }
}
