// The state chapters share: the dataset, its tokenizer, the model and what training did to it.
// A chapter that needs something no earlier chapter built gets the default, built here, so any
// chapter can also run on its own. The default trained model is the project's classifier recipe,
// trained for a lesson-sized number of steps. The model always has a name (ModelIdentity) that
// changes with it, and a training run whose result the model cache holds loads it instead of
// training (ModelCache).
import Autograd
import Foundation
import GPT
import LessonOutput
import SwiftCells

/// What the steps of one run share, from the first chapter to the last.
public final class LessonState {
    /// The folder of the chapters.
    public let lessonsDirectory: String
    /// The package the lessons belong to (`PackageRoot`): the folder of `Sources/` and `Dataset/`,
    /// where a lesson's relative paths start. "." is the current directory.
    public let packageRoot: String

    public internal(set) var dataset: LogDataset?
    public internal(set) var tokenizer: Tokenizer?
    public internal(set) var split: DatasetSplit?
    /// The dataset's path as the lesson (or the defaults) named it, for the model's name.
    public internal(set) var datasetPath: String?
    public internal(set) var model: GPT?
    /// How the current model was made, in words, with the cache key of its last training run:
    /// nil when there is no model. It changes whenever the model does.
    public internal(set) var modelIdentity: ModelIdentity?
    /// The seed the current model's weights were drawn with.
    public internal(set) var modelSeed: UInt64 = 0
    /// Training steps the current model has had (0: its weights are still random).
    public internal(set) var trainedSteps = 0
    /// Loss of every step of the last training run.
    public internal(set) var lossHistory: [Double] = []
    /// The last training run of the current model: what it recorded, and whether it came from
    /// the model cache. Nil when the model has not been trained (or its last run was stopped).
    public internal(set) var lastTraining: TrainingRun?
    /// Where trained models are kept between runs; nil trains every time.
    public var modelCache: ModelCache?
    /// What happened to the model during the step now running, in sentences for its output
    /// (trained, or loaded from the cache); the runner shows them and empties the list.
    var modelNotes: [String] = []
    /// The Swift cells that ran to the end, with their chapter's number: a later cell of the same
    /// chapter is compiled after them, so it sees what they defined.
    public internal(set) var swiftCells: [(chapter: Int, cell: SwiftCell)] = []
    /// The `name: number` lines each chapter's `inputs` steps declared, by chapter number: the
    /// expression steps below them in that chapter take these for the names they do not give.
    public internal(set) var declaredInputs: [Int: [Parameter]] = [:] {
        didSet { touch(.inputs) }
    }
    /// Resources whose building step failed, with where it failed.
    var failed: [Resource: SourceLocation] = [:] {
        didSet {
            for slot in StateSlot.allCases where slot.resources.contains(where: { failed[$0] != oldValue[$0] }) { touch(slot) }
        }
    }
    /// How many times each slot has changed: a step changed a slot when its number moved.
    public private(set) var versions: [StateSlot: Int] = [.data: 0, .model: 0, .swift: 0, .inputs: 0]

    /// Hears each step of a training run, and stops the run when it answers false: the notebook
    /// shows a training step's progress and lets the learner cancel it. Nil in `gpt run`.
    public var trainingObserver: ((TrainingProgress) -> Bool)?

    /// Defaults for what a chapter run on its own must build.
    public var defaults: LessonDefaults

    /// A state for the lessons in `lessonsDirectory`, whose paths start at `packageRoot` (by
    /// default the package found for the folder, as `PackageRoot.locate` finds it without --root).
    /// With a `modelCache`, training runs keep their models there and load them again.
    public init(lessonsDirectory: String, packageRoot: String? = nil, defaults: LessonDefaults = LessonDefaults(),
                modelCache: ModelCache? = nil) {
        self.lessonsDirectory = lessonsDirectory
        self.packageRoot = packageRoot ?? PackageRoot.find(for: lessonsDirectory).path
        self.defaults = defaults
        self.modelCache = modelCache
    }

