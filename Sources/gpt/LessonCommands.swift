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

/// Options every lesson command shares.
struct LessonFolderOptions: ParsableArguments {
    @Option(name: .customLong("lessons"), help: ArgumentHelp("The lessons folder (default: the nearest Lessons/ at or above the current directory).", valueName: "dir"))
    var directory: String?

    func runner() throws -> LessonRunner {
        LessonRunner(lessonsDirectory: try LessonOutput.orExit { () throws(LessonError) in try LessonFolder.locate(directory) })
    }

    /// All chapters, or the one `name` picks.
    func chapters(_ name: String?, runner: LessonRunner) throws -> [ChapterSource] {
        try LessonOutput.orExit { () throws(LessonError) in
            let all = try runner.chapters()
            guard let name else { return all }
            return [try runner.chapter(named: name, in: all)]
        }
    }
}

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
        let runner = try folder.runner()
        for chapter in try folder.chapters(nil, runner: runner) {
            switch chapter.parsed {
            case .success(let parsed):
                print("\(String(format: "%2d", chapter.number))  \(chapter.slug.padding(toLength: 22, withPad: " ", startingAt: 0))  \(parsed.title)  (\(parsed.steps.count) steps)")
            case .failure(let error):
                print("\(String(format: "%2d", chapter.number))  \(chapter.slug)  cannot be read: \(error)")
            }
        }
    }
}

struct RunLessonsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the chapters in order (or one chapter) and show every step's output.")

    @OptionGroup var folder: LessonFolderOptions

    @Argument(help: "A chapter number or slug; all chapters when omitted.")
    var chapter: String?

    @Flag(name: .customLong("step"), help: "Pause after each step until Enter (only when input is a terminal).")
    var stepThrough = false

    @Flag(help: "Print the run record as JSON instead of text.")
    var json = false

    func run() throws {
        let runner = try folder.runner()
        let chapters = try folder.chapters(chapter, runner: runner)
        let record: RunRecord
        if json {
            record = runner.run(chapters)
            print(try record.json())
        } else {
            let pause = stepThrough && isatty(STDIN_FILENO) == 1
            let renderer = TerminalRenderer(colour: LessonOutput.colour, hidingAnswers: pause)
            var current: String?
            record = runner.run(chapters) { source, segment in
                if current != source.file {
                    current = source.file
                    print(renderer.chapterHeader(source.header))
                }
                print(renderer.render(segment))
                LessonOutput.flush()
                if pause, case .step(let step) = segment {
                    for case .exercise(let exercise) in step.outputs { Self.ask(exercise, renderer: renderer) }
                    print("[Enter: next step]", terminator: "")
                    LessonOutput.flush()
                    _ = readLine()
                }
            }
            print(renderer.summary(record))
        }
        if !record.succeeded { throw ExitCode(1) }
    }
}

extension RunLessonsCommand {
    /// Asks the learner `exercise` until they are right, skip it (Enter) or have tried three
    /// times; `h` shows the hint. Then the answer, with why.
    static func ask(_ exercise: Exercise, renderer: TerminalRenderer) {
        for _ in 0..<3 {
            print("Your answer (Enter to skip\(exercise.hint == nil ? "" : ", h for a hint")): ", terminator: "")
            LessonOutput.flush()
            guard let line = readLine(), !line.trimmingCharacters(in: .whitespaces).isEmpty else { break }
            if line.trimmingCharacters(in: .whitespaces).lowercased() == "h", let hint = exercise.hint {
                print(renderer.styled("Hint: " + hint, "33"))
                continue
            }
            let verdict = exercise.check(line)
            print(renderer.styled(verdict.message, verdict.right ? "32" : "31"))
            if verdict.right { break }
        }
        print(renderer.exercise(exercise, showingAnswer: true).split(separator: "\n").last.map(String.init) ?? "")
    }
}

struct CheckLessonsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Run every chapter's expectations; exit non-zero on any failure.")

    @OptionGroup var folder: LessonFolderOptions

    @Argument(help: "A chapter number or slug; all chapters when omitted.")
    var chapter: String?

    func run() throws {
        let runner = try folder.runner()
        let record = runner.run(try folder.chapters(chapter, runner: runner))
        let renderer = TerminalRenderer(colour: LessonOutput.colour)
        for chapter in record.chapters {
            if let error = chapter.error { print(error) }
            for step in chapter.steps where step.status != .passed {
                print("\(step.status == .skipped ? "skipped" : "failed"): \(step.error?.description ?? step.id)")
            }
        }
        print(renderer.summary(record))
        if !record.succeeded { throw ExitCode(1) }
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

    func run() throws {
        let runner = try folder.runner()
        let chapters = try folder.chapters(chapter, runner: runner)
        // The chapters and the dataset they read must survive: checked before the run, which is
        // long, and again by the write.
        let dataset = LessonState(lessonsDirectory: runner.lessonsDirectory).resolve(runner.defaults.datasetPath)
        let inputs = chapters.map { AtomicFile.Input($0.file, role: "chapter \($0.number)") }
            + [AtomicFile.Input(dataset, role: "lessons' dataset")]
        try AtomicFile.checkDestination(output, inputs: inputs)
        let record = runner.run(chapters)
        try AtomicFile.write(HTMLRenderer().render(record), to: output, inputs: inputs)
        print("wrote \(output): \(record.summary)")
        if !record.succeeded { throw ExitCode(1) }
    }
}
