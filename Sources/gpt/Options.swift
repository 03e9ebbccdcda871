// Option groups shared by several subcommands, so each flag is spelled and documented once.
import ArgumentParser
import Foundation
import GPT
import Lessons

/// Which data file, and the seed that splits it (and seeds everything else).
struct DataOptions: ParsableArguments {
    @Option(help: "A log file with one '<message> -> <LABEL>' line per example (LF, CRLF or CR line endings); a named pipe, /dev/stdin or <(...) is read once.")
    var data: String = "Dataset/logs_5000.txt"

    @Option(help: "Seed for the weights, the train/validation/test split and the training order.")
    var seed: UInt64 = 42

    func load() throws -> LogDataset {
        try LogDataset.load(path: data)
    }
}

/// The model's shape and the training settings; every field of the recipe can be set. Each size
/// has an upper bound (GPTConfig's and TrainingRecipe's), named in its help, and together the
/// weights and one training step must fit on the tape: validate() says which bound a value breaks
/// before anything is allocated.
struct RecipeOptions: ParsableArguments {
    @Option(help: "Optimizer steps (one log line each), 1 to \(TrainingRecipe.maxSteps) (default: --passes over the distinct training lines).")
    var steps: Int?

    @Option(help: "Passes over the distinct training lines when --steps is not given (default 15), kept within \(TrainingRecipe.automaticSteps.lowerBound) to \(TrainingRecipe.automaticSteps.upperBound) steps.")
    var passes: Double?

    @Option(name: .customLong("rare-label-repeats"),
            help: "Most times a pass visits each line of a rare label (default 8; 1 visits every line once): a label n times rarer than the commonest is visited round(sqrt(n)) times.")
    var rareLabelRepeats: Int?

    @Option(help: "Validation checks without a new best before training stops early (default 5 of the run's 20); 0 never stops early.")
    var patience: Int?

    @Option(name: .customLong("block-size"),
            help: "Longest context in characters, 8 to \(GPTConfig.maxBlockSize); longer messages keep their start.")
    var blockSize: Int?

    @Option(name: .customLong("n-embd"), help: "Width of the model's vectors, 1 to \(GPTConfig.maxNEmbd).")
    var nEmbd: Int?

    @Option(name: .customLong("n-head"), help: "Attention heads, 1 to \(GPTConfig.maxNHead) (must divide --n-embd).")
    var nHead: Int?

    @Option(name: .customLong("n-layer"), help: "Transformer blocks, 1 to \(GPTConfig.maxNLayer).")
    var nLayer: Int?

    @Option(help: "Adam's learning rate at the first step (default 0.003); it falls linearly to 0.")
    var lr: Double?

    @Option(help: "Adam's decay rate of the gradient's running mean (default 0.85).")
    var beta1: Double?

    @Option(help: "Adam's decay rate of the squared gradient's running mean (default 0.99).")
    var beta2: Double?

    @Option(help: "Adam's epsilon, which keeps updates finite (default 1e-8).")
    var eps: Double?

    @Option(name: .customLong("init-std"), help: "Standard deviation of the initial weights (default 0.08).")
    var initStd: Double?

    @Option(name: .customLong("message-weight"),
            help: "Loss weight of the message's characters relative to the label's (1 = plain language modelling).")
    var messageWeight: Double?

    @Flag(help: "Start from the original project's setup (n_embd 24, 1 layer, block size 32, plain language modelling, 1000 steps).")
    var original = false

    /// The default (or original) recipe with every given flag applied.
    func recipe(seed: UInt64) -> TrainingRecipe {
        var recipe = original ? TrainingRecipe.original : TrainingRecipe()
        recipe.seed = seed
        if let steps { recipe.steps = steps }
        if let passes { recipe.passes = passes }
        if let rareLabelRepeats { recipe.maxRareLabelRepeats = rareLabelRepeats }
        if let patience { recipe.patience = patience == 0 ? nil : patience }
        if let blockSize { recipe.blockSize = blockSize }
        if let nEmbd { recipe.nEmbd = nEmbd }
        if let nHead { recipe.nHead = nHead }
        if let nLayer { recipe.nLayer = nLayer }
        if let lr { recipe.adam.learningRate = lr }
        if let beta1 { recipe.adam.beta1 = beta1 }
        if let beta2 { recipe.adam.beta2 = beta2 }
        if let eps { recipe.adam.epsilon = eps }
        if let initStd { recipe.initStd = initStd }
        if let messageWeight { recipe.messageWeight = messageWeight }
        return recipe
    }

    func validate() throws {
        if let problem = recipe(seed: 0).problems.first { throw ValidationError(problem) }
    }
}

/// Which trained model to use.
struct ModelOptions: ParsableArguments {
    @Option(help: "A model written by 'gpt train'.")
    var model: String = TrainedModel.defaultPath

    func load() throws -> TrainedModel {
        do {
            return try TrainedModel.read(path: model)
        } catch let error as CheckpointError where error.fileIsMissing && model == TrainedModel.defaultPath {
            throw CheckpointError(path: model, reason: "there is no trained model here yet",
                                  hint: "train one first with 'gpt train' (it writes \(TrainedModel.defaultPath)), or pass --model PATH")
        }
    }
}

/// Which lessons, and which package their paths start from: every lesson command takes these.
struct LessonFolderOptions: ParsableArguments {
    @Option(name: .customLong("lessons"), help: ArgumentHelp("The lessons folder (default: the nearest Lessons/ at or above the current directory).", valueName: "dir"))
    var directory: String?

    @Option(name: .customLong("root"), help: ArgumentHelp("The package whose Sources/ and Dataset/ the lessons read (default: the nearest folder with Package.swift, Sources/ and Dataset/ at or above the lessons, else at or above the current directory).", valueName: "dir"))
    var root: String?

    /// A runner for the lessons folder and its package root. Unless both are the defaults, one
    /// line on standard error says which root it uses, so a chapter elsewhere never reads another
    /// package's files unannounced.
    func runner(announcing: Bool = true) throws -> LessonRunner {
        let lessons = try LessonOutput.orExit { () throws(LessonError) in try LessonFolder.locate(directory) }
        let found = try packageRoot(lessons: lessons)
        if announcing && (directory != nil || root != nil || found.reason != .aboveLessons) { Terminal.warn(found.description) }
        return LessonRunner(lessonsDirectory: lessons, packageRoot: found.path, modelCache: ModelCache.fromEnvironment())  // GPT_LESSON_CACHE
    }

    /// The package root the runner uses, and why.
    func packageRoot(lessons: String? = nil) throws -> PackageRoot {
        try LessonOutput.orExit { () throws(LessonError) in
            let folder: String
            if let lessons { folder = lessons } else { folder = try LessonFolder.locate(directory) }
            return try PackageRoot.locate(root, lessons: folder)
        }
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
