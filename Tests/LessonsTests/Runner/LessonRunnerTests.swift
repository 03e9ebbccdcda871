// The runner on small lesson folders made in the test: errors in place with file:line:column and
// a hint, steps skipped when what they need failed, shared state, and deterministic records.
import Foundation
import Testing
@testable import Lessons

@Suite struct LessonRunnerTests {
    @Test func passingStepReportsOutputsValuesAndChecks() throws {
        let step = try runStep("forward\nexpr: a*b + c\na: 2\nb: -3\nc: 10\nexpect out = 4\n")
        #expect(step.status == .passed)
        #expect(step.location.line == 5 && step.index == 1 && step.chapter == 1)
        #expect(step.values.first == NamedValue(name: "out", value: .number(4)))
        #expect(step.checks.map(\.passed) == [true])
    }

    @Test func unknownStepSuggestsTheNearestId() throws {
        let step = try runStep("forwrd\nexpr: a\n")
        #expect(step.status == .failed)
        let error = try #require(step.error)
        #expect(error.location.line == 5 && error.location.column == 9)
        #expect(error.description.contains("unknown step 'forwrd'"))
        #expect(error.hint?.hasPrefix("did you mean 'forward'?") == true)
    }

    @Test func unknownParameterNamesTheValidOnes() throws {
        let step = try runStep("train\nstep: 10\n")
        let error = try #require(step.error)
        #expect(error.location.line == 6 && error.location.column == 1)
        #expect(error.message == "unknown parameter 'step'")
        #expect(error.hint?.contains("did you mean 'steps'?") == true)
    }

    @Test func illTypedParameterPointsAtTheValue() throws {
        let step = try runStep("train\nsteps: ten\n")
        let error = try #require(step.error)
        #expect(error.location.line == 6 && error.location.column == 8)
        #expect(error.message.contains("must be a whole number, not 'ten'"))
    }

    @Test func expressionSyntaxErrorPointsInsideTheValue() throws {
        let step = try runStep("forward\nexpr: a * (b + 1\na: 1\nb: 2\n")
        let error = try #require(step.error)
        #expect(error.location.line == 6 && error.location.column == 7 + 10)
    }

    @Test func missingAndUnusedInputsAreErrors() throws {
        #expect(try runStep("forward\nexpr: a * b\na: 1\n").error?.message.contains("uses 'b'") == true)
        let unused = try runStep("forward\nexpr: a\na: 1\nz: 2\n").error
        #expect(unused?.location.line == 8)
        #expect(unused?.message == "input 'z' does not appear in the expression")
    }

    @Test func failedExpectationNamesItsLineAndTheValues() throws {
        let step = try runStep("forward\nexpr: a + 1\na: 1\nexpect out = 3 ± 0.5\nexpect missing = 1\n")
        #expect(step.status == .failed)
        #expect(step.checks.map(\.passed) == [false, false])
        let error = try #require(step.error)
        #expect(error.location.line == 8)
        #expect(error.description.contains("expected out = 3 ± 0.5, got 2"))
        #expect(step.outputs.isEmpty == false)  // outputs are kept for the reader
    }

    @Test func failedBuilderSkipsDependentStepsButNotOthers() throws {
        let lessons = try makeLessons(["01-test.md": chapter(
            "dataset\npath: Dataset/no-such-file.txt\n",
            "tokenize\n",
            "forward\nexpr: a\na: 1\n")])
        let record = try runLessons(lessons)
        #expect(record.steps.map(\.status) == [.failed, .skipped, .passed])
        #expect(record.steps[0].error?.location.column == 7)
        #expect(record.steps[1].error?.message.contains("01-test.md:5:1") == true)
        #expect(!record.succeeded)
        #expect(record.summary == "1 step passed, 1 failed, 1 skipped in 1 chapter")
    }

