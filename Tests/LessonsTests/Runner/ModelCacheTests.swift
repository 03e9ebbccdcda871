// The model cache: a model loaded from it is the one training makes, bit for bit, with the same
// numbers the step reports; the observer hears training only when it runs; a stopped run is never
// kept; a damaged entry is ignored and replaced; the key follows everything that determines the
// model. And which model a step ran on is named in its output, with every change announced.
import Foundation
import GPT
import Testing
@testable import Lessons

@Suite struct ModelCacheTests {
    /// A cache of its own in a fresh temporary folder.
    static func temporaryCache() -> ModelCache {
        ModelCache(directory: FileManager.default.temporaryDirectory.appendingPathComponent("lesson-models-\(UUID().uuidString)").path)
    }

    /// A state on the package's dataset with a small random model, seed 42.
    static func smallState(cache: ModelCache?) throws -> LessonState {
        let state = LessonState(lessonsDirectory: packageRoot + "/Lessons", modelCache: cache)
        try state.loadDataset(path: "Dataset/logs_5000.txt")
        let tokenizer = try #require(state.tokenizer)
        state.buildModel(GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 8, nHead: 2, nLayer: 1, blockSize: 80), seed: 42)
        return state
    }

    static let options = TrainingOptions(steps: 40, seed: 7, adam: AdamSettings(learningRate: 0.01), messageWeight: 0.5)

    /// Every weight's bits (none without a model).
    static func weights(_ state: LessonState) -> [UInt64] {
        guard let model = state.model else { return [] }
        return (0..<model.parameterCount).map { model.tape.dataPointer(0)[$0].bitPattern }
    }

    static func entries(_ cache: ModelCache) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cache.directory)) ?? []).filter { $0.hasSuffix(".safetensors") }
    }

    @Test func aModelLoadedFromTheCacheIsTheOneTrainingMakesBitForBit() throws {
        let cache = Self.temporaryCache()
        let fresh = try Self.smallState(cache: nil), cold = try Self.smallState(cache: cache), warm = try Self.smallState(cache: cache)
        let norm: [String: (GPT) -> Double] = ["gradients": { $0.tape.gradPointer(0)[0] }]
        try fresh.runTraining(options: Self.options, recording: norm)
        try cold.runTraining(options: Self.options, recording: norm)
        #expect(Self.entries(cache).count == 1)
        try warm.runTraining(options: Self.options, recording: norm)
        #expect(Self.weights(cold) == Self.weights(fresh) && Self.weights(warm) == Self.weights(fresh) && !Self.weights(fresh).isEmpty)
        #expect(warm.lossHistory.map(\.bitPattern) == fresh.lossHistory.map(\.bitPattern) && fresh.lossHistory.count == 40)
        let run = try #require(warm.lastTraining)
        #expect(run.loadedFromCache && cold.lastTraining?.loadedFromCache == false && fresh.lastTraining?.key == nil)
        #expect(run.series == fresh.lastTraining?.series && run.series["gradients"]?.count == 40)
        #expect(run.key == cold.lastTraining?.key && run.seconds == cold.lastTraining?.seconds)
        #expect(warm.trainedSteps == 40 && warm.modelIdentity == cold.modelIdentity)
        #expect(warm.modelIdentity?.description.hasPrefix("trained 40 steps on Dataset/logs_5000.txt (lr 0.01, message weight 0.5, order seed 7), "
                                                          + "from random weights, seed 42 (n_embd 8, n_head 2, n_layer 1, block_size 80) (cache key ") == true)
        #expect(cold.modelNotes.first?.hasPrefix("Trained 40 steps in ") == true)
        #expect(warm.modelNotes.first?.hasPrefix("Trained model loaded from the cache: \(run.key!.prefix(8)), trained 40 steps in ") == true)
        // Training further starts from the loaded weights: the same again.
        try fresh.runTraining(options: Self.options)
        try warm.runTraining(options: Self.options)
        #expect(Self.weights(warm) == Self.weights(fresh) && Self.entries(cache).count == 2)
    }

    /// What the chapters show: the training steps' reports (the loss curve, the validation
    /// losses, every value) and what the steps after them compute, cold, warm and without a cache.
    @Test func aCachedRunReportsWhatTrainingReports() throws {
        let lessons = try makeLessons(["05-train.md": chapter(
            "model\nn_embd: 8\nn_head: 2\nblock_size: 80\n", "train\nsteps: 30\nlr: 0.02\n", "complete\n",
            "train-classifier\nsteps: 20\n", "classify\nline: disk full on db-02 -> ERROR\n")])
        let cache = Self.temporaryCache()
        var defaults = LessonDefaults()
        defaults.recipe.nEmbd = 8
        defaults.recipe.nHead = 2
        defaults.recipe.nLayer = 1
        func run(_ cache: ModelCache?) throws -> RunRecord {
            let runner = LessonRunner(lessonsDirectory: lessons, defaults: defaults, modelCache: cache)
            return runner.run(try runner.chapters())
        }
        let plain = try run(nil), cold = try run(cache), warm = try run(cache)
        #expect(plain.failed == 0 && cold.failed == 0 && warm.failed == 0, "\(warm.steps.compactMap(\.error))")
        #expect(Self.entries(cache).count == 2)
        for (index, step) in plain.steps.enumerated() {
            #expect(cold.steps[index].values == step.values && warm.steps[index].values == step.values, "\(step.id)")
            // Every output but the model's name and what training did, which say how the model came to be.
            #expect(Array(warm.steps[index].outputs.dropLast()) == Array(step.outputs.dropLast()), "\(step.id)")
        }
        let said = { (record: RunRecord, step: Int) in
            guard case .text(let lines)? = record.steps[step].outputs.last else { return "" }
            return lines.joined(separator: "\n")
        }
        #expect(!said(plain, 1).contains("cache"))
        #expect(said(cold, 1).contains("kept in the cache as"))
        #expect(said(warm, 1).contains("Trained model loaded from the cache: "), "\(said(warm, 1))")
        #expect(said(warm, 3).contains("trained 20 steps in "))
    }

    @Test func theObserverHearsTrainingOnlyWhenItRuns() throws {
        let cache = Self.temporaryCache()
        var heard = 0
        let cold = try Self.smallState(cache: cache), warm = try Self.smallState(cache: cache)
        for state in [cold, warm] { state.trainingObserver = { _ in heard += 1; return true } }
        try cold.runTraining(options: Self.options)
        #expect(heard == 40)
        try warm.runTraining(options: Self.options)
        #expect(heard == 40)
    }

    @Test func aStoppedRunIsNamedAsSuchAndNeverKept() throws {
        let cache = Self.temporaryCache()
        let state = try Self.smallState(cache: cache)
        state.trainingObserver = { $0.step < 5 }
        #expect(throws: TrainingError.stopped(step: 5)) { try state.runTraining(options: Self.options) }
        #expect(Self.entries(cache).isEmpty && state.lastTraining == nil)
        #expect(state.modelIdentity?.description.hasPrefix("trained 5 steps on Dataset/logs_5000.txt (lr 0.01, message weight 0.5, order seed 7) "
                                                           + "of 40 (stopped: training was stopped after step 5), from random weights") == true)
        // Trained on from there, the run starts from other weights: another key, trained, kept.
        state.trainingObserver = nil
        try state.runTraining(options: Self.options)
        #expect(Self.entries(cache).count == 1 && state.lastTraining?.loadedFromCache == false)
    }

    @Test func aDamagedEntryIsIgnoredTrainedAgainAndReplaced() throws {
        let cache = Self.temporaryCache()
        let first = try Self.smallState(cache: cache)
        try first.runTraining(options: Self.options)
        let key = try #require(first.lastTraining?.key)
        let path = cache.path(for: key)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        let damages: [(String, Data)] = [
            ("truncated", good.prefix(good.count / 2)), ("empty", Data()), ("not safetensors", Data("hello".utf8)),
            ("flipped header", { var bytes = good; bytes[20] ^= 0xFF; return bytes }()),
        ]
        for (name, bytes) in damages {
            try bytes.write(to: URL(fileURLWithPath: path))
            let state = try Self.smallState(cache: cache)
            try state.runTraining(options: Self.options)
            #expect(state.lastTraining?.loadedFromCache == false, "\(name)")
            #expect(state.modelNotes.first?.hasPrefix("The cache's entry \(key.prefix(8)) could not be used (") == true, "\(name): \(state.modelNotes)")
            #expect(Self.weights(state) == Self.weights(first), "\(name)")
            let again = try Self.smallState(cache: cache)
            try again.runTraining(options: Self.options)
            #expect(again.lastTraining?.loadedFromCache == true && Self.weights(again) == Self.weights(first), "\(name)")
        }
        // An entry of another run at this key (as a hash collision would put it) is not used either.
        let other = try Self.smallState(cache: cache)
        var options = Self.options
        options.steps = 41
        try other.runTraining(options: options)
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: cache.path(for: try #require(other.lastTraining?.key)), toPath: path)
        let state = try Self.smallState(cache: cache)
        try state.runTraining(options: Self.options)
        #expect(state.lastTraining?.loadedFromCache == false && state.modelNotes.first?.contains("another training run") == true)
        #expect(Self.weights(state) == Self.weights(first))
    }

    @Test func aCacheThatCannotBeWrittenOnlyCostsTheNextRunATraining() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-folder-\(UUID().uuidString)").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let state = try Self.smallState(cache: ModelCache(directory: file + "/models"))
        try state.runTraining(options: Self.options)
        #expect(state.lossHistory.count == 40 && state.modelNotes.first?.contains("could not keep the model in the cache") == true)
    }

    @Test func theKeyFollowsEverythingThatDeterminesTheModel() throws {
        let state = try Self.smallState(cache: nil)
        let model = try #require(state.model), data = try #require(state.trainingDataKey())
        let key = { (model: GPT, data: String, options: TrainingOptions, series: [String], code: String) in
            TrainingKey(model: model, data: data, options: options, series: series, code: code).key
        }
        let base = key(model, data, Self.options, [], "code")
        #expect(base == key(model, data, Self.options, [], "code") && base.count == 32)
        var options: [TrainingOptions] = []
        for change in 0..<5 {
            var changed = Self.options
            switch change {
            case 0: changed.steps += 1
            case 1: changed.seed += 1
            case 2: changed.adam.learningRate *= 2
            case 3: changed.adam.beta2 = 0.999
            default: changed.messageWeight = 1
            }
            options.append(changed)
        }
        let other = GPT(config: model.config, seed: 43), wider = GPT(config: GPTConfig(vocabSize: model.config.vocabSize, nEmbd: 8, nHead: 2,
                                                                                       nLayer: 1, blockSize: 81), seed: 42)
        let keys = options.map { key(model, data, $0, [], "code") } + [
            key(other, data, Self.options, [], "code"), key(wider, data, Self.options, [], "code"),
            key(model, data + " ", Self.options, [], "code"), key(model, data, Self.options, ["gradient_norm"], "code"),
            key(model, data, Self.options, [], "rebuilt"),
        ]
        #expect(Set(keys + [base]).count == keys.count + 1)
        // Another split of the same file is other training data.
        var defaults = LessonDefaults()
        defaults.splitSeed = 1
        let resplit = LessonState(lessonsDirectory: packageRoot + "/Lessons", defaults: defaults)
        try resplit.loadDataset(path: "Dataset/logs_5000.txt")
        #expect(resplit.trainingDataKey() != data && resplit.trainingDataKey()?.hasPrefix(String(data.prefix(24))) == true)
        // This build's code version is its object files', found in the build folder: `gpt` built
        // beside these tests has the same, so the two share the cache; a program outside a build has its own.
        let build = try #require(BuildIdentity.current.buildFolder)
        #expect(FileManager.default.fileExists(atPath: build + "/GPT.build") && BuildIdentity.current.codeVersion.count == 16)
        #expect(BuildIdentity(image: build + "/gpt").codeVersion == BuildIdentity.current.codeVersion)
        #expect(BuildIdentity(image: "/nowhere/gpt").codeVersion != BuildIdentity.current.codeVersion)
        #expect(BuildIdentity(image: "/nowhere/gpt").buildFolder == nil)
    }

    @Test func theEnvironmentChoosesTheCacheOrTurnsItOff() {
        #expect(ModelCache.fromEnvironment([:])?.directory == ModelCache.defaultDirectory)
        #expect(ModelCache.defaultDirectory.hasSuffix("/lesson-models"))
        for off in ["off", "OFF", "0", "no", "none", "false", ""] { #expect(ModelCache.fromEnvironment([ModelCache.variable: off]) == nil) }
        #expect(ModelCache.fromEnvironment([ModelCache.variable: "/tmp/models"])?.directory == "/tmp/models")
    }

    // MARK: Which model a step ran on

    /// The text of the step's last output: the model's name, where a step that uses a model puts it.
    static func modelLine(_ step: StepRecord) -> String {
        guard case .text(let lines)? = step.outputs.last else { return "" }
        return lines.joined(separator: "\n")
    }

    @Test func eachStepNamesItsModelAndAChangeOfModelIsAnnounced() throws {
        let lessons = try makeLessons(["04-mixed.md": chapter(
            "attention\nhead: 1\n", "classify\nline: disk full on db-02 -> ERROR\n", "attention\nhead: 1\n", "forward\nexpr: a\na: 1\n")])
        let runner = LessonRunner(lessonsDirectory: lessons, defaults: ClassifierStepsTests.tinyDefaults, modelCache: nil)
        let record = runner.run(try runner.chapters())
        #expect(record.failed == 0, "\(record.steps.compactMap(\.error))")
        let (before, classify, after) = (Self.modelLine(record.steps[0]), Self.modelLine(record.steps[1]), Self.modelLine(record.steps[2]))
        #expect(before == "Model: random weights, seed 42 (n_embd 24, n_head 4, n_layer 1, block_size 96). No step above built a model, "
                + "so this step built the lessons' default; the steps below use it too.")
        let trained = "trained 3 steps on Dataset/logs_5000.txt (lr 0.003, message weight 0.05, order seed 42), "
            + "from random weights, seed 42 (n_embd 8, n_head 2, n_layer 1, block_size 96)"
        #expect(classify == "Model: \(trained). This step needs a trained model and the one above (random weights, seed 42, n_embd 24, "
                + "n_head 4, n_layer 1, block_size 96) was never trained, so it trained the lessons' default in its place: "
                + "the steps below use this one, not the one above.")
        #expect(after == "Model: \(trained).")
        // The same step on the same line reports other numbers, and the names say why.
        #expect(number(record.steps[0], "head1.last_row_max") != number(record.steps[2], "head1.last_row_max"))
        #expect(Self.modelLine(record.steps[3]).isEmpty)  // an expression has nothing to do with the model
        // Every way the record is shown names the model.
        #expect(TerminalRenderer(colour: false).render(record).contains("Model: \(trained)."))
        #expect(HTMLRenderer().render(record).contains("Model: \(trained)."))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(record.json().utf8)) as? [String: Any])
        let outputs = jsonSteps(json)[2]["outputs"] as? [[String: Any]] ?? []
        #expect(outputs.contains { ($0["lines"] as? [String])?.contains("Model: \(trained).") == true }, "\(outputs.last ?? [:])")
    }

    @Test func stepsThatBuildOrTrainTheModelSaySoAndDroppingItIsAnnounced() throws {
        let lessons = try makeLessons(["03-build.md": chapter(
            "model\nn_embd: 8\nn_head: 2\nblock_size: 80\nseed: 3\n", "train\nsteps: 4\n", "model\nn_embd: 8\nn_head: 2\nblock_size: 80\n",
            "dataset\npath: Dataset/logs_5000.txt\n")])
        let runner = LessonRunner(lessonsDirectory: lessons, modelCache: nil)
        let record = runner.run(try runner.chapters())
        #expect(record.failed == 0, "\(record.steps.compactMap(\.error))")
        let random3 = "random weights, seed 3 (n_embd 8, n_head 2, n_layer 1, block_size 80)"
        #expect(Self.modelLine(record.steps[0]) == "Model: \(random3). This step built it; the steps below use it.")
        let trained = "trained 4 steps on Dataset/logs_5000.txt (lr 0.01, message weight 1, order seed 42), from \(random3)"
        #expect(Self.modelLine(record.steps[1]) == "Model: \(trained). This step trained the model above further; the steps below use it.")
        #expect(Self.modelLine(record.steps[2]) == "Model: random weights, seed 42 (n_embd 8, n_head 2, n_layer 1, block_size 80). "
                + "This step built it in place of the model above (random weights, seed 3, n_embd 8, n_head 2, n_layer 1, block_size 80, "
                + "trained 4 steps); the steps below use it.")
        #expect(Self.modelLine(record.steps[3]) == "Model: none now. This step dropped the model above (random weights, seed 42, n_embd 8, "
                + "n_head 2, n_layer 1, block_size 80); a step below that needs one builds the lessons' default.")
    }

    /// The notebook puts a slot back as it was: the model's name goes with its weights.
    @Test func theModelsNameIsSavedAndRestoredWithIt() throws {
        let state = try Self.smallState(cache: nil)
        let saved = state.save(.model)
        try state.runTraining(options: Self.options)
        #expect(state.modelIdentity?.trainings.count == 1 && state.lastTraining != nil)
        state.restore(saved)
        #expect(state.modelIdentity == .random(try #require(state.model).config, seed: 42) && state.lastTraining == nil)
        state.restore(.empty(.model))
        #expect(state.modelIdentity == nil)
    }
}
