// One training run from a dataset to a trained model: the recipe (model shape and training
// settings), the split, the distinct training lines, the loop with the validation checks that keep
// the best weights, the temperature fitted on the validation part, and the losses at the end.
// `gpt train` and the tests go through here, so they train the same way.
import Autograd

/// The model's shape and how to train it. The defaults are the project's classifier setup;
/// `TrainingRecipe.original` is the original project's, one set of flags away.
public struct TrainingRecipe: Sendable, Equatable {
    public var nEmbd = 32        // width of the residual stream (the original's 24 learns labels slowly)
    public var nHead = 4         // attention heads
    public var nLayer = 2        // transformer blocks: a second one lets the label read what the first found
    public var blockSize = 96    // context: a whole generated line with its label fits
    public var initStd = 0.08    // standard deviation of every initial weight
    public var steps: Int?       // optimizer steps, one document each; nil: `passes` over the distinct training lines
    public var passes = 15.0     // when steps is nil; our file's 4,000 training lines reach the 18,000 cap at 4.5
    /// Most times a line of a rare label is visited per pass (1: each line once). On real logs
    /// nine lines in ten can be INFO; visited once each, the few ERROR lines barely move the model.
    public var maxRareLabelRepeats = 8
    public var seed: UInt64 = 42 // weights, split and document order all follow from it
    public var adam = AdamSettings(learningRate: 0.003) // 0.01 (the original's) is too jumpy with one line per step
    public var messageWeight = 0.05 // loss weight of message characters; the label's weigh 1
    public var checks = 20       // validation checks over a run; training keeps the best weights they saw
    public var patience: Int? = 5 // checks without a new best before training stops early; nil never stops

    public init() {}

    /// The original project's setup: n_embd 24, one layer, block size 32, plain language
    /// modelling, 1000 steps.
    public static var original: TrainingRecipe {
        var recipe = TrainingRecipe()
        recipe.nEmbd = 24
        recipe.nLayer = 1
        recipe.blockSize = 32
        recipe.steps = 1000
        recipe.adam.learningRate = 0.01
        recipe.messageWeight = 1
        recipe.maxRareLabelRepeats = 1
        return recipe
    }

    /// The model config for a vocabulary of `vocabSize` ids.
    public func config(vocabSize: Int) -> GPTConfig {
        GPTConfig(vocabSize: vocabSize, nEmbd: nEmbd, nHead: nHead, nLayer: nLayer, blockSize: blockSize, initStd: initStd)
    }

    /// The bounds of the steps `passes` choose: a small file still trains long enough to learn
    /// something, and a large one no longer than our own file's run, whatever its size.
    public static let automaticSteps = 2_000...18_000

    /// The steps of a run on `distinctLines` distinct training lines: `steps` when set, otherwise
    /// `passes` over them within `automaticSteps`.
    public func steps(distinctLines: Int) -> Int {
        if let steps { return steps }
        let wanted = stepsOfPasses(distinctLines: distinctLines)
        return Int(min(max(wanted, Double(Self.automaticSteps.lowerBound)), Double(Self.automaticSteps.upperBound)))
    }

    /// The steps `passes` over `distinctLines` lines ask for, before `automaticSteps` bounds them.
    public func stepsOfPasses(distinctLines: Int) -> Double { (passes * Double(distinctLines)).rounded() }

    /// Most optimizer steps a run may take: some seven hours at the default model's 2.5 ms per step,
    /// and a bound on the per-step timings `gpt bench` keeps (8 bytes each).
    public static let maxSteps = 10_000_000

    /// Problems with the recipe, in words a user can act on; empty when it is usable.
    public var problems: [String] {
        var found = config(vocabSize: 2).problems
        if let steps, steps < 1 { found.append("steps is \(steps); train for at least 1 step") }
        if let steps, steps > Self.maxSteps { found.append("steps is \(steps); it must be at most \(Self.maxSteps)") }
        if !(passes > 0 && passes <= 1000) { found.append("passes is \(passes); it must be above 0 and at most 1000") }
        if checks < 1 { found.append("checks is \(checks); check the validation part at least once") }
        if maxRareLabelRepeats < 1 { found.append("a rare label's lines must be visited at least once a pass") }
        if let patience, patience < 1 { found.append("patience is \(patience); it must be at least 1 check") }
        if !(adam.learningRate > 0) { found.append("the learning rate must be positive") }
        if !(adam.beta1 >= 0 && adam.beta1 < 1) { found.append("beta1 is \(adam.beta1); it must be in [0, 1)") }
        if !(adam.beta2 >= 0 && adam.beta2 < 1) { found.append("beta2 is \(adam.beta2); it must be in [0, 1)") }
        if !(adam.epsilon > 0) { found.append("eps must be positive") }
        if !(messageWeight >= 0) { found.append("the message weight must be 0 or more") }
        return found
    }
}

