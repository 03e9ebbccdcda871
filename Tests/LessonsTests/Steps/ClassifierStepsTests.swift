// Chapter 6's steps on a tiny recipe (so the tests train in a moment): scores that add up to the
// classifier's, the default trained model is the recipe's, evaluation counts every line once, and
// errors point at the line.
import GPT
import Testing
@testable import Lessons

@Suite struct ClassifierStepsTests {
    /// The project's recipe shrunk to a model that trains in a moment.
    static var tinyDefaults: LessonDefaults {
        var defaults = LessonDefaults()
        defaults.recipe.nEmbd = 8
        defaults.recipe.nHead = 2
        defaults.recipe.nLayer = 1
        defaults.recipe.steps = 3
        return defaults
    }

    func run(_ fences: String...) throws -> RunRecord {
        let lessons = try makeLessons(["06-test.md": "# Test\n\n" + fences.map { "```step " + $0 + "\n```\n" }.joined(separator: "\nProse.\n\n")])
        let runner = LessonRunner(lessonsDirectory: lessons, defaults: Self.tinyDefaults)
        return runner.run(try runner.chapters())
    }

    func number(_ step: StepRecord, _ name: String) -> Double? {
        guard case .number(let value)? = step.values.first(where: { $0.name == name })?.value else { return nil }
        return value
    }

    /// The lesson sums each label's terms in double precision; the classifier runs in single
    /// precision, so the two agree to about a millionth.
    @Test func classifyShowsScoresThatAddUpToTheClassifiers() throws {
        let record = try run("train-classifier\nsteps: 3\nexpect steps = 3\n",
                             "classify\nline: disk full on db-02 -> ERROR\nattention: true\nexpect max_score_difference = 0 ± 1e-4\n")
        #expect(record.failed == 0, "\(record.steps.compactMap(\.error))")
        let step = record.steps[1]
        let total = LogLabel.allCases.compactMap { number(step, "p.\($0.rawValue)") }.reduce(0, +)
        #expect(abs(total - 1) < 1e-12)
        #expect([0, 1].contains(number(step, "correct")))
        #expect(number(step, "prompt_tokens") == Double(1 + "disk full on db-02 -> ".count))
        #expect(step.outputs.contains { if case .matrix(let m) = $0 { m.kind == .weights } else { false } })
        #expect(step.outputs.contains { if case .bars = $0 { true } else { false } })
    }

    @Test func aChapterOnItsOwnGetsTheRecipeModelTrainClassifierBuilds() throws {
        let alone = try run("classify\nline: user 4411 logged in\n")
        let trained = try run("train-classifier\n", "classify\nline: user 4411 logged in\n")
        #expect(alone.failed == 0 && trained.failed == 0, "\(alone.steps.compactMap(\.error))")
        #expect(alone.steps[0].values == trained.steps[1].values)
        #expect(number(trained.steps[0], "n_embd") == 8 && number(trained.steps[0], "steps") == 3)
    }

    @Test func stateTrainsTheRecipesShapeReplacingAnUntrainedModel() throws {
        let state = LessonState(lessonsDirectory: packageRoot + "/Lessons", defaults: Self.tinyDefaults)
        try state.loadDataset(path: "Dataset/logs_5000.txt")
        let tokenizer = try #require(state.tokenizer)
        state.buildModel(GPTConfig(vocabSize: tokenizer.vocabSize), seed: 1)
        try state.trainWithRecipe(Self.tinyDefaults.recipe)
        #expect(state.model?.config == Self.tinyDefaults.recipe.config(vocabSize: tokenizer.vocabSize))
        #expect(state.trainedSteps == 3 && state.lossHistory.count == 3)
    }

    @Test func lessonRecipeIsTheProjectsOnOurFile() {
        var recipe = TrainingRecipe.lessonSized
        // The recipe's own steps follow the data: 18,000 on our file's 4,000 training lines, and
        // the lessons fix theirs at that number.
        #expect(recipe.steps == TrainingRecipe.lessonSteps && TrainingRecipe.lessonSteps == TrainingRecipe().steps(distinctLines: 4000))
        recipe.steps = TrainingRecipe().steps
        #expect(recipe == TrainingRecipe())
        #expect(LessonDefaults().recipe == TrainingRecipe.lessonSized)
    }

    @Test func evaluateCountsEveryLineOnce() throws {
        let record = try run("evaluate\nlines: 20\nmistakes: 3\nexpect lines = 20\nexpect unclassifiable = 0\n")
        #expect(record.failed == 0, "\(record.steps.compactMap(\.error))")
        let step = record.steps[0]
        guard case .matrix(let confusion)? = step.outputs.first(where: { if case .matrix = $0 { true } else { false } }) else {
            Issue.record("expected a confusion matrix")
            return
        }
        #expect(confusion.kind == .counts && confusion.rowLabels == LogLabel.allCases.map(\.rawValue))
        let cells = confusion.values.flatMap { $0.compactMap { $0 } }
        #expect(cells.reduce(0, +) == 20)
        let predicted = LogLabel.allCases.compactMap { number(step, "predicted.\($0.rawValue)") }
        #expect(predicted.reduce(0, +) == 20)
        let diagonal = confusion.values.indices.map { confusion.values[$0][$0] ?? 0 }.reduce(0, +)
        #expect(number(step, "accuracy") == diagonal / 20)
    }

    @Test func aLineTheModelCannotReadIsAnErrorAtTheLine() throws {
        let record = try run("classify\nline: ~~~\n")
        let error = try #require(record.steps[0].error)
        #expect(error.location.line == 4 && error.location.column == 7)
        #expect(error.message.contains("none of the characters the model knows"), "\(error.message)")
    }

    @Test func aLabelEndingIsTheAnswerOnlyWhenItIsALabel() {
        #expect(ClassifierSteps.messageAndLabel("disk full -> ERROR") == ("disk full", .error))
        #expect(ClassifierSteps.messageAndLabel("a -> b -> INFO") == ("a -> b", .info))
        #expect(ClassifierSteps.messageAndLabel("disk full -> FATAL") == ("disk full -> FATAL", nil))
    }
}