    /// A path written in a lesson, relative to the package root unless absolute.
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") || packageRoot == "." || packageRoot.isEmpty ? path : (packageRoot as NSString).appendingPathComponent(path)
    }

    /// Folders a dataset may be read from: the package, and its `Dataset/` (which may be a link).
    public static let datasetRoots = [".", "Dataset"]

    /// The real path of the file a lesson names (see `resolve`), every symbolic link followed,
    /// when it lies inside one of `roots`: folders relative to the package root, whose own links
    /// are followed too, so `Sources` may be a link to the real one while a link inside it may
    /// not lead out. A lesson reads the files of its package and nothing else.
    public func confined(_ path: String, to roots: [String]) -> Result<String, PathError> {
        let written = resolve(path)
        let names = roots.map { $0 == "." ? "the package folder" : "\($0)/" }
        let allowed = roots.map { Self.realPath(resolve($0)) }
        let described = zip(names, allowed).map { "\($0) (\($1 ?? "missing"))" }.joined(separator: " or ")
        guard let real = Self.realPath(written) else {
            return .failure(PathError(path: path, resolved: written, reason: "no such file", allowed: described))
        }
        guard allowed.contains(where: { $0.map { real == $0 || real.hasPrefix($0 == "/" ? "/" : $0 + "/") } ?? false }) else {
            return .failure(PathError(path: path, resolved: real,
                                      reason: "'\(path)' leads outside \(names.joined(separator: " and "))", allowed: described))
        }
        return .success(real)
    }

    /// `path` with every symbolic link, `.` and `..` resolved, or nil when it does not exist.
    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path.isEmpty ? "." : path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    // MARK: Building what steps need

    /// Loads the dataset at `path` (package-relative, inside `datasetRoots`) and builds the
    /// tokenizer over its characters.
    public func loadDataset(path: String) throws(DatasetError) {
        let real: String
        switch confined(path, to: Self.datasetRoots) {
        case .success(let found): real = found
        case .failure(let problem):
            throw DatasetError(file: problem.resolved, line: nil, reason: problem.reason,
                               hint: "a dataset is a file inside \(problem.allowed), links followed; name it by its path "
                                   + "from the package root, as in Dataset/logs_5000.txt (`gpt dataset` writes a generated one)")
        }
        let loaded = try LogDataset.load(path: real)
        dataset = loaded
        datasetPath = path
        tokenizer = Tokenizer(characters: loaded.characters)
        split = DatasetSplit(loaded, seed: defaults.splitSeed)
        model = nil
        modelIdentity = nil
        trainedSteps = 0
        lossHistory = []
        lastTraining = nil
        touch(.data)
        touch(.model)
    }

    /// A fresh model on the dataset's vocabulary, weights drawn with `seed`.
    public func buildModel(_ config: GPTConfig, seed: UInt64) {
        model = GPT(config: config, seed: seed)
        modelIdentity = .random(config, seed: seed)
        modelSeed = seed
        trainedSteps = 0
        lossHistory = []
        lastTraining = nil
        touch(.model)
    }

    /// The training documents: the training part of the split, as token ids.
    public func trainingDocuments() -> [Document] {
        guard let split, let tokenizer, let model else { return [] }
        return split.train.compactMap {
            Document(message: $0.message, label: $0.label.rawValue, tokenizer: tokenizer, blockSize: model.config.blockSize)
        }
    }

    /// Trains the current model in place and remembers the loss of every step, and the numbers
    /// `recording` reads off the model at each step (by name, in `lastTraining.series`): after the
    /// step's backward pass and before Adam moves the weights, so they may read its gradients
    /// (`train`'s chart of gradient norms), and they must change nothing. With a model cache, a
    /// run the cache holds (the same code, starting weights, data, options and recorded names) is
    /// loaded instead: the same weights, bit for bit, and the same numbers, with no progress
    /// reported to `trainingObserver`; a run that trains to its end is kept there.
    public func runTraining(options: TrainingOptions,
                            recording: [String: (GPT) -> Double] = [:]) throws(TrainingError) {
        guard let model else { return }
        let parent = modelIdentity ?? ModelIdentity(origin: "a model made outside the lesson state")
        touch(.model)  // the weights change from the first step, even if the run stops early
        lastTraining = nil
        var training: TrainingKey?
        if let cache = modelCache, let tokenizer, let data = trainingDataKey() {
            let key = TrainingKey(model: model, data: data, options: options, series: Array(recording.keys))
            training = key
            switch cache.load(key, config: model.config, vocabulary: tokenizer.vocabularyString) {
            case .hit(let entry):
                // Into the model in place, as training would have changed it: a step holding it sees the new weights.
                let stored = entry.weights.model
                for (mine, theirs) in zip(model.matrices, stored.matrices) where mine.name == theirs.name && mine.count == theirs.count {
                    model.tape.dataPointer(mine.start).update(from: stored.tape.dataPointer(theirs.start), count: mine.count)
                }
                lossHistory = entry.losses
                trainedSteps += options.steps
                lastTraining = TrainingRun(steps: options.steps, losses: entry.losses, series: entry.series,
                                           seconds: entry.seconds, loadedFromCache: true, key: key.key)
                modelIdentity = parent.trained(describe(options), key: key.key)
                modelNotes.append("Trained model loaded from the cache: \(key.key.prefix(8)), trained \(options.steps.grouped) steps "
                                  + "in \(Self.seconds(entry.seconds)) originally; nothing was trained now.")
                return
            case .missing:
                break
            case .unusable(let reason):
                modelNotes.append("The cache's entry \(key.key.prefix(8)) could not be used (\(reason)): trained again, and it is replaced.")
            }
        }
        var losses: [Double] = []
        losses.reserveCapacity(options.steps)
        var series = recording.mapValues { _ in [Double]() }
        let documents = trainingDocuments()
        let observer = trainingObserver
        var keepGoing = true
        let started = ContinuousClock.now
        do {
            try train(model, on: documents, options: options, clock: { 0 }, progress: { progress in
                losses.append(progress.loss)
                if let observer { keepGoing = observer(progress) }
            }, shouldStop: { !keepGoing }, afterBackward: { model in
                for (name, value) in recording { series[name]?.append(value(model)) }
            })
        } catch {
            // Half-trained: named as such, and never kept in the cache.
            var partial = options
            partial.steps = losses.count
            modelIdentity = parent.trained(describe(partial) + " of \(options.steps.grouped) (stopped: \(error))", key: nil)
            throw error
        }
        let took = ContinuousClock.now - started
        let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
        lossHistory = losses
        trainedSteps += options.steps
        let run = TrainingRun(steps: options.steps, losses: losses, series: series, seconds: seconds, loadedFromCache: false,
                              key: training?.key)
        lastTraining = run
        modelIdentity = parent.trained(describe(options), key: training?.key)
        if let training, let cache = modelCache, let tokenizer {
            let trained = "Trained \(options.steps.grouped) steps in \(Self.seconds(seconds))"
            if let problem = cache.store(training, model: model, tokenizer: tokenizer, run: run,
                                         description: modelIdentity?.description ?? "") {
                modelNotes.append(trained + "; could not keep the model in the cache (\(problem)).")
            } else {
                modelNotes.append(trained + "; kept in the cache as \(training.key.prefix(8)), so the next run with this model, "
                                  + "data and settings loads it.")
            }
        }
    }

    /// A training run in words: "2,000 steps on Dataset/logs_5000.txt (lr 0.01, message weight 1, order seed 42)".
    func describe(_ options: TrainingOptions) -> String {
        "\(options.steps.grouped) step\(options.steps == 1 ? "" : "s") on \(datasetPath ?? "the dataset") (lr \(options.adam.learningRate), "
            + "message weight \(NumberFormat.full(options.messageWeight)), order seed \(options.seed))"
    }

    /// What a training run's data is in a cache key: the dataset's fingerprint, which of its lines
    /// the training part holds, in order, and the vocabulary.
    func trainingDataKey() -> String? {
        guard let dataset, let split, let tokenizer else { return nil }
        var lines = FNV1a()
        for example in split.train { withUnsafeBytes(of: UInt64(example.lineNumber).littleEndian) { lines.add($0) } }
        return "dataset \(dataset.fingerprint), training lines \(TrainingKey.hex(lines.value)) (\(split.train.count)), "
            + "vocabulary \(TrainingKey.hex(FNV1a.hash(tokenizer.vocabularyString.utf8)))"
    }

    /// "10.8 s", "0.02 s".
    static func seconds(_ value: Double) -> String {
        guard value.isFinite else { return "an unknown time" }
        return String(format: value < 1 ? "%.2f s" : "%.1f s", value)
    }

    /// Replaces the model with a new one of `recipe`'s shape and trains it with the recipe's
    /// settings on the training part: the project's classifier, made as `gpt train` makes it, for
    /// the recipe's steps on these lines, without the validation checks and the temperature.
    public func trainWithRecipe(_ recipe: TrainingRecipe) throws(TrainingError) {
        guard let tokenizer else { return }
        buildModel(recipe.config(vocabSize: tokenizer.vocabSize), seed: recipe.seed)
        try runTraining(options: TrainingOptions(steps: recipe.steps(distinctLines: split?.train.withoutRepeats().count ?? 0),
                                                 seed: recipe.seed, adam: recipe.adam,
                                                 messageWeight: recipe.messageWeight))
    }

    /// The Swift cells of `chapter` that ran to the end so far, in order.
    public func swiftCells(ofChapter chapter: Int) -> [SwiftCell] {
        swiftCells.filter { $0.chapter == chapter }.map(\.cell)
    }

    /// Adds a cell that ran to the end: the cells below it in its chapter see what it defined.
    public func acceptSwiftCell(_ cell: SwiftCell, chapter: Int) {
        swiftCells.append((chapter, cell))
        touch(.swift)
    }

    /// Makes `resource` available, building the default when no step has, unless the step that
    /// should have built it failed: then the error names that step.
    func ensure(_ resource: Resource, for step: StepInvocation) throws(LessonError) {
        if let failure = failed[resource] {
            throw LessonError(at: step.location, step: step.id, "skipped: needs the \(resource.rawValue), which the step at \(failure) failed to build",
                              hint: "fix the error reported there first")
        }
        switch resource {
        case .swiftCells, .declaredInputs:
            return  // what the steps above left: nothing to build
        case .dataset:
            guard dataset == nil else { return }
            do {
                try loadDataset(path: defaults.datasetPath)
            } catch {
                throw LessonError(at: step.location, step: step.id, "cannot load the default dataset: \(error.reason) (\(error.file))",
                                  hint: error.hint ?? "add a `step dataset` with a path before this step")
            }
        case .model:
            try ensure(.dataset, for: step)
            guard model == nil, let tokenizer else { return }
            buildModel(GPTConfig(vocabSize: tokenizer.vocabSize), seed: defaults.modelSeed)
        case .trainedModel:
            try ensure(.dataset, for: step)
            guard model == nil || trainedSteps == 0 else { return }
            do {
                try trainWithRecipe(defaults.recipe)
            } catch {
                throw LessonError(at: step.location, step: step.id, "training the default model failed: \(error)")
            }
        }
    }
}

