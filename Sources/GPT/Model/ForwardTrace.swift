// What the model's forward pass computed inside, kept when asked. Lessons and the web page show
// attention weights, scores, head outputs and hidden units; they read them from here, that is
// from the very pass that trains and classifies, never from a second copy of the model's code.
// Training keeps nothing: `GPT.forward` fills a trace only inside `GPT.traced(_:)` and
// `GPT.lossGradients(of:)`; the second records the pass, runs backward from the document's loss
// and reads the gradient that reached each kept node, straight off the tape.
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
    /// [L][T][C]: rmsnorm(x), what attention's linear layers read: q = Wq xn, k = Wk xn, v = Wv xn.
    public internal(set) var attentionInputs: [[[Double]]]
    /// [L][T][C]: the queries of every head side by side (head h is dims h*D ..< (h+1)*D).
    public internal(set) var queries: [[[Double]]]
    /// [L][T][C]: the keys, laid out as the queries.
    public internal(set) var keys: [[[Double]]]

    /// Where the kept quantities lie on the tape, for `lossGradients` to read their gradients
    /// (meaningless once the pass's nodes are truncated).
    struct Nodes: Sendable {
        var scores: [[[Vector]]]   // [L][T][H]
        var weights: [[[Vector]]]  // [L][T][H]
        var queries: [[Vector]]    // [L][T]
        var keys: [[Vector]]       // [L][T]
    }
    var nodes: Nodes

    init(layers: Int) {
        scores = Array(repeating: [], count: layers)
        weights = Array(repeating: [], count: layers)
        headOutputs = Array(repeating: [], count: layers)
        hidden = Array(repeating: [], count: layers)
        logits = []
        attentionInputs = Array(repeating: [], count: layers)
        queries = Array(repeating: [], count: layers)
        keys = Array(repeating: [], count: layers)
        nodes = Nodes(scores: Array(repeating: [], count: layers), weights: Array(repeating: [], count: layers),
                      queries: Array(repeating: [], count: layers), keys: Array(repeating: [], count: layers))
    }

    mutating func keepAttention(layer: Int, head: Int, scores s: Vector, weights w: Vector, on tape: Tape) {
        if head == 0 {
            scores[layer].append([])
            weights[layer].append([])
            nodes.scores[layer].append([])
            nodes.weights[layer].append([])
        }
        scores[layer][scores[layer].count - 1].append(tape.data(s))
        weights[layer][weights[layer].count - 1].append(tape.data(w))
        nodes.scores[layer][nodes.scores[layer].count - 1].append(s)
        nodes.weights[layer][nodes.weights[layer].count - 1].append(w)
    }

    /// A position's attention input and the query and key made from it.
    mutating func keepProjections(layer: Int, input xn: Vector, query q: Vector, key k: Vector, on tape: Tape) {
        attentionInputs[layer].append(tape.data(xn))
        queries[layer].append(tape.data(q))
        keys[layer].append(tape.data(k))
        nodes.queries[layer].append(q)
        nodes.keys[layer].append(k)
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

/// What one backward pass from a document's loss left on the tape: the gradient of that loss with
/// respect to attention's weights, queries and keys at every layer and position, and to every
/// weight of the model. Shapes as in `ForwardTrace`; each entry is d(loss)/d(that number).
public struct LossGradients: Sendable {
    /// The document's loss, `GPT.loss(of:)`: the mean cross-entropy of its next-token predictions.
    public let loss: Double
    /// The recorded forward pass's inside: the values the gradients below are gradients at.
    public let trace: ForwardTrace
    /// [L][T][H][0...t]: the gradient reaching the attention weight of query t on key j. Keys
    /// after t have no weight node (the causal mask), so no entry and no gradient.
    public let attentionWeights: [[[[Double]]]]
    /// [L][T][H][0...t]: the gradient reaching the scores q.k / sqrt(D) (after the softmax's backward).
    public let attentionScores: [[[[Double]]]]
    /// [L][T][C]: the gradient reaching each query, heads side by side.
    public let queries: [[[Double]]]
    /// [L][T][C]: the gradient reaching each key.
    public let keys: [[[Double]]]
    /// Every weight's gradient, in tape order (the order of `GPT.matrices`).
    public let parameters: [Double]

    /// The gradient of one of the model's weight matrices, [rows][cols].
    public func gradient(of matrix: WeightMatrix) -> [[Double]] {
        (0..<matrix.rows).map { r in
            let start = Int(matrix.start) + r * matrix.cols
            return Array(parameters[start..<(start + matrix.cols)])
        }
    }
}

extension GPT {
    /// Records the loss of `document` as training does (`loss(of:)`, every target weighing 1),
    /// keeping a trace of the pass, runs backward from it, and returns what reached the kept nodes
    /// and the weights. Leaves the tape as it found it: the pass's nodes forgotten, every weight's
    /// gradient what it was before. The tape must be recording (not inside `withoutRecording`).
    public func lossGradients(of document: Document) -> LossGradients {
        if !tape.isRecording { fatalError("lossGradients needs a recording tape: it was called inside withoutRecording") }
        let mark = tape.mark()
        let earlier = Array(UnsafeBufferPointer(start: tape.gradPointer(0), count: mark.nodes))
        tape.zeroGrad()
        trace = ForwardTrace(layers: config.nLayer)
        defer {
            trace = nil
            tape.truncate(to: mark)
            tape.zeroGrad()
            for (i, g) in earlier.enumerated() where g != 0 { tape.setGrad(NodeID(i), g) }
        }
        let loss = loss(of: document)
        tape.backward(from: loss)
        let kept = trace!
        let grads = { (v: Vector) in self.tape.grad(v) }
        return LossGradients(
            loss: tape.data(loss), trace: kept,
            attentionWeights: kept.nodes.weights.map { $0.map { $0.map(grads) } },
            attentionScores: kept.nodes.scores.map { $0.map { $0.map(grads) } },
            queries: kept.nodes.queries.map { $0.map(grads) },
            keys: kept.nodes.keys.map { $0.map(grads) },
            parameters: Array(UnsafeBufferPointer(start: tape.gradPointer(0), count: weightsEnd.nodes)))
    }
}
