// Mistakes that used to pass silently are warnings at their place: near misses of a step fence,
// and raw HTML the walkthrough leaves out. Real languages and HTML comments are not warned about.
import Testing
@testable import Lessons

@Suite struct ChapterWarningsTests {
    func warnings(_ body: String) throws -> [LessonError] {
        try ChapterParser.parse("# T\n\n" + body, file: "x.md", number: 1, slug: "x").diagnostics
    }

    @Test(arguments: [("stpe forward", "```step forward"), ("Step forward", "```step forward"), ("steps", "```step forward"),
                      ("quizz", "```quiz"), ("excercise", "```exercise"), ("swift-run", "```swift run"),
                      ("swiftrun", "```swift run"), ("Swift run", "```swift run")])
    func nearMissesOfAStepFenceAreWarnings(_ info: String, meant: String) throws {
        let found = try warnings("```\(info)\nexpr: a\n```\n")
        let warning = try #require(found.first)
        #expect(found.count == 1 && warning.severity == .warning)
        #expect(warning.location == SourceLocation(file: "x.md", line: 3, column: 1))
        #expect(warning.description.hasPrefix("x.md:3:1: warning: this fence opens with '\(info.split(separator: " ")[0])'"))
        #expect(warning.hint?.hasPrefix("did you mean \(meant)?") == true, "\(String(describing: warning.hint))")
    }

    @Test(arguments: ["swift", "text", "tex", "sh", "json", "console", "diff", ""])
    func realLanguagesAreNotWarnedAbout(_ info: String) throws {
        #expect(try warnings("```\(info)\nlet x = 1\n```\n").isEmpty)
    }

    @Test func rawHTMLIsAWarningOncePerLineAndCommentsAreNot() throws {
        let found = try warnings("<details>\n<summary>s</summary>\n</details>\n\nA <kbd>b</kbd> c.\n\n<!-- a note -->\n")
        #expect(found.map(\.location.line) == [3, 7])
        #expect(found.allSatisfy { $0.severity == .warning && $0.message.contains("left out of the walkthrough") })
        #expect(found.first?.message.contains("(<details>)") == true)
    }

    /// Warnings are counted but do not fail a run; they show in the terminal and the walkthrough.
    @Test func warningsAreReportedWithoutFailingTheRun() throws {
        let record = try runLessons(try makeLessons(["01-w.md": chapter("forward\nexpr: a\na: 1\n") + "\n```stpe forward\n```\n"]))
        #expect(record.succeeded && record.warnings == 1)
        #expect(record.summary == "1 step passed in 1 chapter, 1 warning")
        #expect(TerminalRenderer(colour: true).render(record).contains("\u{1B}[33m"))
        let html = HTMLRenderer().render(record)
        #expect(html.contains("<div class=\"warning-box\"><strong>Warnings</strong>") && html.contains("this fence opens with &#39;stpe&#39;"))
    }
}
