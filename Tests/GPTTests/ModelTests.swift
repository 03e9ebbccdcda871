import Autograd
import Foundation
@testable import GPT
import Testing

// The model against references: the tape's gradients of the whole loss against central finite
// differences, the loss against cross-entropy computed by hand from the logits, and the shortcuts
// (no logits for prompt tokens, copies) against the plain forward pass. Last, the bounds the
// forward pass checks: their messages, then exit tests that it stops rather than read past a matrix.

/// Two layers and two heads, so every kind of weight and the path between layers is covered.
/// Init std 0.5 keeps activations away from zero, where ReLU's kink would spoil finite differences.
private let tinyConfig = GPTConfig(vocabSize: 10, nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 11, initStd: 0.5)
private let tinyTokenizer = Tokenizer(characters: Array("ab ->INFO"))

/// The prompt [BOS] + "ab -> " is 7 tokens; a block of 11 leaves it 11 - 7 = 4 (room for the longest
/// label), so its start is cut and the document still has message targets before the label.
private func tinyDocument() -> Document {
    Document(message: "ab", label: "INFO", tokenizer: tinyTokenizer, blockSize: tinyConfig.blockSize)!
}

/// The loss's value with the weights as they are now, recording nothing.
private func lossValue(_ model: GPT, _ document: Document, messageWeight: Double) -> Double {
    let tape = model.tape
    defer { tape.truncate(to: model.weightsEnd) }
    return tape.withoutRecording { tape.data(model.loss(of: document, messageWeight: messageWeight)) }
}

@Suite struct ModelTests {
    @Test func theTinyDocumentHasMessageAndLabelTargets() {
        let document = tinyDocument()
        #expect(tinyTokenizer.vocabSize == tinyConfig.vocabSize)
        #expect(document.positions == 8)
        #expect(document.truncatedCharacters == 3)
        #expect(document.labelStart == 4)  // targets 1...3 are message, 4...8 are "INFO" + BOS
    }

    @Test(arguments: [1.0, 0.3])
    func gradientsOfTheLossMatchFiniteDifferences(messageWeight: Double) {
        let model = GPT(config: tinyConfig, seed: 7)
        let tape = model.tape
        let document = tinyDocument()
        let loss = model.loss(of: document, messageWeight: messageWeight)
        tape.backward(from: loss)
        var analytic: [NodeID: Double] = [:]
        for id in 0..<NodeID(model.parameterCount) { analytic[id] = tape.grad(id) }
        tape.truncate(to: model.weightsEnd)
        tape.zeroGrad()

        // Six weights of every matrix: both ends and four drawn at random. In wte only the rows of
        // tokens in the document matter, so its samples come from those rows.
        var random = SeededRandom(seed: 11)
        let h = 1e-5
        var checked = 0, nonZero = 0
        var worst = (difference: 0.0, name: "")
        for matrix in model.matrices {
            var offsets = [0, matrix.count - 1] + (0..<4).map { _ in random.nextInt(below: matrix.count) }
            if matrix.name == "wte" {
                offsets = document.tokens.prefix(6).map { $0 * matrix.cols + random.nextInt(below: matrix.cols) }
            }
            for offset in offsets {
                let id = matrix.start + NodeID(offset)
                let original = tape.data(id)
                tape.setData(id, original + h)
                let plus = lossValue(model, document, messageWeight: messageWeight)
                tape.setData(id, original - h)
                let minus = lossValue(model, document, messageWeight: messageWeight)
                tape.setData(id, original)
                let numeric = (plus - minus) / (2 * h)
                let exact = analytic[id]!
                let difference = abs(numeric - exact)
                let tolerance = max(1e-7, 1e-5 * max(abs(numeric), abs(exact)))
                #expect(difference <= tolerance, "\(matrix.name)[\(offset)]: tape \(exact), finite difference \(numeric)")
                if difference > worst.difference { worst = (difference, "\(matrix.name)[\(offset)]") }
                checked += 1
                if abs(exact) > 1e-6 { nonZero += 1 }
            }
        }
        #expect(checked == 6 * model.matrices.count)
        #expect(nonZero >= checked * 3 / 4, "too few weights with a gradient: the check would prove little")
        print("gradient check (message weight \(messageWeight)): \(checked) weights, max |difference| \(worst.difference) at \(worst.name)")
    }

