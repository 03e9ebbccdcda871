// The model: a character-level, decoder-only transformer, read top to bottom in the order a token
// flows through it. Legend of dimension names used in the shape comments:
//   V = vocabSize, C = nEmbd, H = nHead, D = headDim (C / H), T = positions so far (<= blockSize)
//
// The weights are the first nodes of a tape; each forward pass records after them, so backward
// leaves the weights' gradients in place for the optimizer, and `truncate` clears the rest.
//
// This is the one forward pass that trains the model and that lessons show (through the
// `ForwardTrace` it fills when asked, ForwardTrace.swift). Classification computes the same
// function a second time, without a tape and in single precision, in InferencePass.swift; the
// test `inferencePassMatchesTheRecordedForwardPass` (Tests/GPTTests/ClassifierTests.swift) holds
// the two within 1e-4, and PyTorchReferenceTests holds this one to PyTorch.
import Autograd

/// A weight matrix living on the tape as rows * cols consecutive leaves, row by row.
public struct WeightMatrix: Sendable, Equatable {
    /// The GPT-2 style name, also the tensor name in checkpoints: `wte`, `layer0.attn_wq`, ...
    public let name: String
    public let rows: Int
    public let cols: Int
    /// Id of element [0, 0].
    public let start: NodeID

    /// Row `r` as a vector: an embedding, or the weights of one output of a linear layer.
    public func row(_ r: Int) -> Vector { Vector(start: start + NodeID(r * cols), count: cols) }
    public var count: Int { rows * cols }
}

/// The weights of one transformer block. Linear layers are [out, in] and compute W x.
public struct BlockWeights: Sendable {
    public let attnWq: WeightMatrix  // [C, C]
    public let attnWk: WeightMatrix  // [C, C]
    public let attnWv: WeightMatrix  // [C, C]
    public let attnWo: WeightMatrix  // [C, C]
    public let mlpFc1: WeightMatrix  // [4C, C]
    public let mlpFc2: WeightMatrix  // [C, 4C]
}

/// Keys and values of the positions seen so far, per layer: what attention looks back at.
/// Holds node ids only, so copying a cache (to try several continuations of one prompt) is cheap.
public struct KVCache: Sendable {
    public var keys: [[NodeID]]    // [layer][t]: start of the key vector (C) at position t
    public var values: [[NodeID]]  // [layer][t]: start of the value vector (C) at position t

    public init(layers: Int) {
        keys = Array(repeating: [], count: layers)
        values = Array(repeating: [], count: layers)
    }

    /// Positions stored so far.
    public var count: Int { keys.first?.count ?? 0 }
}

/// A GPT whose weights live on `tape`.
public final class GPT {
    public let config: GPTConfig
    public let tape: Tape
    public let wte: WeightMatrix      // [V, C] token embeddings
    public let wpe: WeightMatrix      // [blockSize, C] position embeddings
    public let layers: [BlockWeights]
    public let lmHead: WeightMatrix   // [V, C] output projection to logits
    /// Every weight matrix in checkpoint order.
    public let matrices: [WeightMatrix]
    /// The tape's end after the weights: where each forward pass starts recording.
    public let weightsEnd: Tape.Mark

    /// What the forward pass keeps of its inside while `traced(_:)` runs (ForwardTrace.swift);
    /// nil, and so free, on every other path.
    var trace: ForwardTrace?

    /// A model with weights drawn from a Gaussian (std `config.initStd`) in a fixed order.
    public convenience init(config: GPTConfig, seed: UInt64) {
        var random = SeededRandom(seed: seed)
        self.init(config: config) { _ in random.nextGaussian(standardDeviation: config.initStd) }
    }

    /// A model whose weight values come from `initialValue`, called once per weight in order.
    public init(config: GPTConfig, initialValue: (String) -> Double) {
        self.config = config
        let tape = Tape(capacity: GPT.parameterCount(config) + 65_536)
        let matrices = GPT.matrixShapes(config).map { name, shape in
            let start = NodeID(tape.count)
            for _ in 0..<(shape[0] * shape[1]) { _ = tape.input(initialValue(name)) }
            return WeightMatrix(name: name, rows: shape[0], cols: shape[1], start: start)
        }
        // matrixShapes lists wte, wpe, six matrices per layer, then lm_head.
        wte = matrices[0]
        wpe = matrices[1]
        layers = (0..<config.nLayer).map { i in
            let m = matrices[(2 + 6 * i)...]
            return BlockWeights(attnWq: m[m.startIndex], attnWk: m[m.startIndex + 1], attnWv: m[m.startIndex + 2],
                                attnWo: m[m.startIndex + 3], mlpFc1: m[m.startIndex + 4], mlpFc2: m[m.startIndex + 5])
        }
        lmHead = matrices[matrices.count - 1]
        self.matrices = matrices
        weightsEnd = tape.mark()
        tape.parametersEnd = weightsEnd.nodes  // weights are leaves: backward may batch their gradients
        self.tape = tape
    }

