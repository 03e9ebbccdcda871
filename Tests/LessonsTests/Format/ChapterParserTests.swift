// Parsing chapters: steps with their positions, parameters and expectations, and every format
// error with its file:line:column.
import Foundation
import Testing
@testable import Lessons

@Suite struct ChapterParserTests {
    let text = """
    # Values and operations

    Prose with `code`.

    ```step forward
    expr: a * b
    # a comment
    a: 2
      b: -3
    expect out = -6
    expect nodes = 3 ± 0.5
    expect name = "quoted text"
    ```

    ```swift
    let notAStep = 1
    ```

    ```step backward
    expr: tanh(a)
    a: 1
    ```
    """

    @Test func findsTitleProseAndSteps() throws {
        let chapter = try ChapterParser.parse(text, file: "01-values.md", number: 1, slug: "values")
        #expect(chapter.title == "Values and operations")
        #expect(chapter.steps.map(\.id) == ["forward", "backward"])
        #expect(chapter.segments.count == 4)  // prose, step, prose with the swift block, step
        if case .prose(let prose) = chapter.segments[2] { #expect(prose.contains("let notAStep")) } else { Issue.record("expected prose") }
    }

    @Test func recordsPositionsOfStepsParametersAndExpectations() throws {
        let step = try #require(try ChapterParser.parse(text, file: "01-values.md", number: 1, slug: "values").steps.first)
        #expect(step.location == SourceLocation(file: "01-values.md", line: 5, column: 1))
        #expect(step.idLocation.column == 9)
        #expect(step.parameters.map(\.name) == ["expr", "a", "b"])
        #expect(step.parameters.map(\.value) == ["a * b", "2", "-3"])
        #expect(step.parameter("b")?.location == SourceLocation(file: "01-values.md", line: 9, column: 3))
        #expect(step.parameter("expr")?.valueLocation.column == 7)
        #expect(step.expectations.map(\.name) == ["out", "nodes", "name"])
        #expect(step.expectations[0].expected == .number(-6, tolerance: 0))
        #expect(step.expectations[1].expected == .number(3, tolerance: 0.5))
        #expect(step.expectations[2].expected == .text("quoted text"))
        #expect(step.expectations[1].location.line == 11)
    }

    /// Every problem the parser records: the chapter's own, then each step's, in file order.
    static func problems(_ chapter: Chapter) -> [LessonError] {
        (chapter.diagnostics + chapter.steps.flatMap(\.parseErrors))
            .sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
    }

    @Test(arguments: [
        ("# T\n\n```step\n```\n", 3, 1, "names no step"),
        ("# T\n\n```step forward extra\n```\n", 3, 1, "unexpected text"),
        ("# T\n\n```step forward\nexpr a\n```\n", 4, 1, "expected 'key: value'"),
        ("# T\n\n```step forward\na: 1\na: 2\n```\n", 5, 1, "given twice"),
        ("# T\n\n```step forward\nexpect out 3\n```\n", 4, 1, "needs '='"),
        ("# T\n\n```step forward\nexpect out = x ± 1\n```\n", 4, 1, "number ± tolerance"),
        ("# T\n\n- item\n\n  ```step forward\n  ```\n", 5, 3, "inside a list"),
        ("# T\n\n```step forward\nexpect out == 6\n```\n", 4, 12, "one '=', not '=='"),
        ("# T\n\n```step forward\n  expect out = 6 +/- 0.1\n```\n", 4, 18, "'+/-' is not a tolerance"),
    ])
    func formatErrorsNameTheirPlace(_ text: String, line: Int, column: Int, message: String) throws {
        let chapter = try ChapterParser.parse(text, file: "x.md", number: 1, slug: "x")
        let error = try #require(Self.problems(chapter).first)
        #expect(Self.problems(chapter).count == 1)
        #expect(error.location == SourceLocation(file: "x.md", line: line, column: column))
        #expect(error.description.contains(message) && error.description.hasPrefix("x.md:\(line):\(column): error:"), "\(error)")
    }

    @Test func aChapterWithoutAHeadingIsAnError() {
        #expect {
            _ = try ChapterParser.parse("no heading here\n", file: "x.md", number: 1, slug: "x")
        } throws: { error in
            (error as? LessonError)?.description.hasPrefix("x.md:1:1: error: the chapter has no heading") == true
        }
    }

