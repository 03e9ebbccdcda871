// The expression language of the `forward` and `backward` steps, compared with hand-computed
// values and with micrograd's reference numbers.
import Autograd
import Testing
@testable import Lessons

@Suite struct ExpressionTests {
    @Test func parsesPrecedenceAndPowers() throws {
        let e = try ExpressionParser.parse("2*x^2 - 3*x + 1")
        #expect(e.evaluate(["x": 4]) == 21)
        #expect(try ExpressionParser.parse("-a**2").evaluate(["a": 3]) == -9)
        #expect(try ExpressionParser.parse("tanh(a*b + c)").variables == ["a", "b", "c"])
        #expect(try ExpressionParser.parse("relu(1 - x) / 2").evaluate(["x": -1]) == 1)
    }

    @Test(arguments: [("a +", 3), ("tahn(a)", 0), ("a ^ b", 4), ("(a + b", 6), ("a $ b", 2)])
    func syntaxErrorsPointIntoTheExpression(_ text: String, offset: Int) {
        #expect { try ExpressionParser.parse(text) } throws: { ($0 as? ExpressionError)?.offset == offset }
    }

    @Test func recordsOnTheTapeWithGradients() throws {
        let tape = Tape()
        let a = Value(1.5, on: tape, label: "a")
        guard case .value(let out) = try ExpressionParser.parse("a*a + exp(a)").record(["a": a], on: tape) else {
            Issue.record("expected a value")
            return
        }
        out.backward()
        let expected = 3 + DeterministicMath.exp(1.5)
        #expect(abs(a.grad - expected) < 1e-12)
    }

    @Test func microgradReferenceMatches() {
        let (a, b, g) = ExpressionSteps.microgradTestMoreOps(on: Tape())
        #expect(abs(g.data - 24.70408163265306) < 1e-12)
        #expect(abs(a.grad - 138.83381924198252) < 1e-9)
        #expect(abs(b.grad - 645.5772594752186) < 1e-9)
    }

    @Test func numberFormats() {
        #expect(NumberFormat.short(0.70710678) == "0.7071")
        #expect(NumberFormat.short(-1.5) == "-1.5000")
        #expect(NumberFormat.short(1.512e-10) == "1.512e-10")
        #expect(NumberFormat.short(9.99996e-5) == "1.000e-4")
        #expect(NumberFormat.full(60) == "60")
    }
}
