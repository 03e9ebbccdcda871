// Chapter 6's steps: a model trained with the project's classifier recipe, the label probabilities
// of any log line (each label's score built character by character, and what the model looked
// at), and accuracy, the confusion matrix and the most confident mistakes on held-out lines.
import Autograd
import GPT
import LessonOutput

enum ClassifierSteps {
    static let all = [trainClassifier, classify, evaluate]

    static let trainClassifier = StepDefinition(
        id: "train-classifier",
        summary: "Builds a fresh model with the project's TrainingRecipe and trains it as a classifier, as `gpt train` does, without its validation checks and temperature.",
        parameters: [
            ParameterSpec("steps", .integer(1...100_000), default: String(TrainingRecipe.lessonSteps),
                          "optimizer steps, one training line each (the recipe's own are \(TrainingRecipe().passes) passes over the distinct training lines, at most \(TrainingRecipe.automaticSteps.upperBound))"),
            ParameterSpec("window", .integer(1...10_000), default: "50", "steps in the moving average of the loss"),
        ],
        needs: [.dataset],
        provides: [.model, .trainedModel],
        runsLong: true
    ) { context in
        let state = context.state
        var recipe = state.defaults.recipe  // its steps are the default, so this model is the state's default one
        if context.invocation.parameter("steps") != nil { recipe.steps = try context.integer("steps") }
        if let problem = recipe.problems.first { throw context.error("the lessons' recipe cannot train: \(problem)") }
        do {
            try state.trainWithRecipe(recipe)
        } catch {
            throw context.error("\(error)")
        }
        guard let gpt = state.model else { throw context.error("no model was built") }
        let losses = state.lossHistory
        let window = try context.integer("window")
        let average = TrainingSteps.movingAverage(losses, window: window)
        var report = StepReport()
        let full = TrainingRecipe(), original = TrainingRecipe.original
        let lines = state.split?.train.withoutRepeats().count ?? 0
        let settings: [(String, (TrainingRecipe) -> Cell)] = [
            ("n_embd", { .integer($0.nEmbd) }), ("n_layer", { .integer($0.nLayer) }), ("n_head", { .integer($0.nHead) }),
            ("block_size", { .integer($0.blockSize) }), ("message_weight", { .number($0.messageWeight) }),
            ("learning rate", { .number($0.adam.learningRate) }), ("steps", { .integer($0.steps(distinctLines: lines)) }),
        ]
        report.add(.table(Table(title: "The recipe, beside the original project's", columns: ["setting", "this run", "recipe default", "original"],
                                rows: settings.map { name, value in [.text(name), value(recipe), value(full), value(original)] })))
        let (trained, planned) = (recipe.steps(distinctLines: lines), full.steps(distinctLines: lines))
        report.text("\(gpt.parameterCount) weights. " + (trained == planned ? "The lessons train the recipe's \(planned) steps."
                                                         : "The lessons train \(trained) of the recipe's \(planned) steps."))
        report.add(TrainingSteps.lossCurve(
            "Training loss (label characters weigh 1, message characters \(NumberFormat.short(recipe.messageWeight)))",
            losses, average: average, window: window))
        report.check("steps", losses.count)
        report.check("recipe_steps", full.steps(distinctLines: lines))
        report.check("parameters", gpt.parameterCount)
        report.check("n_embd", recipe.nEmbd)
        report.check("n_layer", recipe.nLayer)
        report.check("message_weight", recipe.messageWeight)
        report.check("learning_rate", recipe.adam.learningRate)
        report.check("first_loss", losses[0])
        report.check("final_loss", average[average.count - 1])
        return report
    }