    /// A broken line used to stop the whole chapter at the first problem; now the parser records
    /// each on its step and reads on, so one check lists them all, each at its own line.
    @Test func everyProblemOfAChapterIsRecordedInOneParse() throws {
        let text = """
        # T

        ```step forward
        expr: a
        a 1
        expect out == 1
        a: 2
        ```

        - ```step backward
          ```

        ```step
        ```

        ```step backward
        expr: a
        a: 1
        ```
        """
        let chapter = try ChapterParser.parse(text, file: "x.md", number: 1, slug: "x")
        #expect(Self.problems(chapter).map { "\($0.location.line):\($0.location.column)" } == ["5:1", "6:12", "10:3", "13:1"])
        #expect(chapter.steps.map(\.id) == ["forward", "", "backward"])
        #expect(chapter.steps[0].parameters.map(\.name) == ["expr", "a"])  // the lines it could read are kept
        #expect(chapter.steps[2].parseErrors.isEmpty)
        // The runner fails the broken steps with their errors and runs the rest.
        let record = try runLessons(try makeLessons(["01-t.md": text]))
        #expect(record.steps.map(\.status) == [.failed, .failed, .passed])
        #expect(record.steps[0].errors.map(\.location.line) == [5, 6])
        #expect(record.failed == 3)  // two steps, and the step nested in a list
    }

    /// ± and +- stay the tolerance; quoted text is text, whatever it holds.
    @Test func tolerancesAndQuotedTextStillRead() throws {
        let text = "# T\n\n```step forward\nexpect a = 1 ± 0.5\nexpect b = 1 +- 0.5\nexpect c = \"= 6 +/- 1\"\n```\n"
        let step = try #require(try ChapterParser.parse(text, file: "x.md", number: 1, slug: "x").steps.first)
        #expect(step.parseErrors.isEmpty)
        #expect(step.expectations.map(\.expected) == [.number(1, tolerance: 0.5), .number(1, tolerance: 0.5), .text("= 6 +/- 1")])
    }

    @Test func chapterFilesAreOrderedByNumberAndClashesAreErrors() throws {
        let lessons = try makeLessons(["10-b.md": "# B\n", "02-a.md": "# A\n", "README.md": "# Not a chapter\n"])
        let files = try ChapterParser.chapterFiles(in: lessons)
        #expect(files.map(\.slug) == ["a", "b"])
        let clash = try makeLessons(["01-a.md": "# A\n", "1-b.md": "# B\n"])
        #expect(throws: LessonError.self) { try ChapterParser.chapterFiles(in: clash) }
    }

    @Test func suggestionsFindCloseNames() {
        #expect(Suggestions.closest(to: "forwrd", among: ["forward", "backward", "train"]) == ["forward"])
        #expect(Suggestions.hint(for: "zzz", among: ["a", "b"], kind: "step") == "valid steps: a, b")
        // No edit distance between names too long to be typos: it takes the product of their lengths.
        let long = String(repeating: "a", count: 100_000)
        #expect(Suggestions.closest(to: long, among: [long + "b"]).isEmpty)
    }

