// The model's forward pass recomputed step by step with the tape's public operations on the
// model's own weights, keeping what the model's `forward` does not expose: every head's queries,
// keys, scores and attention weights, and the MLP's hidden layer. The probe also runs the model's
// own `forward` and reports how far the two sets of logits are apart, so a lesson proves that
// what it shows is what the model computes.
import Autograd
import GPT

/// What one forward pass over a line left behind, per position.
struct ForwardProbe {
    /// [layer][position][head]: attention weights over positions 0...position.
    var weights: [[[[Double]]]] = []
    /// [layer][position][head]: raw scores q.k / sqrt(D) before the softmax.
    var scores: [[[[Double]]]] = []
    /// [layer][position]: the heads' outputs side by side (C).
    var headOutputs: [[[Double]]] = []
    /// [layer][position]: the MLP's hidden layer after relu (4C).
    var hidden: [[[Double]]] = []
    /// [position]: the logits (V).
    var logits: [[Double]] = []
    /// Largest |difference| between these logits and those of the model's own forward.
    var maxDifferenceFromModel = 0.0

    /// Runs `tokens` through `model` both ways. Records nothing to differentiate and leaves the
    /// tape as it found it.
    init(model: GPT, tokens: [Int]) {
        model.tape.withoutRecording {
            defer { model.tape.truncate(to: model.weightsEnd) }
            probe(model, tokens)
        }
    }

    private mutating func probe(_ model: GPT, _ tokens: [Int]) {
        let tape = model.tape
        let layers = model.config.nLayer
        weights = Array(repeating: [], count: layers)
        scores = Array(repeating: [], count: layers)
        headOutputs = Array(repeating: [], count: layers)
        hidden = Array(repeating: [], count: layers)
        var keys: [[Vector]] = Array(repeating: [], count: layers)
        var values: [[Vector]] = Array(repeating: [], count: layers)
        var cache = KVCache(layers: layers)
        for (position, token) in tokens.enumerated() {
            let ours = forward(model, token: token, position: position, keys: &keys, values: &values)
            logits.append(tape.data(ours))
            if let theirs = model.forward(token: token, position: position, cache: &cache) {
                for (a, b) in zip(tape.data(ours), tape.data(theirs)) { maxDifferenceFromModel = max(maxDifferenceFromModel, abs(a - b)) }
            }
        }
    }

    // region: probe-forward
    private mutating func forward(_ model: GPT, token: Int, position: Int,
                                  keys: inout [[Vector]], values: inout [[Vector]]) -> Vector {
        let tape = model.tape
        let c = model.config.nEmbd, d = model.config.headDim
        var x = tape.rmsnorm(tape.add(model.wte.row(token), model.wpe.row(position)))  // (C)
        for (layer, block) in model.layers.enumerated() {
            let xn = tape.rmsnorm(x)
            let k = tape.matvec(block.attnWk.start, rows: c, xn)  // (C)
            let v = tape.matvec(block.attnWv.start, rows: c, xn)  // (C)
            keys[layer].append(k)
            values[layer].append(v)
            let q = tape.matvec(block.attnWq.start, rows: c, xn)  // (C)
            var headWeights: [Vector] = []  // (H, T)
            var headScores: [[Double]] = []
            for h in 0..<model.config.nHead {
                // One score per earlier position t <= position: the causal mask is this loop's bound.
                let start = NodeID(tape.count)
                for key in keys[layer] {
                    _ = tape.dot(q.slice(h * d, d), key.slice(h * d, d), scale: 1 / Double(d).squareRoot())
                }
                let scoreVector = Vector(start: start, count: keys[layer].count)
                headScores.append(tape.data(scoreVector))
                headWeights.append(tape.softmax(scoreVector))  // (T)
            }
            let rows = tape.rowList(values[layer].map(\.start))
            let headsStart = NodeID(tape.count)
            for h in 0..<model.config.nHead {
                for j in 0..<d { _ = tape.weightedSum(headWeights[h], rows: rows, column: h * d + j) }
            }
            let heads = Vector(start: headsStart, count: c)  // (C)
            x = tape.add(tape.matvec(block.attnWo.start, rows: c, heads), x)
            let h1 = tape.relu(tape.matvec(block.mlpFc1.start, rows: 4 * c, tape.rmsnorm(x)))  // (4C)
            x = tape.add(tape.matvec(block.mlpFc2.start, rows: c, h1), x)
            weights[layer].append(headWeights.map { tape.data($0) })
            scores[layer].append(headScores)
            headOutputs[layer].append(tape.data(heads))
            hidden[layer].append(tape.data(h1))
        }
        return tape.matvec(model.lmHead.start, rows: model.config.vocabSize, x)  // (V)
    }
    // endregion
}
