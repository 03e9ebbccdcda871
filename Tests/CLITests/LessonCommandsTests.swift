// The lesson commands as a learner and a teacher meet them: `gpt run --step` one step at a time,
// `gpt check` listing every problem of a chapter at once, warnings and --strict, and the package
// root a lessons folder reads from (found, said, or given with --root).
import Foundation
import Testing

@Suite struct LessonCommandsTests {
    let workspace = Workspace()

    private func gpt(_ arguments: [String], input: String? = nil) throws -> Run {
        try GPTBinary.run(arguments, in: workspace.path, input: input)
    }

    /// A lessons folder `name` in the workspace holding one chapter.
    @discardableResult
    private func lessons(_ chapter: String, in name: String = "lessons") throws -> String {
        let folder = workspace.file(name)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try chapter.write(toFile: folder + "/01-try.md", atomically: true, encoding: .utf8)
        return folder
    }

    private let twoSteps = """
        # Two steps

        Intro to **forward**.

        ```step forward
        expr: a * b
        a: 2
        b: 3
        ```

        Between the `steps`.

        ```step backward
        expr: tanh(a)
        a: 0.5
        ```

        The end.
        """

    @Test func stepThroughShowsEachStepsProseFirstThenWaitsAndQuitsOnQ() throws {
        let folder = try lessons(twoSteps)
        let run = try gpt(["run", "--step", "--lessons", folder], input: "\nq\n")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let out = run.stdout
        let order = ["Intro to forward.", "[step 1/2 forward: Enter runs it, q quits]", "--- step 1/2  forward",
                     "Between the `steps`.", "[step 2/2 backward: Enter runs it, q quits]", "Stopped before step 2/2 of chapter 1"]
        let places = order.map { out.range(of: $0)?.lowerBound }
        #expect(places.allSatisfy { $0 != nil }, "\(out)")
        #expect(zip(places, places.dropFirst()).allSatisfy { ($0 ?? out.endIndex) < ($1 ?? out.startIndex) }, "\(out)")
        #expect(!out.contains("--- step 2/2") && !out.contains("The end."))
        #expect(out.contains("So far: 1 step passed in 1 chapter. `gpt run 1 --step` starts that chapter again."))
    }

    @Test func stepThroughStopsCleanlyAtTheEndOfInput() throws {
        let run = try gpt(["run", "--step", "--lessons", try lessons(twoSteps)], input: "")
        #expect(run.status == 0 && run.exited)
        #expect(run.stdout.contains("Stopped before step 1/2 of chapter 1") && !run.stdout.contains("--- step 1/2"))
    }

    @Test func runWithoutStepCountsStepsAndDrawsTheProse() throws {
        let run = try gpt(["run", "--lessons", try lessons(twoSteps)])
        #expect(run.status == 0)
        #expect(run.stdout.contains("--- step 2/2  backward") && run.stdout.contains("Intro to forward.") && !run.stdout.contains("**"))
    }

    /// A compiler lists every error; so does `gpt check`: each failed expectation of a step, and
    /// each broken step, while the steps after them still run.
    @Test func checkReportsEveryProblemOfAChapterInOneGo() throws {
        let folder = try lessons("""
            # Problems

            ```step forward
            expr: a
            a: 1
            expect out = 2
            expect nodes = 5
            ```

            ```step backward
            expr: a
            a 1
            expect out == 1
            ```

            ```step forward
            expr: a
            a: 1
            expect out = 1 +- 0
            ```
            """)
        let check = try gpt(["check", "--lessons", folder])
        #expect(check.status == 1)
        for line in ["01-try.md:6:1: error: in step 'forward': expected out = 2, got 1",
                     "01-try.md:7:1: error: in step 'forward': expected nodes = 5, got 1",
                     "01-try.md:12:1: error: in step 'backward': expected 'key: value' or 'expect name = value', found 'a 1'",
                     "01-try.md:13:12: error: in step 'backward': an expectation takes one '=', not '=='",
                     "FAILED: 1 step passed, 2 failed in 1 chapter"] {
            #expect(check.stdout.contains(line), "\(line)\n\(check.stdout)")
        }
    }