    /// A model with the same config and weights on a tape of its own (for another thread).
    public func copy() -> GPT {
        let weights = tape.dataPointer(0)
        var index = 0
        return GPT(config: config) { _ in
            defer { index += 1 }
            return weights[index]
        }
    }

    /// Number of weights (scalars) a model of this config has: the sizes of `matrixShapes(config)`
    /// added up (a test holds the two equal).
    public static func parameterCount(_ config: GPTConfig) -> Int {
        config.parameterCount
    }

    /// Number of weights of this model.
    public var parameterCount: Int { weightsEnd.nodes }

    // MARK: The forward pass

    /// Runs one token at `position` through the model, extending `cache`, and returns the logits
    /// for the next token (V). With `needLogits: false` only what later positions read (the keys
    /// and values of every layer) is computed: classification uses that for the prompt's tokens.
    /// `position` must be `cache.count` and below the block size, and `token` a vocabulary id.
    @discardableResult
    public func forward(token: Int, position: Int, cache: inout KVCache, needLogits: Bool = true) -> Vector? {
        // Callers fit user input into the vocabulary and the block first: a bad value here is a bug.
        // fatalError, not precondition: this target is built with -O, where a precondition's
        // message is never printed.
        if let problem = forwardProblem(token: token, position: position, cache: cache) { fatalError(problem) }
        return forward(tokens: [token], cache: &cache, logitsFrom: needLogits ? 0 : 1)
    }

    /// Runs `tokens` at the positions after `cache` (cache.count, cache.count + 1, ...) through the
    /// model, extending `cache`, and returns the logits for the next token after every position
    /// from `logitsFrom` on, one V-vector after another ([T - logitsFrom, V]), or nil when
    /// `logitsFrom` is T. Earlier positions compute only what later positions read.
    ///
    /// This is the same function as `forward(token:...)` run position after position (the causal
    /// mask makes position t read only positions 0...t), computed layer by layer for all the
    /// positions at once: each linear layer is then one `matmul` over the whole sequence, which
    /// loads each weight row once for several positions, forward and backward. Training runs it
    /// on a whole document; one token is the case T = 1.
    public func forward(tokens: [Int], cache: inout KVCache, logitsFrom: Int = 0) -> Vector? {
        if let problem = forwardProblem(tokens: tokens, cache: cache, logitsFrom: logitsFrom) { fatalError(problem) }
        let c = config.nEmbd, positions = tokens.count, first = cache.count
        let embeddingsStart = NodeID(tape.count)
        for (t, token) in tokens.enumerated() { _ = tape.add(wte.row(token), wpe.row(first + t)) }  // (C) each
        var x = rowByRow(Vector(start: embeddingsStart, count: positions * c), positions) { tape.rmsnorm($0) }  // (T, C)
        var live = positions  // positions whose output a later layer or the logits read
        for (index, block) in layers.enumerated() {
            let outputFrom = index == layers.count - 1 ? logitsFrom : 0
            x = attention(x, positions: positions, block, layer: index, cache: &cache, outputFrom: outputFrom)
            live = positions - outputFrom
            if live == 0 { return nil }
            x = mlp(x, positions: live, block, layer: index)
        }
        let logits = linear(lmHead, x, positions: live)  // (T, V)
        if trace != nil {
            for t in 0..<live { trace?.keepLogits(tape.data(logits.slice(t * config.vocabSize, config.vocabSize))) }
        }
        return logits
    }

    /// `f` applied to each of the `positions` vectors of `x` in turn, whose outputs (as long as
    /// their inputs) come out one after another on the tape: the result as one [T, n] vector.
    func rowByRow(_ x: Vector, _ positions: Int, _ f: (Vector) -> Vector) -> Vector {
        let n = x.count / positions, start = NodeID(tape.count)
        for t in 0..<positions {
            let y = f(x.slice(t * n, n))
            if y.start != start + NodeID(t * n) || y.count != n { fatalError("rowByRow: an output did not follow the one before") }
        }
        return Vector(start: start, count: positions * n)
    }

