// NaN and infinity are reported as such, never as a pass: the expression steps say which node
// stopped being a number and why, in the terminal, the JSON record and the HTML walkthrough;
// expectations never hold against them; inputs and numbers in expressions must be finite.
import Foundation
import Testing
@testable import Lessons

@Suite struct NonFiniteTests {
    /// The run of one chapter holding `fence`, and its only step.
    func run(_ fence: String) throws -> (record: RunRecord, step: StepRecord) {
        let record = try runLessons(try makeLessons(["01-test.md": chapter(fence)]))
        return (record, try #require(record.steps.first))
    }

    func json(_ record: RunRecord) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(record.json().utf8)) as? [String: Any])
    }

    func values(_ step: [String: Any]) -> [String: Any] {
        Dictionary(uniqueKeysWithValues: (step["values"] as? [[String: Any]] ?? []).compactMap { value in
            (value["name"] as? String).map { ($0, value["value"] ?? NSNull()) }
        })
    }

    @Test func logOfMinusOneFailsAndSaysWhyEverywhere() throws {
        let (record, step) = try run("backward\nexpr: log(a)\na: -1\n")
        #expect(step.status == .failed)
        let error = try #require(step.error)
        #expect(error.message == "log(a) is NaN: log of -1 is undefined (log needs a positive number)")
        #expect(error.location.line == 5 && error.location.column == 1)
        #expect(number(step, "out")?.isNaN == true)
        #expect(number(step, "grad.a") == -1)  // d log(a)/da = 1/a is still a number
        #expect(step.checks.map(\.name) == ["finite", "out"] && step.checks.allSatisfy { !$0.passed })

        let text = TerminalRenderer(colour: false).render(record)
        #expect(text.contains("#2    log(a)        NaN   1.0000"))
        #expect(text.contains("FAILED \(error.location): error: in step 'backward': log(a) is NaN: log of -1 is undefined"))
        #expect(text.contains("The gradient of a is not checked: the expression is not finite within 10h of this input"))

        let stepJSON = try #require(jsonSteps(try json(record)).first)
        #expect(values(stepJSON)["out"] as? String == "NaN")
        #expect(values(stepJSON)["grad.a"] as? Double == -1)
        let checks = try #require(stepJSON["checks"] as? [[String: Any]])
        #expect(checks.first?["name"] as? String == "finite" && checks.first?["actual"] as? String == "NaN")

        let html = HTMLRenderer().render(record)
        #expect(html.contains("log(a) is NaN: log of -1 is undefined"))
        #expect(html.contains("<li class=\"broke\">finite = NaN"))
        #expect(html.contains("<td class=\"num\">NaN</td>") && html.contains(">data NaN</text>"))
    }

    @Test func oneOverZeroFailsAndSaysWhyEverywhere() throws {
        let (record, step) = try run("backward\nexpr: 1/a\na: 0\n")
        #expect(step.status == .failed)
        #expect(step.error?.message == "1 / a is inf: division by zero (a is 0)")
        #expect(number(step, "out") == .infinity && number(step, "grad.a") == -.infinity)

        let text = TerminalRenderer(colour: false).render(record)
        #expect(text.contains("#3    1 / a        inf  1.0000") && text.contains("a     input     0.0000    -inf"))

        let stepJSON = try #require(jsonSteps(try json(record)).first)
        #expect(values(stepJSON)["out"] as? String == "Infinity")
        #expect(values(stepJSON)["grad.a"] as? String == "-Infinity")

        let html = HTMLRenderer().render(record)
        #expect(html.contains("1 / a is inf: division by zero (a is 0)") && html.contains("<li class=\"broke\">out = inf"))
    }

    @Test func forwardSaysSoToo() throws {
        let (_, step) = try run("forward\nexpr: 2 * log(a - 1)\na: 1\n")
        #expect(step.error?.message == "log(#2) is -inf: log of 0 is minus infinity")
    }

    @Test func aNaNInsideTheGraphFailsEvenWhenTheOutputIsANumber() throws {
        let (_, step) = try run("backward\nexpr: relu(log(a))\na: -1\n")
        #expect(number(step, "out") == 0)  // relu(NaN) is 0
        #expect(step.status == .failed && step.error?.message == "log(a) is NaN: log of -1 is undefined (log needs a positive number)")
    }

    @Test func aGradientThatIsNotFiniteNamesTheNodeThatReadsIt() throws {
        let (_, step) = try run("backward\nexpr: a^0.5\na: 0\n")
        #expect(number(step, "out") == 0 && number(step, "grad.a") == .infinity)
        #expect(step.error?.message == "the gradient of a is inf: the derivative of a^0.5 with respect to a at a = 0 is not a finite number")
    }

    @Test func expectationsNeverHoldAgainstNaNOrInfinity() {
        var report = StepReport()
        report.check("out", Double.nan)
        report.check("big", Double.infinity)
        let here = SourceLocation(file: "f", line: 1, column: 1)
        for (name, expected) in [("out", ExpectedValue.number(.nan, tolerance: 0)), ("out", .number(1, tolerance: .infinity)),
                                 ("out", .text("NaN")), ("big", .number(.infinity, tolerance: 0)), ("big", .text("inf"))] {
            let check = LessonRunner.check(Expectation(name: name, expected: expected, location: here), against: report)
            #expect(!check.passed, "\(name) = \(expected)")
        }
        // Every number a step reports must be finite, whatever the chapter expects.
        #expect(LessonRunner.finiteValues(report).map(\.message) == ["out is NaN, not a finite number", "big is inf, not a finite number"])
    }

    @Test func anExpectationWrittenAgainstNaNFailsTheStep() throws {
        let (_, step) = try run("forward\nexpr: log(a)\na: -1\nexpect out = nan\n")
        #expect(step.status == .failed)
        #expect(step.checks.last.map { $0.kind == .expectation && !$0.passed } == true)
    }

    @Test func inputsAndNumbersInExpressionsMustBeFinite() throws {
        #expect(try run("forward\nexpr: a\na: nan\n").step.error?.message == "input 'a' must be finite")
        #expect(try run("forward\nexpr: a * 1e999\na: 1\n").step.error?.message == "parameter 'expr': '1e999' is too large for a Double")
    }

    @Test func numberFormatsNameNaNAndInfinity() {
        #expect(NumberFormat.short(.nan) == "NaN" && NumberFormat.full(.nan) == "NaN")
        #expect(NumberFormat.short(.infinity) == "inf" && NumberFormat.full(-.infinity) == "-inf")
    }
}
