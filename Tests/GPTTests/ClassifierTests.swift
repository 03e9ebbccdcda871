import Autograd
import Foundation
@testable import GPT
import Testing

// The classifier against a brute-force reference: each label's score is the log-likelihood of its
// characters and the end token after "<message> -> ", which the plain forward pass over the whole
// line gives too. Then odd input, greedy generation, attention, and models trained briefly on two
// made-up datasets, which must classify well above chance.

/// An untrained model with weights large enough that the three labels get clearly different scores.
private func randomModel(seed: UInt64 = 17) -> TrainedModel {
    let tokenizer = Tokenizer(characters: Array("abcdefghijklmnopqrstuvwxyz0123456789 ->INFOWARNGE"))
    let config = GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 32, initStd: 0.4)
    return TrainedModel(model: GPT(config: config, seed: seed), tokenizer: tokenizer)
}

/// log P(label's characters, then BOS | BOS + message + " -> "), by running the whole line through
/// the model on a fresh tape and reading each target's log-softmax off the logits.
private func bruteForceLogLikelihood(_ trained: TrainedModel, message: String, label: LogLabel) -> Double {
    let model = trained.model.copy()
    let tokenizer = trained.tokenizer
    let prompt = [tokenizer.bos] + (try! tokenizer.encode(message + " -> ").get())
    let tokens = prompt + (try! tokenizer.encode(label.rawValue).get()) + [tokenizer.bos]
    var cache = KVCache(layers: model.config.nLayer)
    var total = 0.0
    for position in 0..<(tokens.count - 1) {
        let logits = model.tape.data(model.forward(token: tokens[position], position: position, cache: &cache)!)
        guard position + 1 >= prompt.count else { continue }
        let top = logits.max()!
        let logSum = top + log(logits.map { exp($0 - top) }.reduce(0, +))
        total += logits[tokens[position + 1]] - logSum
    }
    return total
}

/// The label's log-likelihood after `prompt` from the recorded forward pass, summed as the
/// classifier sums it: the reference for the tape-free inference pass.
private func tapeLogLikelihood(_ trained: TrainedModel, prompt: [Int], label: LogLabel) -> Double {
    let model = trained.model.copy()
    let tokens = prompt + (try! trained.tokenizer.encode(label.rawValue).get()) + [trained.tokenizer.bos]
    var cache = KVCache(layers: model.config.nLayer)
    var total = 0.0
    for position in 0..<(tokens.count - 1) {
        let logits = model.forward(token: tokens[position], position: position, cache: &cache)!
        if position + 1 >= prompt.count { total += model.tape.logProbability(logits, of: tokens[position + 1]) }
    }
    return total
}

/// The same number from the training loss: with message weight 0 the loss of the line's document
/// is the mean cross-entropy over exactly the label's characters and the final BOS.
private func logLikelihoodFromLoss(_ trained: TrainedModel, message: String, label: LogLabel) -> Double {
    let model = trained.model.copy()
    let document = Document(message: message, label: label.rawValue, tokenizer: trained.tokenizer,
                            blockSize: model.config.blockSize)!
    let loss = model.tape.data(model.loss(of: document, messageWeight: 0))
    return -loss * Double(label.rawValue.count + 1)
}

/// Models trained once and shared by the tests that need a classifier that has learnt something.
/// Each test makes its own `LogClassifier`, which copies the weights, so they never share a tape.
enum TrainedFixtures {
    /// 150 balanced lines of the simple pattern, 500 steps spent mostly on the labels.
    nonisolated(unsafe) static let simple: (trained: TrainedModel, dataset: LogDataset) = {
        let dataset = MadeUpLogs.dataset(count: 150, seed: 5)
        var recipe = MadeUpLogs.recipe(steps: 500)
        recipe.adam.learningRate = 0.02
        recipe.messageWeight = 0.1
        let (trained, _) = try! recipe.trainModel(on: dataset, clock: { 0 })
        return (trained, dataset)
    }()
}

