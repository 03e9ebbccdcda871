// The model's forward pass for inference: the same weights and the same arithmetic as
// `GPT.forward`, on plain buffers, with no tape and no nodes, and many positions at a time.
//
// Classifying a line reads about 55 prompt positions and 16 label positions. Recording each
// output of each linear layer as a node costs more than the arithmetic itself; here a linear layer
// is a small matrix product (each weight row loaded once serves two positions), attention's
// scores and weighted sums are plain loops, and softmax takes its exponentials four at a time.
//
// Every sum is added up in the same order as the tape's ops (see `Tape.dot`: four running sums,
// lane k holding terms k, k+4, ..., combined as (s0 + s1) + (s2 + s3)), so the results have the
// same bits as the recorded forward pass. The tests compare the two.
import Autograd

/// A trained model's weights in plain buffers, and the scratch space to run them without a tape.
/// Not thread-safe (the scratch space is reused); give each thread its own.
final class InferencePass {
    let config: GPTConfig
    private let c: Int        // nEmbd
    private let headDim: Int
    private let weights: UnsafeMutableBufferPointer<Double>
    private let wte: UnsafePointer<Double>, wpe: UnsafePointer<Double>, lmHead: UnsafePointer<Double>
    private let layers: [LayerWeights]

    /// One block's matrices, each [out, in] row by row, as on the tape.
    private struct LayerWeights {
        let wq, wk, wv, wo, fc1, fc2: UnsafePointer<Double>
    }

    // Scratch space, sized for a whole block of positions.
    private let keys: [UnsafeMutablePointer<Double>]    // [layer][c * slotCapacity + slot]: transposed,
                                                        // so four slots' scores come from vector loads
    private let values: [UnsafeMutablePointer<Double>]  // [layer][slot * C + c]
    private let x: UnsafeMutablePointer<Double>         // residual stream [row * C + c]
    private let normed: UnsafeMutablePointer<Double>    // rmsnorm(x) rows
    private let queries: UnsafeMutablePointer<Double>   // q rows
    private let heads: UnsafeMutablePointer<Double>     // attention output before wo, rows
    private let projected: UnsafeMutablePointer<Double> // a linear layer's output rows (C)
    private let hidden: UnsafeMutablePointer<Double>    // the MLP's hidden rows (4C)
    private let scores: UnsafeMutablePointer<Double>    // one row's attention weights [head * T + t]
    private let logits: UnsafeMutablePointer<Double>    // one row's logits (V)
    private let slotCapacity: Int

    init(_ model: GPT) {
        config = model.config
        c = config.nEmbd
        headDim = config.headDim
        let count = model.parameterCount
        weights = .allocate(capacity: count)
        _ = weights.initialize(from: UnsafeBufferPointer(start: model.tape.dataPointer(0), count: count))
        let base = UnsafePointer(weights.baseAddress!)
        func at(_ matrix: WeightMatrix) -> UnsafePointer<Double> { base + Int(matrix.start) }
        wte = at(model.wte)
        wpe = at(model.wpe)
        lmHead = at(model.lmHead)
        layers = model.layers.map {
            LayerWeights(wq: at($0.attnWq), wk: at($0.attnWk), wv: at($0.attnWv), wo: at($0.attnWo),
                         fc1: at($0.mlpFc1), fc2: at($0.mlpFc2))
        }
        // A prompt fills at most the block; its continuations add at most a block's worth more.
        slotCapacity = 2 * config.blockSize
        let rows = slotCapacity * c
        keys = (0..<config.nLayer).map { _ in .allocate(capacity: rows) }
        values = (0..<config.nLayer).map { _ in .allocate(capacity: rows) }
        x = .allocate(capacity: rows)
        normed = .allocate(capacity: rows)
        queries = .allocate(capacity: rows)
        heads = .allocate(capacity: rows)
        projected = .allocate(capacity: rows)
        hidden = .allocate(capacity: rows * 4)
        scores = .allocate(capacity: config.nHead * slotCapacity)
        logits = .allocate(capacity: config.vocabSize)
    }

    deinit {
        weights.deallocate()
        for buffer in keys + values + [x, normed, queries, heads, projected, hidden, scores, logits] {
            buffer.deallocate()
        }
    }

    // MARK: Scoring continuations of a prompt

