// `gpt run` in the terminal: each segment printed as soon as it is done, and with `--step` one
// step at a time. A step-through shows the prose that introduces a step first, then waits: Enter
// runs the step, `q` (or the end of input, Ctrl-D) stops the run cleanly. Answers are read from
// standard input whatever it is, so a script can drive a step-through as a learner would.
import Foundation
import Lessons

struct LiveRun {
    let renderer: TerminalRenderer
    /// Wait before each step and ask each exercise.
    let stepping: Bool

    /// Where a step-through stopped: the step it did not run.
    struct Stop {
        let chapter: Int
        let index: Int
        let steps: Int
        let location: SourceLocation
    }

    /// Runs `chapters`, printing as it goes; the record, and where the learner stopped if they did.
    func run(_ chapters: [ChapterSource], with runner: LessonRunner) -> (record: RunRecord, stop: Stop?) {
        var current: String?
        var stop: Stop?
        let record = runner.run(chapters, willRun: { source, step, index in
            guard stepping else { return true }
            let steps = Self.stepCount(source)
            print(renderer.styled("[\(TerminalRenderer.counter(index, of: steps)) \(step.id): Enter runs it, q quits] ", "1"),
                  terminator: "")
            LessonOutput.flush()
            guard let answer = readLine(), answer.trimmingCharacters(in: .whitespaces).lowercased() != "q" else {
                if !Terminal.inputIsInteractive { print() }  // nothing echoed the line that ended the prompt
                stop = Stop(chapter: source.number, index: index, steps: steps ?? index, location: step.location)
                return false
            }
            if !Terminal.inputIsInteractive { print() }
            return true
        }, observe: { source, segment in
            if current != source.file {
                current = source.file
                print(renderer.chapterHeader(source.header))
            }
            print(renderer.render(segment, of: Self.stepCount(source)))
            LessonOutput.flush()
            if stepping, case .step(let step) = segment {
                for case .exercise(let exercise) in step.outputs { ask(exercise) }
            }
        })
        return (record, stop)
    }

    /// The last line of a run: its summary, or where the learner stopped and how to go on.
    func closing(_ record: RunRecord, stop: Stop?) -> String {
        guard let stop else { return renderer.summary(record) }
        return renderer.styled("\nStopped before step \(stop.index)/\(stop.steps) of chapter \(stop.chapter) (\(stop.location)). "
                               + "So far: \(record.summary). `gpt run \(stop.chapter) --step` starts that chapter again.", "33")
    }

    static func stepCount(_ source: ChapterSource) -> Int? { (try? source.parsed.get())?.steps.count }

    /// Asks the learner `exercise` until they are right, skip it (Enter) or have tried three
    /// times; `h` shows the hint. Then the answer, with why.
    func ask(_ exercise: Exercise) {
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
