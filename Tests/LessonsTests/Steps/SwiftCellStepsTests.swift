// Swift cells inside chapters: parsed from ```swift run fences, run in order with what the cells
// above defined, failing alone at the Markdown's line and column, and checked like any step.
import Foundation
import Testing
import TestSupport
@testable import Lessons

/// `runLessons` off the concurrency pool: Swift cells compile for seconds (see `offThePool`).
func runLessonsOffThePool(_ directory: String) async throws -> RunRecord {
    try await offThePool { try runLessons(directory) }
}

@Suite struct SwiftCellStepsTests {
    static let chapterText = """
        # Swift cells

        ```swift run
        let tape = Tape()
        let a = Value(2, on: tape, label: "a")
        let out = (a * a + 1).named("out")
        out.backward()
        print("out =", out.data)
        expect("out", out.data, equals: 5)
        ```

        This one does not compile.

        ```swift run
        let broken = a * missingValue
        ```

        This one uses the first cell, not the broken one, and so it runs.

        ```swift run
        show(table: [a, out])
        expect("grad.a", a.grad, equals: 4, within: 1e-12)
        expect("wrong on purpose", a.grad, equals: 5)
        ```

        ```swift run
        print(broken.data)
        ```

        A plain Swift block is only shown:

        ```swift
        let notRun = 1
        ```
        """

    @Test func cellsRunInOrderAndFailAloneAtTheirLine() async throws {
        let lessons = try makeLessons(["01-cells.md": Self.chapterText])
        let record = try await runLessonsOffThePool(lessons)
        let steps = record.steps
        try #require(steps.count == 4)
        #expect(steps.allSatisfy { $0.id == "swift" })

        #expect(steps[0].status == .passed)
        guard case .code(let code)? = steps[0].outputs.first else { Issue.record("no code output first"); return }
        #expect(code.firstLine == 4)
        #expect(code.lines.first == "let tape = Tape()")
        #expect(steps[0].outputs.contains(.console("out = 5.0\n")))
        #expect(steps[0].checks.map(\.passed) == [true])
        #expect(steps[0].cost != nil)

        #expect(steps[1].status == .failed)
        #expect(steps[1].error?.location.line == 15)
        #expect(steps[1].error?.location.column == 18)
        #expect(steps[1].error?.message.contains("missingValue") == true)

        #expect(steps[2].status == .failed)
        #expect(steps[2].checks.map(\.passed) == [true, false])
        #expect(steps[2].error?.location.line == 23)
        #expect(steps[2].error?.message.contains("expected wrong on purpose = 5, got 4") == true)
        #expect(steps[2].outputs.contains { if case .table = $0 { true } else { false } })

        // The broken cell defined nothing, so the cell that reads it does not compile.
        #expect(steps[3].status == .failed)
        #expect(steps[3].error?.message.contains("cannot find 'broken' in scope") == true)
    }

    @Test func theSameChapterGivesTheSameOutputEveryRun() async throws {
        let lessons = try makeLessons(["01-cells.md": Self.chapterText])
        let first = try await runLessonsOffThePool(lessons), second = try await runLessonsOffThePool(lessons)
        var withoutCosts = first
        for (c, chapter) in second.chapters.enumerated() {
            for (s, segment) in chapter.segments.enumerated() {
                guard case .step(var step) = segment, case .step(let original) = first.chapters[c].segments[s] else { continue }
                step.cost = original.cost
                withoutCosts.chapters[c].segments[s] = .step(step)
            }
        }
        #expect(withoutCosts == first)
        #expect(second.steps.allSatisfy { $0.cost?.cached == true || $0.status == .failed })
    }

    @Test func theRecordSaysWhatEachCellCost() async throws {
        let lessons = try makeLessons(["01-cells.md": "# Cost\n\n```swift run\nprint(1)\n```\n"])
        let record = try await runLessonsOffThePool(lessons)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(record.json().utf8)) as? [String: Any])
        let cost = try #require(jsonSteps(json).first?["cost"] as? [String: Any])
        #expect(cost["cached"] as? Bool != nil)
        #expect((cost["runSeconds"] as? Double ?? -1) > 0)
        // Run again: the same cell against the same build comes from the cache.
        let again = try #require(try await runLessonsOffThePool(lessons).steps.first)
        #expect(again.cost?.cached == true)
        #expect(again.cost?.compileSeconds == 0)
    }

    @Test func aSwiftRunFenceTakesNothingElseOnItsLine() async throws {
        let lessons = try makeLessons(["01-cells.md": "# Fence\n\n```swift run fast\nprint(1)\n```\n"])
        let record = try await runLessonsOffThePool(lessons)
        let error = try #require(record.steps.first?.error)  // the cell fails; the chapter reads on
        #expect(error.message == "unexpected text after 'swift run' in the fence")
        #expect(error.location.line == 3)
    }
}

@Suite struct SwiftCellErrorTests {
    @Test func aNameDeclaredAgainIsTheLaterCellsError() async throws {
        let text = "# Twice\n\n```swift run\nlet tape = Tape()\nprint(tape.count)\n```\n\n```swift run\nlet tape = Tape()\n```\n"
        let steps = try await runLessonsOffThePool(try makeLessons(["01-twice.md": text])).steps
        try #require(steps.count == 2)
        #expect(steps[0].status == .passed)
        #expect(steps[1].error?.location.line == 9, "\(String(describing: steps[1].error))")
        #expect(steps[1].error?.message.contains("redeclaration") == true, "\(String(describing: steps[1].error))")
    }

    @Test func aModuleCellsCannotImportSaysWhichTheyCan() async throws {
        let text = "# Import\n\n```swift run\nimport Lessons\nprint(1)\n```\n"
        let step = try #require(try await runLessonsOffThePool(try makeLessons(["01-import.md": text])).steps.first)
        #expect(step.status == .failed)
        #expect(step.error?.hint?.contains("Autograd, GPT and Cells") == true, "\(String(describing: step.error))")
    }
}
