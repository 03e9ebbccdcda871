import Autograd
import Foundation
@testable import GPT
import Testing

// The forward pass over a chunk of positions (`forward(tokens:cache:logitsFrom:)`, layer by layer,
// each linear layer one matmul over the chunk) against the same model run one position at a time:
// the same formulas, so the same bits, for logits and for the keys and values left in the cache.
// Then the loss of a document, which runs as one chunk, against the same loss built position by
// position: the values agree to the bit, the gradients (whose sums run in another order when the
// backward pass takes the positions of a linear layer together) to 1e-9. Last, training: the same
// run with the portable and the fastest kernels gives the same weights and the same model file.

/// Two layers and two heads, so the path between layers and the heads' split are covered.
private let chunkConfig = GPTConfig(vocabSize: 10, nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 12, initStd: 0.5)

/// Token sequences: one token, two, a middle length, and a whole block.
private let sequences: [[Int]] = [[3], [1, 2], [0, 5, 9, 2, 2, 7, 1], [4, 8, 1, 1, 0, 9, 3, 6, 2, 5, 7, 0]]

/// Each value's bit pattern: equal bits, not only equal values.
private func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }

/// The logits of every position, running `tokens` one at a time after `cache`.
private func logitsOneByOne(_ model: GPT, _ tokens: [Int], cache: inout KVCache) -> [[Double]] {
    tokens.map { token in
        let logits = model.forward(token: token, position: cache.count, cache: &cache)!
        return model.tape.data(logits)
    }
}

/// The logits of the chunk, cut into one V-vector per position from `logitsFrom` on.
private func logitsInOneChunk(_ model: GPT, _ tokens: [Int], cache: inout KVCache, logitsFrom: Int) -> [[Double]] {
    guard let logits = model.forward(tokens: tokens, cache: &cache, logitsFrom: logitsFrom) else { return [] }
    let v = model.config.vocabSize
    #expect(logits.count == (tokens.count - logitsFrom) * v)
    return (0..<(tokens.count - logitsFrom)).map { model.tape.data(logits.slice($0 * v, v)) }
}

/// The values of every key and value vector the cache holds, layer by layer.
private func cachedValues(_ model: GPT, _ cache: KVCache) -> [Double] {
    let c = model.config.nEmbd
    return (0..<model.config.nLayer).flatMap { layer in
        (cache.keys[layer] + cache.values[layer]).flatMap { model.tape.data(Vector(start: $0, count: c)) }
    }
}

/// The loss of `document` as `GPT.loss(of:)` defines it, each position run on its own:
/// forward(token:position:) with logits where the target weighs something, then the weighted mean.
private func lossOneByOne(_ model: GPT, _ document: Document, messageWeight: Double) -> NodeID {
    let tape = model.tape
    var cache = KVCache(layers: model.config.nLayer)
    func weight(_ position: Int) -> Double { position + 1 >= document.labelStart ? 1 : messageWeight }
    var terms: [NodeID] = []
    var totalWeight = 0.0
    for position in 0..<document.positions {
        let w = weight(position)
        let logits = model.forward(token: document.tokens[position], position: position, cache: &cache, needLogits: w > 0)
        guard w > 0 else { continue }
        let term = tape.crossEntropy(logits!, target: document.tokens[position + 1])
        terms.append(w == 1 ? term : tape.mul(term, constant: w))
        totalWeight += w
    }
    return tape.mul(tape.sum(terms), constant: 1 / totalWeight)
}

/// The loss's value and every weight's gradient, for a loss recorded by `record`; leaves the tape
/// as it found it (the weights only, zero grads).
private func lossAndGradients(_ model: GPT, _ record: () -> NodeID) -> (loss: Double, grads: [Double]) {
    let tape = model.tape
    defer {
        tape.truncate(to: model.weightsEnd)
        tape.zeroGrad()
    }
    tape.zeroGrad()
    let loss = record()
    tape.backward(from: loss)
    return (tape.data(loss), Array(UnsafeBufferPointer(start: tape.gradPointer(0), count: model.parameterCount)))
}