@Suite struct ClassifierTests {
    let messages = ["api 12 ok", "db 7 failed", "cron 99 slow", "a", "zz 0 -> x"]

    @Test func probabilitiesSumToOne() throws {
        let classifier = LogClassifier(randomModel())
        for message in messages {
            let result = try classifier.classify(message)
            #expect(Set(result.probabilities.keys) == Set(LogLabel.allCases))
            #expect(abs(result.probabilities.values.reduce(0, +) - 1) <= 1e-12)
            #expect(result.probabilities.values.allSatisfy { $0 > 0 && $0 < 1 })
            #expect(result.probabilities[result.label] == result.probabilities.values.max())
            #expect(result.message == message)
            #expect(result.warnings.isEmpty)
        }
    }

    /// Classification runs the weights without a tape (`InferencePass`), in single precision and
    /// many positions at a time; its scores must match the recorded forward pass to within what
    /// single precision allows. Odd widths and head sizes exercise every remainder loop, and a
    /// long message the truncated prompt.
    @Test(arguments: [(8, 2), (6, 2), (12, 4), (9, 3), (16, 1), (40, 5)])
    func inferencePassMatchesTheRecordedForwardPass(nEmbd: Int, nHead: Int) throws {
        let tokenizer = Tokenizer(characters: Array("abcdefghijklmnopqrstuvwxyz0123456789 ->INFOWARNGE"))
        let config = GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: nEmbd, nHead: nHead, nLayer: 2, blockSize: 40, initStd: 0.4)
        let trained = TrainedModel(model: GPT(config: config, seed: 3), tokenizer: tokenizer)
        let classifier = LogClassifier(trained)
        for message in messages + [String(repeating: "disk 97 full ", count: 5)] {
            let result = try classifier.classify(message)
            for label in LogLabel.allCases {
                let tape = tapeLogLikelihood(trained, prompt: try classifier.promptTokens(message).ids, label: label)
                let score = try #require(result.logLikelihoods[label])
                #expect(abs(score - tape) <= 1e-4 * max(1, abs(tape)), "\(message) \(label): \(score) vs \(tape)")
            }
        }
    }

    @Test func scoresEqualTheBruteForceLogLikelihoodAndItsSoftmax() throws {
        for seed: UInt64 in [17, 18] {
            let trained = randomModel(seed: seed)
            let classifier = LogClassifier(trained)
            for message in messages {
                let result = try classifier.classify(message)
                var reference: [LogLabel: Double] = [:]
                for label in LogLabel.allCases {
                    let brute = bruteForceLogLikelihood(trained, message: message, label: label)
                    let fromLoss = logLikelihoodFromLoss(trained, message: message, label: label)
                    let score = try #require(result.logLikelihoods[label])
                    #expect(abs(score - brute) <= 1e-4, "\(message) \(label): classifier \(score), brute force \(brute)")
                    #expect(abs(fromLoss - brute) <= 1e-9, "\(message) \(label): loss \(fromLoss), brute force \(brute)")
                    reference[label] = brute
                }
                let total = reference.values.map(exp).reduce(0, +)
                for label in LogLabel.allCases {
                    #expect(abs(result.probabilities[label]! - exp(reference[label]!) / total) <= 1e-4)
                }
                #expect(result.label == LogLabel.allCases.max { reference[$0]! < reference[$1]! })
            }
        }
    }

    @Test func classifyingTwiceGivesTheSameResultAndLeavesTheModelAlone() throws {
        let trained = randomModel()
        let before = weights(of: trained.model)
        let classifier = LogClassifier(trained)
        let first = try classifier.classify("api 1 ok")
        _ = try classifier.classifyGreedy("db 2 down")
        _ = try classifier.attention("web 3 slow")
        #expect(try classifier.classify("api 1 ok") == first)
        let fromCopy = try classifier.copy().classify("api 1 ok")
        #expect(fromCopy.logLikelihoods == first.logLikelihoods)
        #expect(fromCopy.label == first.label)
        for label in LogLabel.allCases {
            #expect(abs(fromCopy.probabilities[label]! - first.probabilities[label]!) <= 1e-15)
        }
        #expect(weights(of: trained.model) == before)
        #expect(trained.model.tape.count == trained.model.weightsEnd.nodes)
    }

    @Test func everyClassifierGivesBitIdenticalProbabilities() throws {
        // The scores agree to the bit; the probabilities must too, whichever classifier computes them.
        let trained = randomModel()
        var seen = Set<[UInt64]>()
        for _ in 0..<20 {
            let result = try LogClassifier(trained).classify("api 1 ok")
            seen.insert(LogLabel.allCases.map { result.probabilities[$0]!.bitPattern })
        }
        #expect(seen.count == 1, "\(seen.count) different bit patterns for the same message")
    }

    @Test func aLineAfterOneSharingItsStartScoresAsOnAFreshClassifier() throws {
        // The inference pass reuses the keys and values of the start a prompt shares with the one
        // before; the scores must be those of a classifier that has seen nothing, to the bit,
        // whether the lines share nothing, a few characters, all but the last or everything.
        let trained = randomModel()
        let lines = ["api 1 ok", "api 1 okay", "api 1 ok", "api 12 down", "db 2 down", "api", "api 1 o", "db 2 down now"]
        let warm = LogClassifier(trained)
        for line in lines {
            let reused = try warm.classify(line)
            let fresh = try LogClassifier(trained).classify(line)
            #expect(LogLabel.allCases.map { reused.logLikelihoods[$0]!.bitPattern }
                        == LogLabel.allCases.map { fresh.logLikelihoods[$0]!.bitPattern }, "\(line)")
        }
    }

    @Test(arguments: [1, 2, 3])
    func classifyingAllAtOnceGivesEachLinesOwnResult(jobs: Int) throws {
        // classifyAll sorts the lines (so each follows the one most like it) and may cut them
        // across threads; each result must still be that line's own, in the order given.
        let trained = randomModel()
        var random = SeededRandom(seed: 5)
        let words = ["api", "db", "ok", "down", "slow", "1", "22", "web"]
        let lines = (0..<200).map { _ in (0...random.nextInt(below: 4)).map { _ in words[random.nextInt(below: words.count)] }.joined(separator: " ") }
        let all = LogClassifier(trained).classifyAll(lines + [""], jobs: jobs)
        #expect(all.count == lines.count + 1)
        for (line, result) in zip(lines, all) {
            let alone = try LogClassifier(trained).classify(line)
            #expect(try result.get().logLikelihoods == alone.logLikelihoods, "\(line)")
        }
        #expect(throws: ClassificationError.self) { try all.last!.get() }
    }

    @Test(arguments: ["", "   ", "\t \t"])
    func anEmptyMessageIsAnError(message: String) {
        let classifier = LogClassifier(randomModel())
        let error = #expect(throws: ClassificationError.self) { try classifier.classify(message) }
        #expect(error?.reason.contains("empty") == true)
        #expect(throws: ClassificationError.self) { try classifier.classifyGreedy(message) }
        #expect(throws: ClassificationError.self) { try classifier.attention(message) }
    }

    @Test func aMessageOfOnlyUnknownCharactersIsAnError() {
        let classifier = LogClassifier(randomModel())
        let error = #expect(throws: ClassificationError.self) { try classifier.classify("\u{a7}\u{a7}!") }
        #expect(error?.reason == "the message has none of the characters the model knows; use only characters that appear in the training data")
    }

    @Test func unknownCharactersAreLeftOutWithAWarning() throws {
        let trained = randomModel()
        let classifier = LogClassifier(trained)
        let result = try classifier.classify("api \u{2713} 12 ok!")
        #expect(result.warnings.count == 1)
        #expect(result.warnings == [#"the message has character(s) the model never saw in training: "!", "\#u{2713}"; they were left out"#])
        // The result is the one of the message without them (the unknown characters sat between spaces).
        let clean = try classifier.classify("api  12 ok")
        #expect(result.logLikelihoods == clean.logLikelihoods)
        #expect(try classifier.classifyGreedy("api \u{2713} 12 ok!").warnings == result.warnings)
    }

    /// The smallest block a model may have (8) holds a label and part of " -> ", no message:
    /// classification still works, and the warning says nothing of the message was read.
    @Test func aBlockTooSmallForAnyMessageSaysSo() throws {
        let tokenizer = Tokenizer(characters: Array("abcdefghijklmnopqrstuvwxyz0123456789 ->INFOWARNGE"))
        let config = GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 8, nHead: 2, nLayer: 1, blockSize: 8, initStd: 0.4)
        let classifier = LogClassifier(TrainedModel(model: GPT(config: config, seed: 5), tokenizer: tokenizer))
        let result = try classifier.classify("disk 9 failed")
        #expect(result.warnings == ["the message is longer than the model's block of 8; the block leaves no room for it, so none of it was read"])
        #expect(abs(result.probabilities.values.reduce(0, +) - 1) <= 1e-12)
    }

    @Test func aMessageLongerThanTheBlockKeepsItsStartWithAWarning() throws {
        let trained = randomModel()
        let classifier = LogClassifier(trained)
        let opening = "disk 9 failed "
        let long = opening + String(repeating: "abc ", count: 120)  // 494 characters, block 32
        let result = try classifier.classify(long)
        #expect(result.warnings.count == 1)
        let kept = trained.model.config.blockSize - "WARNING".count - 1 - 4  // BOS and " -> " take 5
        #expect(result.warnings.first == "the message is longer than the model's block of 32; only its first \(kept) characters were read")
        #expect(abs(result.probabilities.values.reduce(0, +) - 1) <= 1e-12)
        // Only the start was read: any end gives the same scores.
        let otherEnd = try classifier.classify(String(long.prefix(kept)) + String(repeating: "xyz ", count: 50))
        #expect(otherEnd.logLikelihoods == result.logLikelihoods)
        let greedy = try classifier.classifyGreedy(long)
        #expect(greedy.warnings == result.warnings)
        #expect(greedy.generated.count <= 7, "generation stops at the end of the block")
    }

    @Test func greedyGenerationReadsTheLabelOffTheText() throws {
        let classifier = LogClassifier(randomModel())
        for message in messages {
            let result = try classifier.classifyGreedy(message)
            #expect(result.message == message)
            #expect(result.generated.count <= 12)
            let trimmed = result.generated.trimmingCharacters(in: .whitespaces)
            #expect(result.label == LogLabel(rawValue: trimmed))
        }
    }

    @Test func attentionRowsArePositionsSoFarAndSumToOne() throws {
        let trained = randomModel()
        let map = try LogClassifier(trained).attention("db 7 ok")
        #expect(map.tokens == ["BOS"] + "db 7 ok -> ".map(String.init))
        #expect(map.weights.count == map.tokens.count)
        for (t, row) in map.weights.enumerated() {
            #expect(row.count == t + 1)
            #expect(abs(row.reduce(0, +) - 1) <= 1e-12)
            #expect(row.allSatisfy { $0 >= 0 })
        }
    }

    /// What the web page shows: probabilities and attention from one recorded pass. Its scores are
    /// the recorded pass's own (exactly), the fast pass's to 1e-4, and its attention is attention's.
    @Test func anExplanationIsOnePassesScoresAndAttention() throws {
        let trained = randomModel()
        let classifier = LogClassifier(trained)
        for message in messages {
            let explanation = try classifier.explain(message)
            let fast = try classifier.classify(message)
            let prompt = try classifier.promptTokens(message).ids
            for label in LogLabel.allCases {
                let recorded = tapeLogLikelihood(trained, prompt: prompt, label: label)
                let score = try #require(explanation.classification.logLikelihoods[label])
                #expect(abs(score - recorded) <= 1e-12 * max(1, abs(recorded)), "\(message) \(label): \(score) vs \(recorded)")
                #expect(abs(score - fast.logLikelihoods[label]!) <= 1e-4 * max(1, abs(score)))
            }
            #expect(explanation.classification.label == fast.label)
            #expect(explanation.attention == (try classifier.attention(message)))
        }
    }

    @Test func aLabelTheVocabularyCannotSpellIsNeverChosen() throws {
        // No 'W', 'G': WARNING cannot be written, so it gets probability 0.
        let tokenizer = Tokenizer(characters: Array("abc ->INFOER"))
        let config = GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 8, nHead: 2, blockSize: 16)
        let classifier = LogClassifier(TrainedModel(model: GPT(config: config, seed: 1), tokenizer: tokenizer))
        let result = try classifier.classify("abc")
        #expect(result.probabilities[.warning] == 0)
        #expect(result.logLikelihoods[.warning] == -.infinity)
        #expect(abs(result.probabilities.values.reduce(0, +) - 1) <= 1e-12)
        #expect(result.label != .warning)
    }

    // MARK: Trained models

    @Test func aBrieflyTrainedModelClassifiesWellAboveChance() throws {
        let (trained, dataset) = TrainedFixtures.simple
        let split = DatasetSplit(dataset, seed: 42)
        #expect(split.test.count == 15)
        let report = EvaluationReport(classifier: LogClassifier(trained), examples: split.test)
        print("simple dataset: test accuracy \(report.accuracy), macro-F1 \(report.macroF1)")
        #expect(report.accuracy > 0.6, "three balanced labels: chance is 1/3")
        expectConsistent(report, examples: split.test)

        // Greedy generation learnt to spell labels too.
        let classifier = LogClassifier(trained)
        let greedy = try split.test.map { try classifier.classifyGreedy($0.message) }
        let spelled = greedy.filter { $0.label != nil }.count
        let right = zip(greedy, split.test).filter { $0.label == $1.label }.count
        print("simple dataset: greedy spelled a label for \(spelled) of \(greedy.count), \(right) right")
        #expect(spelled >= greedy.count * 2 / 3)
        #expect(Double(right) / Double(greedy.count) > 0.5)
    }

    @Test func theReportCountsUnclassifiableLinesAsWrong() throws {
        let (trained, dataset) = TrainedFixtures.simple
        let examples = Array(DatasetSplit(dataset, seed: 42).test.prefix(9))
            + [LogExample(message: "\u{a7}\u{a7}", label: .error, lineNumber: 99)]
        let report = EvaluationReport(classifier: LogClassifier(trained), examples: examples)
        #expect(report.count == 10)
        #expect(report.confusion.joined().reduce(0, +) == 9)
        #expect(report.unclassifiable.count == 1)
        #expect(report.unclassifiable.first?.example.lineNumber == 99)
        #expect(report.unclassifiable.first?.reason.contains("none of the characters the model knows") == true)
        let correct = (0..<3).map { report.confusion[$0][$0] }.reduce(0, +)
        #expect(report.accuracy == Double(correct) / 10)
    }

    @Test func aReportOfNothingIsZeros() {
        let report = EvaluationReport(classifier: LogClassifier(randomModel()), examples: [])
        #expect(report.count == 0)
        #expect(report.accuracy == 0)
        #expect(report.macroF1 == 0)
        #expect(report.confusion == [[0, 0, 0], [0, 0, 0], [0, 0, 0]])
        #expect(report.mistakes.isEmpty)
    }
}

