// The step every ```swift run fence is: the learner's (or the author's) own Swift, compiled against
// the package's engine and model and run in a process of its own (Sources/SwiftCells). What it
// prints and shows becomes the step's outputs, its `expect` calls the step's expectations, and a
// compile error or a crash fails the cell at the chapter's line and column while the cells below
// still run: a failed cell only takes away what it would have defined.
import LessonOutput
import SwiftCells

enum SwiftCellSteps {
    static let all = [swift]

    static let swift = StepDefinition(
        id: ChapterParser.swiftCellID,
        summary: "Swift of your own (a ```swift run fence), run on the real engine; it sees what the chapter's earlier cells defined.",
        needs: [.swiftCells], provides: [.swiftCells]
    ) { context in
        guard let code = context.invocation.code else {
            throw context.error("a Swift cell has no code", hint: "write Swift cells as ```swift run fences, with the code inside")
        }
        let location = context.invocation.location
        let cell = context.invocation.swiftCell(code)
        let run = SwiftCellRunner.shared.run(cell, after: context.state.swiftCells(ofChapter: context.chapter),
                                             in: context.state.packageRoot)
        var report = StepReport()
        report.add(.code(CodeRegion(file: cell.shownFile, region: "", firstLine: cell.firstLine,
                                    lines: code.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))))
        report.outputs += run.outputs
        report.cost = StepCost(compileSeconds: run.compileSeconds, cached: run.cached, runSeconds: run.runSeconds)
        for stated in run.expectations {
            let expectation = Expectation(name: stated.name, expected: stated.expected,
                                          location: SourceLocation(file: cell.shownFile, line: stated.line, column: stated.column))
            var own = StepReport()
            own.checks = [(stated.name, stated.actual)]
            report.checks.append((stated.name, stated.actual))
            report.statedChecks.append(LessonRunner.check(expectation, against: own))
        }
        if let failure = run.failure {
            report.failure = error(failure, cell: cell, at: location)
        } else {
            context.state.acceptSwiftCell(cell, chapter: context.chapter)
        }
        return report
    }

    /// The failure as a lesson error, at the chapter's line and column where the compiler or the
    /// backtrace put it, else at the fence.
    static func error(_ failure: CellFailure, cell: SwiftCell, at fence: SourceLocation) -> LessonError {
        let id = ChapterParser.swiftCellID
        switch failure {
        case .toolchain(let problem):
            return LessonError(at: fence, step: id, problem.message, hint: problem.hint)
        case .compile(let errors):
            guard let first = errors.first else {
                return LessonError(at: fence, step: id, "the cell did not compile", hint: "the compiler gave no reason")
            }
            let others = errors.dropFirst().prefix(9).map { "\($0.file):\($0.line):\($0.column): \($0.message)" }
            let more = errors.count > 10 ? ["and \(errors.count - 10) more errors"] : []
            let modules = first.message.contains("no such module") || first.message.contains("missing required module")
            let why = modules ? "a Swift cell can use Autograd, GPT and Cells (imported for it) and the system's own modules such as "
                + "Foundation; the package's other modules (Lessons, Server, Notebook) are not built for cells"
                : "the Swift compiler's error; the cell sees only what the chapter's earlier cells that ran defined"
            return LessonError(at: SourceLocation(file: first.file, line: first.line, column: first.column), step: id,
                               first.message,
                               hint: others.isEmpty ? why : why + "; the compiler also says:\n" + (others + more).joined(separator: "\n"))
        case .crashed(let message, let line, let column):
            let place = line.map { SourceLocation(file: cell.shownFile, line: $0, column: column ?? 1) } ?? fence
            return LessonError(at: place, step: id, "the cell crashed: \(message)",
                               hint: "what it printed before the crash is shown above; the cells below run without what it defines")
        case .exited(let status):
            return LessonError(at: fence, step: id, "the cell exited with status \(status)",
                               hint: "a cell ends by reaching its last line; exit(0) ends it early without failing")
        case .limit(let limit):
            return LessonError(at: fence, step: id, "the cell was stopped: it \(limit.description)",
                               hint: "Lessons/README.md lists the limits; a cell that trains should take fewer steps")
        case .notStarted(let why):
            return LessonError(at: fence, step: id, "the cell could not be run: \(why)")
        }
    }
}

extension StepInvocation {
    /// The Swift cell this step compiles: `code` at the chapter's line after the fence, or at line 1
    /// of "new Swift cell" for a cell that has no place in a file yet (a notebook's new cell).
    func swiftCell(_ code: String) -> SwiftCell {
        SwiftCell(code: code, file: location.file, firstLine: location == .nowhere ? 1 : location.line + 1)
    }

    /// The file and the line a Swift cell's code is compiled as starting at, which its errors name:
    /// the notebook numbers the lines of its code box from there.
    public var swiftCodePlace: (file: String, firstLine: Int) {
        let cell = swiftCell("")
        return (cell.shownFile, cell.firstLine)
    }
}
