// The model's forward pass for inference: the same weights and the same computation as
// `GPT.forward`, run without a tape, in single precision, many positions at a time.
//
// Classifying a line reads about 55 prompt positions and 16 label positions, some 1.4 million
// multiply-adds. Recording a node for each output of each linear layer costs more than the
// arithmetic itself, and double precision gets four numbers into a vector register where single
// precision gets eight. So here:
// - the weights are copied once as Floats, each matrix transposed ([in, out]), so a linear layer
//   is rows of outputs built from whole vectors of weights;
// - a prompt's positions go through the linear layers together (each weight load serves four);
// - a prompt starts from the keys and values of the start it shares with the previous prompt;
// - keys are stored transposed too, so eight positions' attention scores come from vector loads;
// - softmax takes its exponentials eight at a time.
// The arithmetic itself (linear layers, attention, softmax and its exponential) is in C, in
// Sources/InferenceKernels, compiled for any CPU and again for AVX2: Swift compiles a whole build
// for one CPU. Both versions multiply and then add (never a fused multiply-add, which only some
// CPUs have) in the same order, so the results are the same bits on every machine.
// Single precision moves a label's log-likelihood by about 1e-6 from the recorded pass; the
// tests hold the two within 1e-4.
import Autograd
internal import InferenceKernels

/// A trained model's weights in plain single-precision buffers, and the scratch space to run them
/// without a tape. Not thread-safe (the scratch space is reused); give each thread its own.
final class InferencePass {
    let config: GPTConfig
    private let c: Int         // nEmbd
    private let headDim: Int
    private let width: Int     // a row of C activations in memory: C rounded up to a whole vector
    private let slotCapacity: Int

    private let wte: Rows, wpe: Rows
    private let lmHead: TransposedMatrix
    private let layers: [LayerWeights]

    /// One block's linear layers.
    private struct LayerWeights {
        let wq, wk, wv, wo, fc1, fc2: TransposedMatrix
    }

    // Scratch space, rows `width` (or the layer's padded output count) apart.
    private let keys: [Buffer]     // [layer][c * slotCapacity + slot]: transposed, for vector loads over slots
    private let values: [Buffer]   // [layer][slot * width + c]
    private let x: Buffer          // the residual stream
    private let normed: Buffer     // rmsnorm(x)
    private let queries: Buffer
    private let newKeys: Buffer    // keys of this batch of rows, before they are transposed into `keys`
    private let heads: Buffer      // attention output before wo
    private let projected: Buffer  // a linear layer's output (C)
    private let hidden: Buffer     // the MLP's hidden rows (4C)
    private let scores: Buffer     // one row's attention weights [head * slotCapacity + t]
    private let logits: Buffer     // logits rows
    private var buffers: [Buffer] { keys + values + [x, normed, queries, newKeys, heads, projected, hidden, scores, logits] }

    init(_ model: GPT) {
        config = model.config
        c = config.nEmbd
        headDim = config.headDim
        width = Self.padded(c)
        precondition(config.problems.isEmpty, "an inconsistent config: \(config.problems)")
        // Prompt and continuation together fill at most the block (a continuation's last token is
        // only predicted, never run); padded so eight slots' scores can always be loaded at once.
        slotCapacity = Self.padded(config.blockSize)
        let weights = model.tape.dataPointer(0)
        func rows(_ m: WeightMatrix) -> Rows { Rows(weights + Int(m.start), rows: m.rows, cols: m.cols, width: Self.padded(m.cols)) }
        func transposed(_ m: WeightMatrix) -> TransposedMatrix { TransposedMatrix(weights + Int(m.start), rows: m.rows, cols: m.cols) }
        wte = rows(model.wte)
        wpe = rows(model.wpe)
        lmHead = transposed(model.lmHead)
        layers = model.layers.map {
            LayerWeights(wq: transposed($0.attnWq), wk: transposed($0.attnWk), wv: transposed($0.attnWv),
                         wo: transposed($0.attnWo), fc1: transposed($0.mlpFc1), fc2: transposed($0.mlpFc2))
        }
        let activations = slotCapacity * width
        keys = (0..<config.nLayer).map { _ in Buffer(count: activations) }
        values = (0..<config.nLayer).map { _ in Buffer(count: activations) }
        x = Buffer(count: activations)
        normed = Buffer(count: activations)
        queries = Buffer(count: activations)
        newKeys = Buffer(count: activations)
        heads = Buffer(count: activations)
        projected = Buffer(count: activations)
        hidden = Buffer(count: slotCapacity * Self.padded(4 * c))
        scores = Buffer(count: config.nHead * slotCapacity)
        logits = Buffer(count: slotCapacity * Self.padded(config.vocabSize))
    }