/// The report's numbers agree with each other and with the examples.
func expectConsistent(_ report: EvaluationReport, examples: some Collection<LogExample>, sourceLocation: SourceLocation = #_sourceLocation) {
    let labels = LogLabel.allCases
    #expect(report.count == examples.count, sourceLocation: sourceLocation)
    #expect(report.unclassifiable.isEmpty, sourceLocation: sourceLocation)
    #expect(report.confusion.joined().reduce(0, +) == report.count, sourceLocation: sourceLocation)
    for (i, label) in labels.enumerated() {
        #expect(report.confusion[i].reduce(0, +) == examples.filter { $0.label == label }.count, sourceLocation: sourceLocation)
    }
    let correct = labels.indices.map { report.confusion[$0][$0] }.reduce(0, +)
    #expect(abs(report.accuracy - Double(correct) / Double(report.count)) <= 1e-12, sourceLocation: sourceLocation)
    var f1s: [Double] = []
    for (i, label) in labels.enumerated() {
        let scores = report.perClass[label]!
        let predicted = labels.indices.map { report.confusion[$0][i] }.reduce(0, +)
        let actual = report.confusion[i].reduce(0, +)
        #expect(scores.support == actual, sourceLocation: sourceLocation)
        let precision = predicted == 0 ? 0 : Double(report.confusion[i][i]) / Double(predicted)
        let recall = actual == 0 ? 0 : Double(report.confusion[i][i]) / Double(actual)
        #expect(abs(scores.precision - precision) <= 1e-12, sourceLocation: sourceLocation)
        #expect(abs(scores.recall - recall) <= 1e-12, sourceLocation: sourceLocation)
        let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
        #expect(abs(scores.f1 - f1) <= 1e-12, sourceLocation: sourceLocation)
        if actual > 0 { f1s.append(f1) }
    }
    #expect(abs(report.macroF1 - f1s.reduce(0, +) / Double(f1s.count)) <= 1e-12, sourceLocation: sourceLocation)
    let wrong = report.count - correct
    #expect(report.mistakes.count == min(10, wrong), sourceLocation: sourceLocation)
    for mistake in report.mistakes {
        #expect(mistake.predicted != mistake.example.label, sourceLocation: sourceLocation)
        #expect(mistake.probabilities[mistake.predicted] == mistake.probabilities.values.max(), sourceLocation: sourceLocation)
    }
    let confidence = report.mistakes.map { $0.probabilities[$0.predicted]! }
    #expect(confidence == confidence.sorted(by: >), "mistakes come most confident first", sourceLocation: sourceLocation)
}

