// One training run from a dataset to a trained model: the recipe (model shape and training
// settings), the split, the documents, the loop, and the losses at the end. `gpt train`, the
// lessons and the tests all go through here, so they train the same way.
import Autograd

/// The model's shape and how to train it. The defaults are the project's classifier setup;
/// `TrainingRecipe.original` is the original project's, one set of flags away.
public struct TrainingRecipe: Sendable, Equatable {
    public var nEmbd = 32        // width of the residual stream (the original's 24 learns labels slowly)
    public var nHead = 4         // attention heads
    public var nLayer = 2        // transformer blocks: a second one lets the label read what the first found
    public var blockSize = 96    // context: a whole generated line with its label fits
    public var initStd = 0.08    // standard deviation of every initial weight
    public var steps = 18_000    // optimizer steps, one document each: 4.5 passes over 4000 lines
    public var seed: UInt64 = 42 // weights, split and document order all follow from it
    public var adam = AdamSettings(learningRate: 0.003) // 0.01 (the original's) is too jumpy with one line per step
    public var messageWeight = 0.05 // loss weight of message characters; the label's weigh 1

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
        return recipe
    }

    /// The model config for a vocabulary of `vocabSize` ids.
    public func config(vocabSize: Int) -> GPTConfig {
        GPTConfig(vocabSize: vocabSize, nEmbd: nEmbd, nHead: nHead, nLayer: nLayer, blockSize: blockSize, initStd: initStd)
    }

    /// Most optimizer steps a run may take: some seven hours at the default model's 2.5 ms per step,
    /// and a bound on the per-step timings `gpt bench` keeps (8 bytes each).
    public static let maxSteps = 10_000_000

    /// Problems with the recipe, in words a user can act on; empty when it is usable.
    public var problems: [String] {
        var found = config(vocabSize: 2).problems
        if steps < 1 { found.append("steps is \(steps); train for at least 1 step") }
        if steps > Self.maxSteps { found.append("steps is \(steps); it must be at most \(Self.maxSteps)") }
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
    public let steps: Int
    public let trainLines: Int
    /// Training lines longer than the block, whose start was cut.
    public let truncatedLines: Int
}

extension TrainingRecipe {
    /// Trains a new model on the training part of `dataset` (split by `seed`), reporting each step.
    public func trainModel(on dataset: LogDataset, clock: () -> Double,
                      progress: (TrainingProgress) -> Void = { _ in }) throws -> (TrainedModel, TrainingReport) {
        if let problem = problems.first { throw RecipeError(problem: problem) }
        let start = clock()
        let tokenizer = Tokenizer(characters: dataset.characters)
        let config = config(vocabSize: tokenizer.vocabSize)
        let split = DatasetSplit(dataset, seed: seed)
        let documents = Self.documents(split.train, tokenizer: tokenizer, blockSize: blockSize)
        let model = GPT(config: config, seed: seed)
        let options = TrainingOptions(steps: steps, seed: seed, adam: adam, messageWeight: messageWeight)
        try train(model, on: documents, options: options, clock: clock, progress: progress)
        let validation = Self.documents(split.validation, tokenizer: tokenizer, blockSize: blockSize)
        let report = TrainingReport(
            trainLoss: model.meanLoss(Array(documents.prefix(1000))),
            validationLoss: model.meanLoss(Array(validation.prefix(1000))),
            seconds: clock() - start, steps: steps, trainLines: documents.count,
            truncatedLines: documents.filter { $0.truncatedCharacters > 0 }.count)
        let notes = ["seed": String(seed), "steps": String(steps), "data": dataset.source,
                     "data_fingerprint": dataset.fingerprint,
                     "message_weight": String(messageWeight), "learning_rate": String(adam.learningRate)]
        return (TrainedModel(model: model, tokenizer: tokenizer, notes: notes), report)
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