// MARK: Slots: the state in parts a step replaces whole

/// The parts of the lesson state, each saved and restored whole. The notebook re-runs an edited
/// step on the state as it was before it, and keeps what a step it does not re-run left behind,
/// slot by slot.
public enum StateSlot: String, Sendable, CaseIterable, Hashable {
    /// The dataset, its tokenizer and its split.
    case data
    /// The model (trained or not), its seed and the losses of its training.
    case model
    /// The Swift cells that ran, which the cells below them compile after.
    case swift
    /// The inputs `inputs` steps declared, which the expression steps below them read.
    case inputs

    /// The resources that live in this slot.
    public var resources: [Resource] {
        switch self {
        case .data: return [.dataset]
        case .model: return [.model, .trainedModel]
        case .swift: return [.swiftCells]
        case .inputs: return [.declaredInputs]
        }
    }
}

extension Resource {
    /// The slot this resource lives in: a trained model is the model, after training.
    public var slot: StateSlot {
        switch self {
        case .dataset: return .data
        case .model, .trainedModel: return .model
        case .swiftCells: return .swift
        case .declaredInputs: return .inputs
        }
    }
}

/// One slot's contents at some moment, with a model of its own that nothing else changes.
public struct SlotContents {
    public let slot: StateSlot
    fileprivate var dataset: LogDataset?
    fileprivate var datasetPath: String?
    fileprivate var tokenizer: Tokenizer?
    fileprivate var split: DatasetSplit?
    fileprivate var model: GPT?
    fileprivate var modelIdentity: ModelIdentity?
    fileprivate var modelSeed: UInt64 = 0
    fileprivate var trainedSteps = 0
    fileprivate var lossHistory: [Double] = []
    fileprivate var lastTraining: TrainingRun?
    fileprivate var swiftCells: [(chapter: Int, cell: SwiftCell)] = []
    fileprivate var declaredInputs: [Int: [Parameter]] = [:]
    fileprivate var failed: [Resource: SourceLocation] = [:]