    deinit {
        for buffer in buffers { buffer.pointer.deallocate() }
        for rows in [wte, wpe] { rows.pointer.deallocate() }
        for matrix in [lmHead] + layers.flatMap({ [$0.wq, $0.wk, $0.wv, $0.wo, $0.fc1, $0.fc2] }) { matrix.pointer.deallocate() }
    }

    // MARK: Scoring continuations of a prompt

    /// For each continuation, log P(its tokens, one after the other | prompt): the prompt runs
    /// once, then every continuation reads its keys and values (and its own earlier tokens').
    /// The prompt must not be empty, and prompt + continuation, less its last token (which is only
    /// predicted), must fit in the block.
    func logLikelihoods(prompt: [Int], continuations: [[Int]]) -> [Double] {
        let p = prompt.count
        precondition(p > 0 && p <= config.blockSize, "a prompt of \(p) tokens for a block of \(config.blockSize)")
        precondition(continuations.allSatisfy { p + $0.count <= config.blockSize + 1 }, "a continuation runs past the block")
        let known = 0..<config.vocabSize
        precondition(prompt.allSatisfy(known.contains) && continuations.allSatisfy { $0.allSatisfy(known.contains) },
                     "a token outside the vocabulary")

        // Attention is causal, so a position's keys and values depend on the tokens up to it and
        // nothing after: the positions this prompt shares with the previous one already hold the
        // right keys and values, to the bit, and only the rest are run. (Log files repeat their
        // templates: sorted, the lines of our dataset share half their characters with the line
        // before.) The last position always runs, since its output predicts the label.
        let reused = min(Self.sharedPrefix(previousPrompt, prompt), p - 1)
        previousPrompt = prompt
        let fresh = p - reused

        // The prompt: every layer but the last for all positions; the last layer only needs keys
        // and values from them, and a full output from the final position, which predicts what comes next.
        embed((reused..<p).map { (token: prompt[$0], position: $0) })
        for layer in 0..<config.nLayer {
            let outputs = layer == config.nLayer - 1 ? (fresh - 1)..<fresh : 0..<fresh
            block(layer, rows: fresh, firstSlot: reused, outputs: outputs)
        }
        let afterPrompt = logProbabilities(rows: (fresh - 1)..<fresh)
        var totals = continuations.map { $0.isEmpty ? 0 : afterPrompt.at(row: 0, token: $0[0]) }

        // Each continuation in turn, in the slots right after the prompt's (the next one
        // overwrites them): every token but the last is a row (the last is only predicted), and
        // each row attends to every slot up to its own.
        for (index, continuation) in continuations.enumerated() where continuation.count > 1 {
            let tokens = continuation.dropLast()
            embed(tokens.enumerated().map { (token: $1, position: p + $0) })
            for layer in 0..<config.nLayer {
                block(layer, rows: tokens.count, firstSlot: p, outputs: 0..<tokens.count)
            }
            let predicted = logProbabilities(rows: 0..<tokens.count)
            for (row, next) in continuation.dropFirst().enumerated() {
                totals[index] += predicted.at(row: row, token: next)
            }
        }
        return totals
    }

    /// The prompt whose keys and values fill the first slots (continuations only write after it).
    private var previousPrompt: [Int] = []