extension ClassifierTests {
    /// A second dataset worded nothing like the first: kernel and application logs, unbalanced
    /// (about 60% INFO, 25% WARNING, 15% ERROR), with a few repeated lines and some lines hundreds of
    /// characters long whose deciding words are at the end, as in stack traces and config dumps.
    @Suite struct KernelAndAppLogsTests {
        static let templates: [(LogLabel, weight: Int, make: @Sendable (Int) -> String)] = [
            (.info, 3, { "kernel: usb 1-\($0): new device attached" }),
            (.info, 3, { "app[\(1000 + $0)]: GET /items/\($0) served" }),
            (.info, 3, { "systemd[1]: started session \($0)" }),
            (.info, 1, { "app[\(1000 + $0)]: config loaded: " + (0..<14).map { "key\($0)=value\($0 * 7)" }.joined(separator: ", ") + ", status ok" }),
            (.warning, 2, { "kernel: CPU\($0) clock throttled" }),
            (.warning, 2, { "app[\(1000 + $0)]: query \($0)ms over budget" }),
            (.warning, 1, { "kernel: tcp memory pressure \($0) high" }),
            (.error, 1, { "kernel: EXT4-fs on sda\($0) unreadable" }),
            (.error, 1, { "app[\(1000 + $0)]: panic: " + (0..<9).map { "at frame\($0) (worker.c:\(100 + $0))" }.joined(separator: " ") + " worker died" }),
            (.error, 1, { "kernel: out of memory, killed \($0)" }),
        ]

