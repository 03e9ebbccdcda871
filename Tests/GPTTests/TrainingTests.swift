import Autograd
import Foundation
@testable import GPT
import Testing

// The optimizer against numbers worked out by hand, and the training loop: a seed fixes a run bit
// for bit, a short run lowers the loss, and a run that cannot go on says why.

/// Small made-up datasets for the tests that train. Each label has its own words, so a few hundred
/// steps of a tiny model are enough to tell them apart.
enum MadeUpLogs {
    static let services = ["api", "db", "web", "cron", "auth", "mail"]
    static let outcomes: [(LogLabel, [String])] = [
        (.info, ["ok", "done"]),
        (.warning, ["slow", "retry"]),
        (.error, ["failed", "down"]),
    ]

    /// `count` lines "<service> <n> <outcome> -> <LABEL>", the labels in turn (balanced).
    static func lines(count: Int, seed: UInt64) -> String {
        var random = SeededRandom(seed: seed)
        var text = ""
        for i in 0..<count {
            let (label, words) = outcomes[i % outcomes.count]
            let service = services[random.nextInt(below: services.count)]
            let word = words[random.nextInt(below: words.count)]
            text += "\(service) \(random.nextInt(below: 100)) \(word) -> \(label.rawValue)\n"
        }
        return text
    }

    static func dataset(count: Int, seed: UInt64) -> LogDataset {
        try! LogDataset.parse(lines(count: count, seed: seed), source: "made-up-\(count)-\(seed).txt")
    }

    /// The smallest recipe that still learns these lines.
    static func recipe(steps: Int, seed: UInt64 = 42) -> TrainingRecipe {
        var recipe = TrainingRecipe()
        recipe.nEmbd = 16
        recipe.nHead = 2
        recipe.nLayer = 1
        recipe.blockSize = 32
        recipe.steps = steps
        recipe.seed = seed
        recipe.patience = nil  // runs of a few dozen steps on noisy checks: the tests that stop early say so
        return recipe
    }
}

/// All of a model's weights, in checkpoint order.
func weights(of model: GPT) -> [Double] {
    Array(UnsafeBufferPointer(start: model.tape.dataPointer(0), count: model.parameterCount))
}

extension TrainingTests {
    @Suite struct AdamTests {
        /// beta1 0.9 and beta2 0.99 make the first step's bias correction exact: mHat = g, vHat = g^2.
        let settings = AdamSettings(learningRate: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8)

        @Test func twoStepsMatchTheNumbersWorkedOutByHand() {
            var adam = Adam(parameterCount: 3, settings: settings)
            var values = [1.0, -2.0, 0.5]
            var grads = [0.5, -0.1, 0.0]
            // Step 1 at half the learning rate: m = 0.1 g, v = 0.01 g^2, corrected by 1/0.1 and 1/0.01,
            // so each weight moves by 0.05 * g / (|g| + 1e-8): 0.05 against the gradient's sign.
            adam.update(values: &values, grads: &grads, learningRateScale: 0.5)
            #expect(adam.step == 1)
            expectClose(values, [0.95000000099999998, -1.9500000049999995, 0.5])
            #expect(grads == [0.5, -0.1, 0.0], "the optimizer must leave grads alone")

            // Step 2 at the full rate, the first gradient reversed:
            // m1 = 0.9 * 0.05 + 0.1 * -0.25 = 0.02,   mHat = 0.02 / (1 - 0.9^2) = 0.105263...
            // v1 = 0.99 * 0.0025 + 0.01 * 0.0625 = 0.0031,   vHat = 0.0031 / (1 - 0.99^2) = 0.155779...
            // w1 = 0.95... - 0.1 * 0.105263 / (0.394689 + 1e-8) = 0.923330...
            grads = [-0.25, -0.1, 0.0]
            adam.update(values: &values, grads: &grads, learningRateScale: 1)
            #expect(adam.step == 2)
            expectClose(values, [0.92333005876793349, -1.8500000149999985, 0.5])
        }