    /// The slot as a fresh state has it: nothing built, nothing failed.
    public static func empty(_ slot: StateSlot) -> SlotContents { SlotContents(slot: slot) }
}

extension LessonState {
    fileprivate func touch(_ slot: StateSlot) { versions[slot, default: 0] += 1 }

    /// A copy of `slot` as it is now. The model is copied, so training it later leaves this alone.
    public func save(_ slot: StateSlot) -> SlotContents {
        var contents = SlotContents(slot: slot)
        for resource in slot.resources { contents.failed[resource] = failed[resource] }
        switch slot {
        case .data:
            contents.dataset = dataset
            contents.datasetPath = datasetPath
            contents.tokenizer = tokenizer
            contents.split = split
        case .model:
            contents.model = model?.copy()
            contents.modelIdentity = modelIdentity
            contents.modelSeed = modelSeed
            contents.trainedSteps = trainedSteps
            contents.lossHistory = lossHistory
            contents.lastTraining = lastTraining
        case .swift:
            contents.swiftCells = swiftCells
        case .inputs:
            contents.declaredInputs = declaredInputs
        }
        return contents
    }

    /// Puts `contents` back in its slot (a copy of its model, so `contents` can be restored again).
    public func restore(_ contents: SlotContents) {
        for resource in contents.slot.resources { failed[resource] = contents.failed[resource] }
        switch contents.slot {
        case .data:
            dataset = contents.dataset
            datasetPath = contents.datasetPath
            tokenizer = contents.tokenizer
            split = contents.split
        case .model:
            model = contents.model?.copy()
            modelIdentity = contents.modelIdentity
            modelSeed = contents.modelSeed
            trainedSteps = contents.trainedSteps
            lossHistory = contents.lossHistory
            lastTraining = contents.lastTraining
        case .swift:
            swiftCells = contents.swiftCells
        case .inputs:
            declaredInputs = contents.declaredInputs
        }
        touch(contents.slot)
    }
}