    /// Why `forward(tokens:...)` cannot run `tokens` after `cache`, in words, or nil when it can.
    func forwardProblem(tokens: [Int], cache: KVCache, logitsFrom: Int) -> String? {
        if tokens.isEmpty { return "no tokens to run" }
        if let token = tokens.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
            return "token id \(token) is outside the vocabulary of \(config.vocabSize) tokens"
                + "\nHINT: encode text with the model's own tokenizer"
        }
        if cache.keys.count != config.nLayer {
            return "the cache was made for n_layer \(cache.keys.count), but the model has n_layer \(config.nLayer)"
                + "\nHINT: make it with KVCache(layers: model.config.nLayer)"
        }
        if cache.count + tokens.count > config.blockSize {
            return "positions \(cache.count)..<\(cache.count + tokens.count) run past the block size \(config.blockSize)"
                + "\nHINT: keep at most block_size tokens, as Document.fitPrompt does"
        }
        if logitsFrom < 0 || logitsFrom > tokens.count {
            return "logitsFrom \(logitsFrom) is outside 0...\(tokens.count)"
        }
        return nil
    }

    /// Why `forward` cannot run `token` at `position` after `cache`, in words, or nil when it can.
    /// Without this check a bad id would read another matrix's weights as an embedding.
    func forwardProblem(token: Int, position: Int, cache: KVCache) -> String? {
        if position >= config.blockSize {
            return "position \(position) is past the block size \(config.blockSize)"
                + "\nHINT: keep at most block_size tokens, as Document.fitPrompt does"
        }
        if position != cache.count, cache.keys.count == config.nLayer {
            return "position \(position) does not follow the cache: it holds \(cache.count) positions, so the next is \(cache.count)"
                + "\nHINT: run positions 0, 1, 2, ... in order on one cache, or start a new KVCache"
        }
        return forwardProblem(tokens: [token], cache: cache, logitsFrom: 0)
    }

    // region: attention
    /// x + attn(rmsnorm(x)) at each position from `outputFrom` on ([T - outputFrom, C]):
    /// multi-head causal self-attention over the cached positions and these. Every position's key
    /// and value join the cache; earlier positions compute nothing else.
    func attention(_ x: Vector, positions: Int, _ block: BlockWeights, layer: Int, cache: inout KVCache,
                   outputFrom: Int) -> Vector {
        let c = config.nEmbd, d = config.headDim
        let xn = rowByRow(x, positions) { tape.rmsnorm($0) }  // (T, C)
        let k = linear(block.attnWk, xn, positions: positions)  // (T, C)
        let v = linear(block.attnWv, xn, positions: positions)  // (T, C)
        let cached = cache.keys[layer].count  // positions before this chunk (cache.count counts layer 0, which has them already)
        for t in 0..<positions {
            cache.keys[layer].append(k.start + NodeID(t * c))
            cache.values[layer].append(v.start + NodeID(t * c))
        }
        let live = positions - outputFrom
        guard live > 0 else { return x }
        let xnLive = xn.slice(outputFrom * c, live * c)
        let q = linear(block.attnWq, xnLive, positions: live)  // (T, C)
        if trace != nil {
            for t in 0..<live {
                trace?.keepProjections(layer: layer, input: xnLive.slice(t * c, c), query: q.slice(t * c, c),
                                       key: k.slice((outputFrom + t) * c, c), on: tape)
            }
        }
        let scale = 1 / Double(d).squareRoot()
        // Scores and softmax for every position and head first, so the heads' outputs below come
        // out one after another: the input of attn_wo for the whole sequence.
        var weights: [Vector] = []  // (T, H, 0...t)
        weights.reserveCapacity(live * config.nHead)
        for t in 0..<live {
            // Causal: position t looks at the cached positions and this chunk's up to itself.
            let keys = cache.keys[layer][..<(cached + outputFrom + t + 1)]
            let query = q.slice(t * c, c)
            for h in 0..<config.nHead {
                let scores = tape.scores(query.slice(h * d, d), keys: keys, offset: h * d, scale: scale)  // (t + 1)
                weights.append(tape.softmax(scores))
                trace?.keepAttention(layer: layer, head: h, scores: scores, weights: weights[weights.count - 1], on: tape)
            }
        }
        let headsStart = NodeID(tape.count)
        for t in 0..<live {
            let rows = tape.rowList(cache.values[layer][..<(cached + outputFrom + t + 1)])
            for h in 0..<config.nHead {
                _ = tape.weightedSums(weights[t * config.nHead + h], rows: rows, columns: (h * d)..<(h * d + d))  // (D)
            }
        }
        let heads = Vector(start: headsStart, count: live * c)  // (T, C): H heads of D side by side, per position
        if trace != nil {
            for t in 0..<live { trace?.keepHeads(layer: layer, tape.data(heads.slice(t * c, c))) }
        }
        return tape.add(linear(block.attnWo, heads, positions: live), x.slice(outputFrom * c, live * c))
    }
    // endregion

    // region: mlp
    /// x + fc2(relu(fc1(rmsnorm(x)))) at each position: the per-position MLP, 4x wide.
    func mlp(_ x: Vector, positions: Int, _ block: BlockWeights, layer: Int) -> Vector {
        let xn = rowByRow(x, positions) { tape.rmsnorm($0) }
        let hidden = tape.relu(linear(block.mlpFc1, xn, positions: positions))  // (T, 4C)
        if trace != nil {
            let width = block.mlpFc1.rows
            for t in 0..<positions { trace?.keepHidden(layer: layer, tape.data(hidden.slice(t * width, width))) }
        }
        return tape.add(linear(block.mlpFc2, hidden, positions: positions), x)  // (T, C)
    }
    // endregion

    /// W x_t for each position's x_t, with W of shape [out, in]: one dot-product node per output.
    func linear(_ w: WeightMatrix, _ x: Vector, positions: Int) -> Vector {
        tape.matmul(w.start, rows: w.rows, x, positions: positions)
    }
}