    /// Prose that nested 100,000 levels crashed every command on the whole folder; now the
    /// chapter fails at the first node too deep, and the others run (see LessonRunnerTests).
    @Test(arguments: [
        (String(repeating: "> ", count: 100_000) + "deep\n", 3, 201),
        (String(repeating: "*", count: 100_000) + "deep" + String(repeating: "*", count: 100_000) + "\n", 3, 1),
        (String(repeating: "- ", count: 100_000) + "deep\n", 3, 101),
        (String(repeating: "1. ", count: 100_000) + "deep\n", 3, 151),
    ])
    func deeplyNestedProseFailsInPlace(_ prose: String, line: Int, column: Int) {
        #expect {
            _ = try ChapterParser.parse("# Deep\n\n" + prose, file: "x.md", number: 1, slug: "x")
        } throws: { error in
            guard let error = error as? LessonError else { return false }
            return error.location == SourceLocation(file: "x.md", line: line, column: column)
                && error.message == "the Markdown here nests more than 100 levels deep"
                && error.hint?.contains("nest at most 100 levels") == true
        }
    }

    /// 98 quotes around a paragraph's text are 100 levels: the most a chapter may have.
    @Test func proseMayNestUpToTheLimit() throws {
        let quotes = { (n: Int) in "# Q\n\n" + String(repeating: "> ", count: n) + "text\n" }
        #expect(try ChapterParser.parse(quotes(98), file: "x.md", number: 1, slug: "x").title == "Q")
        #expect(throws: LessonError.self) { try ChapterParser.parse(quotes(99), file: "x.md", number: 1, slug: "x") }
    }

    /// 100,000 parameters took over a minute (a linear search for duplicates on every line);
    /// now parsing is linear.
    @Test func aStepOfManyLinesParsesInLinearTime() throws {
        let body = (0..<100_000).map { "p\($0): 1" }.joined(separator: "\n")
        let start = Date()
        let chapter = try ChapterParser.parse("# T\n\n```step forward\nexpr: a\n" + body + "\n```\n", file: "x.md", number: 1, slug: "x")
        let seconds = Date().timeIntervalSince(start)
        print("100,000 parameters parsed in \(String(format: "%.2f", seconds)) s")
        #expect(chapter.steps.first?.parameters.count == 100_001)
        #expect(chapter.steps.first?.parameter("p99999")?.location.line == 100_004)
        #expect(seconds < 20)
        let twice = try ChapterParser.parse("# T\n\n```step forward\n" + body + "\np5: 2\n```\n", file: "x.md", number: 1, slug: "x")
        let error = try #require(twice.steps.first?.parseErrors.first)
        #expect(error.location.line == 100_004 && error.hint?.contains("the other is at line 9") == true)
    }

    /// cmark ends lines at LF, CRLF and a lone CR; so does the parser, so a chapter saved with
    /// any of them has the same steps at the same places.
    @Test(arguments: ["\r\n", "\r"])
    func everyLineEndingGivesTheSameChapter(_ ending: String) throws {
        let unix = try ChapterParser.parse(text, file: "x.md", number: 1, slug: "x")
        let other = try ChapterParser.parse(text.replacingOccurrences(of: "\n", with: ending), file: "x.md", number: 1, slug: "x")
        #expect(other.steps == unix.steps)
        #expect(other.segments.count == unix.segments.count)
    }

    /// NUL bytes, an unterminated fence and a fence at the very end parse without trapping.
    @Test func oddTextParses() throws {
        let nul = try ChapterParser.parse("# T\0itle\n\n```step forward\nexpr: a\0\na: 1\n```\n", file: "x.md", number: 1, slug: "x")
        #expect(nul.steps.first?.parameter("expr")?.value == "a\u{FFFD}")  // cmark's replacement for NUL
        #expect(nul.title == "T\u{FFFD}itle")
        let open = try ChapterParser.parse("# T\n\n```step forward\nexpr: a\na: 1", file: "x.md", number: 1, slug: "x")
        #expect(open.steps.first?.parameters.count == 2)
        #expect(try ChapterParser.parse("# T\n```step forward", file: "x.md", number: 1, slug: "x").steps.count == 1)
    }

    @Test func aTitleShowsItsControlCharacters() throws {
        let chapter = try ChapterParser.parse("# Red \u{1B}[31mtitle\n", file: "x.md", number: 1, slug: "x")
        #expect(chapter.title == "Red \\u{1B}[31mtitle")
    }
}
