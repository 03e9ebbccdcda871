// Exercises: ```quiz and ```exercise fences parse as steps, check their own reference answers,
// judge a learner's answer, keep the answer hidden where a learner reads, and save back as written.
import Foundation
import Testing
@testable import Lessons

@Suite struct ExerciseStepsTests {
    static let quiz = """
        ```quiz
        question: Which comes first on the tape?
        choices: the inputs | the output
        answer: the inputs
        hint: a node reads only older nodes
        explain: nodes are recorded as they are computed.
        ```
        """

    static func exercise(answer: String) -> String {
        """
        ```exercise
        question: d(x*x*x)/dx at x = 2?
        answer: \(answer)
        expr: x*x*x
        x: 2
        of: grad.x
        ```
        """
    }

    func run(_ body: String) throws -> StepRecord {
        try #require(try runLessons(try makeLessons(["01-test.md": "# T\n\nProse.\n\n" + body + "\n"])).steps.first)
    }

    @Test func aQuizFenceIsAStepThatChecksItsAnswerIsAChoice() throws {
        let step = try run(Self.quiz)
        #expect(step.id == "quiz" && step.status == .passed)
        guard case .exercise(let exercise)? = step.outputs.first else { Issue.record("no exercise output"); return }
        #expect(exercise.choices == ["the inputs", "the output"] && exercise.answer == "the inputs")
        let wrong = try run(Self.quiz.replacingOccurrences(of: "answer: the inputs", with: "answer: the middle"))
        #expect(wrong.status == .failed)
        #expect(wrong.error?.message == "parameter 'answer': 'the middle' is not one of the choices")
        #expect(wrong.error?.location.line == 8)  // the answer's own line in the file
    }

    @Test func anExerciseWithAnExpressionIsCheckedAgainstTheEngine() throws {
        let right = try run(Self.exercise(answer: "12"))
        #expect(right.status == .passed)
        #expect(right.values.first { $0.name == "computed" }?.value == .number(12))
        let wrong = try run(Self.exercise(answer: "8"))
        #expect(wrong.status == .failed)
        #expect(wrong.error?.message.contains("the exercise's answer 8 is not the engine's 12 for grad.x of x*x*x") == true)
    }

    @Test func aLearnersAnswerIsJudged() {
        let choice = Exercise(kind: .choice, question: "q", choices: ["a", "b"], answer: "b", tolerance: 0, hint: "think", explanation: nil)
        #expect(choice.check("B").right && choice.check("2").right)
        #expect(!choice.check("a").right && choice.check("a").message == "Not a. Hint: think Try again.")
        #expect(choice.check("c").message.contains("not one of the choices: 1. a, 2. b"))
        let number = Exercise(kind: .number, question: "q", choices: [], answer: "0.333", tolerance: 0.01, hint: nil, explanation: nil)
        #expect(number.check("0.33").right && !number.check("0.3").right && !number.check("a third").right)
        #expect(!number.check("").right)
    }

    @Test func theAnswerWaitsUntilAskedForAndGoesToTheEndInPrint() throws {
        let record = try runLessons(try makeLessons(["01-test.md": "# T\n\n" + Self.quiz + "\n"]))
        let html = HTMLRenderer().render(record)
        #expect(html.contains("<details class=\"answer\"><summary>Show the answer</summary><p><strong>the inputs</strong>"))
        #expect(html.contains("<section class=\"answers\"><h2>Answers</h2>"))
        #expect(html.contains("details.answer { display: none; }"))  // in print
        let asking = TerminalRenderer(colour: false, hidingAnswers: true).render(record)
        #expect(asking.contains("Quiz: Which comes first on the tape?\n  1. the inputs\n  2. the output"))
        #expect(!asking.contains("Answer:"))
        #expect(TerminalRenderer(colour: false).render(record).contains("Answer: the inputs (nodes are recorded as they are computed.)"))
    }

    @Test func exercisesSaveBackAsTheirOwnFences() throws {
        let text = "# T\n\n" + Self.quiz + "\n\n" + Self.exercise(answer: "12") + "\n"
        let chapter = try ChapterParser.parse(text, file: "t.md", number: 1, slug: "t")
        #expect(try ChapterWriter.write(chapter.segments, original: text) == text)
        let canonical = try ChapterWriter.write(chapter.segments)
        #expect(canonical.contains("```quiz\nquestion: Which comes first on the tape?\n"))
        #expect(canonical.contains("```exercise\n"))
    }
}
