// The `inputs` step: values declared once for the expression steps below it in its chapter, a
// step's own line overriding one, an unknown name still an error, and no reach into another chapter.
import Foundation
import Testing
@testable import Lessons

@Suite struct InputsStepTests {
    @Test func laterStepsOfTheChapterTakeTheDeclaredInputs() throws {
        let text = chapter("inputs\na: 2\nb: -3\nexpect a = 2",
                           "forward\nexpr: a * b\nexpect out = -6",
                           "backward\nexpr: a * b + c\nb: 4\nc: 1\nexpect out = 9\nexpect grad.a = 4",
                           "exercise\nquestion: what is a * b?\nanswer: -6\nexpr: a * b",
                           "inputs\na: 10",
                           "forward\nexpr: a * b\nexpect out = -30")
        let record = try runLessons(try makeLessons(["01-inputs.md": text]))
        #expect(record.succeeded, "\(record.steps.flatMap(\.errors))")
        #expect(record.steps.map(\.status) == Array(repeating: .passed, count: 6))
    }

    @Test func aNameNoStepGivesIsStillAnErrorThatNamesTheDeclaredOnes() throws {
        let text = chapter("inputs\na: 2", "forward\nexpr: a * z")
        let step = try #require(try runLessons(try makeLessons(["01-inputs.md": text])).steps.last)
        #expect(step.status == .failed)
        #expect(step.error?.message == "the expression uses 'z' but the step gives it no value; the inputs declared above are a")
    }

    @Test func declaredInputsStayInTheirChapter() throws {
        let record = try runLessons(try makeLessons(["01-one.md": chapter("inputs\na: 2"),
                                                     "02-two.md": chapter("forward\nexpr: a * 3")]))
        let step = try #require(record.steps.last)
        #expect(step.status == .failed)
        #expect(step.error?.message.hasPrefix("the expression uses 'a' but the step gives it no value") == true)
    }

    @Test func anInputsStepWithoutInputsOrWithAWordFails() throws {
        #expect(try runStep("inputs").error?.message == "the inputs step declares no inputs")
        let word = try runStep("inputs\na: two")
        #expect(word.status == .failed && word.errors.first?.message == "input 'a' must be a number, not 'two'")
    }

    /// The inputs live in a slot of the lesson state: saved and restored whole, as the notebook
    /// does when it re-runs a step on the state the steps above it left.
    @Test func declaredInputsAreASlotOfTheState() {
        let state = LessonState(lessonsDirectory: "/tmp")
        let before = state.versions[.inputs]
        state.declaredInputs[1] = [Parameter(name: "a", value: "2")]
        #expect(state.versions[.inputs] != before)
        let saved = state.save(.inputs)
        state.declaredInputs = [:]
        state.restore(saved)
        #expect(state.declaredInputs[1]?.map(\.value) == ["2"])
        #expect(Resource.declaredInputs.slot == .inputs)
    }
}
