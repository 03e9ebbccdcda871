// Exercises: a learner answers, the lesson says right or wrong. Written as ```quiz (choose one of
// a few answers) and ```exercise (a number) fences. A fill-in exercise may give the expression its
// answer comes from: the runner then computes the answer with the real engine, and `gpt check`
// fails the chapter when the written answer is not what the engine gives. The answer travels in
// the step's output, so every renderer decides how to keep it hidden until asked for.
import Autograd
import LessonOutput

enum ExerciseSteps {
    static let all = [quiz, exercise]

    static let common = [
        ParameterSpec("question", .text, default: nil, "what the learner is asked"),
        ParameterSpec("hint", .text, default: "", "a nudge, shown when asked for or after a wrong answer"),
        ParameterSpec("explain", .text, default: "", "why the answer is right, shown with it"),
    ]

    static let quiz = StepDefinition(
        id: "quiz",
        summary: "A question with a few answers, one right (a ```quiz fence); `gpt check` checks that the answer is one of the choices.",
        parameters: common + [
            ParameterSpec("choices", .text, default: nil, "the answers to choose from, separated by ' | '"),
            ParameterSpec("answer", .text, default: nil, "the right one, written as among the choices"),
        ]
    ) { context in
        let choices = context.text("choices").split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        let answer = context.text("answer")
        guard choices.count >= 2, !choices.contains(where: \.isEmpty) else {
            throw context.error(in: "choices", "a quiz needs at least two choices, separated by ' | '",
                                hint: "as in 'choices: the output | the inputs | the weights'")
        }
        guard Set(choices).count == choices.count else {
            throw context.error(in: "choices", "two choices are the same", hint: "make every choice different")
        }
        guard choices.contains(answer) else {
            throw context.error(in: "answer", "'\(answer)' is not one of the choices",
                                hint: "write the answer exactly as among the choices: " + choices.joined(separator: ", "))
        }
        var report = StepReport()
        report.add(.exercise(Exercise(kind: .choice, question: context.text("question"), choices: choices, answer: answer,
                                      tolerance: 0, hint: context.nonEmpty("hint"), explanation: context.nonEmpty("explain"))))
        report.check("answer", answer)
        return report
    }

    static let exercise = StepDefinition(
        id: "exercise",
        summary: "A question whose answer is a number (an ```exercise fence); given an expression, the engine computes the answer and `gpt check` checks the one written.",
        parameters: common + [
            ParameterSpec("answer", .number, default: nil, "the right number"),
            ParameterSpec("tolerance", .number, default: "0.001", "how far an answer may be from it and still be right"),
            ParameterSpec("expr", .text, default: "", "optional: an expression over named inputs the answer comes from"),
            ParameterSpec("of", .text, default: "out", "which number of the expression: out, or grad.NAME for a gradient"),
        ],
        takesNamedInputs: true,
        needs: [.declaredInputs]  // an expression's inputs may come from an inputs step above
    ) { context in
        let answer = try context.number("answer")
        let tolerance = try context.number("tolerance")
        guard tolerance >= 0 else { throw context.error(in: "tolerance", "must not be negative") }
        var report = StepReport()
        report.add(.exercise(Exercise(kind: .number, question: context.text("question"), choices: [], answer: context.text("answer"),
                                      tolerance: tolerance, hint: context.nonEmpty("hint"), explanation: context.nonEmpty("explain"))))
        report.check("answer", answer)
        guard !context.text("expr").isEmpty else { return report }
        let built = try ExpressionSteps.build(context)
        built.output.backward()
        let of = context.text("of")
        let computed: Double
        if of == "out" {
            computed = built.output.data
        } else if of.hasPrefix("grad."), let input = built.inputs.first(where: { $0.name == of.dropFirst(5) }) {
            computed = input.value.grad
        } else {
            throw context.error(in: "of", "'\(of)' is not out or the gradient of an input",
                                hint: "write out, or one of " + built.inputs.map { "grad.\($0.name)" }.joined(separator: ", "))
        }
        report.check("computed", computed)
        report.verify(Verification(
            name: "answer", expected: "\(NumberFormat.full(computed)), what the engine computes for \(of) of \(built.text)",
            actual: .number(answer), passed: abs(answer - computed) <= tolerance,
            message: "the exercise's answer \(NumberFormat.full(answer)) is not the engine's \(NumberFormat.full(computed)) for \(of) of \(built.text)",
            hint: "correct the answer (or the question); learners are told their answer is right only within \(NumberFormat.full(tolerance)) of it"))
        return report
    }
}

extension StepContext {
    /// A text parameter, or nil when it is empty.
    func nonEmpty(_ name: String) -> String? {
        let value = text(name)
        return value.isEmpty ? nil : value
    }
}
