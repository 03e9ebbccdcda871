// The lesson subcommands: `gpt lessons`, `gpt run`, `gpt check`, `gpt steps` and `gpt report`.
// They find the lessons folder, run chapters through `LessonRunner`, and choose how to show the
// run record: terminal text, JSON, or the HTML walkthrough.
import ArgumentParser
import Foundation
import GPT
import Lessons

let lessonSubcommands: [ParsableCommand.Type] = [
    LessonsCommand.self, RunLessonsCommand.self, CheckLessonsCommand.self, StepsCommand.self, ReportCommand.self,
]

/// Shared output helpers.
enum LessonOutput {
    static let colour = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    /// Runs `body`; a lesson error is printed to standard error and ends the command with status 1.
    static func orExit<T>(_ body: () throws(LessonError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(1)
        }
    }

    static func flush() { fflush(nil) }  // every output stream: stdout is a C global Swift 6 will not touch
}

struct LessonsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lessons", abstract: "List the chapters of the lessons.")

    @OptionGroup var folder: LessonFolderOptions

    func run() throws {
        let runner = try folder.runner(announcing: false)  // the last line names the root
        for chapter in try folder.chapters(nil, runner: runner) {
            switch chapter.parsed {
            case .success(let parsed):
                print("\(String(format: "%2d", chapter.number))  \(chapter.slug.padding(toLength: 22, withPad: " ", startingAt: 0))  \(parsed.title)  (\(parsed.steps.count) steps)")
            case .failure(let error):
                print("\(String(format: "%2d", chapter.number))  \(chapter.slug)  cannot be read: \(error)")
            }
        }
        print(try folder.packageRoot(lessons: runner.lessonsDirectory))
    }
}

struct RunLessonsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the chapters in order (or one chapter) and show every step's output.")

    @OptionGroup var folder: LessonFolderOptions

    @Argument(help: "A chapter number or slug; all chapters when omitted.")
    var chapter: String?

    @Flag(name: .customLong("step"), help: "Go one step at a time: the prose, then Enter runs the step and q (or Ctrl-D) stops. Answers come from standard input.")
    var stepThrough = false

    @Flag(help: "Print the run record as JSON instead of text.")
    var json = false

    @OptionGroup var cache: ModelCacheOptions

    func run() throws {
        let runner = cache.apply(to: try folder.runner())
        let chapters = try folder.chapters(chapter, runner: runner)
        let record: RunRecord
        if json {
            record = runner.run(chapters)
            print(try record.json())
        } else {
            let live = LiveRun(renderer: TerminalRenderer(colour: LessonOutput.colour, hidingAnswers: stepThrough), stepping: stepThrough)
            let (run, stop) = live.run(chapters, with: runner)
            record = run
            print(live.closing(record, stop: stop))
        }
        if !record.succeeded { throw ExitCode(1) }
    }
}

struct CheckLessonsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Run every chapter's expectations; exit non-zero on any failure.")

    @OptionGroup var folder: LessonFolderOptions

    @Argument(help: "A chapter number or slug; all chapters when omitted.")
    var chapter: String?

    @Flag(help: "Fail on warnings too (a fence that looks like a misspelt step, raw HTML the walkthrough leaves out).")
    var strict = false

    @Flag(help: "Write the values the steps gave into the failed expectations (each keeps its tolerance) and show the diff.")
    var update = false
    @OptionGroup var cache: ModelCacheOptions

    func run() throws {
        let runner = cache.apply(to: try folder.runner())
        let record = runner.run(try folder.chapters(chapter, runner: runner))
        let renderer = TerminalRenderer(colour: LessonOutput.colour)
        let updated = update ? try LessonOutput.orExit { () throws(LessonError) in try ExpectationUpdater.apply(record) } : nil
        if let updated { print(updated.description) }  // then what the update left failing
        // Every problem, each at its file:line:column, as a compiler lists them.
        for chapter in record.chapters {
            for problem in chapter.problems { print(renderer.diagnostic(problem)) }
            for step in chapter.steps where step.status != .passed {
                let errors = updated?.remaining(step) ?? step.errors
                let reasons = step.errors.isEmpty ? [step.id] : errors.map(\.description)
                for reason in reasons { print(renderer.styled("\(step.status == .skipped ? "skipped" : "failed"): " + reason, "31")) }
            }
        }
        let fixed = !record.succeeded && updated?.fixesEverything(record) == true
        print(fixed ? renderer.styled("OK with the updated expectations (before the update: \(record.summary))", "32") : renderer.summary(record))
        if !record.succeeded && !fixed { throw ExitCode(1) }
        if strict && record.warnings > 0 {
            print(renderer.styled("FAILED: --strict, and the chapters have \(record.warnings) warning\(record.warnings == 1 ? "" : "s")", "31"))
            throw ExitCode(1)
        }
    }
}

struct StepsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steps", abstract: "List every step a chapter can use, with its parameters (type, default).")

    func run() throws {
        print(LessonFolder.catalog())
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Run the chapters and write the walkthrough as one self-contained HTML file.")

    @OptionGroup var folder: LessonFolderOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the HTML.", valueName: "file"))
    var output = "walkthrough.html"

    @Argument(help: "A chapter number or slug; all chapters when omitted.")
    var chapter: String?

    @OptionGroup var cache: ModelCacheOptions

    func run() throws {
        let runner = cache.apply(to: try folder.runner())
        let chapters = try folder.chapters(chapter, runner: runner)
        // The chapters and the dataset they read must survive: checked before the run, which is
        // long, and again by the write.
        let dataset = runner.makeState().resolve(runner.defaults.datasetPath)
        let inputs = chapters.map { AtomicFile.Input($0.file, role: "chapter \($0.number)") }
            + [AtomicFile.Input(dataset, role: "lessons' dataset")]
        try AtomicFile.checkDestination(output, inputs: inputs)
        let record = runner.run(chapters)
        try AtomicFile.write(HTMLRenderer().render(record), to: output, inputs: inputs)
        print("wrote \(output): \(record.summary)")
        if !record.succeeded { throw ExitCode(1) }
    }
}

/// The lessons' model cache (ModelCache): trained models kept in the build folder, loaded again
/// by the next run that trains the same model on the same data with the same settings.
struct ModelCacheOptions: ParsableArguments {
    @Flag(name: .customLong("no-cache"), help: "Train every model afresh and keep none: ignore the lessons' model cache (GPT_LESSON_CACHE=off does the same, for the notebook too; GPT_LESSON_CACHE=<dir> moves it).")
    var noCache = false

    /// `runner` without its model cache when --no-cache is given.
    func apply(to runner: LessonRunner) -> LessonRunner {
        var runner = runner
        if noCache { runner.modelCache = nil }
        return runner
    }
}