    /// How many tokens `a` and `b` share from the start.
    private static func sharedPrefix(_ a: [Int], _ b: [Int]) -> Int {
        var n = 0
        while n < a.count && n < b.count && a[n] == b[n] { n += 1 }
        return n
    }

    // MARK: The layers

    /// x[row] = rmsnorm(wte[token] + wpe[position]) for each row.
    private func embed(_ rows: [(token: Int, position: Int)]) {
        for (row, item) in rows.enumerated() {
            let out = x.row(row, width), token = wte.row(item.token), position = wpe.row(item.position)
            for j in 0..<c { out[j] = token[j] + position[j] }
            rmsnorm(out, into: out)
        }
    }

    /// One transformer block over `rows` rows of x, in the slots from `firstSlot` on: each row
    /// leaves its key and value there and attends to every slot up to its own. Only the rows in
    /// `outputs` get the block's output (attention and MLP); the others only leave keys and values.
    private func block(_ layer: Int, rows: Int, firstSlot: Int, outputs: Range<Int>) {
        let w = layers[layer]
        for row in 0..<rows { rmsnorm(x.row(row, width), into: normed.row(row, width)) }
        w.wv.apply(normed.pointer, rows: rows, inputStride: width, into: values[layer].row(firstSlot, width), outputStride: width)
        w.wk.apply(normed.pointer, rows: rows, inputStride: width, into: newKeys.pointer, outputStride: width)
        let slotKeys = keys[layer].pointer
        for row in 0..<rows {
            let key = newKeys.row(row, width)
            for j in 0..<c { slotKeys[j * slotCapacity + firstSlot + row] = key[j] }
        }
        guard !outputs.isEmpty else { return }
        let first = outputs.lowerBound, count = outputs.count
        w.wq.apply(normed.row(first, width), rows: count, inputStride: width, into: queries.pointer, outputStride: width)
        for index in 0..<count {
            attend(layer, query: queries.row(index, width), slots: firstSlot + first + index + 1, into: heads.row(index, width))
        }
        // x += wo heads
        w.wo.apply(heads.pointer, rows: count, inputStride: width, into: projected.pointer, outputStride: width)
        addToResidual(rows: first..<(first + count))
        // x += fc2 relu(fc1 rmsnorm(x))
        let hiddenWidth = w.fc1.paddedOutputs
        for index in 0..<count { rmsnorm(x.row(first + index, width), into: normed.row(index, width)) }
        w.fc1.apply(normed.pointer, rows: count, inputStride: width, into: hidden.pointer, outputStride: hiddenWidth)
        let h = hidden.pointer
        for k in 0..<(count * hiddenWidth) { h[k] = max(0, h[k]) }
        w.fc2.apply(hidden.pointer, rows: count, inputStride: hiddenWidth, into: projected.pointer, outputStride: width)
        addToResidual(rows: first..<(first + count))
    }

    /// x[row] += projected[row - rows.lowerBound] for each row.
    private func addToResidual(rows: Range<Int>) {
        for (index, row) in rows.enumerated() {
            let out = x.row(row, width), add = projected.row(index, width)
            for j in 0..<c { out[j] += add[j] }
        }
    }

    /// Multi-head attention of one query over the keys and values of slots 0..<slots, heads side by side.
    private func attend(_ layer: Int, query: UnsafeMutablePointer<Float>, slots: Int, into out: UnsafeMutablePointer<Float>) {
        Kernels.chosen.attend(query, keys[layer].pointer, values[layer].pointer, Int32(slots), Int32(config.nHead),
                              Int32(headDim), Int32(slotCapacity), Int32(width), scores.pointer, out)
    }

