import Autograd
import Foundation
import GPT
import Testing
import TestSupport

// The model against PyTorch float64. scripts/pytorch_reference.py implements the same model the
// PyTorch way (the whole document at once under a causal mask, autograd instead of the tape) and
// wrote what it computes for fixed weights into Fixtures/pytorch_tiny_gpt.json. Here the same
// weights go through our forward pass, loss and backward, and the loss, every logit and every
// weight's gradient must match: |ours - torch| <= 1e-9 * max(1, |torch|), an absolute bound for
// numbers below 1 and a relative one above. Both sides round differently (sums in other orders,
// our own exp and log), so the numbers agree to about 1e-16, not bit for bit.
// To regenerate the fixture, run the script as its header says.

/// What the fixture holds, under the names the script writes.
private struct Reference: Decodable {
    struct Config: Decodable {
        let vocabSize, nEmbd, nHead, nLayer, blockSize: Int
        let initStd: Double
    }
    let torchVersion: String
    let torchManualSeed: Int
    let config: Config
    let vocab, message, label: String
    let tokens: [Int]
    let labelStart: Int
    let messageWeight: Double
    /// The loss with `messageWeight`, whose gradients `grads` holds.
    let loss: Double
    let lossMessageWeight1: Double
    /// [position][token id]: the logits after each of the document's tokens but the last.
    let logits: [[Double]]
    /// Every weight matrix by its GPT-2 name, row by row.
    let weights: [String: [[Double]]]
    let grads: [String: [[Double]]]

    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pytorch_tiny_gpt.json")

    static func load() throws -> Reference {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Reference.self, from: Data(contentsOf: file))
    }

    var gptConfig: GPTConfig {
        GPTConfig(vocabSize: config.vocabSize, nEmbd: config.nEmbd, nHead: config.nHead, nLayer: config.nLayer,
                  blockSize: config.blockSize, initStd: config.initStd)
    }

    var document: Document? {
        Document(message: message, label: label, tokenizer: Tokenizer(vocabulary: vocab), blockSize: config.blockSize)
    }

    /// Our model with the fixture's weights, after checking that it has every matrix in our shapes.
    func model() throws -> GPT {
        let shapes = GPT.matrixShapes(gptConfig)
        #expect(Set(weights.keys) == Set(shapes.map(\.name)), "the fixture's matrices are not the model's")
        var values: [Double] = []
        for (name, shape) in shapes {
            let rows = try #require(weights[name], "the fixture has no weights for \(name)")
            #expect(rows.count == shape[0] && rows.allSatisfy { $0.count == shape[1] },
                    "\(name) is not \(shape[0]) x \(shape[1]) in the fixture")
            values += rows.joined()
        }
        try #require(values.count == GPT.parameterCount(gptConfig))
        var index = 0
        return GPT(config: gptConfig) { _ in
            defer { index += 1 }
            return values[index]  // GPT asks for the weights in matrixShapes order
        }
    }
}

/// Every comparison here is held to 1e-9 * max(1, |torch|).
private func againstTorch(_ what: String) -> Closeness { Closeness(what, tolerance: 1e-9) }

@Suite struct PyTorchReferenceTests {
    @Test func theFixtureDescribesOurModelAndDocument() throws {
        let reference = try Reference.load()
        #expect(reference.gptConfig.problems.isEmpty)
        #expect(Tokenizer(vocabulary: reference.vocab).vocabSize == reference.config.vocabSize)
        let document = try #require(reference.document, "the fixture's document has characters outside its vocabulary")
        #expect(document.tokens == reference.tokens)
        #expect(document.labelStart == reference.labelStart)
        #expect(document.truncatedCharacters == 0)
        // Both kinds of target are there, so the message weight changes the loss.
        #expect(reference.labelStart > 1 && reference.labelStart < document.positions)
        #expect(reference.messageWeight > 0 && reference.messageWeight < 1)
        #expect(reference.logits.count == document.positions)
        print("PyTorch reference: torch \(reference.torchVersion), torch.manual_seed(\(reference.torchManualSeed))")
    }

    @Test func theLogitsAtEveryPositionMatchPyTorch() throws {
        let reference = try Reference.load()
        let model = try reference.model()
        let tape = model.tape
        defer { tape.truncate(to: model.weightsEnd) }
        var comparison = againstTorch("logits")
        var cache = KVCache(layers: model.config.nLayer)
        for (position, torch) in reference.logits.enumerated() {
            let output = tape.withoutRecording {
                model.forward(token: reference.tokens[position], position: position, cache: &cache)
            }
            let logits = try #require(output)
            comparison.check(tape.data(logits), torch, name: "logits") { "logits[position \(position), token \($0)]" }
        }
        comparison.report()
    }

    @Test func theLossMatchesPyTorchWithAndWithoutTheMessageWeight() throws {
        let reference = try Reference.load()
        let model = try reference.model()
        let document = try #require(reference.document)
        let tape = model.tape
        defer { tape.truncate(to: model.weightsEnd) }
        let (weighted, plain) = tape.withoutRecording {
            (tape.data(model.loss(of: document, messageWeight: reference.messageWeight)),
             tape.data(model.loss(of: document, messageWeight: 1)))
        }
        var comparison = againstTorch("loss")
        comparison.check(weighted, reference.loss, at: "loss (message weight \(reference.messageWeight))")
        comparison.check(plain, reference.lossMessageWeight1, at: "loss (message weight 1)")
        comparison.report()
    }

    @Test func everyWeightsGradientMatchesPyTorch() throws {
        let reference = try Reference.load()
        let model = try reference.model()
        let document = try #require(reference.document)
        let tape = model.tape
        let loss = model.loss(of: document, messageWeight: reference.messageWeight)
        tape.backward(from: loss)
        defer {
            tape.truncate(to: model.weightsEnd)
            tape.zeroGrad()
        }
        var comparison = againstTorch("gradients")
        for matrix in model.matrices {
            let torch = try #require(reference.grads[matrix.name], "the fixture has no gradient for \(matrix.name)")
            comparison.check(tape.grad(Vector(start: matrix.start, count: matrix.count)), Array(torch.joined()),
                             name: matrix.name) { "\(matrix.name)[\($0 / matrix.cols), \($0 % matrix.cols)]" }
        }
        comparison.report()
    }
}