    @Test(arguments: [1.0, 0.3, 0.0])
    func theLossIsTheWeightedMeanCrossEntropyOfTheLogits(messageWeight: Double) {
        let model = GPT(config: tinyConfig, seed: 3)
        let document = tinyDocument()
        let tape = model.tape
        var cache = KVCache(layers: tinyConfig.nLayer)
        var total = 0.0, weights = 0.0
        for position in 0..<document.positions {
            let logits = tape.withoutRecording {
                tape.data(model.forward(token: document.tokens[position], position: position, cache: &cache)!)
            }
            let top = logits.max()!
            let logSum = top + log(logits.map { exp($0 - top) }.reduce(0, +))
            let target = document.tokens[position + 1]
            let weight = position + 1 >= document.labelStart ? 1 : messageWeight
            total += weight * (logSum - logits[target])
            weights += weight
        }
        tape.truncate(to: model.weightsEnd)
        let expected = total / weights
        let actual = lossValue(model, document, messageWeight: messageWeight)
        #expect(abs(actual - expected) <= 1e-12 * abs(expected), "loss \(actual), by hand \(expected)")
    }

    @Test func anUntrainedModelIsCloseToUniform() {
        // With the default init std (0.08) the logits are small, so the loss is about log(V).
        var config = tinyConfig
        config.initStd = GPTConfig(vocabSize: 2).initStd
        let loss = lossValue(GPT(config: config, seed: 3), tinyDocument(), messageWeight: 1)
        #expect(abs(loss - log(Double(config.vocabSize))) < 0.15, "loss \(loss), log V \(log(Double(config.vocabSize)))")
    }

    @Test func aForwardPassWithoutLogitsLeavesTheSameKeysAndValues() {
        let model = GPT(config: tinyConfig, seed: 5)
        let tape = model.tape
        let tokens = tinyDocument().tokens.prefix(6)
        func cacheData(needLogits: Bool) -> [[Double]] { tape.withoutRecording {
            var cache = KVCache(layers: tinyConfig.nLayer)
            for (position, token) in tokens.enumerated() {
                let logits = model.forward(token: token, position: position, cache: &cache, needLogits: needLogits)
                #expect((logits == nil) == !needLogits)
            }
            #expect(cache.count == tokens.count)
            let rows = (cache.keys + cache.values).joined().map {
                tape.data(Vector(start: $0, count: tinyConfig.nEmbd))
            }
            tape.truncate(to: model.weightsEnd)
            return rows
        } }
        #expect(cacheData(needLogits: false) == cacheData(needLogits: true))
    }

    @Test func aCopyHasTheSameWeightsOnItsOwnTape() {
        let model = GPT(config: tinyConfig, seed: 9)
        let copy = model.copy()
        #expect(copy.tape !== model.tape)
        #expect(copy.config == model.config)
        #expect(copy.parameterCount == model.parameterCount)
        let weights = Array(UnsafeBufferPointer(start: model.tape.dataPointer(0), count: model.parameterCount))
        let copied = Array(UnsafeBufferPointer(start: copy.tape.dataPointer(0), count: copy.parameterCount))
        #expect(weights == copied)
        let document = tinyDocument()
        #expect(lossValue(model, document, messageWeight: 1) == lossValue(copy, document, messageWeight: 1))
    }

    @Test func matricesHaveGPT2NamesShapesAndCheckpointOrder() {
        let model = GPT(config: tinyConfig, seed: 1)
        let c = tinyConfig.nEmbd
        var expected: [(String, Int, Int)] = [("wte", 10, c), ("wpe", tinyConfig.blockSize, c)]
        for i in 0..<2 {
            expected += [("layer\(i).attn_wq", c, c), ("layer\(i).attn_wk", c, c), ("layer\(i).attn_wv", c, c),
                         ("layer\(i).attn_wo", c, c), ("layer\(i).mlp_fc1", 4 * c, c), ("layer\(i).mlp_fc2", c, 4 * c)]
        }
        expected.append(("lm_head", 10, c))
        #expect(model.matrices.map(\.name) == expected.map(\.0))
        #expect(model.matrices.map(\.rows) == expected.map(\.1))
        #expect(model.matrices.map(\.cols) == expected.map(\.2))
        // The matrices tile the start of the tape with no gaps.
        var next: NodeID = 0
        for matrix in model.matrices {
            #expect(matrix.start == next)
            next += NodeID(matrix.count)
        }
        #expect(Int(next) == model.parameterCount)
        #expect(model.parameterCount == GPT.parameterCount(tinyConfig))
        // 2 V C + blockSize C + layers * 12 C^2
        #expect(model.parameterCount == 2 * 10 * c + tinyConfig.blockSize * c + 2 * 12 * c * c)
        #expect(model.weightsEnd.nodes == model.parameterCount)
    }

