// `gpt check --update` on chapters in a temporary folder: failed expectations take the observed
// values at their tolerance's digits, tolerances and every other byte stay, the chapter then
// passes, a passing chapter is never written, and what cannot be rewritten is named.
import Foundation
import Testing
@testable import Lessons

@Suite struct ExpectationUpdaterTests {
    /// A chapter with CRLF line breaks, a comment, odd spacing, a `+-` tolerance, an exact value,
    /// a text and a passing expectation: only the three wrong values may change.
    static let wrong = "# Update me\r\n\r\nProse with 0.5 in it.\r\n\r\n```step forward\r\n"
        + "# the first neuron\r\nexpr: tanh(a * b)\r\na: 0.5\r\nb: 2\r\n"
        + "expect out   =  0.5 +-   1e-4\r\n"
        + "expect nodes = 7\r\n"
        + "```\r\n\r\n```step backward\r\nexpr: a * b\r\na: 2\r\nb: -3\r\n"
        + "expect grad.a = -3 ± 1e-9\r\n"
        + "expect out = -5\r\n"
        + "```\r\n\r\n```quiz\r\nquestion: Is it?\r\nchoices: yes | no\r\nanswer: yes\r\nexpect answer = \"no\"\r\n```\r\n"

    @Test func failedExpectationsTakeTheObservedValuesAndTheChapterThenPasses() throws {
        let folder = try makeLessons(["01-update.md": Self.wrong])
        let file = folder + "/01-update.md"
        let record = try runLessons(folder)
        #expect(!record.succeeded)
        let applied = try ExpectationUpdater.apply(record)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let expected = Self.wrong
            .replacingOccurrences(of: "expect out   =  0.5 +-   1e-4", with: "expect out   =  0.76159 +-   1e-4")  // tanh(1), 5 decimals
            .replacingOccurrences(of: "expect nodes = 7", with: "expect nodes = 4")
            .replacingOccurrences(of: "expect out = -5", with: "expect out = -6")
            .replacingOccurrences(of: "expect answer = \"no\"", with: "expect answer = \"yes\"")
        #expect(text == expected)
        #expect(applied.updates.count == 1)
        #expect(applied.updates[0].changes.map(\.location.line) == [10, 11, 19, 26])
        #expect(applied.fixesEverything(record), "\(applied.description)")
        #expect(applied.description.contains("\(file):10:1: updated out: 0.5 -> 0.76159"))
        #expect(applied.description.contains("@@ -10,2 +10,2 @@\n-expect out   =  0.5 +-   1e-4\n-expect nodes = 7\n+expect out   =  0.76159 +-   1e-4\n+expect nodes = 4"))
        let again = try runLessons(folder)
        #expect(again.succeeded, "\(again.steps.flatMap(\.errors))")
    }

