// The functions a teacher reaches for beyond tanh exp log relu: sigmoid, sqrt, abs, max(a, b) and
// min(a, b), parsed, evaluated as the engine evaluates them, differentiated by the engine and
// checked against finite differences, with their edge cases explained in the lesson.
import Autograd
import Foundation
import Testing
@testable import Lessons

@Suite struct ExpressionFunctionsTests {
    @Test func newFunctionsParseEvaluateAndWriteBack() throws {
        let e = try ExpressionParser.parse("max(a, b*2) + min(a,b) - sqrt(abs(c)) * sigmoid(a)")
        #expect(e.variables == ["a", "b", "c"])
        #expect(e.text == "max(a, b * 2) + min(a, b) - sqrt(abs(c)) * sigmoid(a)")
        let value = e.evaluate(["a": 1, "b": -0.5, "c": -4])
        #expect(abs(value - (1 + -0.5 - 2 / (1 + Foundation.exp(-1)))) < 1e-15)
        #expect(try ExpressionParser.parse(e.text) == e)
    }

    @Test(arguments: [
        ("max(a)", 0, "max takes 2 arguments, as in max(a, b); it was given 1"),
        ("max(a, b, c)", 8, "max takes 2 arguments, as in max(a, b)"),
        ("sqrt(a, b)", 6, "sqrt takes one argument, as in sqrt(x)"),
        ("sigmod(a)", 0, "did you mean 'sigmoid'?"),
        ("maxx(a, b)", 0, "functions: tanh exp log relu sigmoid sqrt abs max(a, b) min(a, b)"),
        ("min(a b)", 6, "missing ')' after the arguments of min"),
    ])
    func wrongCallsSayWhatTheFunctionTakes(_ text: String, offset: Int, message: String) {
        #expect { try ExpressionParser.parse(text) } throws: { error in
            guard let error = error as? ExpressionError else { return false }
            return error.offset == offset && error.message.contains(message)
        }
    }

    static let sigmoidHalf = 1 / (1 + Foundation.exp(-0.5))
    static let derivatives: [(String, Double, Double)] = [
        ("sigmoid(a)", 0.5, sigmoidHalf * (1 - sigmoidHalf)),
        ("sqrt(a)", 2.25, 1.0 / 3),
        ("abs(a)", -1.5, -1),
        ("max(a, 1)", 2, 1),
        ("max(a, 1)", 0.5, 0),
        ("min(a, 1)", 0.5, 1),
    ]

    /// The backward step's numbers for each function, against the derivative worked out by hand.
    @Test(arguments: derivatives)
    func backwardAgreesWithTheHandDerivative(_ expr: String, _ a: Double, _ derivative: Double) throws {
        let step = try runStep("backward\nexpr: \(expr)\na: \(a)\n")
        #expect(step.status == .passed, "\(step.errors)")
        #expect(abs((number(step, "grad.a") ?? .nan) - derivative) < 1e-12)
        #expect(number(step, "fd_unchecked") == 0)
        #expect(step.checks.contains { $0.name == "grad.a" && $0.kind == .selfCheck && $0.passed })
    }

    /// At a kink the finite difference cannot judge, and the step says which convention backward
    /// took: slope 0 for abs at 0, half to each argument for max and min at a tie.
    @Test func kinksOfAbsMaxAndMinAreNotChecked() throws {
        let abs = try runStep("backward\nexpr: abs(a) + a\na: 0\n")
        #expect(abs.status == .passed, "\(abs.errors)")
        #expect(number(abs, "grad.a") == 1 && number(abs, "fd_unchecked") == 1)
        let text = TerminalRenderer(colour: false).render(try runLessons(try makeLessons(["01-test.md": chapter("backward\nexpr: max(a, b)\na: 1.5\nb: 1.5\n")])))
        #expect(text.contains("The gradient of a is not checked: max(a, b) has its kink (where its two arguments are equal)"))
        #expect(text.contains("at a tie half to each (as torch.maximum does)"))
        let tie = try runStep("backward\nexpr: min(a, b) * 4\na: 1.5\nb: 1.5\n")
        #expect(number(tie, "grad.a") == 2 && number(tie, "grad.b") == 2 && number(tie, "fd_unchecked") == 2)
    }

    @Test func sqrtOfANegativeNumberAndItsSlopeAtZeroAreExplained() throws {
        let negative = try runStep("backward\nexpr: sqrt(a)\na: -1\n")
        #expect(negative.status == .failed)
        #expect(negative.error?.message == "sqrt(a) is NaN: sqrt of -1 is undefined (sqrt needs a number that is not negative)")
        let zero = try runStep("backward\nexpr: sqrt(a)\na: 0\n")
        #expect(zero.status == .failed)
        #expect(zero.error?.message == "the gradient of a is inf: the derivative of sqrt(a) with respect to a at a = 0 is not a finite number")
    }

    /// A constant argument of max becomes a leaf named by its number, as `2 / a` does.
    @Test func aConstantArgumentIsALeafOfItsOwn() throws {
        let tape = Tape()
        let a = Value(-2, on: tape, label: "a")
        guard case .value(let out) = try ExpressionParser.parse("max(a, 0) + max(1, 2)").record(["a": a], on: tape) else {
            Issue.record("expected a value")
            return
        }
        #expect(out.data == 2)
        let view = TapeView(tape: tape, root: out.id)
        #expect(view.nodes.map(view.formula) == ["input", "input", "max(a, 0)", "#3 + 2"])
    }
}
