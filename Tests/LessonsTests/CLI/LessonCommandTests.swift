// The lesson commands run as processes: the built `gpt` binary next to the test bundle (build
// it first with `swift build`), on the real Lessons/ and on small folders made here.
import Autograd
import Foundation
import Testing
import TestSupport

@Suite(.serialized) struct LessonCommandTests {
    /// `gpt` from the build folder this test bundle was built in.
    static let binary: String? = {
        var directory = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("gpt").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }()

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `gpt` off the concurrency pool (see `offThePool`): `gpt check` compiles Swift cells for a minute.
    func gpt(_ arguments: [String]) async throws -> Output {
        let binary = try #require(Self.binary, "build the gpt executable first: swift build")
        return try await offThePool { try Self.run(binary, arguments) }
    }

    static func run(_ binary: String, _ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// The real chapters train models for thousands of steps: minutes in an unoptimised engine, so
    /// this runs where the engine is optimised (`make test`, which CI runs, or GPT_FAST_DEBUG=1).
    @Test(.enabled(if: EngineBuild.isOptimized, "the engine is unoptimised; run `make test` (or set GPT_FAST_DEBUG=1) to check the real chapters"))
    func checkPassesOnTheRealLessons() async throws {
        let result = try await gpt(["check"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("OK: ") && result.stdout.contains("steps passed in"))
    }

    @Test func lessonsListsChaptersInOrder() async throws {
        let result = try await gpt(["lessons"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first?.contains("values") == true && lines.first?.contains("Values and operations") == true)
    }

    @Test func stepsDescribesParameters() async throws {
        let result = try await gpt(["steps"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("attention\n") && result.stdout.contains("head: text (default 0)"))
    }

    @Test func runOneChapterAsJSON() async throws {
        let result = try await gpt(["run", "values", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let chapters = try #require(object["chapters"] as? [[String: Any]])
        #expect(chapters.count == 1 && chapters[0]["number"] as? Int == 1)
        let segments = try #require(chapters[0]["segments"] as? [[String: Any]])
        let steps = segments.compactMap { $0["step"] as? [String: Any] }
        let step = try #require(steps.first { $0["id"] as? String == "forward" })
        #expect(step["status"] as? String == "passed")
        #expect((step["location"] as? [String: Any])?["line"] as? Int != nil)
        #expect((step["outputs"] as? [[String: Any]])?.first?["kind"] as? String == "text")
        // The chapter's Swift cells: their code, then what they printed, and what each cost.
        let cell = try #require(steps.first { $0["id"] as? String == "swift" })
        #expect(cell["status"] as? String == "passed")
        let kinds = (cell["outputs"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        #expect(kinds.first == "code" && kinds.contains("console"), "\(kinds)")
        #expect((cell["cost"] as? [String: Any])?["runSeconds"] as? Double != nil)
    }

    @Test func failuresGiveExitStatusOneAndNameTheirPlace() async throws {
        let lessons = try makeLessons(["01-bad.md": chapter("forward\nexpr: a\na: 1\nexpect out = 2\n")])
        let check = try await gpt(["check", "--lessons", lessons])
        #expect(check.status == 1)
        #expect(check.stdout.contains("01-bad.md:8:1: error: in step 'forward': expected out = 2, got 1"))
        #expect(check.stdout.contains("FAILED: 0 steps passed, 1 failed in 1 chapter"))
        let run = try await gpt(["run", "9", "--lessons", lessons])
        #expect(run.status == 1 && run.stderr.contains("no chapter '9'"))
    }

    @Test func notANumberFailsCheckAndStaysValidJSON() async throws {
        let lessons = try makeLessons(["01-nan.md": chapter("backward\nexpr: log(a)\na: -1\n")])
        let check = try await gpt(["check", "--lessons", lessons])
        #expect(check.status == 1)
        #expect(check.stdout.contains("01-nan.md:5:1: error: in step 'backward': log(a) is NaN: log of -1 is undefined"))
        let run = try await gpt(["run", "--json", "--lessons", lessons])
        #expect(run.status == 1, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let values = try #require(jsonSteps(object).first?["values"] as? [[String: Any]])
        #expect(values.first { $0["name"] as? String == "out" }?["value"] as? String == "NaN")
    }

    /// Deep prose crashed every command on the whole folder, and a title's escape sequences
    /// reached the terminal raw; now each command runs, the deep chapter fails in place and
    /// the title shows its control characters.
    @Test func deepAndHostileChaptersFailInPlace() async throws {
        let lessons = try makeLessons([
            "01-deep.md": "# Deep\n\n" + String(repeating: "> ", count: 100_000) + "deep\n",
            "02-ok.md": "# Red \u{1B}[31mtitle\n\n" + chapter("forward\nexpr: a\na: 1\nexpect out = 1\n"),
        ])
        let list = try await gpt(["lessons", "--lessons", lessons])
        #expect(list.status == 0 && list.stdout.contains("01-deep.md:3:201: error: the Markdown here nests more than 100 levels deep"))
        #expect(list.stdout.contains("Red \\u{1B}[31mtitle  (1 steps)") && !list.stdout.contains("\u{1B}"))
        for command in [["check"], ["run"], ["run", "--json"]] {
            let result = try await gpt(command + ["--lessons", lessons])
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect(result.stdout.contains("FAILED: 1 step passed, 1 failed in 2 chapters") || command == ["run", "--json"])
            #expect(result.stdout.contains("nests more than 100 levels deep") || command == ["run"])
            #expect(!result.stdout.contains("\u{1B}[31m"))
        }
    }

    @Test func reportWritesOneSelfContainedFile() async throws {
        let lessons = try makeLessons(["01-ok.md": chapter("backward\nexpr: tanh(a)\na: 0.5\n")])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("walk-\(UUID().uuidString).html").path
        let result = try await gpt(["report", "--lessons", lessons, "-o", path])
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(html.contains("<svg") && !html.contains("<script") && !html.contains("https://"))
    }
}
