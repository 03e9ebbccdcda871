// The Swift cell runner on real cells, compiled by the real compiler against this build: output in
// order, earlier cells' definitions seen and their output silenced, errors and crashes at the
// chapter's line and column, the cache used and invalidated, and every limit enforced.
import Foundation
import LessonOutput
import SwiftCells
import Testing
import TestSupport

/// A runner with a cache of its own, so every test starts cold and none sees another's cells.
func freshRunner(limits: CellLimits = CellLimits(), toolchain: Result<SwiftToolchain, ToolchainProblem> = SwiftToolchain.find())
    -> SwiftCellRunner {
    let cache = FileManager.default.temporaryDirectory.appendingPathComponent("cells-test-\(UUID().uuidString)").path
    return SwiftCellRunner(toolchain: toolchain, cacheDirectory: cache, limits: limits)
}

func cell(_ code: String, line: Int = 10) -> SwiftCell { SwiftCell(code: code, file: "Lessons/09-test.md", firstLine: line) }

extension SwiftCellRunner {
    /// `run`, off the concurrency pool: a compile takes a second, and the pool has a thread per core.
    func running(_ cell: SwiftCell, after above: [SwiftCell]) async throws -> CellRun {
        try await offThePool { self.run(cell, after: above, in: NSTemporaryDirectory()) }
    }
}

/// Everything the cell printed, joined.
func printed(_ run: CellRun) -> String {
    run.outputs.compactMap { if case .console(let text) = $0 { text } else { nil } }.joined()
}