    @Test func aChapterThatPassesIsNotWritten() throws {
        let passing = chapter("forward\nexpr: a * b\na: 2\nb: 3\nexpect out = 6\nexpect nodes = 3")
        let folder = try makeLessons(["01-ok.md": passing])
        let file = folder + "/01-ok.md"
        let old = Date(timeIntervalSince1970: 1_000_000)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: file)
        let record = try runLessons(folder)
        #expect(record.succeeded)
        let applied = try ExpectationUpdater.apply(record)
        #expect(applied.updates.isEmpty)
        #expect(applied.description == "no expectation updated")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == passing)
        let modified = try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date
        #expect(modified == old)
    }

    /// A value the step does not report, and an exercise's wrong answer (the teacher's, checked by
    /// the step itself), stay errors: nothing is written for them.
    @Test func missingValuesAndExerciseAnswersAreLeftAlone() throws {
        let text = chapter("forward\nexpr: a * b\na: 2\nb: 3\nexpect outt = 6",
                           "exercise\nquestion: a * b?\nanswer: 7\nexpr: a * b\na: 2\nb: 3")
        let folder = try makeLessons(["01-left.md": text])
        let record = try runLessons(folder)
        let applied = try ExpectationUpdater.apply(record)
        #expect(try String(contentsOfFile: folder + "/01-left.md", encoding: .utf8) == text)
        #expect(applied.updates.first?.byHand.map(\.name) == ["outt"])
        #expect(!applied.fixesEverything(record))
        let exercise = try #require(record.steps.last)
        #expect(applied.remaining(exercise).count == 1)
    }

    /// The digits a tolerance needs: one decimal past the tolerance's first digit, and in full
    /// for an exact expectation.
    @Test(arguments: [
        ("expect out = 1 ± 0.01", 0.70710678118, "expect out = 0.707 ± 0.01"),
        ("expect out = 1 ± 1e-9", 0.70710678118654757, "expect out = 0.7071067812 ± 1e-9"),
        ("expect out = 1", 0.70710678118654757, "expect out = 0.7071067811865476"),
        ("  expect out=1±0.5", -2.25, "  expect out=-2.25±0.5"),
        ("expect out = 1 ± 1e-4", 3.2e-9, "expect out = 3.20e-9 ± 1e-4"),
    ])
    func numbersAreWrittenToTheirTolerancesDigits(_ line: String, _ value: Double, _ written: String) throws {
        let column = line.prefix { $0 == " " }.count + 1
        let check = CheckRecord(name: "out", location: SourceLocation(file: "f.md", line: 1, column: column), expected: "",
                                actual: .number(value), passed: false)
        let edit = try ExpectationUpdater.expectationEdit(line, column: column, check: check, actual: .number(value), step: "forward").get()
        #expect(edit.line == written)
    }

    /// A Swift cell's `expect(..., equals: LITERAL)` gets the observed value in its literal; a
    /// call whose expected value is not a literal on its line is named for the teacher.
    @Test func swiftCellLiteralsAreRewrittenOrNamed() throws {
        func edit(_ line: String, _ actual: CheckValue, tolerance: Double = 0) -> Result<ExpectationUpdater.Edit, ExpectationUpdater.Refusal> {
            let column = (line.range(of: "expect(").map { line.distance(from: line.startIndex, to: $0.lowerBound) } ?? 0) + 1
            let check = CheckRecord(name: "g", location: SourceLocation(file: "f.md", line: 3, column: column), expected: "",
                                    actual: actual, passed: false, tolerance: tolerance)
            return ExpectationUpdater.swiftEdit(line, column: column, check: check, actual: actual)
        }
        #expect(try edit("expect(\"g\", a.grad, equals: 0.5, within: 1e-6)", .number(-0.25), tolerance: 1e-6).get().line
                == "expect(\"g\", a.grad, equals: -0.25, within: 1e-6)")
        #expect(try edit("    expect(\"n\", n, equals: 3)  // nodes", .number(4)).get().line == "    expect(\"n\", n, equals: 4)  // nodes")
        #expect(try edit("expect(\"s\", s, equals: \"ab\")", .text("abc")).get().line == "expect(\"s\", s, equals: \"abc\")")
        #expect(try edit("expect(\"x\", 1.5e-3, equals: 2e-3, within: 1e-4); expect(\"y\", 1, equals: 1)", .number(0.0015), tolerance: 1e-4).get().line
                == "expect(\"x\", 1.5e-3, equals: 0.0015, within: 1e-4); expect(\"y\", 1, equals: 1)")
        guard case .failure(let refusal) = edit("expect(\"g\", a.grad, equals: b.grad)", .number(1)) else {
            Issue.record("a variable was rewritten")
            return
        }
        #expect(refusal.reason.contains("3:1") && refusal.reason.contains("not a number literal"))
        guard case .failure = edit("expect(\"g\", a.grad,", .number(1)) else {
            Issue.record("a call over two lines was rewritten")
            return
        }
    }

    @Test func fileLinesKeepEveryLineBreak() {
        let text = "a\r\nb\nc\rd"
        var lines = FileLines(text)
        #expect(lines.text == text)
        lines.replace(2, with: "B")
        #expect(lines.text == "a\r\nB\nc\rd")
        #expect(lines.line(4) == "d" && lines.line(5) == nil)
    }
}
