// The notebook's reactive core without HTTP: an edit re-runs its cell and exactly the cells that
// read what it changed, long cells wait for Run, and with the chapter's own values every cell
// holds what `gpt run` records.
import Foundation
import Testing
@testable import Lessons
@testable import Notebook

/// A small chapter: an expression, then a dataset, a model, its attention, training, a continuation.
let smallChapter = """
# A small chapter

Prose before.

```step backward
expr: a*b + c
a: 2
b: -3
c: 10
expect out = 4
```

The data.

```step dataset
path: Dataset/logs_5000.txt
```

```step model
n_embd: 8
n_head: 2
n_layer: 1
block_size: 96
```

```step attention
line: disk full -> ERROR
```

```step train
steps: 5
```

```step complete
line: disk full
```

"""

/// Runs every cell that can run, as a session's worker does.
func settle(_ timeline: inout Timeline, on runner: CellRunner) {
    while let plan = timeline.nextRun() {
        timeline.complete(plan, runner.run(plan, observe: { _ in true }))
    }
}

func ids(_ timeline: Timeline) -> [String: Int] {
    var result: [String: Int] = [:]
    for id in timeline.order { result[timeline.cells[id]!.invocation.id] = id }
    return result
}

@Suite struct TimelineTests {
    let lessons: String
    let runner: LessonRunner

    init() throws {
        lessons = try makeNotebookLessons(["01-small.md": smallChapter])
        runner = LessonRunner(lessonsDirectory: lessons)
    }

    func settled() throws -> Timeline {
        var timeline = Timeline(runner: runner, sources: try runner.chapters())
        settle(&timeline, on: CellRunner(runner: runner))
        return timeline
    }

    @Test func theFirstRunIsWhatGptRunRecords() throws {
        let timeline = try settled()
        let expected = runner.run(try runner.chapters()).steps
        let got = timeline.order.compactMap { timeline.cells[$0]?.record }
        #expect(got.count == 6)
        #expect(got == expected)
        #expect(timeline.order.allSatisfy { timeline.cells[$0]?.freshness == .fresh })
    }

    @Test func anEditedExpressionReRunsOnlyItself() throws {
        var timeline = try settled()
        let cell = ids(timeline)
        let before = timeline.cells
        try timeline.setParameters(cell["backward"]!, [("a", "5")])
        #expect(timeline.cells[cell["backward"]!]?.freshness == .stale)
        settle(&timeline, on: CellRunner(runner: runner))
        let backward = try #require(timeline.cells[cell["backward"]!]?.record)
        #expect(backward.values.first { $0.name == "out" }?.value == .number(-5))  // 5 * -3 + 10
        #expect(backward.status == .failed)  // the chapter expects 4
        for name in ["dataset", "model", "attention", "train", "complete"] {
            #expect(timeline.cells[cell[name]!] == before[cell[name]!], "\(name) must not run again")
        }
    }

    @Test func aModelEditReRunsItsReadersAndLeavesTrainingStale() throws {
        var timeline = try settled()
        let cell = ids(timeline)
        let attentionBefore = try #require(timeline.cells[cell["attention"]!]?.record)
        try timeline.setParameters(cell["model"]!, [("n_embd", "16")])
        settle(&timeline, on: CellRunner(runner: runner))
        #expect(timeline.cells[cell["model"]!]?.freshness == .fresh)
        #expect(number(timeline.cells[cell["model"]!]!.record!, "parameters") != number(attentionBefore, "parameters"))
        let attention = try #require(timeline.cells[cell["attention"]!])
        #expect(attention.freshness == .fresh)
        #expect(attention.record != attentionBefore)
        #expect(timeline.cells[cell["train"]!]?.freshness == .stale)
        #expect(timeline.cells[cell["train"]!]?.staleReason?.contains("waits for Run") == true)
        #expect(timeline.cells[cell["complete"]!]?.freshness == .stale)
        #expect(timeline.cells[cell["complete"]!]?.staleReason?.contains("'train'") == true)
        #expect(timeline.cells[cell["backward"]!]?.revision == (try settled()).cells[cell["backward"]!]?.revision)

        try timeline.requestRun(cell["complete"]!)  // runs the training it waits for, then itself
        settle(&timeline, on: CellRunner(runner: runner))
        #expect(timeline.order.allSatisfy { timeline.cells[$0]?.freshness == .fresh })
    }

    @Test func theSameValuesGiveTheSameOutputsAsTheChapter() throws {
        let first = try settled()
        var timeline = first
        let cell = ids(timeline)
        try timeline.setParameters(cell["model"]!, [("n_embd", "16")])
        try timeline.requestRun(cell["complete"]!)
        settle(&timeline, on: CellRunner(runner: runner))
        try timeline.reset(cell["model"]!)
        try timeline.requestRun(cell["complete"]!)
        settle(&timeline, on: CellRunner(runner: runner))
        #expect(timeline.order.map { timeline.cells[$0]?.record } == first.order.map { first.cells[$0]?.record })
    }