        /// `count` lines drawn by the templates' weights (each with its own number, so no two are the
        /// same), then three of them repeated.
        static func text(count: Int, seed: UInt64) -> String {
            var random = SeededRandom(seed: seed)
            let total = templates.map(\.weight).reduce(0, +)
            var lines: [String] = []
            for i in 0..<count {
                var pick = random.nextInt(below: total)
                let template = templates.first { pick -= $0.weight; return pick < 0 }!
                lines.append("\(template.make(i)) -> \(template.0.rawValue)")
            }
            lines += [lines[0], lines[1], lines[0]]
            return lines.joined(separator: "\n") + "\n"
        }

        @Test func itLoadsSplitsTrainsAndClassifiesAboveChance() throws {
            let folder = TemporaryFolder()
            let path = folder.file("kernel.log.txt")
            try Data(Self.text(count: 240, seed: 9).utf8).write(to: URL(fileURLWithPath: path))
            let dataset = try LogDataset.load(path: path)
            #expect(dataset.examples.count == 243)
            #expect(dataset.duplicateCount == 3)
            #expect(dataset.examples.filter { $0.text.count > 200 }.count >= 10)
            #expect(dataset.skippedBlankLines == 0)
            let counts = Dictionary(grouping: dataset.examples, by: \.label).mapValues(\.count)
            #expect(counts[.info]! > counts[.warning]! && counts[.warning]! > counts[.error]!)

            let split = DatasetSplit(dataset, seed: 42)
            #expect(split.train.count + split.validation.count + split.test.count == 243)
            #expect(Set(split.train.map(\.message)).isDisjoint(with: split.test.map(\.message)))

            // A block of 48 holds the short lines whole; the long ones keep their start.
            var recipe = MadeUpLogs.recipe(steps: 300)
            recipe.blockSize = 48
            recipe.adam.learningRate = 0.02
            recipe.messageWeight = 0.3
            let (trained, report) = try recipe.trainModel(on: dataset, clock: { 0 })
            #expect(report.truncatedLines > 0)
            let heldOut = Array(split.test) + split.validation
            let evaluation = EvaluationReport(classifier: LogClassifier(trained), examples: heldOut)
            let majority = Double(Dictionary(grouping: heldOut, by: \.label).values.map(\.count).max()!) / Double(heldOut.count)
            print("kernel/app logs: accuracy \(evaluation.accuracy) (majority label \(majority)), macro-F1 \(evaluation.macroF1)")
            expectConsistent(evaluation, examples: heldOut)
            #expect(evaluation.accuracy > majority + 0.1, "no better than always saying the commonest label")
            #expect(evaluation.macroF1 > 0.5)
        }
    }
}

extension ClassifierTests {
    /// Lines longer than the block, in training and in classification.
    @Suite struct LongLineTests {
        let tokenizer = Tokenizer(characters: Array("abcdefghijklmnopqrstuvwxyz0123456789 ->INFOWARNGE"))

        @Test func aCutLinePutsEveryLabelAtTheSamePosition() throws {
            // If the label's position in a cut line depended on the label, a model could read the label
            // off the position instead of the message, and would answer by position on every long line.
            let message = String(repeating: "disk full ", count: 10)
            let starts = try LogLabel.allCases.map { label in
                try #require(Document(message: message, label: label.rawValue, tokenizer: tokenizer, blockSize: 32)).labelStart
            }
            // The classifier fits a long prompt into blockSize - 7 tokens: the label comes next.
            let classifierStart = 32 - LogLabel.allCases.map(\.rawValue.count).max()!
            #expect(Set(starts).count == 1, "label starts \(starts)")
            #expect(starts.allSatisfy { $0 == classifierStart }, "label starts \(starts), classifier \(classifierStart)")
        }
    }
}

