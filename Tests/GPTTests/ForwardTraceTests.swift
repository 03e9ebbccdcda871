// The trace a forward pass keeps for lessons and the web page: it is the pass's own numbers.
import Autograd
import GPT
import Testing

@Suite struct ForwardTraceTests {
    let config = GPTConfig(vocabSize: 7, nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 12, initStd: 0.5)
    let tokens = [6, 0, 3, 2, 5, 1, 4]

    @Test func theTraceHoldsTheForwardPassesOwnLogits() {
        let model = GPT(config: config, seed: 11)
        let trace = model.traced(tokens)
        #expect(model.tape.count == model.weightsEnd.nodes)  // the tape is left as it was
        let tape = model.tape
        var cache = KVCache(layers: config.nLayer)
        for (position, token) in tokens.enumerated() {
            let logits = tape.withoutRecording { tape.data(model.forward(token: token, position: position, cache: &cache)!) }
            #expect(logits == trace.logits[position])  // bit for bit: the same computation
        }
        tape.truncate(to: model.weightsEnd)
    }

    @Test func everyLayerKeepsEveryPositionsHeadsScoresAndHiddenUnits() {
        let trace = GPT(config: config, seed: 11).traced(tokens)
        #expect(trace.logits.count == tokens.count && trace.logits.allSatisfy { $0.count == config.vocabSize })
        for layer in 0..<config.nLayer {
            #expect(trace.weights[layer].count == tokens.count)
            #expect(trace.headOutputs[layer].allSatisfy { $0.count == config.nEmbd })
            #expect(trace.hidden[layer].allSatisfy { $0.count == 4 * config.nEmbd })
            for (t, heads) in trace.weights[layer].enumerated() {
                #expect(heads.count == config.nHead)
                for (h, weights) in heads.enumerated() {
                    #expect(weights.count == t + 1)  // causal: positions 0...t
                    #expect(abs(weights.reduce(0, +) - 1) < 1e-12)
                    // The weights are the softmax of the scores kept beside them.
                    let scores = trace.scores[layer][t][h]
                    let top = scores.max()!
                    let total = scores.map { DeterministicMath.exp($0 - top) }.reduce(0, +)
                    for (w, s) in zip(weights, scores) { #expect(abs(w - DeterministicMath.exp(s - top) / total) < 1e-12) }
                }
            }
        }
    }

    @Test func greedyDecodingStopsAtTheStopTokenTheLimitOrTheBlock() {
        let model = GPT(config: config, seed: 11)
        let free = model.greedyContinuation(of: [6, 0, 3], maxTokens: 100, stop: -1)
        #expect(free.tokens.count == config.blockSize - 3)  // never past the block
        let limited = model.greedyContinuation(of: [6, 0, 3], maxTokens: 2, stop: -1)
        #expect(limited.tokens == Array(free.tokens.prefix(2)))
        let stop = free.tokens[1]
        let stopped = model.greedyContinuation(of: [6, 0, 3], maxTokens: 100, stop: stop)
        #expect(stopped.tokens == Array(free.tokens.prefix(free.tokens.firstIndex(of: stop)!)))
        #expect(free.firstLogits == model.traced([6, 0, 3]).logits[2])
        #expect(model.tape.count == model.weightsEnd.nodes)
    }
}
