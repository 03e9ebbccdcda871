// An `inputs` cell in the notebook: editing what it declares re-runs the expression cells below
// it that read the declared inputs, and leaves the others of the chapter alone.
import Foundation
import Testing
@testable import Lessons
@testable import Notebook

let inputsChapter = """
# Inputs

```step inputs
a: 2
b: -3
```

```step forward
expr: a * b
```

```step micrograd-reference
```

```step backward
expr: a + b
b: 1
```

"""

@Suite struct InputsTimelineTests {
    @Test func editingTheDeclaredInputsReRunsTheStepsThatReadThem() throws {
        let runner = LessonRunner(lessonsDirectory: try makeNotebookLessons(["01-inputs.md": inputsChapter]))
        var timeline = Timeline(runner: runner, sources: try runner.chapters())
        let cells = CellRunner(runner: runner)
        settle(&timeline, on: cells)
        let cell = ids(timeline)
        #expect(number(timeline.cells[cell["forward"]!]!.record!, "out") == -6)
        let reference = timeline.cells[cell["micrograd-reference"]!]

        try timeline.setParameters(cell["inputs"]!, [("a", "5")])
        #expect(timeline.cells[cell["forward"]!]?.freshness == .stale)
        #expect(timeline.cells[cell["backward"]!]?.freshness == .stale)
        settle(&timeline, on: cells)
        #expect(number(timeline.cells[cell["forward"]!]!.record!, "out") == -15)  // 5 * -3
        #expect(number(timeline.cells[cell["backward"]!]!.record!, "out") == 6)  // 5 + its own b: 1
        #expect(timeline.cells[cell["micrograd-reference"]!] == reference, "a step that reads no inputs must not run again")

        // Run again from the chapter's own values: what `gpt run` records.
        try timeline.reset(cell["inputs"]!)
        settle(&timeline, on: cells)
        let expected = runner.run(try runner.chapters()).steps
        #expect(timeline.order.compactMap { timeline.cells[$0]?.record } == expected)
    }
}