    @Test func theSameSeedGivesTheSameWeights() {
        let a = GPT(config: tinyConfig, seed: 4), b = GPT(config: tinyConfig, seed: 4), c = GPT(config: tinyConfig, seed: 5)
        let count = a.parameterCount
        let values = { (model: GPT) in Array(UnsafeBufferPointer(start: model.tape.dataPointer(0), count: count)) }
        #expect(values(a) == values(b))
        #expect(values(a) != values(c))
        // Drawn with standard deviation initStd: the sample's is within a few percent of it.
        let sample = values(a)
        let std = (sample.map { $0 * $0 }.reduce(0, +) / Double(count)).squareRoot()
        #expect(abs(std - tinyConfig.initStd) < 0.05 * tinyConfig.initStd)
    }

    @Test func configProblemsAreExplained() {
        #expect(GPTConfig(vocabSize: 10).problems.isEmpty)
        #expect(tinyConfig.problems.isEmpty)
        let uneven = GPTConfig(vocabSize: 10, nEmbd: 10, nHead: 3).problems
        #expect(uneven == ["n_embd 10 is not divisible by n_head 3; each head needs an equal share"])
        #expect(GPTConfig(vocabSize: 1).problems.count == 1)
        #expect(GPTConfig(vocabSize: 10, blockSize: 7).problems.first?.contains("block_size is 7") == true)
        #expect(GPTConfig(vocabSize: 10, nLayer: 0).problems.first?.contains("n_layer is 0") == true)
        #expect(GPTConfig(vocabSize: 10, initStd: 0).problems.count == 1)
        #expect(tinyConfig.headDim == 4)
    }