    @Test func anInvalidValueIsRefusedWithCheckMessage() throws {
        var timeline = try settled()
        let cell = ids(timeline)
        #expect(throws: NotebookError.self) { try timeline.setParameters(cell["model"]!, [("n_layer", "0")]) }
        do {
            try timeline.setParameters(cell["model"]!, [("n_layer", "zero")])
        } catch {
            #expect(error.status == 422)
            #expect(error.parameter == "n_layer")
            #expect(error.message == "parameter 'n_layer' must be a whole number, not 'zero'")
        }
        #expect(timeline.cells[cell["model"]!]?.freshness == .fresh)  // nothing changed
    }

    @Test func addedAndRemovedCells() throws {
        var timeline = try settled()
        let cell = ids(timeline)
        let added = try timeline.addCell(step: "backward", chapter: 1, after: cell["attention"]!, values: [("expr", "x*x"), ("x", "3")])
        settle(&timeline, on: CellRunner(runner: runner))
        let record = try #require(timeline.cells[added]?.record)
        #expect(record.values.first { $0.name == "grad.x" }?.value == .number(6))
        #expect(timeline.cells[cell["train"]!]?.freshness == .fresh)  // it reads nothing the new cell wrote

        try timeline.removeCell(cell["model"]!)  // the attention below now runs on the default model
        settle(&timeline, on: CellRunner(runner: runner))
        #expect(timeline.cells[cell["model"]!] == nil)
        #expect(timeline.cells[cell["attention"]!]?.freshness == .fresh)
        #expect(timeline.cells[cell["train"]!]?.freshness == .stale)
    }

    @Test func aChapterEditedOnDiskKeepsTheLearnersValues() throws {
        var timeline = try settled()
        let cell = ids(timeline)
        try timeline.setParameters(cell["backward"]!, [("b", "4")])
        settle(&timeline, on: CellRunner(runner: runner))
        let changed = smallChapter.replacingOccurrences(of: "c: 10", with: "c: 1").replacingOccurrences(of: "Prose before.", with: "New prose.")
        try changed.write(toFile: lessons + "/01-small.md", atomically: true, encoding: .utf8)
        timeline.reload(try runner.chapters()[0])
        settle(&timeline, on: CellRunner(runner: runner))
        let backward = try #require(timeline.order.first.flatMap { timeline.cells[$0] })
        #expect(backward.invocation.parameter("b")?.value == "4")  // the learner's
        #expect(backward.invocation.parameter("c")?.value == "1")  // the teacher's
        #expect(backward.record?.values.first { $0.name == "out" }?.value == .number(9))
        let train = try #require(timeline.order.compactMap { timeline.cells[$0] }.first { $0.invocation.id == "train" })
        #expect(train.freshness == .fresh)  // untouched by the edit: not trained again
        #expect(timeline.chapters[0].segments.first == .prose("# A small chapter\n\nNew prose.\n"))
    }
}

@Suite struct NamedInputTests {
    @Test func anInputCanBeAddedAndTakenOut() throws {
        let lessons = try makeNotebookLessons(["01-small.md": smallChapter])
        let runner = LessonRunner(lessonsDirectory: lessons)
        var timeline = Timeline(runner: runner, sources: try runner.chapters())
        settle(&timeline, on: CellRunner(runner: runner))
        let id = try #require(ids(timeline)["backward"])
        try timeline.setParameters(id, [("expr", "a*b + c + d"), ("d", "100")])
        settle(&timeline, on: CellRunner(runner: runner))
        #expect(timeline.cells[id]?.record?.values.first { $0.name == "out" }?.value == .number(104))
        #expect(timeline.cells[id]?.invocation.parameters.map(\.name) == ["expr", "a", "b", "c", "d"])
        try timeline.setParameters(id, [("expr", "a*b + c"), ("d", "")])
        #expect(timeline.cells[id]?.invocation.parameters.map(\.name) == ["expr", "a", "b", "c"])
    }
}

@Suite struct SwiftCellTimelineTests {
    @Test func newCodeReachesOnlySwiftCellsAndSurvivesAChapterEditedOnDisk() throws {
        let lessons = try makeNotebookLessons(["01-swift.md": swiftChapter])
        let runner = LessonRunner(lessonsDirectory: lessons)
        var timeline = Timeline(runner: runner, sources: try runner.chapters())
        settle(&timeline, on: CellRunner(runner: runner))
        let (first, step, second) = (timeline.order[0], timeline.order[1], timeline.order[2])
        try timeline.setCode(first, "let a = 4.0\r\n", maxBytes: 1024)
        #expect(timeline.cells[first]?.invocation.code == "let a = 4.0\n")
        #expect(timeline.cells[second]?.dirty == true)  // it reads what the Swift cells above define
        #expect(timeline.cells[step]?.dirty == false)
        settle(&timeline, on: CellRunner(runner: runner))

        let changed = swiftChapter.replacingOccurrences(of: "twice", with: "double")
        try changed.write(toFile: lessons + "/01-swift.md", atomically: true, encoding: .utf8)
        timeline.reload(try runner.chapters()[0])
        settle(&timeline, on: CellRunner(runner: runner))
        let cells = timeline.order.compactMap { timeline.cells[$0] }
        #expect(cells[0].invocation.code == "let a = 4.0\n")  // the learner's
        #expect(cells[2].invocation.code == "print(\"double\", a * 2)")  // the teacher's
        #expect(cells[2].record?.outputs.contains(.console("double 8.0\n")) == true, "\(cells[2].record?.outputs ?? [])")
    }
}