    /// The log-softmax of each x row's logits in `rows` (lm_head, no norm: as `GPT.forward`).
    /// Valid until the next call, which reuses the logits buffer.
    private func logProbabilities(rows: Range<Int>) -> LogProbabilityRows {
        let v = config.vocabSize, stride = lmHead.paddedOutputs
        lmHead.apply(x.row(rows.lowerBound, width), rows: rows.count, inputStride: width, into: logits.pointer, outputStride: stride)
        let logSumExps = (0..<rows.count).map { row in
            let values = logits.pointer + row * stride
            let maxValue = Kernels.chosen.maximum(values, Int32(v))
            return Double(maxValue) + DeterministicMath.log(Double(Kernels.chosen.sum_of_exponentials(values, Int32(v), maxValue, false)))
        }
        return LogProbabilityRows(logits: logits.pointer, stride: stride, logSumExps: logSumExps)
    }

    /// log P(token) read off consecutive rows of logits.
    private struct LogProbabilityRows {
        let logits: UnsafeMutablePointer<Float>
        let stride: Int
        let logSumExps: [Double]

        func at(row: Int, token: Int) -> Double { Double(logits[row * stride + token]) - logSumExps[row] }
    }

    // MARK: Kernels

    private func rmsnorm(_ input: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        var squares: Float = 0
        for k in 0..<c { squares += input[k] * input[k] }
        let r = 1 / (squares / Float(c) + 1e-5).squareRoot()
        for k in 0..<c { out[k] = input[k] * r }
    }

    /// n rounded up to a whole number of 8-wide vectors.
    static func padded(_ n: Int) -> Int { (n + 7) / 8 * 8 }
}

// MARK: Storage

/// Scratch space of Floats, zeroed, so lanes past the end of a row are numbers, never garbage.
private struct Buffer {
    let pointer: UnsafeMutablePointer<Float>

    init(count: Int) {
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
    }

    func row(_ index: Int, _ width: Int) -> UnsafeMutablePointer<Float> { pointer + index * width }
}

/// Embedding rows as Floats, `width` apart.
private struct Rows {
    let pointer: UnsafeMutablePointer<Float>
    let width: Int

    init(_ weights: UnsafePointer<Double>, rows: Int, cols: Int, width: Int) {
        self.width = width
        pointer = .allocate(capacity: rows * width)
        pointer.initialize(repeating: 0, count: rows * width)
        for r in 0..<rows {
            for k in 0..<cols { pointer[r * width + k] = Float(weights[r * cols + k]) }
        }
    }

    func row(_ index: Int) -> UnsafeMutablePointer<Float> { pointer + index * width }
}

/// A linear layer's [out, in] weights stored as [in, out] Floats, each input's row of outputs
/// zero-padded to whole vectors: out = W x is then a sum of weight rows scaled by the inputs.
private struct TransposedMatrix {
    let pointer: UnsafeMutablePointer<Float>
    let inputs: Int
    let paddedOutputs: Int

    init(_ weights: UnsafePointer<Double>, rows: Int, cols: Int) {
        inputs = cols
        paddedOutputs = InferencePass.padded(rows)
        pointer = .allocate(capacity: cols * paddedOutputs)
        pointer.initialize(repeating: 0, count: cols * paddedOutputs)
        for o in 0..<rows {
            for k in 0..<cols { pointer[k * paddedOutputs + o] = Float(weights[o * cols + k]) }
        }
    }

    /// out[i][o] = sum over k of input[i][k] W[o][k], for `rows` input rows, all padded outputs:
    /// the kernel of InferenceKernels.c, in the version for this CPU.
    func apply(_ input: UnsafePointer<Float>, rows: Int, inputStride: Int,
               into out: UnsafeMutablePointer<Float>, outputStride: Int) {
        Kernels.chosen.linear(pointer, Int32(inputs), Int32(paddedOutputs), input, Int32(rows), Int32(inputStride),
                            out, Int32(outputStride))
    }
}

/// The two versions of the kernels, and the one this CPU runs. They give the same bits
/// (InferenceKernelTests holds them to it), so which one runs changes only the speed.
enum Kernels {
    static let portable = inference_kernels_portable
    /// Eight floats to a register instead of four, on the CPUs that have AVX2.
    static let avx2: InferenceKernelSet? = inference_kernels_use_avx2() ? inference_kernels_avx2 : nil
    static let chosen = avx2 ?? portable
}
