// The backward step's finite-difference check: its verdict on numbers alone, on real expressions
// (smooth, at a relu kink, near a pole), and the step that fails when a gradient is wrong.
import Autograd
import Foundation
import Testing
@testable import Lessons

@Suite struct GradientCheckTests {
    // MARK: The verdict on numbers

    @Test func toleranceIsRelativeForLargeNumbersAndAbsoluteNearZero() {
        #expect(GradientCheck.tolerance(0, 0) == 1e-4)
        #expect(abs(GradientCheck.tolerance(-3, 2) - 3e-4) < 1e-18)
        #expect(GradientCheck.tolerance(1e6, 5) == 100)
    }

    /// A gradient, the estimates at h and at 10h, and the verdict's word.
    struct Case: Sendable, CustomTestStringConvertible {
        let gradient: Double, estimate: Double, wider: Double, word: String
        var testDescription: String { "grad \(gradient), fd \(estimate) and \(wider): \(word)" }
    }

    static let cases: [Case] = [
        Case(gradient: 1, estimate: 1.00005, wider: 1.00005, word: "agrees"),  // off by 5e-5, under 1e-4
        Case(gradient: 1, estimate: 1.0002, wider: 1.0002, word: "DIFFERS"),  // off by 2e-4
        Case(gradient: 1e6, estimate: 1e6 + 50, wider: 1e6 + 50, word: "agrees"),  // the tolerance is 100 here
        Case(gradient: 1e6, estimate: 1e6 + 200, wider: 1e6 + 200, word: "DIFFERS"),
        Case(gradient: 0, estimate: 5e-5, wider: 5e-5, word: "agrees"),  // near zero the tolerance is 1e-4 absolute
        Case(gradient: 0, estimate: 1, wider: 1, word: "DIFFERS"),
        Case(gradient: 1, estimate: 1, wider: 1.01, word: "not checked"),  // the estimate moves with the step
        Case(gradient: 1, estimate: .nan, wider: 1, word: "not checked"),
        Case(gradient: 1, estimate: 1, wider: .infinity, word: "not checked"),
    ]

    @Test(arguments: cases)
    func verdictOnNumbers(_ c: Case) {
        #expect(GradientCheck.judge(gradient: c.gradient, estimate: c.estimate, widerEstimate: c.wider).word == c.word)
    }

    // MARK: Real expressions

    func check(_ text: String, _ point: [(String, Double)], gradients: [Double]) throws -> [GradientCheck.Result] {
        GradientCheck.check(try ExpressionParser.parse(text), at: point.map { (name: $0.0, value: $0.1) }, gradients: gradients)
    }

    @Test func smoothExpressionAgreesToFarBelowTheTolerance() throws {
        // d/da tanh(ab) + a^3/b = b (1 - tanh^2(ab)) + 3a^2/b; d/db = a (1 - tanh^2(ab)) - a^3/b^2
        let a = 0.7, b = -1.3, t = Foundation.tanh(a * b)
        let results = try check("tanh(a*b) + a^3/b", [("a", a), ("b", b)],
                                gradients: [b * (1 - t * t) + 3 * a * a / b, a * (1 - t * t) - a * a * a / (b * b)])
        #expect(results.map(\.verdict) == [.agrees, .agrees])
        for result in results { #expect(result.difference < 1e-8, "\(result.input): \(result.difference)") }
    }

    @Test func wrongGradientDiffersAndSaysBothNumbers() throws {
        let result = try #require(try check("a*b", [("a", 2), ("b", 3)], gradients: [4, 2]).first)
        #expect(result.verdict == .differs)
        #expect(abs(result.estimate - 3) < 1e-8)
        let verification = try #require(result.verification)
        #expect(!verification.passed && verification.name == "grad.a" && verification.actual == .number(4))
        #expect(verification.message == "the gradient of a disagrees with its finite difference: backward gives 4, "
                + "the finite difference \(NumberFormat.full(result.estimate)); they differ by 1.0000, more than the tolerance 4.0e-4")
    }

    @Test func reluKinkIsNotCheckedAndSaysWhy() throws {
        let result = try #require(try check("relu(a)", [("a", 0)], gradients: [0]).first)
        #expect(abs(result.estimate - 0.5) < 1e-12)  // (relu(h) - relu(-h)) / 2h
        guard case .unchecked(let why) = result.verdict else { Issue.record("expected unchecked, got \(result.verdict)"); return }
        #expect(why.hasPrefix("relu(a) has its kink (where its argument is 0) within 10h of a = 0"))
        #expect(result.verification == nil)
        // Close to a kink, within 10h, is not checked either; far from one, both sides are.
        #expect(try check("relu(a - 1)", [("a", 1 + 5e-6)], gradients: [1]).first?.verdict.word == "not checked")
        #expect(try check("relu(a - 1)", [("a", 1 + 1e-3)], gradients: [1]).first?.verdict == .agrees)
        #expect(try check("relu(a)", [("a", -1)], gradients: [0]).first?.verdict == .agrees)
    }

    @Test func nearAPoleTheEstimateMovesWithTheStepAndIsNotChecked() throws {
        // 1/a at a = 1e-4: the gradient -1e8 is right, but the truncation error of the estimate at
        // h = 1e-6 (about h^2 * 6/a^4 / 6 = 1e4) is as large as the tolerance, and 100 times that at 10h.
        let result = try #require(try check("1/a", [("a", 1e-4)], gradients: [-1e8]).first)
        #expect(result.verdict.word == "not checked")
        guard case .unchecked(let why) = result.verdict else { return }
        #expect(why.hasPrefix("the finite difference moves with the step"))
    }