@Suite struct ChunkedForwardTests {
    @Test(arguments: [KernelVersion.portable, .fastest])
    func aChunkGivesTheBitsOfOnePositionAtATime(kernels: KernelVersion) {
        let model = GPT(config: chunkConfig, seed: 3)
        model.tape.kernels = kernels
        for tokens in sequences {
            var oneByOne = KVCache(layers: chunkConfig.nLayer)
            let expected = logitsOneByOne(model, tokens, cache: &oneByOne)
            let expectedCache = cachedValues(model, oneByOne)
            model.tape.truncate(to: model.weightsEnd)
            for logitsFrom in Set([0, 1, tokens.count - 1, tokens.count]) where logitsFrom <= tokens.count {
                var chunk = KVCache(layers: chunkConfig.nLayer)
                let logits = logitsInOneChunk(model, tokens, cache: &chunk, logitsFrom: logitsFrom)
                #expect(logits.count == tokens.count - logitsFrom)
                #expect(bits(logits.flatMap { $0 }) == bits(expected[logitsFrom...].flatMap { $0 }),
                        "tokens \(tokens), logitsFrom \(logitsFrom)")
                #expect(chunk.count == tokens.count)
                #expect(bits(cachedValues(model, chunk)) == bits(expectedCache), "cache of \(tokens), logitsFrom \(logitsFrom)")
                model.tape.truncate(to: model.weightsEnd)
            }
        }
    }

    /// Recording nothing (inference, and the mean loss) computes the same values.
    @Test func aChunkWithoutRecordingGivesTheSameBits() {
        let model = GPT(config: chunkConfig, seed: 4)
        let tokens = sequences[2]
        var recorded = KVCache(layers: chunkConfig.nLayer)
        let expected = logitsInOneChunk(model, tokens, cache: &recorded, logitsFrom: 0)
        model.tape.truncate(to: model.weightsEnd)
        let unrecorded = model.tape.withoutRecording {
            var cache = KVCache(layers: chunkConfig.nLayer)
            return logitsInOneChunk(model, tokens, cache: &cache, logitsFrom: 0)
        }
        model.tape.truncate(to: model.weightsEnd)
        #expect(bits(unrecorded.flatMap { $0 }) == bits(expected.flatMap { $0 }))
    }

    /// A chunk after a cache that already holds positions (made one at a time, or as a chunk of
    /// its own) reads them as the one-at-a-time pass does.
    @Test(arguments: [1, 3, 7])
    func aChunkContinuesACache(cached: Int) {
        let model = GPT(config: chunkConfig, seed: 5)
        let tokens = sequences[3]
        var oneByOne = KVCache(layers: chunkConfig.nLayer)
        let expected = logitsOneByOne(model, tokens, cache: &oneByOne)
        let expectedCache = cachedValues(model, oneByOne)
        model.tape.truncate(to: model.weightsEnd)
        for prefixInOneChunk in [false, true] {
            for logitsFrom in [0, 2] {
                var cache = KVCache(layers: chunkConfig.nLayer)
                let prefix = Array(tokens[..<cached]), rest = Array(tokens[cached...])
                let first = prefixInOneChunk
                    ? logitsInOneChunk(model, prefix, cache: &cache, logitsFrom: 0)
                    : logitsOneByOne(model, prefix, cache: &cache)
                #expect(cache.count == cached)
                let next = logitsInOneChunk(model, rest, cache: &cache, logitsFrom: logitsFrom)
                let context = "\(cached) cached (\(prefixInOneChunk ? "one chunk" : "one by one")), logitsFrom \(logitsFrom)"
                #expect(bits(first.flatMap { $0 }) == bits(expected[..<cached].flatMap { $0 }), "\(context)")
                #expect(bits(next.flatMap { $0 }) == bits(expected[(cached + logitsFrom)...].flatMap { $0 }), "\(context)")
                #expect(bits(cachedValues(model, cache)) == bits(expectedCache), "\(context)")
                model.tape.truncate(to: model.weightsEnd)
            }
        }
    }

    /// Documents of the made-up logs (blockSize 32, so up to 32 positions, and 16 wide, so every
    /// linear layer takes the kernels' four-wide paths), message weights 1, 0.3 and 0 (logits from
    /// the label on only). Values agree to the bit; each gradient to 1e-9 of the largest gradient
    /// of its matrix (a gradient that nearly cancels keeps only the rounding of its terms).
    @Test(arguments: [1.0, 0.3, 0.0])
    func lossGradientsOfAChunkAgreeWithOnePositionAtATime(messageWeight: Double) {
        let dataset = MadeUpLogs.dataset(count: 6, seed: 8)
        let tokenizer = Tokenizer(characters: dataset.characters)
        let documents = Array(TrainingRecipe.documents(dataset.examples, tokenizer: tokenizer, blockSize: 32))
        let model = GPT(config: GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 16, nHead: 2, nLayer: 2, blockSize: 32,
                                          initStd: 0.3), seed: 9)
        var worst = 0.0
        for document in documents {
            let chunked = lossAndGradients(model) { model.loss(of: document, messageWeight: messageWeight) }
            let oneByOne = lossAndGradients(model) { lossOneByOne(model, document, messageWeight: messageWeight) }
            #expect(chunked.loss.bitPattern == oneByOne.loss.bitPattern, "loss of \(document.tokens)")
            for matrix in model.matrices {
                let range = Int(matrix.start)..<(Int(matrix.start) + matrix.count)
                let largest = range.map { max(abs(chunked.grads[$0]), abs(oneByOne.grads[$0])) }.max()!
                #expect(largest > 0, "\(matrix.name) has no gradient")
                for i in range {
                    let difference = abs(chunked.grads[i] - oneByOne.grads[i])
                    worst = max(worst, difference / max(largest, .leastNormalMagnitude))
                    if difference > 1e-9 * largest {
                        Issue.record("\(matrix.name)[\(i - range.lowerBound)]: chunk \(chunked.grads[i]), one by one \(oneByOne.grads[i])")
                        break
                    }
                }
            }
        }
        print("chunked loss gradients, message weight \(messageWeight): worst difference \(worst) of the matrix's largest")
    }

    /// The loss's gradients have the same bits with either kernel version.
    @Test func lossGradientsAreTheSameWithEitherKernelVersion() {
        let dataset = MadeUpLogs.dataset(count: 4, seed: 10)
        let tokenizer = Tokenizer(characters: dataset.characters)
        let model = GPT(config: GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 16, nHead: 2, nLayer: 2, blockSize: 32), seed: 11)
        for document in TrainingRecipe.documents(dataset.examples, tokenizer: tokenizer, blockSize: 32) {
            model.tape.kernels = .portable
            let portable = lossAndGradients(model) { model.loss(of: document, messageWeight: 0.5) }
            model.tape.kernels = .fastest
            let fastest = lossAndGradients(model) { model.loss(of: document, messageWeight: 0.5) }
            #expect(portable.loss.bitPattern == fastest.loss.bitPattern)
            #expect(bits(portable.grads) == bits(fastest.grads), "gradients of \(document.tokens)")
        }
    }
}

