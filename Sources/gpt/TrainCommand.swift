// `gpt train`: trains a model on a log file and writes it as safetensors.
import ArgumentParser
import Foundation
import GPT

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the GPT on a log file and save the model.",
        discussion: """
            The file is split by the seed into train (80%), validation (10%) and test (10%) parts; \
            training sees only the train part, each distinct line of it once a pass (repeats are left \
            out), a rare label's lines more often (--rare-label-repeats). It scores the validation \
            part 20 times a run, keeps the weights that scored best, stops early when 5 checks in a \
            row find nothing better (--patience), and fits on it the temperature the classifier \
            divides its scores by and the cap on its probabilities (one minus the highest error rate \
            its mistakes on those unseen messages do not rule out). The model is written to \
            \(TrainedModel.defaultPath) unless -o says otherwise; the other commands read it from \
            there. Each size flag has an upper bound (see its help); together, the weights and one \
            training step on a line that fills the block must fit in \(GPTConfig.maxTapeNodes) tape \
            nodes (about 2.5 GB).
            """
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var recipeOptions: RecipeOptions

    @Option(name: .shortAndLong, help: "Where to write the model.")
    var output: String = TrainedModel.defaultPath

    func run() throws {
        // Before training, not after: -o must not be the data, a device or a missing folder.
        let inputs = [AtomicFile.Input(data.data, role: "--data")]
        try AtomicFile.checkDestination(output, inputs: inputs)
        let dataset = try data.load()
        if dataset.duplicateCount > 0 {
            Terminal.warn("note: \(dataset.source) repeats \(dataset.duplicateCount) line(s); repeats stay in one part of the split")
        }
        let recipe = recipeOptions.recipe(seed: data.seed)
        print("training on \(dataset.source): \(dataset.examples.count) lines, \(dataset.characters.count) distinct characters")
        print("model: n_embd \(recipe.nEmbd), n_head \(recipe.nHead), n_layer \(recipe.nLayer), block_size \(recipe.blockSize); "
              + (recipe.steps.map { "\($0) steps" } ?? "\(recipe.passes) passes over the distinct training lines")
              + ", lr \(recipe.adam.learningRate), message weight \(recipe.messageWeight), seed \(recipe.seed)")
        var reporter = ProgressReporter()
        let (trained, report) = try recipe.trainModel(on: dataset, clock: Terminal.now) { reporter.show($0) }
        reporter.finish()
        try trained.write(to: output, inputs: inputs)
        for line in Self.summary(report, recipe: recipe) { print(line) }
        print("trained \(report.steps) steps in \(format(report.seconds, 1)) s; model written to \(output)"
              + (output == TrainedModel.defaultPath ? " (the default the other commands read)" : ""))
    }

    /// What the run did, in the order it did it: which lines it trained on, how many steps and
    /// why, which weights it kept, the temperature, and the losses of the model it wrote.
    static func summary(_ report: TrainingReport, recipe: TrainingRecipe) -> [String] {
        var lines: [String] = []
        let repeats = report.repeatedTrainLines > 0
            ? " (\(report.repeatedTrainLines) repeats of them left out: each distinct line weighs the same)" : ""
        let bounds = TrainingRecipe.automaticSteps
        let wanted = recipe.stepsOfPasses(distinctLines: report.trainLines)
        let plan = recipe.steps != nil ? "set by --steps"
            : Double(report.plannedSteps) == wanted ? "\(recipe.passes) passes over them, within \(bounds.lowerBound) to \(bounds.upperBound)"
            : "\(recipe.passes) passes over them would be \(Int(wanted)), kept within \(bounds.lowerBound) to \(bounds.upperBound)"
        lines.append("trained on \(report.trainLines) distinct training lines\(repeats); \(report.plannedSteps) steps planned (\(plan))")
        let rare = LogLabel.allCases.compactMap { label in report.labelRepeats[label].flatMap { $0 > 1 ? "\(label.rawValue) \($0) times" : nil } }
        if !rare.isEmpty {
            lines.append("rare labels visited more often, each line of them a pass: " + rare.joined(separator: ", ")
                         + " (the square root of how much rarer than the commonest; --rare-label-repeats)")
        }
        if let best = report.best {
            lines.append("validation log-loss checked every \(report.checkEvery) steps, \(report.checks.count) times; kept the weights of step "
                         + "\(best.step), the lowest (\(format(best.logLoss, 4)))")
            if report.stoppedEarly, let patience = recipe.patience {
                lines.append("stopped early after step \(report.steps) of \(report.plannedSteps): \(patience) checks in a row "
                             + "found no lower validation log-loss, so more steps were fitting the training lines only")
            }
            let (wrong, distinct) = report.validationMistakes
            lines.append("no answer surer than \(format(1 - report.unseenErrorRate, 4)): the model got \(wrong) of the \(distinct) "
                         + "distinct validation lines wrong, which does not rule out (at 95% confidence) its being wrong on "
                         + "\(format(100 * report.unseenErrorRate, 2))% of the messages it never saw")
            lines.append("temperature \(format(report.temperature, 3)), fitted on the validation part with that cap: its log-loss "
                         + "\(format(report.validationLogLoss.unscaled, 4)) -> \(format(report.validationLogLoss.scaled, 4)) "
                         + "with both (the classifier divides its scores by it; the labels it picks do not change)")
        } else {
            lines.append("no validation lines to check: the model is the last step's, with temperature 1 and no cap on its probabilities")
        }
        if report.validationLoss.isNaN {
            lines.append("train loss \(format(report.trainLoss, 4)) (mean per character); no validation loss: "
                         + "the file is too small to set lines aside")
        } else {
            lines.append("train loss \(format(report.trainLoss, 4)), validation loss \(format(report.validationLoss, 4)) "
                         + "(mean per character, of the weights kept)")
        }
        if report.truncatedLines > 0 {
            lines.append("\(report.truncatedLines) training line(s) were longer than the block; their messages kept "
                         + "their first \(recipe.blockSize - 12) characters")
        }
        return lines
    }
}