    /// For each continuation, log P(its tokens, one after the other | prompt): the prompt runs
    /// once, then every continuation reads its keys and values (and its own earlier tokens').
    /// The prompt must not be empty, and prompt + continuation must fit in the block.
    func logLikelihoods(prompt: [Int], continuations: [[Int]]) -> [Double] {
        let p = prompt.count
        precondition(p > 0 && p <= config.blockSize, "a prompt of \(p) tokens for a block of \(config.blockSize)")
        precondition(continuations.allSatisfy { p + $0.count <= config.blockSize + 1 }, "a continuation runs past the block")

        // The prompt: every layer but the last for all positions; the last layer only needs keys
        // and values from them, and a full output from the final position, which predicts what comes next.
        embed(prompt.enumerated().map { (token: $1, position: $0) })
        for layer in 0..<config.nLayer {
            let outputs = layer == config.nLayer - 1 ? (p - 1)..<p : 0..<p
            block(layer, rows: p, firstSlot: 0, outputs: outputs)
        }
        let afterPrompt = logProbabilities(row: p - 1)
        var totals = continuations.map { $0.isEmpty ? 0 : afterPrompt[$0[0]] }

        // Each continuation in turn, in the slots right after the prompt's (the next one
        // overwrites them): every token but the last is a row (the last is only predicted), and
        // each row attends to every slot up to its own.
        for (index, continuation) in continuations.enumerated() where continuation.count > 1 {
            let tokens = continuation.dropLast()
            embed(tokens.enumerated().map { (token: $1, position: p + $0) })
            for layer in 0..<config.nLayer {
                block(layer, rows: tokens.count, firstSlot: p, outputs: 0..<tokens.count)
            }
            for (row, next) in continuation.dropFirst().enumerated() {
                totals[index] += logProbabilities(row: row)[next]
            }
        }
        return totals
    }

    // MARK: The layers

    /// x[row] = rmsnorm(wte[token] + wpe[position]) for each row.
    private func embed(_ rows: [(token: Int, position: Int)]) {
        for (row, item) in rows.enumerated() {
            let out = x + row * c, token = wte + item.token * c, position = wpe + item.position * c
            for j in 0..<c { out[j] = token[j] + position[j] }
            rmsnorm(out, into: out)
        }
    }

    /// One transformer block over `rows` rows of x, in the slots from `firstSlot` on: each row
    /// leaves its key and value there and attends to every slot up to its own. Only the rows in
    /// `outputs` get the block's output (attention and MLP); the others only leave keys and values.
    private func block(_ layer: Int, rows: Int, firstSlot: Int, outputs: Range<Int>) {
        let w = layers[layer]
        for row in 0..<rows { rmsnorm(x + row * c, into: normed + row * c) }
        Self.linear(normed, rows: rows, w.wk, inputs: c, outputs: c,
                    into: keys[layer] + firstSlot, rowStride: 1, columnStride: slotCapacity)
        Self.linear(normed, rows: rows, w.wv, inputs: c, outputs: c,
                    into: values[layer] + firstSlot * c, rowStride: c, columnStride: 1)
        guard !outputs.isEmpty else { return }
        let first = outputs.lowerBound, count = outputs.count
        Self.linear(normed + first * c, rows: count, w.wq, inputs: c, outputs: c, into: queries)
        for index in 0..<count {
            attend(layer, query: queries + index * c, slots: firstSlot + first + index + 1, into: heads + index * c)
        }
        // x += wo heads
        Self.linear(heads, rows: count, w.wo, inputs: c, outputs: c, into: projected)
        addInPlace(projected, rows: first, count: count)
        // x += fc2 relu(fc1 rmsnorm(x))
        for index in 0..<count { rmsnorm(x + (first + index) * c, into: normed + index * c) }
        Self.linear(normed, rows: count, w.fc1, inputs: c, outputs: 4 * c, into: hidden)
        for k in 0..<(count * 4 * c) { hidden[k] = max(0, hidden[k]) }
        Self.linear(hidden, rows: count, w.fc2, inputs: 4 * c, outputs: c, into: projected)
        addInPlace(projected, rows: first, count: count)
    }

    /// x[first + i] = projected[i] + x[first + i], in the order the tape adds them.
    private func addInPlace(_ projected: UnsafeMutablePointer<Double>, rows first: Int, count: Int) {
        let out = x + first * c
        for k in 0..<(count * c) { out[k] = projected[k] + out[k] }
    }