    static let classify = StepDefinition(
        id: "classify",
        summary: "Label probabilities for any log line: each label's score, character by character, its softmax, and greedy generation; optionally where the last layer looks.",
        parameters: [
            ParameterSpec("line", .text, default: "disk usage at 91% on db-02 (/var/lib/postgresql)",
                          "a log message; a ' -> LABEL' ending is taken as the right answer"),
            ParameterSpec("attention", .flag, default: "false",
                          "also show the last layer's attention over the prompt, averaged over its heads"),
        ],
        needs: [.trainedModel]
    ) { context in
        let classifier = try classifier(context)
        let (message, actual) = messageAndLabel(context.text("line"))
        let result: Classification, greedy: GreedyClassification, breakdown: LabelBreakdown
        do throws(ClassificationError) {
            result = try classifier.classify(message)
            greedy = try classifier.classifyGreedy(message)
            breakdown = try LabelBreakdown(classifier, message: message)
        } catch {
            throw context.error(in: "line", error.reason)
        }
        var report = StepReport()
        report.text("The model reads BOS + \"\(message) -> \" (\(breakdown.prompt.count) tokens) and scores each label's characters after it.")
        if !result.warnings.isEmpty { report.add(.text(result.warnings.map { "Note: \($0)." })) }
        report.add(.table(Table(title: "Each label's score: log P of its characters and the closing BOS, one after another",
                                columns: ["label", "character", "P(character | everything before)", "log P"],
                                rows: breakdown.rows)))
        report.add(.table(Table(title: "From scores to probabilities: P(label) = e^score / (sum of e^score over the three)",
                                columns: ["label", "score", "e^score", "P(label)"],
                                rows: LogLabel.allCases.map { label in
                                    let score = result.logLikelihoods[label]!
                                    return [.text(label.rawValue), .number(score), .number(DeterministicMath.exp(score)),
                                            .number(result.probabilities[label]!)]
                                })))
        report.add(.bars(BarSet(title: "P(label) for \"\(message)\"",
                                bars: LogLabel.allCases.map { BarSet.Bar(label: $0.rawValue, value: result.probabilities[$0]!) },
                                maximum: 1)))
        var verdict = "Label: \(result.label.rawValue) (P = \(NumberFormat.short(result.probabilities[result.label]!)))"
        if let actual { verdict += result.label == actual ? "; right." : "; wrong: the line says \(actual.rawValue)." }
        report.text(verdict, "Greedy generation, the original project's method, writes \"\(greedy.generated)\" after \" -> \".")
        if context.flag("attention") {
            try addAttention(classifier, message: message, context: context, to: &report)
        }
        report.check("label", result.label.rawValue)
        for label in LogLabel.allCases {
            report.check("p.\(label.rawValue)", result.probabilities[label]!)
            report.check("score.\(label.rawValue)", result.logLikelihoods[label]!)
        }
        report.check("greedy", greedy.generated)
        report.check("prompt_tokens", breakdown.prompt.count)
        report.check("warnings", result.warnings.count)
        report.check("max_score_difference", breakdown.maxDifference(from: result.logLikelihoods))
        if let actual { report.check("correct", result.label == actual ? 1 : 0) }
        return report
    }

    static let evaluate = StepDefinition(
        id: "evaluate",
        summary: "Classifies held-out lines: accuracy, macro-F1, precision and recall per label, the confusion matrix, the most confident mistakes.",
        parameters: [
            ParameterSpec("part", .choice(["test", "validation"]), default: "test", "which held-out part of the split"),
            ParameterSpec("lines", .integer(1...100_000), default: "100", "classify the part's first this many lines"),
            ParameterSpec("mistakes", .integer(0...10), default: "5", "how many of the most confident mistakes to list"),
        ],
        needs: [.trainedModel]
    ) { context in
        guard let split = context.state.split else { throw context.error("no dataset") }
        let part = context.text("part") == "test" ? split.test : split.validation
        let examples = Array(part.prefix(try context.integer("lines")))
        let evaluation = EvaluationReport(classifier: try classifier(context), examples: examples)
        let labels = LogLabel.allCases
        let predicted = labels.indices.map { column in evaluation.confusion.map { $0[column] }.reduce(0, +) }
        let majority = labels.map { label in examples.count { $0.label == label } }.max() ?? 0
        var report = StepReport()
        report.text("Classified the first \(examples.count) of the \(part.count) \(context.text("part")) lines, which training never saw.",
                    "Accuracy \(NumberFormat.short(evaluation.accuracy)); always answering the most common label would score \(NumberFormat.short(Double(majority) / Double(max(1, examples.count)))).")
        report.add(.matrix(Matrix(title: "Confusion matrix: how many lines of each label (row) got each prediction (column)",
                                  kind: .counts, rowTitle: "actual", columnTitle: "predicted",
                                  rowLabels: labels.map(\.rawValue), columnLabels: labels.map(\.rawValue),
                                  values: evaluation.confusion.map { $0.map { Double($0) } })))
        report.add(.table(Table(title: "Per label", columns: ["label", "lines", "predicted", "precision", "recall", "F1"],
                                rows: labels.enumerated().map { i, label in
                                    let scores = evaluation.perClass[label]!
                                    return [.text(label.rawValue), .integer(scores.support), .integer(predicted[i]),
                                            .number(scores.precision), .number(scores.recall), .number(scores.f1)]
                                })))
        let shown = evaluation.mistakes.prefix(try context.integer("mistakes"))
        if !shown.isEmpty {
            report.add(.table(Table(title: "The mistakes the model was surest of", columns: ["message", "actual", "predicted", "P(predicted)", "P(actual)"],
                                    rows: shown.map { mistake in
                                        [.text(mistake.example.message), .text(mistake.example.label.rawValue), .text(mistake.predicted.rawValue),
                                         .number(mistake.probabilities[mistake.predicted]!), .number(mistake.probabilities[mistake.example.label]!)]
                                    })))
        }
        report.check("lines", examples.count)
        report.check("accuracy", evaluation.accuracy)
        report.check("macro_f1", evaluation.macroF1)
        report.check("majority_baseline", Double(majority) / Double(max(1, examples.count)))
        for (i, label) in labels.enumerated() {
            report.check("predicted.\(label.rawValue)", predicted[i])
            report.check("recall.\(label.rawValue)", evaluation.perClass[label]!.recall)
        }
        report.check("unclassifiable", evaluation.unclassifiable.count)
        if let top = evaluation.mistakes.first {
            report.check("top_mistake", top.example.message)
            report.check("top_mistake_probability", top.probabilities[top.predicted]!)
        }
        return report
    }