    /// A chapter nested 100,000 levels deep, in its prose or in an expression, used to crash the
    /// run of the whole folder; now it fails in place and the chapters around it run, and every
    /// renderer shows the record.
    @Test func deepChaptersFailInPlaceAndTheOthersRun() throws {
        let deep = 100_000
        let lessons = try makeLessons([
            "01-ok.md": chapter("forward\nexpr: a * 2\na: 3\nexpect out = 6\n"),
            "02-quotes.md": "# Quotes\n\n" + String(repeating: "> ", count: deep) + "deep\n",
            "03-emphasis.md": "# Emphasis\n\n" + String(repeating: "*", count: deep) + "deep" + String(repeating: "*", count: deep) + "\n",
            "04-parentheses.md": chapter("forward\nexpr: " + String(repeating: "(", count: deep) + "a" + String(repeating: ")", count: deep) + "\na: 1\n"),
            "05-sum.md": chapter("backward\nexpr: " + Array(repeating: "a", count: deep).joined(separator: "+") + "\na: 1\n"),
            "06-ok.md": chapter("forward\nexpr: b + 1\nb: 1\nexpect out = 2\n"),
        ])
        let record = try runLessons(lessons)
        #expect(record.chapters.map { $0.error?.location.line } == [nil, 3, 3, nil, nil, nil])
        #expect(record.chapters[1].error?.description.contains("02-quotes.md:3:201: error: the Markdown here nests more than 100 levels deep") == true)
        #expect(record.steps.map(\.status) == [.passed, .failed, .failed, .passed])
        #expect(record.steps[1].error?.description.contains("04-parentheses.md:6:207: error: in step 'forward': parameter 'expr': the expression nests more than 200 levels deep") == true)
        #expect(record.steps[2].error?.message.contains("the expression has more than 1000 parts") == true)
        #expect(TerminalRenderer(colour: false).render(record).contains("FAILED: 2 steps passed, 4 failed in 6 chapters"))
        #expect(HTMLRenderer().render(record).contains("nests more than 100 levels deep"))
        #expect(try record.json().contains("nests more than 200 levels deep"))
    }

    @Test func chaptersShareStateAndRunDeterministically() throws {
        let lessons = try makeLessons([
            "01-build.md": chapter("model\nn_embd: 8\nn_head: 2\nblock_size: 80\nexpect parameters = 2480\n"),
            "02-use.md": chapter("train\nsteps: 3\n", "attention\nhead: 1\nexpect positions = 60\n"),
        ])
        let first = try runLessons(lessons), second = try runLessons(lessons)
        #expect(first.failed == 0, "\(first.steps.compactMap(\.error))")
        #expect(try first.json() == second.json())
        // The attention step used the 8-wide model chapter 1 built, not a default one.
        guard case .matrix(let matrix) = first.steps[2].outputs.first else { Issue.record("expected a heatmap"); return }
        #expect(matrix.rowLabels.count == 60)
    }

    @Test func aChapterOnItsOwnBuildsWhatItNeeds() throws {
        let lessons = try makeLessons(["04-alone.md": chapter("attention-query\nposition: 3\nexpect keys = 4\nexpect weight_sum = 1 ± 1e-12\n")])
        let record = try runLessons(lessons)
        #expect(record.failed == 0, "\(record.steps.compactMap(\.error))")
    }


    @Test func namedChapterIsFoundByNumberOrSlugWithSuggestions() throws {
        let runner = LessonRunner(lessonsDirectory: try makeLessons(["03-attention.md": "# A\n", "05-training.md": "# T\n"]))
        let chapters = try runner.chapters()
        #expect(try runner.chapter(named: "3", in: chapters).slug == "attention")
        #expect(try runner.chapter(named: "training", in: chapters).number == 5)
        #expect { try runner.chapter(named: "atention", in: chapters) } throws: {
            ($0 as? LessonError)?.hint?.hasPrefix("did you mean 'attention'?") == true
        }
    }
}