/// Why a file a lesson names may not be read.
public struct PathError: Error, Sendable, Equatable {
    /// The path as the lesson wrote it.
    public var path: String
    /// Where it leads: the real path, or the resolved one when there is no such file.
    public var resolved: String
    /// "no such file", or that it leads outside the folders it must lie in.
    public var reason: String
    /// Those folders with their real paths, for the hint.
    public var allowed: String
}

/// What a chapter run on its own builds when no earlier chapter did.
public struct LessonDefaults: Sendable {
    /// The dataset, relative to the package root.
    public var datasetPath = "Dataset/logs_5000.txt"
    public var splitSeed: UInt64 = 42
    public var modelSeed: UInt64 = 42
    /// The trained model a step gets when no earlier step trained one, and what
    /// `step train-classifier` trains by default: the project's `TrainingRecipe` (its shape,
    /// message weight, learning rate and seed), replacing an untrained model.
    public var recipe = TrainingRecipe.lessonSized

    public init() {}
}

extension TrainingRecipe {
    /// Optimizer steps of the lessons' training run: the recipe's own on our file (its cap of
    /// 18,000, which our 4,000 distinct training lines reach at 4.5 passes), so chapter 6 shows
    /// the classifier `make run` trains, trained as long, not a weaker one. It is trained without `gpt train`'s validation checks
    /// and temperature: `gpt train` keeps the weights of its best check (step 17,100 when this was
    /// measured), the lessons those of the last step, and the two label 99.6% and 99.2% of the
    /// test lines right. `gpt check` trains it cold at about 2.2 ms a step in the fast debug
    /// build: about 42 s of CPU for chapter 6, and 46 to 54 s (six runs, most near 48) for every
    /// chapter with their Swift cells compiled afresh, inside the 60 s all the lessons may take;
    /// with the lessons' model cache holding it, a check of every chapter takes half a second.
    public static let lessonSteps = 18_000

    /// The project's recipe with its steps fixed at `lessonSteps`, whatever the dataset.
    public static var lessonSized: TrainingRecipe {
        var recipe = TrainingRecipe()
        recipe.steps = lessonSteps
        return recipe
    }
}