    @Test func configsBeyondTheBoundsAreRefusedWithTheBound() {
        #expect(GPTConfig(vocabSize: 10, nEmbd: 1 << 62, nHead: 2).problems
                == ["n_embd is 4611686018427387904; it must be at most 2048"])
        #expect(GPTConfig(vocabSize: 10, nLayer: 10_000_000).problems == ["n_layer is 10000000; it must be at most 256"])
        #expect(GPTConfig(vocabSize: 10, blockSize: 1 << 62).problems == ["block_size is 4611686018427387904; it must be at most 4096"])
        #expect(GPTConfig(vocabSize: 10, nEmbd: 128, nHead: 128).problems == ["n_head is 128; it must be at most 64"])
        // Each size within its bound, but together too much for the tape.
        let wide = GPTConfig(vocabSize: 10, nEmbd: 2048, nHead: 64, nLayer: 256, blockSize: 4096).problems
        #expect(wide.count == 1)
        #expect(wide.first?.hasPrefix("a model of n_embd 2048, n_head 64, n_layer 256, block_size 4096 and 10 tokens needs about ") == true)
        #expect(wide.first?.contains("more than the limit of 67108864 (about 2.5 GB)") == true)
        // The largest sizes one at a time still fit with the others small.
        for config in [GPTConfig(vocabSize: 100, nEmbd: 2048, nHead: 4), GPTConfig(vocabSize: 100, nEmbd: 64, nHead: 64),
                       GPTConfig(vocabSize: 100, nEmbd: 32, nLayer: 256), GPTConfig(vocabSize: 100, nEmbd: 32, nHead: 1, blockSize: 4096)] {
            #expect(config.problems.isEmpty, "\(config): \(config.problems)")
        }
    }

    @Test func sizesOfHugeConfigsSaturateInsteadOfOverflowing() {
        let huge = GPTConfig(vocabSize: Int.max, nEmbd: Int.max, nHead: 1, nLayer: Int.max, blockSize: Int.max)
        #expect(huge.parameterCount == Int.max)
        #expect(huge.trainingTapeNodes == Int.max)
        #expect(GPTConfig(vocabSize: 10, nEmbd: 1 << 40, nHead: 1).parameterCount == Int.max)  // 12 * 2^80
    }

    @Test func parameterCountIsTheSumOfTheMatrixShapes() {
        for config in [tinyConfig, GPTConfig(vocabSize: 67, nEmbd: 32, nHead: 4, nLayer: 2, blockSize: 96),
                       GPTConfig(vocabSize: 3, nEmbd: 5, nHead: 1, nLayer: 7, blockSize: 8)] {
            let shapes = GPT.matrixShapes(config).reduce(0) { $0 + $1.shape[0] * $1.shape[1] }
            #expect(config.parameterCount == shapes)
            #expect(GPT(config: config, seed: 1).parameterCount == shapes)
        }
    }

    /// The estimate the size bound relies on, against the nodes a training step on a line that
    /// fills the block really records: never below, and not far above.
    @Test(arguments: [(8, 2, 2, 11), (16, 4, 1, 32), (12, 3, 3, 20), (4, 1, 1, 8)])
    func trainingTapeNodesBoundTheRealTape(nEmbd: Int, nHead: Int, nLayer: Int, blockSize: Int) throws {
        let tokenizer = Tokenizer(characters: Array("ab ->INFOWARNGE"))
        let config = GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: nEmbd, nHead: nHead, nLayer: nLayer, blockSize: blockSize)
        let document = try #require(Document(message: String(repeating: "ab", count: blockSize), label: "WARNING",
                                             tokenizer: tokenizer, blockSize: blockSize))
        #expect(document.positions == blockSize)
        let model = GPT(config: config, seed: 3)
        _ = model.loss(of: document, messageWeight: 1)
        let actual = model.tape.count
        print("tape nodes of one full-block step, \(config.nEmbd)x\(config.nLayer) block \(blockSize): "
              + "\(actual), estimated \(config.trainingTapeNodes)")
        #expect(actual <= config.trainingTapeNodes)
        #expect(Double(config.trainingTapeNodes) <= 1.25 * Double(actual))
    }

    // MARK: Bounds

    @Test func forwardExplainsABadTokenPositionOrCache() {
        let model = GPT(config: tinyConfig, seed: 1)
        var cache = KVCache(layers: tinyConfig.nLayer)
        #expect(model.forwardProblem(token: 9, position: 0, cache: cache) == nil)
        let first = { (problem: String?) in problem?.split(separator: "\n").first.map(String.init) }
        #expect(first(model.forwardProblem(token: 10, position: 0, cache: cache))
                == "token id 10 is outside the vocabulary of 10 tokens")
        #expect(first(model.forwardProblem(token: -1, position: 0, cache: cache))
                == "token id -1 is outside the vocabulary of 10 tokens")
        #expect(first(model.forwardProblem(token: 0, position: 1, cache: cache))
                == "position 1 does not follow the cache: it holds 0 positions, so the next is 0")
        #expect(first(model.forwardProblem(token: 0, position: 0, cache: KVCache(layers: 1)))
                == "the cache was made for n_layer 1, but the model has n_layer 2")
        defer { model.tape.truncate(to: model.weightsEnd) }
        model.tape.withoutRecording {
            for position in 0..<tinyConfig.blockSize { model.forward(token: 0, position: position, cache: &cache, needLogits: false) }
        }
        #expect(cache.count == tinyConfig.blockSize)  // a full block, each position in its turn
        #expect(first(model.forwardProblem(token: 0, position: 11, cache: cache)) == "position 11 is past the block size 11")
        #expect(model.forwardProblem(token: 0, position: 3, cache: cache)?.contains("holds 11 positions") == true)
    }

    @Test func forwardStopsAtAPositionPastTheBlock() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = GPT(config: tinyConfig, seed: 1)
            var cache = KVCache(layers: tinyConfig.nLayer)
            for position in 0...tinyConfig.blockSize { model.forward(token: 0, position: position, cache: &cache) }
        }
        let output = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(output.contains("position 11 is past the block size 11"), "stderr: \(output)")
    }

    @Test func forwardStopsAtATokenOutsideTheVocabulary() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var cache = KVCache(layers: tinyConfig.nLayer)
            GPT(config: tinyConfig, seed: 1).forward(token: 10, position: 0, cache: &cache)
        }
        let output = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(output.contains("token id 10 is outside the vocabulary of 10 tokens"), "stderr: \(output)")
    }
}