/// What a finished run measured.
public struct TrainingReport: Sendable {
    public let trainLoss: Double        // mean per-token loss on (up to 1000) training lines
    public let validationLoss: Double   // the same on the validation part
    public let seconds: Double
    /// Steps the run planned (from `passes`, or `steps` when set) and steps it took.
    public let plannedSteps: Int
    public let steps: Int
    /// Distinct training lines, which training visits, and the repeats of them it left out.
    public let trainLines: Int
    public let repeatedTrainLines: Int
    /// How many times a pass visits each line of a label (1 for all but rare labels).
    public let labelRepeats: [LogLabel: Int]
    /// Training lines longer than the block, whose start was cut.
    public let truncatedLines: Int
    /// The validation checks in order, one every `checkEvery` steps and one after the last; empty
    /// when the validation part is.
    public let checks: [ValidationCheck]
    public let checkEvery: Int
    /// The check whose weights the model has (the lowest validation log-loss), if any ran.
    public let best: ValidationCheck?
    /// True when training stopped before `plannedSteps` because the checks stopped improving.
    public let stoppedEarly: Bool
    /// The temperature fitted on the validation part, and the validation log-loss without and with
    /// it (and the cap).
    public let temperature: Double
    /// The cap on every probability, 1 minus this: the highest error rate that k mistakes on the n
    /// distinct validation lines do not rule out (0 when there are none; see
    /// `TemperatureScaling.unseenErrorRate`), with k and n.
    public let unseenErrorRate: Double
    public let validationMistakes: (wrong: Int, distinct: Int)
    public let validationLogLoss: (unscaled: Double, scaled: Double)
}

extension TrainingRecipe {
    /// The most validation lines a check scores: enough to tell one check from the next, and
    /// cheap (1000 lines take about 0.1 s) even when the validation part is a million lines.
    public static let maxValidationLines = 1000

    /// Trains a new model on the distinct lines of the training part of `dataset` (split by
    /// `seed`), reporting each step; keeps the weights of the best validation check and fits the
    /// temperature on the validation part.
    public func trainModel(on dataset: LogDataset, clock: () -> Double,
                      progress: (TrainingProgress) -> Void = { _ in }) throws -> (TrainedModel, TrainingReport) {
        if let problem = problems.first { throw RecipeError(problem: problem) }
        let start = clock()
        let tokenizer = Tokenizer(characters: dataset.characters)
        let config = config(vocabSize: tokenizer.vocabSize)
        let split = DatasetSplit(dataset, seed: seed)
        let trainLines = split.train.withoutRepeats()
        let documents = Self.documents(trainLines, tokenizer: tokenizer, blockSize: blockSize)
        let (visited, labelRepeats) = trainLines.withRareLabelsRepeated(atMost: maxRareLabelRepeats)
        let visitedDocuments = Self.documents(visited, tokenizer: tokenizer, blockSize: blockSize)
        let validationLines = Array(split.validation.withoutRepeats().prefix(Self.maxValidationLines))
        let model = GPT(config: config, seed: seed)
        let plannedSteps = steps(distinctLines: trainLines.count)
        let options = TrainingOptions(steps: plannedSteps, seed: seed, adam: adam, messageWeight: messageWeight)
        let checkEvery = (plannedSteps + checks - 1) / checks
        var keeper = BestValidation(model: model, tokenizer: tokenizer, validation: validationLines,
                                    every: checkEvery, patience: patience)
        var stepsTaken = plannedSteps
        do {
            try train(model, on: visitedDocuments, options: options, clock: clock, progress: { step in
                progress(step)
                keeper.after(step: step.step, of: plannedSteps)
            }, shouldStop: { keeper.shouldStop })
        } catch TrainingError.stopped(let step) {
            stepsTaken = step
        }
        keeper.restoreBest()
        let scored = keeper.scoredLines()
        let calibration = TemperatureScaling.calibrate(scored)
        let (wrong, unseenErrorRate, temperature) = (calibration.mistakes, calibration.unseenErrorRate, calibration.temperature)
        let validation = Self.documents(split.validation, tokenizer: tokenizer, blockSize: blockSize)
        let report = TrainingReport(
            trainLoss: model.meanLoss(Array(documents.prefix(1000))),
            validationLoss: model.meanLoss(Array(validation.prefix(1000))),
            seconds: clock() - start, plannedSteps: plannedSteps, steps: stepsTaken, trainLines: trainLines.count,
            repeatedTrainLines: split.train.count - trainLines.count, labelRepeats: labelRepeats,
            truncatedLines: documents.filter { $0.truncatedCharacters > 0 }.count,
            checks: keeper.checks, checkEvery: checkEvery, best: keeper.best, stoppedEarly: stepsTaken < plannedSteps, temperature: temperature,
            unseenErrorRate: unseenErrorRate, validationMistakes: (wrong, scored.count),
            validationLogLoss: (TemperatureScaling.logLoss(scored, temperature: 1),
                                TemperatureScaling.logLoss(scored, temperature: temperature, unseenErrorRate: unseenErrorRate)))
        var notes = ["seed": String(seed), "steps": String(stepsTaken), "data": dataset.source,
                     "data_fingerprint": dataset.fingerprint,
                     "message_weight": String(messageWeight), "learning_rate": String(adam.learningRate),
                     "rare_label_repeats": String(maxRareLabelRepeats)]
        if let best = keeper.best { notes["best_step"] = String(best.step) }
        return (TrainedModel(model: model, tokenizer: tokenizer, notes: notes, temperature: temperature,
                             unseenErrorRate: unseenErrorRate), report)
    }

    /// The training documents of some examples, each made when it is read rather than all at
    /// once: as arrays of token ids they took eight bytes a character, nine times the file.
    /// Every character is in the vocabulary, which is built from the whole dataset, so none is dropped.
    static func documents(_ examples: LogExamples, tokenizer: Tokenizer, blockSize: Int) -> LazyMapCollection<LogExamples, Document> {
        examples.lazy.map { Document(known: $0.message, label: $0.label.rawValue, tokenizer: tokenizer, blockSize: blockSize) }
    }
}

/// A recipe that cannot train, and why.
public struct RecipeError: Error, CustomStringConvertible {
    public let problem: String
    public var description: String { "cannot train: \(problem)" }
}