        @Test func aZeroScaleLeavesWeightsWhereTheyAre() {
            var adam = Adam(parameterCount: 2, settings: settings)
            var values = [0.25, -0.75]
            var grads = [3.0, -4.0]
            adam.update(values: &values, grads: &grads, learningRateScale: 0)
            #expect(values == [0.25, -0.75])
            #expect(adam.step == 1)
        }

        @Test func theDefaultsAreTheOriginalProjects() {
            let defaults = AdamSettings()
            #expect(defaults.learningRate == 0.01)
            #expect(defaults.beta1 == 0.85)
            #expect(defaults.beta2 == 0.99)
            #expect(defaults.epsilon == 1e-8)
        }

        /// Each value within 1e-15 relative (a few rounding steps of double precision).
        private func expectClose(_ actual: [Double], _ expected: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(actual.count == expected.count, sourceLocation: sourceLocation)
            for (a, e) in zip(actual, expected) {
                #expect(abs(a - e) <= 1e-15 * max(1, abs(e)), "got \(a), expected \(e)", sourceLocation: sourceLocation)
            }
        }
    }
}

@Suite struct TrainingTests {
    /// A clock that ticks one second per reading, so elapsed times are predictable.
    final class TickingClock {
        var now = 0.0
        func read() -> Double {
            now += 1
            return now
        }
    }

    @Test func theSameSeedTrainsBitForBitTheSameModel() throws {
        let dataset = MadeUpLogs.dataset(count: 40, seed: 1)
        func run(seed: UInt64) throws -> (weights: [Double], losses: [Double]) {
            var losses: [Double] = []
            let clock = TickingClock()
            let (trained, _) = try MadeUpLogs.recipe(steps: 30, seed: seed)
                .trainModel(on: dataset, clock: clock.read) { losses.append($0.loss) }
            return (weights(of: trained.model), losses)
        }
        let first = try run(seed: 42)
        let second = try run(seed: 42)
        #expect(first.losses.count == 30)
        #expect(first.weights.map(\.bitPattern) == second.weights.map(\.bitPattern))
        #expect(first.losses.map(\.bitPattern) == second.losses.map(\.bitPattern))
        let other = try run(seed: 43)
        #expect(other.weights != first.weights)
        #expect(other.losses != first.losses)
    }