    @Test func warningsPassCheckAndFailItWithStrict() throws {
        let folder = try lessons("# W\n\n```stpe forward\nexpr: a\n```\n\n```step forward\nexpr: a\na: 1\n```\n")
        let check = try gpt(["check", "--lessons", folder])
        #expect(check.status == 0)
        #expect(check.stdout.contains("01-try.md:3:1: warning: this fence opens with 'stpe', so it is shown as code and never run"))
        #expect(check.stdout.contains("OK: 1 step passed in 1 chapter, 1 warning"))
        let strict = try gpt(["check", "--strict", "--lessons", folder])
        #expect(strict.status == 1 && strict.stdout.contains("--strict, and the chapters have 1 warning"))
    }

    // MARK: The package root

    /// A package of its own in the workspace: Package.swift, Sources/ with a region, Dataset/.
    private func makePackage(_ name: String) throws -> String {
        let root = workspace.file(name)
        for folder in ["Sources/M", "Dataset"] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        try "// swift-tools-version:6.0\n".write(toFile: root + "/Package.swift", atomically: true, encoding: .utf8)
        try "// region: r\nlet answer = 42\n// endregion\n".write(toFile: root + "/Sources/M/A.swift", atomically: true, encoding: .utf8)
        let lines = (0..<30).map { "job \($0) on web-0\($0 % 10) -> \(["INFO", "WARNING", "ERROR"][$0 % 3])" }
        try lines.joined(separator: "\n").write(toFile: root + "/Dataset/small.txt", atomically: true, encoding: .utf8)
        return root
    }

    private func chapterReading(dataset: String) -> String {
        "# Root\n\n```step code\nfile: Sources/M/A.swift\nregion: r\ncontains: answer\n```\n\n```step dataset\npath: \(dataset)\nexpect lines = 30\n```\n"
    }

    @Test func theLessonsFolderFindsThePackageAboveIt() throws {
        let root = try makePackage("pkg")
        let folder = try lessons(chapterReading(dataset: "Dataset/small.txt"), in: "pkg/teaching/ch")
        let check = try gpt(["check", "--lessons", folder])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stderr.contains("package root: \(root) (the package that holds the lessons folder)"))
        let list = try gpt(["lessons", "--lessons", folder])
        #expect(list.lines.last == "package root: \(root) (the package that holds the lessons folder)")
    }

    @Test func rootGivesThePackageOfLessonsOutsideIt() throws {
        let root = try makePackage("pkg")
        let folder = try lessons(chapterReading(dataset: root + "/Dataset/small.txt"), in: "elsewhere/lessons")
        let guessed = try gpt(["check", "--lessons", folder])
        #expect(guessed.status == 1 && guessed.stderr.contains("no Package.swift with Sources/ and Dataset/ above the lessons folder or here; pass --root DIR"))
        let given = try gpt(["check", "--lessons", folder, "--root", root])
        #expect(given.status == 0, "\(given.stdout)\(given.stderr)")
        #expect(given.stderr.contains("package root: \(root) (given with --root)"))
        let missing = try gpt(["check", "--lessons", folder, "--root", workspace.file("nothing")])
        #expect(missing.status == 1 && missing.stderr.contains("no folder at '\(workspace.file("nothing"))' for --root"))
    }

    /// An absolute dataset path is fine inside the root; outside it, it is refused with both paths.
    @Test func anAbsoluteDatasetPathMustLieInsideTheRoot() throws {
        let root = try makePackage("pkg")
        let outside = workspace.write("job 1 on web-01 -> INFO\n", to: "outside.txt")
        let folder = try lessons(chapterReading(dataset: outside), in: "pkg/lessons")
        let check = try gpt(["check", "--lessons", folder])
        #expect(check.status == 1)
        #expect(check.stdout.contains("leads outside the package folder and Dataset/"), "\(check.stdout)")
        #expect(check.stdout.contains("a dataset is a file inside the package folder ("), "\(check.stdout)")
    }
}