@Suite struct SwiftCellRunnerTests {
    @Test func aCellCompilesRunsAndShowsItsOutputInOrder() async throws {
        let run = try await freshRunner().running(cell("""
            let tape = Tape()
            let a = Value(3, on: tape, label: "a")
            let b = (a * a).named("b")
            b.backward()
            print("before", b.data)
            show(b)
            print("after", a.grad)
            expect("grad.a", a.grad, equals: 6, within: 1e-12)
            """), after: [])
        #expect(run.failure == nil)
        guard run.outputs.count == 3, case .console(let before) = run.outputs[0], case .graph(let graph) = run.outputs[1],
              case .console(let after) = run.outputs[2] else {
            Issue.record("expected console, graph, console; got \(run.outputs)")
            return
        }
        #expect(before == "before 9.0\n")
        #expect(after == "after 6.0\n")
        #expect(graph.nodes.map(\.label) == ["a", "b"])
        #expect(graph.nodes.map(\.grad) == [6, 1])
        #expect(run.expectations == [CellExpectation(name: "grad.a", actual: .number(6), expected: .number(6, tolerance: 1e-12),
                                                     line: 17, column: 1)])
        #expect(!run.cached && run.compileSeconds > 0 && run.runSeconds > 0)
    }

    @Test func aCellSeesWhatEarlierCellsDefinedAndNotWhatTheyPrinted() async throws {
        let first = cell("func square(_ x: Double) -> Double { x * x }\nprint(\"from the first cell\")", line: 5)
        let run = try await freshRunner().running(cell("print(square(7))", line: 20), after: [first])
        #expect(run.failure == nil)
        #expect(printed(run) == "49.0\n")
    }

    @Test func aCompileErrorNamesTheChaptersLineAndColumn() async throws {
        let run = try await freshRunner().running(cell("let x = 1\nlet y = x + undefinedName", line: 40), after: [])
        guard case .compile(let errors) = run.failure else {
            Issue.record("expected a compile failure, got \(String(describing: run.failure))")
            return
        }
        let first = try #require(errors.first)
        #expect(first.file == "Lessons/09-test.md")
        #expect(first.line == 41)
        #expect(first.column == 13)
        #expect(first.message.contains("cannot find 'undefinedName' in scope"))
    }

    @Test func aCrashNamesTheLineItHappenedAtAndKeepsWhatWasPrintedBefore() async throws {
        let run = try await freshRunner().running(cell("let xs = [1, 2, 3]\nprint(\"before\")\nlet i = xs.count + 2\nprint(xs[i])", line: 30),
                                    after: [])
        guard case .crashed(let message, let line, _) = run.failure else {
            Issue.record("expected a crash, got \(String(describing: run.failure))")
            return
        }
        #expect(message.contains("Index out of range"))
        #expect(line == 33)
        #expect(printed(run) == "before\n")
    }

    @Test func aCompiledCellIsReusedUntilItsCodeOrThePackageChanges() async throws {
        let runner = try await freshRunner()
        let code = cell("print(\"hello\")")
        let first = try await runner.running(code, after: [])
        let second = try await runner.running(code, after: [])
        #expect(!first.cached && second.cached && second.compileSeconds == 0)
        #expect(printed(second) == "hello\n")
        let edited = try await runner.running(cell("print(\"hello again\")"), after: [])
        #expect(!edited.cached)
        #expect(printed(edited) == "hello again\n")

        // The same cell against another build of the package (here: copies of its object files,
        // one of them changed since) is compiled again.
        var toolchain = try SwiftToolchain.find().get()
        let copies = FileManager.default.temporaryDirectory.appendingPathComponent("objects-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: copies, withIntermediateDirectories: true)
        toolchain.objects = try toolchain.objects.enumerated().map { index, object in
            let copy = "\(copies)/\(index)-\((object as NSString).lastPathComponent)"
            try FileManager.default.copyItem(atPath: object, toPath: copy)
            return copy
        }
        let copied = SwiftCellRunner(toolchain: .success(toolchain), cacheDirectory: runner.cacheDirectory)
        #expect(try await copied.running(code, after: []).cached == false)
        #expect(try await copied.running(code, after: []).cached == true)
        let touched = try #require(toolchain.objects.first)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: touched)
        #expect(try await copied.running(code, after: []).cached == false)
    }

    @Test func aCellThatRunsTooLongIsStoppedAndSaysSo() async throws {
        var limits = CellLimits()
        limits.run.seconds = 1
        let run = try await freshRunner(limits: limits).running(cell("var n = 0\nwhile true { n &+= 1 }"), after: [])
        #expect(run.failure == .limit(.time(seconds: 1)))
        #expect(run.runSeconds < 3)
    }

    @Test func aCellThatUsesTooMuchMemoryIsStoppedAndSaysSo() async throws {
        var limits = CellLimits()
        limits.run.memoryBytes = 64 << 20
        let run = try await freshRunner(limits: limits).running(cell("""
            var chunks: [[UInt8]] = []
            for _ in 0..<64 { chunks.append([UInt8](repeating: 1, count: 8 << 20)) }
            print(chunks.count)
            """), after: [])
        #expect(run.failure == .limit(.memory(bytes: 64 << 20)))
    }

    @Test func aCellThatPrintsTooMuchIsStoppedAndSaysSo() async throws {
        var limits = CellLimits()
        limits.run.outputBytes = 10_000
        let run = try await freshRunner(limits: limits).running(cell("for i in 0..<1_000_000 { print(\"line \\(i)\") }"), after: [])
        #expect(run.failure == .limit(.output(bytes: 10_000)))
        #expect(printed(run).hasPrefix("line 0\nline 1\n"))
    }

    @Test func withoutAToolchainACellSaysWhatIsMissing() async throws {
        let missing = SwiftToolchain.find(environment: [SwiftToolchain.buildVariable: "/nonexistent/build"])
        guard case .failure(let problem) = missing else {
            Issue.record("found a toolchain in /nonexistent")
            return
        }
        #expect(problem.message.contains("/nonexistent/build/Modules/Cells.swiftmodule"))
        let run = try await freshRunner(toolchain: missing).running(cell("print(1)"), after: [])
        #expect(run.failure == .toolchain(problem))
    }

    @Test func theBuildsOwnCompilerIsFoundInItsManifest() async throws {
        let toolchain = try SwiftToolchain.find(environment: [:]).get()
        #expect(toolchain.swiftc.hasSuffix("/swiftc"))
        #expect(FileManager.default.isExecutableFile(atPath: toolchain.swiftc))
        let named = try SwiftToolchain.find(environment: [SwiftToolchain.compilerVariable: "/bin/true"]).get()
        #expect(named.swiftc == "/bin/true")
    }
}