    /// Multi-head attention of one query over the keys and values of slots 0..<slots, heads side by side.
    private func attend(_ layer: Int, query: UnsafeMutablePointer<Double>, slots: Int,
                        into out: UnsafeMutablePointer<Double>) {
        let d = headDim, scale = SIMD4<Double>(repeating: 1 / Double(d).squareRoot())
        let keys = self.keys[layer], values = self.values[layer], stride = slotCapacity
        let body = d & ~3
        for h in 0..<config.nHead {
            let weights = scores + h * slots, q = query + h * d, k = keys + h * d * stride
            // Four slots at a time: lane l of `dot` (terms l, l+4, ...) is the vector sums[l],
            // across slots, read from the transposed keys; then (s0 + s1) + (s2 + s3) as `dot`.
            var t = 0
            while t + 4 <= slots {
                var sums = (SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>())
                var j = 0
                while j < body {
                    sums.0 += SIMD4(repeating: q[j]) * Self.load(k + j * stride + t)
                    sums.1 += SIMD4(repeating: q[j + 1]) * Self.load(k + (j + 1) * stride + t)
                    sums.2 += SIMD4(repeating: q[j + 2]) * Self.load(k + (j + 2) * stride + t)
                    sums.3 += SIMD4(repeating: q[j + 3]) * Self.load(k + (j + 3) * stride + t)
                    j += 4
                }
                while j < d {
                    sums.0 += SIMD4(repeating: q[j]) * Self.load(k + j * stride + t)
                    j += 1
                }
                let dots = ((sums.0 + sums.1) + (sums.2 + sums.3)) * scale
                UnsafeMutableRawPointer(weights + t).storeBytes(of: dots, as: SIMD4<Double>.self)
                t += 4
            }
            while t < slots {
                var sums = SIMD4<Double>()
                var j = 0
                while j < body {
                    sums += Self.load(q + j) * SIMD4(k[j * stride + t], k[(j + 1) * stride + t],
                                                     k[(j + 2) * stride + t], k[(j + 3) * stride + t])
                    j += 4
                }
                while j < d {
                    sums[0] += q[j] * k[j * stride + t]
                    j += 1
                }
                weights[t] = Self.total(sums) * scale[0]
                t += 1
            }
            Self.softmax(weights, slots)
        }
        // out[j] = sum over t of weight(t) * v[t][j], for each head's columns, in order of t.
        out.update(repeating: 0, count: c)
        for t in 0..<slots {
            let row = values + t * c
            for h in 0..<config.nHead {
                let weight = scores[h * slots + t], sums = out + h * d, v = row + h * d
                var j = 0
                while j < body {
                    let updated = Self.load(sums + j) + SIMD4(repeating: weight) * Self.load(v + j)
                    UnsafeMutableRawPointer(sums + j).storeBytes(of: updated, as: SIMD4<Double>.self)
                    j += 4
                }
                while j < d {
                    sums[j] += weight * v[j]
                    j += 1
                }
            }
        }
    }

    /// log P(next token) for every token, from the logits of x[row] (lm_head, no norm: as `GPT.forward`).
    private func logProbabilities(row: Int) -> UnsafeMutableBufferPointer<Double> {
        let v = config.vocabSize
        Self.linear(x + row * c, rows: 1, lmHead, inputs: c, outputs: v, into: logits)
        var maxValue = -Double.infinity
        for k in 0..<v { maxValue = max(maxValue, logits[k]) }
        var total = 0.0
        for k in 0..<v { total += DeterministicMath.exp(logits[k] - maxValue) }
        let logSumExp = maxValue + DeterministicMath.log(total)
        for k in 0..<v { logits[k] -= logSumExp }
        return UnsafeMutableBufferPointer(start: logits, count: v)
    }

    // MARK: Kernels, each in the tape's order of summation

    private func rmsnorm(_ input: UnsafeMutablePointer<Double>, into out: UnsafeMutablePointer<Double>) {
        let meanSquare = Self.dot(input, input, c) / Double(c)
        let r = 1 / (meanSquare + 1e-5).squareRoot()
        for k in 0..<c { out[k] = input[k] * r }
    }

