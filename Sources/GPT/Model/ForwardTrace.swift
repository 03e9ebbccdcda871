// What the model's forward pass computed inside, kept when asked. Lessons and the web page show
// attention weights, scores, head outputs and hidden units; they read them from here, that is
// from the very pass that trains and classifies, never from a second copy of the model's code.
// Training keeps nothing: `GPT.forward` fills a trace only inside `GPT.traced(_:)`.
import Autograd

/// The inside of one forward pass over a sequence, position by position.
/// Shapes use the legend of GPT.swift: L layers, T positions, H heads, C = nEmbd, V = vocabSize.
public struct ForwardTrace: Sendable {
    /// [L][T][H][0...t]: attention scores q.k / sqrt(D) of position t against positions 0...t.
    public internal(set) var scores: [[[[Double]]]]
    /// [L][T][H][0...t]: attention weights, the softmax of the scores (each row sums to 1).
    public internal(set) var weights: [[[[Double]]]]
    /// [L][T][C]: the heads' outputs side by side, before attn_wo.
    public internal(set) var headOutputs: [[[Double]]]
    /// [L][T][4C]: the MLP's hidden layer after relu.
    public internal(set) var hidden: [[[Double]]]
    /// [T][V]: the logits after each position.
    public internal(set) var logits: [[Double]]

    init(layers: Int) {
        scores = Array(repeating: [], count: layers)
        weights = Array(repeating: [], count: layers)
        headOutputs = Array(repeating: [], count: layers)
        hidden = Array(repeating: [], count: layers)
        logits = []
    }

    mutating func keepAttention(layer: Int, head: Int, scores s: [Double], weights w: [Double]) {
        if head == 0 {
            scores[layer].append([])
            weights[layer].append([])
        }
        scores[layer][scores[layer].count - 1].append(s)
        weights[layer][weights[layer].count - 1].append(w)
    }

    mutating func keepHeads(layer: Int, _ output: [Double]) { headOutputs[layer].append(output) }
    mutating func keepHidden(layer: Int, _ units: [Double]) { hidden[layer].append(units) }
    mutating func keepLogits(_ values: [Double]) { logits.append(values) }
}

extension GPT {
    /// Runs `tokens` through the model's forward pass, positions 0, 1, ... in inference mode, and
    /// returns everything it computed inside. Leaves the tape as it found it.
    public func traced(_ tokens: [Int]) -> ForwardTrace { traced(tokens, scoring: []).trace }

    /// `traced(prompt)`, and log P(continuation | prompt) for each continuation, each continuing
    /// from the prompt's keys and values: what a pass shows and what it decides, from the one
    /// computation. The trace holds the prompt's positions only. Every continuation must be
    /// non-empty, and prompt and continuation together must fit the block (the last token of a
    /// continuation is only predicted, never run).
    public func traced(_ prompt: [Int], scoring continuations: [[Int]]) -> (trace: ForwardTrace, logLikelihoods: [Double]) {
        let mark = tape.mark()
        trace = ForwardTrace(layers: config.nLayer)
        defer {
            trace = nil
            tape.truncate(to: mark)
        }
        return tape.withoutRecording {
            var cache = KVCache(layers: config.nLayer)
            var last: Vector? = nil
            for (position, token) in prompt.enumerated() {
                last = forward(token: token, position: position, cache: &cache)
            }
            let kept = trace!
            trace = nil  // continuations are scored, not shown
            let scores = continuations.map { continuation in
                var branch = cache  // node ids only: a cheap copy
                var logits = last!
                var total = 0.0
                for (k, token) in continuation.enumerated() {
                    total += tape.logProbability(logits, of: token)
                    if k + 1 < continuation.count { logits = forward(token: token, position: prompt.count + k, cache: &branch)! }
                }
                return total
            }
            return (kept, scores)
        }
    }
}