    @Test func expressionsAreWrittenBackWithTheParenthesesTheyNeed() throws {
        for text in ["-a^2", "(-a)^2", "a - (b - c)", "a - b - c", "relu(1 - x) / 2", "tanh(x1 * w1 + x2 * w2 + b)", "2 * (a + b)"] {
            let expression = try ExpressionParser.parse(text)
            #expect(expression.text == text)
            #expect(try ExpressionParser.parse(expression.text) == expression)
        }
    }

    // MARK: The step

    @Test func correctExpressionPassesWithNoExpectations() throws {
        let step = try runStep("backward\nexpr: tanh(a*b) + a^3/b\na: 0.7\nb: -1.3\n")
        #expect(step.status == .passed, "\(String(describing: step.error))")
        #expect(step.checks.map(\.kind) == [.selfCheck, .selfCheck] && step.checks.allSatisfy(\.passed))
        #expect(step.checks.map(\.name) == ["grad.a", "grad.b"])
        let maxError = try #require(number(step, "max_fd_error"))
        #expect(maxError < 1e-8)
        #expect(number(step, "fd_unchecked") == 0)
        #expect(TerminalRenderer(colour: false).render(step).contains("ok (2 self-checks passed)"))
    }

    /// `backward` with grad.a made 1 larger after the backward pass: a seam for a wrong engine.
    static let wrongBackward = StepDefinition(id: "backward", summary: "backward, with grad.a off by one",
                                              parameters: ExpressionSteps.backward.parameters, takesNamedInputs: true) { context in
        let built = try ExpressionSteps.build(context)
        built.output.backward()
        let a = built.inputs[0].value
        built.tape.setGrad(a.id, a.grad + 1)
        return ExpressionSteps.backwardReport(built, graph: true)
    }

    @Test func wrongGradientFailsTheStepInTerminalJSONAndHTML() throws {
        let lessons = try makeLessons(["01-wrong.md": chapter("backward\nexpr: a*b\na: 2\nb: 3\nexpect out = 6\n")])
        let runner = LessonRunner(lessonsDirectory: lessons, registry: StepRegistry([Self.wrongBackward]))
        let record = runner.run(try runner.chapters())
        let step = try #require(record.steps.first)
        #expect(step.status == .failed && !record.succeeded)
        let error = try #require(step.error)
        #expect(error.location.line == 5 && error.location.column == 1)  // the step's fence
        let estimate = try #require(error.message.between("the finite difference ", ";").flatMap(Double.init))
        #expect(abs(estimate - 3) < 1e-8)
        #expect(error.message == "the gradient of a disagrees with its finite difference: backward gives 4, "
                + "the finite difference \(NumberFormat.full(estimate)); they differ by 1.0000, more than the tolerance 4.0e-4")
        // The self-check failed; the expectation on out still held, and both are in the record.
        #expect(step.checks.map(\.name) == ["grad.a", "grad.b", "out"])
        #expect(step.checks.map(\.passed) == [false, true, true])
        #expect(step.checks.map(\.kind) == [.selfCheck, .selfCheck, .expectation])

        let text = TerminalRenderer(colour: false).render(record)
        #expect(text.contains("01-wrong.md:5:1: error: in step 'backward': the gradient of a disagrees"))
        #expect(text.contains("DIFFERS"))
        #expect(text.contains("FAILED: 0 steps passed, 1 failed in 1 chapter"))

        let json = try #require(try JSONSerialization.jsonObject(with: Data(record.json().utf8)) as? [String: Any])
        #expect(json["succeeded"] as? Bool == false && json["failed"] as? Int == 1)
        let stepJSON = try #require(jsonSteps(json).first)
        #expect(stepJSON["status"] as? String == "failed")
        let checks = try #require(stepJSON["checks"] as? [[String: Any]])
        #expect(checks[0]["kind"] as? String == "self-check" && checks[0]["passed"] as? Bool == false)
        #expect(checks[0]["actual"] as? Double == 4)
        #expect((stepJSON["error"] as? [String: Any])?["message"] as? String == error.message)

        let html = HTMLRenderer().render(record)
        // The estimate (2.99999999...) shows to the digits its tolerance needs.
        #expect(html.contains("<li class=\"broke\">grad.a = 4 <span class=\"expected\">(self-check: expected "
                              + "3 ± 4.0e-4, its finite difference)</span></li>"))
        #expect(html.contains("<div class=\"step failed\" id=\"chapter-1-step-1\">") && html.contains("the gradient of a disagrees with its finite difference"))
    }

    @Test func reluKinkStepPassesAndSaysTheGradientIsNotChecked() throws {
        let step = try runStep("backward\nexpr: relu(a)\na: 0\n")
        #expect(step.status == .passed)
        #expect(step.checks.isEmpty)  // nothing was checked, so nothing is counted as held
        #expect(number(step, "fd_unchecked") == 1 && number(step, "max_fd_error") == 0)
        let text = TerminalRenderer(colour: false).render(step)
        #expect(text.contains("a        0.0000             0.5000      0.5000  not checked"))
        #expect(text.contains("The gradient of a is not checked: relu(a) has its kink"))
    }
}

extension String {
    /// The text between the first `start` and the next `end` after it.
    func between(_ start: String, _ end: String) -> String? {
        guard let from = range(of: start)?.upperBound, let to = self[from...].range(of: end)?.lowerBound else { return nil }
        return String(self[from..<to])
    }
}