    /// In place: e^(x - max) / sum, the sum taken in order.
    private static func softmax(_ xs: UnsafeMutablePointer<Double>, _ n: Int) {
        var maxValue = -Double.infinity
        for k in 0..<n { maxValue = max(maxValue, xs[k]) }
        var k = 0
        while k + 4 <= n {
            let shifted = load(xs + k) - SIMD4(repeating: maxValue)
            UnsafeMutableRawPointer(xs + k).storeBytes(of: DeterministicMath.exp(shifted), as: SIMD4<Double>.self)
            k += 4
        }
        while k < n {
            xs[k] = DeterministicMath.exp(xs[k] - maxValue)
            k += 1
        }
        var total = 0.0
        for k in 0..<n { total += xs[k] }
        let inverse = 1 / total
        for k in 0..<n { xs[k] *= inverse }
    }

    @inline(__always) private static func load(_ p: UnsafePointer<Double>) -> SIMD4<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
    }

    @inline(__always) private static func total(_ s: SIMD4<Double>) -> Double {
        (s[0] + s[1]) + (s[2] + s[3])
    }

    /// a . b over n terms, exactly as `Tape.dot` sums it.
    @inline(__always) private static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        var sums = SIMD4<Double>()
        var k = 0
        while k + 4 <= n {
            sums += load(a + k) * load(b + k)
            k += 4
        }
        while k < n {
            sums[0] += a[k] * b[k]
            k += 1
        }
        return total(sums)
    }

    /// out[i][o] = W[o] . input[i] for `rows` input rows: a linear layer applied to several
    /// positions. Works on two input rows and four weight rows at a time, so every load feeds
    /// several products; each output is summed as `dot` sums it.
    /// Output [i][o] goes to out[i * rowStride + o * columnStride]: row by row unless asked otherwise.
    private static func linear(_ input: UnsafePointer<Double>, rows: Int, _ w: UnsafePointer<Double>,
                               inputs n: Int, outputs: Int, into out: UnsafeMutablePointer<Double>,
                               rowStride: Int? = nil, columnStride: Int = 1) {
        let rowStride = rowStride ?? outputs, cs = columnStride
        let body = n & ~3
        var i = 0
        while i + 2 <= rows {
            let x0 = input + i * n, x1 = x0 + n
            let y0 = out + i * rowStride, y1 = y0 + rowStride
            var o = 0
            while o + 4 <= outputs {
                let w0 = w + o * n, w1 = w0 + n, w2 = w1 + n, w3 = w2 + n
                var a0 = SIMD4<Double>(), a1 = SIMD4<Double>(), a2 = SIMD4<Double>(), a3 = SIMD4<Double>()
                var b0 = SIMD4<Double>(), b1 = SIMD4<Double>(), b2 = SIMD4<Double>(), b3 = SIMD4<Double>()
                var k = 0
                while k < body {
                    let xa = load(x0 + k), xb = load(x1 + k)
                    let v0 = load(w0 + k), v1 = load(w1 + k), v2 = load(w2 + k), v3 = load(w3 + k)
                    a0 += v0 * xa; a1 += v1 * xa; a2 += v2 * xa; a3 += v3 * xa
                    b0 += v0 * xb; b1 += v1 * xb; b2 += v2 * xb; b3 += v3 * xb
                    k += 4
                }
                while k < n {
                    a0[0] += w0[k] * x0[k]; a1[0] += w1[k] * x0[k]; a2[0] += w2[k] * x0[k]; a3[0] += w3[k] * x0[k]
                    b0[0] += w0[k] * x1[k]; b1[0] += w1[k] * x1[k]; b2[0] += w2[k] * x1[k]; b3[0] += w3[k] * x1[k]
                    k += 1
                }
                y0[o * cs] = total(a0); y0[(o + 1) * cs] = total(a1); y0[(o + 2) * cs] = total(a2); y0[(o + 3) * cs] = total(a3)
                y1[o * cs] = total(b0); y1[(o + 1) * cs] = total(b1); y1[(o + 2) * cs] = total(b2); y1[(o + 3) * cs] = total(b3)
                o += 4
            }
            while o < outputs {
                y0[o * cs] = dot(w + o * n, x0, n)
                y1[o * cs] = dot(w + o * n, x1, n)
                o += 1
            }
            i += 2
        }
        if i < rows {
            let x0 = input + i * n, y0 = out + i * rowStride
            for o in 0..<outputs { y0[o * cs] = dot(w + o * n, x0, n) }
        }
    }
}