/// Training with the portable kernels and with the fastest this CPU has gives the same model, bit
/// for bit: the same weights and the same model file.
@Suite struct TrainingDeterminismTests {
    @Test func bothKernelVersionsTrainTheSameModel() throws {
        let dataset = MadeUpLogs.dataset(count: 40, seed: 1)
        let tokenizer = Tokenizer(characters: dataset.characters)
        let documents = Array(TrainingRecipe.documents(dataset.examples, tokenizer: tokenizer, blockSize: 32))
        let config = GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 16, nHead: 2, nLayer: 2, blockSize: 32)
        func run(_ kernels: KernelVersion) throws -> (model: GPT, losses: [Double]) {
            let model = GPT(config: config, seed: 42)
            model.tape.kernels = kernels
            var losses: [Double] = []
            try train(model, on: documents, options: TrainingOptions(steps: 40, messageWeight: 0.3), clock: { 0 }) {
                losses.append($0.loss)
            }
            return (model, losses)
        }
        let portable = try run(.portable), fastest = try run(.fastest)
        let untrained = weights(of: GPT(config: config, seed: 42))
        print("trained with the portable kernels and with \(KernelVersion.fastestName)")
        #expect(weights(of: portable.model) != untrained, "training moved no weight")
        #expect(portable.losses.count == 40)
        #expect(bits(portable.losses) == bits(fastest.losses))
        let hashes = [portable.model, fastest.model].map { model in
            FNV1a.hash(weights(of: model).flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        }
        #expect(hashes[0] == hashes[1], "weights' FNV-1a: portable \(hashes[0]), fastest \(hashes[1])")
        #expect(bits(weights(of: portable.model)) == bits(weights(of: fastest.model)))
        let files = [portable.model, fastest.model].map {
            TrainedModel(model: $0, tokenizer: tokenizer).safetensors().encoded(as: .float64)
        }
        #expect(files[0].count > 8 * portable.model.parameterCount)
        #expect(files[0] == files[1], "the model files differ")
        // And as `gpt train` writes them.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-determinism-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let written = try [("portable", portable.model), ("fastest", fastest.model)].map { name, model in
            let path = directory.appendingPathComponent("\(name).safetensors").path
            try TrainedModel(model: model, tokenizer: tokenizer).write(to: path)
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
        #expect(written[0] == written[1], "the written model files differ")
        #expect(written[0] == Data(files[0]))
    }
}