    @Test func aShortRunLowersTheLoss() throws {
        let dataset = MadeUpLogs.dataset(count: 60, seed: 2)
        let tokenizer = Tokenizer(characters: dataset.characters)
        let documents = TrainingRecipe.documents(dataset.examples, tokenizer: tokenizer, blockSize: 32)
        #expect(documents.count == 60)
        let model = GPT(config: GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 16, nHead: 2, blockSize: 32), seed: 42)
        let before = model.meanLoss(documents)
        var losses: [Double] = []
        var nodes: [Int] = []
        let clock = TickingClock()
        try train(model, on: documents, options: TrainingOptions(steps: 300), clock: clock.read) { progress in
            #expect(progress.step == losses.count + 1)
            #expect(progress.steps == 300)
            losses.append(progress.loss)
            nodes.append(progress.nodes)
        }
        let first = losses.prefix(30).reduce(0, +) / 30
        let last = losses.suffix(30).reduce(0, +) / 30
        let after = model.meanLoss(documents)
        print("training loss: first 30 steps \(first), last 30 steps \(last); mean loss \(before) -> \(after)")
        #expect(last < 0.7 * first)
        #expect(after < 0.7 * before)
        #expect(nodes.allSatisfy { $0 > 0 })
        // Training leaves only the weights on the tape, recording, with zero grads.
        #expect(model.tape.count == model.weightsEnd.nodes)
        #expect(model.tape.isRecording)
        #expect((0..<NodeID(model.parameterCount)).allSatisfy { model.tape.grad($0) == 0 })
    }

    @Test func documentsAreVisitedInASeededShuffleThatCycles() throws {
        // Three documents that differ only in length, so each step's node count says which one it was.
        let tokenizer = Tokenizer(characters: Array("ab ->INFO"))
        let documents = ["a", "ab", "aba"].map {
            Document(message: $0, label: "INFO", tokenizer: tokenizer, blockSize: 16)!
        }
        let model = GPT(config: GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 4, nHead: 1, blockSize: 16), seed: 1)
        var nodes: [Int] = []
        try train(model, on: documents, options: TrainingOptions(steps: 7, seed: 5), clock: { 0 }) { nodes.append($0.nodes) }
        #expect(Set(nodes.prefix(3)).count == 3, "each document once per pass")
        #expect(Array(nodes[3..<6]) == Array(nodes[0..<3]))
        #expect(nodes[6] == nodes[0])
    }

    @Test func noDocumentsIsAnError() {
        let model = GPT(config: GPTConfig(vocabSize: 4, nEmbd: 4, nHead: 1, blockSize: 8), seed: 1)
        #expect(throws: TrainingError.noDocuments) {
            try train(model, on: [], options: TrainingOptions(steps: 3), clock: { 0 })
        }
    }

    @Test func aNonFiniteLossStopsTrainingAndNamesTheStep() throws {
        let tokenizer = Tokenizer(characters: Array("ab ->INFO"))
        let document = try #require(Document(message: "ab", label: "INFO", tokenizer: tokenizer, blockSize: 16))
        let model = GPT(config: GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 4, nHead: 1, blockSize: 16), seed: 1)
        model.tape.setData(model.lmHead.start, .nan)
        var steps = 0
        do {
            try train(model, on: [document], options: TrainingOptions(steps: 5), clock: { 0 }) { _ in steps += 1 }
            Issue.record("training on a NaN weight should stop")
        } catch {
            guard case .nonFiniteLoss(let step, let loss) = error else {
                Issue.record("expected nonFiniteLoss, got \(error)")
                return
            }
            #expect(step == 1)
            #expect(loss.isNaN)
            #expect(error.description.contains("step 1"))
            #expect(error.description.contains("HINT"))
        }
        #expect(steps == 0)
    }

    @Test func aRecipeThatCannotTrainSaysWhy() {
        var recipe = MadeUpLogs.recipe(steps: 0)
        #expect(recipe.problems == ["steps is 0; train for at least 1 step"])
        recipe.steps = 10
        recipe.nHead = 3
        #expect(recipe.problems.first?.contains("not divisible by n_head 3") == true)
        recipe.nHead = 2
        recipe.adam.learningRate = 0
        #expect(recipe.problems == ["the learning rate must be positive"])
        recipe.adam.learningRate = 0.01
        recipe.messageWeight = -1
        #expect(recipe.problems == ["the message weight must be 0 or more"])
        #expect(throws: RecipeError.self) {
            try recipe.trainModel(on: MadeUpLogs.dataset(count: 10, seed: 1), clock: { 0 })
        }
        #expect(TrainingRecipe().problems.isEmpty)
        #expect(TrainingRecipe.original.blockSize == 32)
    }

    @Test func aRunReportsItsLossesAndRecordsHowItWasMade() throws {
        // Every tenth line is long: its start is cut to fit the block.
        var text = MadeUpLogs.lines(count: 50, seed: 3)
        text += (0..<5).map { "api \($0) " + String(repeating: "queue full ", count: 6) + "slow -> WARNING\n" }.joined()
        let dataset = try LogDataset.parse(text, source: "report.txt")
        let recipe = MadeUpLogs.recipe(steps: 20)
        let clock = TickingClock()
        let (trained, report) = try recipe.trainModel(on: dataset, clock: clock.read)
        let split = DatasetSplit(dataset, seed: recipe.seed)
        #expect(report.steps == 20)
        let distinct = split.train.withoutRepeats()
        #expect(report.trainLines == distinct.count)
        #expect(report.repeatedTrainLines == split.train.count - distinct.count)
        #expect(report.labelRepeats == distinct.withRareLabelsRepeated(atMost: recipe.maxRareLabelRepeats).repeats)
        #expect(trained.notes["rare_label_repeats"] == "8")
        #expect(report.truncatedLines == distinct.filter { $0.text.count + 2 > recipe.blockSize + 1 }.count)
        #expect(report.truncatedLines > 0)
        #expect(report.trainLoss.isFinite && report.trainLoss > 0)
        #expect(report.validationLoss.isFinite && report.validationLoss > 0)
        #expect(report.seconds > 0)
        #expect(trained.model.config == recipe.config(vocabSize: trained.tokenizer.vocabSize))
        #expect(trained.tokenizer.characters == dataset.characters)
        #expect(trained.notes["seed"] == "42")
        #expect(trained.notes["steps"] == "20")
        #expect(trained.notes["data"] == "report.txt")
        #expect(trained.notes["data_fingerprint"] == dataset.fingerprint)
        #expect(dataset.fingerprint.count == 16)
    }

    @Test func stepsFollowTheDistinctLinesWithinTheirBounds() {
        var recipe = TrainingRecipe()
        #expect(recipe.steps(distinctLines: 4000) == 18_000, "our file's 4,000 training lines reach the cap")
        #expect(recipe.steps(distinctLines: 1000) == 15_000, "15 passes")
        #expect(recipe.steps(distinctLines: 100) == TrainingRecipe.automaticSteps.lowerBound)
        #expect(recipe.steps(distinctLines: 1_000_000) == TrainingRecipe.automaticSteps.upperBound)
        recipe.passes = 2
        #expect(recipe.steps(distinctLines: 3000) == 6000)
        recipe.steps = 77
        #expect(recipe.steps(distinctLines: 3000) == 77, "--steps wins over passes")
        recipe.passes = 0
        #expect(recipe.problems == ["passes is 0.0; it must be above 0 and at most 1000"])
        recipe.passes = 1
        recipe.maxRareLabelRepeats = 0
        #expect(recipe.problems == ["a rare label's lines must be visited at least once a pass"])
    }

    @Test func repeatedLinesAreTrainedOnOnce() throws {
        // Every line four times: training visits each distinct line once a pass, not four.
        let once = MadeUpLogs.lines(count: 40, seed: 6)
        let dataset = try LogDataset.parse(String(repeating: once, count: 4), source: "repeats.txt")
        let (_, report) = try MadeUpLogs.recipe(steps: 10).trainModel(on: dataset, clock: TickingClock().read)
        let train = DatasetSplit(dataset, seed: 42).train
        #expect(report.trainLines == Set(train.map(\.text)).count)
        #expect(report.repeatedTrainLines == train.count - report.trainLines)
        #expect(report.repeatedTrainLines >= 3 * report.trainLines)
    }

    @Test func theModelKeptIsTheOneWithTheLowestValidationLoss() throws {
        let dataset = MadeUpLogs.dataset(count: 120, seed: 7)
        var recipe = MadeUpLogs.recipe(steps: 200)
        recipe.checks = 10
        let (trained, report) = try recipe.trainModel(on: dataset, clock: TickingClock().read)
        #expect(report.checkEvery == 20)
        #expect(report.checks.map(\.step) == Array(stride(from: 20, through: 200, by: 20)))
        let best = try #require(report.best)
        #expect(best.logLoss == report.checks.map(\.logLoss).min())
        #expect(best == report.checks.first { $0.logLoss == best.logLoss }, "a tie keeps the earlier check")
        #expect(trained.notes["best_step"] == String(best.step))
        // The written model scores the validation lines exactly as the best check did.
        let validation = DatasetSplit(dataset, seed: recipe.seed).validation.withoutRepeats()
        let unscaled = LogClassifier(TrainedModel(model: trained.model, tokenizer: trained.tokenizer))
        let scored = try validation.map { ScoredLine(actual: $0.label, scores: try unscaled.classify($0.message).logLikelihoods) }
        // Each check is scored as the model would be if it were kept: capped and at its fitted
        // temperature, the log-loss `gpt eval` would give on these lines.
        #expect(TemperatureScaling.calibrate(scored).logLoss == best.logLoss)
        #expect(report.validationLogLoss.scaled == best.logLoss)
        #expect(report.validationLogLoss.unscaled == TemperatureScaling.logLoss(scored, temperature: 1))
        // The cap is the highest error rate the validation lines' mistakes do not rule out, and the
        // temperature is fitted with it in place.
        let wrong = TemperatureScaling.mistakes(scored)
        #expect(report.validationMistakes.wrong == wrong && report.validationMistakes.distinct == scored.count)
        #expect(trained.unseenErrorRate == TemperatureScaling.unseenErrorRate(mistakes: wrong, distinct: scored.count))
        #expect(trained.temperature == TemperatureScaling.fit(scored, unseenErrorRate: trained.unseenErrorRate))
        // The temperature is the best the cap allows; the cap itself can cost a little on lines the
        // model gets right, so the loss is compared with the capped loss at T = 1.
        #expect(report.validationLogLoss.scaled
                <= TemperatureScaling.logLoss(scored, temperature: 1, unseenErrorRate: trained.unseenErrorRate))
        #expect(!report.stoppedEarly && report.steps == 200)
    }

    @Test func trainingStopsWhenTheChecksStopImproving() throws {
        // A run whose first checks tie at a uniform guess (ln 3) and go on, then learn, then have
        // `patience` checks in a row without a new best: it stops there and keeps the best check's
        // weights. (On this seed the check at step 500 scores 0.469 and the one after it 0.784.)
        var recipe = MadeUpLogs.recipe(steps: 2000)
        recipe.checks = 40
        recipe.patience = 1
        let (trained, report) = try recipe.trainModel(on: MadeUpLogs.dataset(count: 60, seed: 8), clock: TickingClock().read)
        print("checks \(report.checks.map { ($0.step, $0.logLoss) }), best \(String(describing: report.best))")
        let best = try #require(report.best)
        #expect(report.stoppedEarly && report.steps < 2000)
        #expect(best.logLoss < BestValidation.uniformGuessLogLoss)
        #expect(report.steps == best.step + report.checkEvery)
        #expect(report.checks.prefix(5).allSatisfy { abs($0.logLoss - DeterministicMath.log(3)) < 1e-12 }, "at chance, not stopped")
        #expect(report.checks.allSatisfy { $0.logLoss >= best.logLoss })
        #expect(trained.notes["steps"] == String(report.steps))
    }

    @Test func aRunStillAtChanceIsNotStopped() throws {
        // A learning rate so small that no weight moves: every check ties with the first, a uniform
        // guess after the cap, so there is nothing learnt to keep and the run takes all its steps.
        var recipe = MadeUpLogs.recipe(steps: 100)
        recipe.adam.learningRate = 1e-300
        recipe.checks = 10
        recipe.patience = 2
        var steps = 0
        let (trained, report) = try recipe.trainModel(on: MadeUpLogs.dataset(count: 60, seed: 8), clock: TickingClock().read) { _ in
            steps += 1
        }
        #expect(!report.stoppedEarly)
        #expect(report.steps == 100 && steps == 100 && report.plannedSteps == 100)
        #expect(report.checks.allSatisfy { abs($0.logLoss - DeterministicMath.log(3)) < 1e-12 })
        #expect(report.best?.step == 10, "a tie keeps the earlier check")
        #expect(trained.notes["steps"] == "100")
    }

    @Test func meanLossRecordsNothing() {
        let tokenizer = Tokenizer(characters: Array("ab ->INFO"))
        let document = Document(message: "ab", label: "INFO", tokenizer: tokenizer, blockSize: 16)!
        let model = GPT(config: GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 4, nHead: 1, blockSize: 16), seed: 1)
        let loss = model.meanLoss([document, document])
        #expect(loss.isFinite)
        #expect(model.tape.count == model.weightsEnd.nodes)
        #expect(model.tape.isRecording)
        #expect(model.meanLoss([]).isNaN)
    }
}