    // MARK: Helpers

    /// A classifier over the current model, made afresh so it reads the weights as they are now.
    static func classifier(_ context: StepContext) throws(LessonError) -> LogClassifier {
        guard let gpt = context.state.model, let tokenizer = context.state.tokenizer else { throw context.error("no model") }
        return LogClassifier(TrainedModel(model: gpt, tokenizer: tokenizer))
    }

    /// The message of a line and, when it ends in " -> LABEL" with a known label, that label.
    static func messageAndLabel(_ line: String) -> (String, LogLabel?) {
        guard let separator = line.range(of: LogExample.separator, options: .backwards),
              let label = LogLabel(rawValue: String(line[separator.upperBound...])) else { return (line, nil) }
        return (String(line[..<separator.lowerBound]), label)
    }

    /// The last layer's attention over the prompt as a heatmap, and the characters its last
    /// position (the one that predicts the label's first character) looks at most.
    static func addAttention(_ classifier: LogClassifier, message: String, context: StepContext,
                             to report: inout StepReport) throws(LessonError) {
        let map: AttentionMap
        do {
            map = try classifier.attention(message)
        } catch {
            throw context.error(in: "line", error.reason)
        }
        let count = map.tokens.count
        report.add(.matrix(Matrix(
            title: "Last layer, mean of its heads: how much each position (row) attends to each earlier one (column)",
            kind: .weights, rowTitle: "query position", columnTitle: "key position",
            rowLabels: map.tokens, columnLabels: map.tokens,
            values: map.weights.map { row in row.map { Optional($0) } + Array(repeating: nil, count: count - row.count) })))
        let last = map.weights[map.weights.count - 1]
        let top = last.indices.sorted { last[$0] > last[$1] }.prefix(8)
        report.add(.bars(BarSet(title: "Where the last position, the one that predicts the label, looks most",
                                bars: top.map { BarSet.Bar(label: "\($0): \(shown(map.tokens[$0]))", value: last[$0]) },
                                maximum: last[top.first ?? 0])))
        report.check("attention.top", map.tokens[top.first ?? 0])
        report.check("attention.top_position", top.first ?? 0)
        report.check("attention.top_weight", last[top.first ?? 0])
    }

    /// A token as a reader can see it: a space as '␣'.
    static func shown(_ token: String) -> String { token == " " ? "␣" : token }
}

/// Each label's score recomputed character by character with the model's recorded forward pass
/// (its `ForwardTrace`) on the prompt the classifier reads, so the chapter can show every term of
/// the sum and check that the terms add up to the scores of the classifier's single-precision pass.
struct LabelBreakdown {
    /// [BOS] + "<message> -> " exactly as the classifier builds it: unknown characters left out,
    /// a long message keeping its start.
    let prompt: [Int]
    /// Per label, in `LogLabel.allCases` order: (character, P) for each label character and the end.
    let terms: [[(character: String, probability: Double)]]

    init(_ classifier: LogClassifier, message: String) throws(ClassificationError) {
        let tokenizer = classifier.trained.tokenizer, model = classifier.trained.model
        let prompt = try classifier.promptTokens(message).ids
        self.prompt = prompt
        terms = LogLabel.allCases.map { label in
            let ids = (try? tokenizer.encode(label.rawValue).get()) ?? []
            let probe = model.traced(prompt + ids)
            return (ids + [tokenizer.bos]).enumerated().map { offset, target in
                let p = TrainingSteps.softmax(probe.logits[prompt.count - 1 + offset])[target]
                return (TrainingSteps.name(target, tokenizer), p)
            }
        }
    }

    /// The sum of log P for each label.
    var scores: [Double] { terms.map { $0.map { DeterministicMath.log($0.probability) }.reduce(0, +) } }

    /// Largest |difference| between these scores and the classifier's.
    func maxDifference(from classifierScores: [LogLabel: Double]) -> Double {
        zip(LogLabel.allCases, scores).map { abs(classifierScores[$0]! - $1) }.max() ?? 0
    }

    /// Table rows: one per character, the label named on its first row, then the label's score.
    var rows: [[Cell]] {
        var rows: [[Cell]] = []
        for (label, (characters, score)) in zip(LogLabel.allCases, zip(terms, scores)) {
            for (i, term) in characters.enumerated() {
                let name: Cell = i == 0 ? .text(label.rawValue) : .empty
                rows.append([name, .text(term.character), .number(term.probability), .number(DeterministicMath.log(term.probability))])
            }
            rows.append([.empty, .text("score"), .empty, .number(score)])
        }
        return rows
    }
}
