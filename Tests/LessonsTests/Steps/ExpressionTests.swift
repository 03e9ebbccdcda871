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

    /// Inputs that crashed the parser or a walk of its tree by recursing 100,000 levels deep
    /// now fail at the level past the limit.
    @Test(arguments: [
        (String(repeating: "(", count: 100_000) + "a" + String(repeating: ")", count: 100_000), 200, "nests more than 200 levels deep"),
        (String(repeating: "-", count: 100_000) + "a", 200, "nests more than 200 levels deep"),
        ("a" + String(repeating: "^2", count: 100_000), 401, "nests more than 200 levels deep"),
        (String(repeating: "tanh(", count: 100_000) + "a" + String(repeating: ")", count: 100_000), 1000, "nests more than 200 levels deep"),
        (Array(repeating: "a", count: 100_000).joined(separator: "+"), 1000, "more than 1000 parts"),
        (Array(repeating: "a", count: 100_000).joined(separator: "*"), 1000, "more than 1000 parts"),
    ])
    func deepOrLongExpressionsAreRefusedAtTheirLimit(_ text: String, offset: Int, message: String) {
        #expect { try ExpressionParser.parse(text) } throws: { error in
            guard let error = error as? ExpressionError else { return false }
            return error.offset == offset && error.message.contains(message)
        }
    }

    /// The largest expressions the limits allow go through every walk of the tree: the depth of
    /// the tree follows the nesting, not the number of terms.
    @Test func expressionsAtTheLimitsSurviveEveryWalk() throws {
        let depth = ExpressionParser.maximumDepth
        let nested = [
            String(repeating: "(", count: depth) + "a" + String(repeating: ")", count: depth),
            String(repeating: "-", count: depth) + "a",
            String(repeating: "tanh(", count: depth) + "a" + String(repeating: ")", count: depth),
            "a" + String(repeating: "^1", count: depth),
            String(repeating: "(a + ", count: depth) + "a" + String(repeating: ") * 1", count: depth),
        ]
        let flat = Array(repeating: "a", count: 500).joined(separator: " - ")  // 999 parts
        for text in nested + [flat] {
            let e = try ExpressionParser.parse(text)
            #expect(e.variables == ["a"])
            #expect(e == (try ExpressionParser.parse(e.text)))
            #expect(e.evaluate(["a": 0.5]).isFinite)
            let tape = Tape()
            guard case .value(let out) = e.record(["a": Value(0.5, on: tape, label: "a")], on: tape) else {
                Issue.record("expected a value")
                continue
            }
            out.backward()
        }
        #expect(try ExpressionParser.parse(flat).evaluate(["a": 1]) == -498)
        #expect(throws: ExpressionError.self) { try ExpressionParser.parse("(" + String(repeating: "(", count: depth) + "a" + String(repeating: ")", count: depth + 1)) }
        #expect(throws: ExpressionError.self) { try ExpressionParser.parse(flat + " - a") }
    }

    /// A sum is one chain read left to right: `(a + b) + c` and `a + b + c` put the same nodes on
    /// the tape, and the text keeps only the parentheses that change the meaning.
    @Test func chainsRecordLeftToRightAndWriteTheirParentheses() throws {
        func nodes(_ text: String) throws -> [String] {
            let tape = Tape()
            let inputs = ["a": Value(1, on: tape, label: "a"), "b": Value(2, on: tape, label: "b"), "c": Value(4, on: tape, label: "c")]
            guard case .value(let out) = try ExpressionParser.parse(text).record(inputs, on: tape) else { return [] }
            let view = TapeView(tape: tape, root: out.id)
            return view.nodes.map(view.formula)
        }
        #expect(try nodes("(a + b) + c") == nodes("a + b + c"))
        #expect(try nodes("a - b * c / 2 + 1") == ["input", "input", "input", "b * c", "#4 * 0.5", "a - #5", "#6 + 1"])
        #expect(try ExpressionParser.parse("a - (b - c) + (a*b)*c").text == "a - (b - c) + a * b * c")
        #expect(try ExpressionParser.parse("-(a + b)^2 / 1e+20").text == "-(a + b)^2 / 1e+20")  // read back as written
        #expect(try ExpressionParser.parse("1e+20 * a").evaluate(["a": 2]) == 2e20)
    }

    /// A minus sign negates what follows it: one `neg` node on the tape, folded into a constant
    /// before a number, and weaker than `^`, so `-a^2` is `-(a^2)`. Its gradient agrees with the
    /// finite difference as every other operation's does.
    @Test func unaryMinusIsOneNegNodeAndItsGradientIsChecked() throws {
        let step = try runStep("backward\nexpr: -a^2 + 2 - -b\na: 3\nb: 1\nexpect out = -6\nexpect grad.a = -6 ± 1e-12\nexpect grad.b = 1 ± 1e-12\n")
        #expect(step.status == .passed, "\(String(describing: step.error))")
        #expect(step.checks.contains { $0.kind == .selfCheck && $0.passed })
        #expect(try ExpressionParser.parse("-2 * a").text == "-2 * a")
    }

    @Test func anExponentMustBeAFiniteNumber() {
        #expect { try ExpressionParser.parse("a^(0/0)") } throws: { ($0 as? ExpressionError)?.message.contains("is NaN; it must be a finite number") == true }
        #expect { try ExpressionParser.parse("a^(1/0)") } throws: { ($0 as? ExpressionError)?.offset == 2 }
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
