// Where the gradient goes, in the attention and training chapters: backward from one line's loss
// to one head's attention weights, queries and keys (chapter 4), and to a whole weight matrix
// (chapter 5); and, while the model trains, the size of every weight matrix's gradient step by
// step. Every number is read off the engine's tape after the model's own loss and backward pass
// (`GPT.lossGradients`, ForwardTrace.swift), never from a second copy of the model's code.
import Autograd
import Foundation
import GPT
import LessonOutput

enum GradientSteps {
    static let all = [attentionGradients, weightGradient]

    /// The labelled line the gradients are of; its label is part of the loss.
    static let lineParameter = ParameterSpec("line", .text, default: LogLineInput.defaultLine,
                                             "a labelled log line ('message -> LABEL'): its loss is the one backward starts from")

    /// One backward pass from the loss of the step's line, with the tokens it read and their labels,
    /// after checking that the loss it recorded is the forward pass's.
    struct Backward {
        let gpt: GPT
        let document: Document
        /// The positions that make predictions: every token but the final BOS.
        let labels: [String]
        let gradients: LossGradients
        /// The loss of the same line from an inference pass (`traced`), computed from its logits.
        let forwardLoss: Double
    }

    static func backward(_ context: StepContext) throws(LessonError) -> Backward {
        guard let gpt = context.state.model, let tokenizer = context.state.tokenizer else { throw context.error("no model") }
        let (message, label) = try TrainingSteps.splitLabelled(context)
        guard let document = Document(message: message, label: label, tokenizer: tokenizer, blockSize: gpt.config.blockSize) else {
            throw context.error(in: "line", "the line has characters outside the vocabulary",
                                hint: "use characters that appear in the dataset; the vocabulary is listed by `step tokenize`")
        }
        let read = Array(document.tokens.dropLast())
        let probe = gpt.traced(read)
        var total = 0.0
        for (position, logits) in probe.logits.enumerated() {
            total -= DeterministicMath.log(TrainingSteps.softmax(logits)[document.tokens[position + 1]])
        }
        return Backward(gpt: gpt, document: document, labels: read.map { TrainingSteps.name($0, tokenizer) },
                        gradients: gpt.lossGradients(of: document), forwardLoss: total / Double(document.positions))
    }

    /// The self-check that backward started from the loss the forward pass computes.
    static func lossCheck(_ pass: Backward) -> Verification {
        let tolerance = 1e-9, difference = abs(pass.gradients.loss - pass.forwardLoss)
        let passed = difference <= tolerance
        return Verification(
            name: "loss", expected: "\(NumberFormat.shown(pass.forwardLoss, within: tolerance)) ± 1e-9, the forward pass's loss",
            actual: .number(pass.gradients.loss), passed: passed,
            message: passed ? "" : "the recorded loss \(NumberFormat.full(pass.gradients.loss)) is not the forward pass's "
                + "\(NumberFormat.full(pass.forwardLoss)): they differ by \(NumberFormat.short(difference))",
            hint: passed ? nil : "`GPT.loss(of:)` and `GPT.traced` must run the same forward pass", tolerance: tolerance)
    }

    // MARK: attention-gradients

    static let attentionGradients = StepDefinition(
        id: "attention-gradients",
        summary: "Backward from one line's loss: the gradient reaching one head's attention weights (beside the weights), queries and keys.",
        parameters: [lineParameter, AttentionSteps.probeParameters[1], ParameterSpec("head", .integer(0...31), default: "0", "which head, from 0")],
        needs: [.model]
    ) { context in
        let pass = try backward(context)
        let gpt = pass.gpt, grads = pass.gradients, trace = grads.trace, labels = pass.labels
        let layer = try context.integer("layer"), head = try context.integer("head")
        guard layer < gpt.config.nLayer else {
            throw context.error(in: "layer", "layer \(layer) does not exist; the model has \(gpt.config.nLayer)", hint: "layers count from 0")
        }
        guard head < gpt.config.nHead else {
            throw context.error(in: "head", "head \(head) does not exist; the model has \(gpt.config.nHead)", hint: "heads count from 0")
        }
        let d = gpt.config.headDim, dims = (head * d)..<((head + 1) * d), count = labels.count
        let weights = trace.weights[layer].map { $0[head] }, weightGrads = grads.attentionWeights[layer].map { $0[head] }
        let queryGrads = grads.queries[layer].map { Array($0[dims]) }, keyGrads = grads.keys[layer].map { Array($0[dims]) }
        func triangle(_ rows: [[Double]]) -> [[Double?]] {
            rows.map { row in row.map { Optional($0) } + Array(repeating: nil, count: count - row.count) }
        }
        var report = StepReport()
        report.text("Loss of the line: \(NumberFormat.short(grads.loss)), the mean over its \(count) predictions. Backward ran from it "
                    + "through the whole model; below is what reached layer \(layer), head \(head).")
        report.add(.matrix(Matrix(title: "Layer \(layer), head \(head): the attention weights (row: query, column: key)", kind: .weights,
                                  rowTitle: "query position", columnTitle: "key position", rowLabels: labels, columnLabels: labels,
                                  values: triangle(weights))))
        report.add(.matrix(Matrix(title: "The gradient of the loss reaching each of those weights", kind: .signed,
                                  rowTitle: "query position", columnTitle: "key position", rowLabels: labels, columnLabels: labels,
                                  values: triangle(weightGrads))))
        // Positions run along the columns, as the keys do above: a strip a head's few dimensions tall.
        let dimLabels = (0..<d).map(String.init)
        func strip(_ perPosition: [[Double]]) -> [[Double?]] { (0..<d).map { i in perPosition.map { Optional($0[i]) } } }
        report.add(.matrix(Matrix(title: "The gradient reaching each query of head \(head) (row: the head's dimension, column: position)",
                                  kind: .signed, rowTitle: "dimension of the query", columnTitle: "position",
                                  rowLabels: dimLabels, columnLabels: labels, values: strip(queryGrads))))
        report.add(.matrix(Matrix(title: "The gradient reaching each key of head \(head) (row: the head's dimension, column: position)",
                                  kind: .signed, rowTitle: "dimension of the key", columnTitle: "position",
                                  rowLabels: dimLabels, columnLabels: labels, values: strip(keyGrads))))
        // The weights the loss is most sensitive to, for the terminal's reader and for the checks.
        let cells = weightGrads.enumerated().flatMap { t, row in row.indices.map { (t, $0) } }
        let ranked = cells.sorted { abs(weightGrads[$0.0][$0.1]) > abs(weightGrads[$1.0][$1.1]) }
        report.add(.table(Table(title: "The five weights whose gradient is largest", columns: ["query", "reads", "key", "char", "weight", "gradient"],
                                rows: ranked.prefix(5).map { t, j in
                                    [.integer(t), .text(shown(labels[t])), .integer(j), .text(shown(labels[j])),
                                     .number(weights[t][j]), .number(weightGrads[t][j])]
                                })))
        let rowSizes = weightGrads.map { row in row.map { $0 * $0 }.reduce(0, +).squareRoot() }

        report.verify(lossCheck(pass))
        for matrix in [gpt.layers[layer].attnWq, gpt.layers[layer].attnWk] {
            let entry = largestEntry(grads.gradient(of: matrix), rows: dims)
            report.verify(finiteDifference(gpt, pass.document, matrix, entry, gradient: grads.gradient(of: matrix)[entry.row][entry.column]))
        }
        report.verify(chainToMatrix(grads.queries[layer], trace.attentionInputs[layer], grads.gradient(of: gpt.layers[layer].attnWq),
                                    rows: dims, name: "chain.queries", what: "query"))
        report.verify(chainToMatrix(grads.keys[layer], trace.attentionInputs[layer], grads.gradient(of: gpt.layers[layer].attnWk),
                                    rows: dims, name: "chain.keys", what: "key"))
        report.verify(chainToQueries(weights: weights, weightGrads: weightGrads, keys: trace.keys[layer].map { Array($0[dims]) },
                                     queryGrads: queryGrads, headDim: d))

        let (top, qTop, kTop) = (ranked[0], largestEntry(queryGrads), largestEntry(keyGrads))
        report.check("loss", grads.loss)
        report.check("positions", count)
        report.check("masked", count * (count - 1) / 2)
        report.check("largest_weight_grad", weightGrads[top.0][top.1])
        report.check("largest_weight_grad_query", top.0)
        report.check("largest_weight_grad_key", top.1)
        report.check("largest_row", rowSizes.indices.max { rowSizes[$0] < rowSizes[$1] } ?? 0)
        report.check("largest_query_grad", queryGrads[qTop.row][qTop.column])
        report.check("largest_query_grad_position", qTop.row)
        report.check("largest_key_grad", keyGrads[kTop.row][kTop.column])
        report.check("largest_key_grad_position", kTop.row)
        report.check("first_query_grad_size", queryGrads[0].map { $0 * $0 }.reduce(0, +).squareRoot())
        report.check("first_key_grad_size", keyGrads[0].map { $0 * $0 }.reduce(0, +).squareRoot())
        report.check("last_key_grad_size", keyGrads[count - 1].map { $0 * $0 }.reduce(0, +).squareRoot())
        return report
    }

    // MARK: weight-gradient

    static let weightGradient = StepDefinition(
        id: "weight-gradient",
        summary: "Backward from one line's loss to a whole weight matrix, by name: the gradient Adam would read, as a heatmap.",
        parameters: [lineParameter, ParameterSpec("matrix", .text, default: "layer0.attn_wq", "a weight matrix's name, as `step model` lists them")],
        needs: [.model]
    ) { context in
        guard let gpt = context.state.model, let tokenizer = context.state.tokenizer else { throw context.error("no model") }
        let name = context.text("matrix")
        guard let matrix = gpt.matrices.first(where: { $0.name == name }) else {
            throw context.error(in: "matrix", "the model has no weight matrix '\(name)'",
                                hint: Suggestions.hint(for: name, among: gpt.matrices.map(\.name), kind: "matrix"))
        }
        let pass = try backward(context)
        let gradient = pass.gradients.gradient(of: matrix)
        // Rows of the embeddings and of lm_head belong to tokens, wpe's to positions; the others'
        // rows are a linear layer's outputs and columns its inputs, both numbered.
        let tokens = (0..<tokenizer.vocabSize).map { TrainingSteps.name($0, tokenizer) }
        let rowLabels = matrix.name == "wte" || matrix.name == "lm_head" ? tokens : (0..<matrix.rows).map(String.init)
        let rowTitle = matrix.name == "wte" || matrix.name == "lm_head" ? "token" : matrix.name == "wpe" ? "position" : "output (row)"
        let columnTitle = matrix.name.hasPrefix("layer") || matrix.name == "lm_head" ? "input (column)" : "dimension of the vector"
        var report = StepReport()
        report.text("Loss of the line: \(NumberFormat.short(pass.gradients.loss)). The gradient of \(matrix.name), "
                    + "\(matrix.rows) x \(matrix.cols) numbers, is what a training step on this line would hand to Adam.")
        report.add(.matrix(Matrix(title: "The gradient of the loss with respect to each weight of \(matrix.name)", kind: .signed,
                                  rowTitle: rowTitle, columnTitle: columnTitle, rowLabels: rowLabels,
                                  columnLabels: (0..<matrix.cols).map(String.init), values: gradient.map { $0.map(Optional.init) })))
        let rowSizes = gradient.map { row in row.map { $0 * $0 }.reduce(0, +).squareRoot() }
        let order = rowSizes.indices.sorted { rowSizes[$0] > rowSizes[$1] }
        let d = gpt.config.headDim
        func described(_ row: Int) -> String {
            switch matrix.name {
            case "wte": return "the embedding of " + shown(rowLabels[row])
            case "lm_head": return "the score of " + shown(rowLabels[row])
            case "wpe": return "the embedding of position \(row)"
            default:
                if matrix.name.hasSuffix(".attn_wq") || matrix.name.hasSuffix(".attn_wk") || matrix.name.hasSuffix(".attn_wv") {
                    return "head \(row / d), its dimension \(row % d)"
                }
                return matrix.name.hasSuffix(".mlp_fc1") ? "hidden unit \(row)" : "output \(row)"
            }
        }
        report.add(.table(Table(title: "The rows whose gradient is largest", columns: ["row", "what the row makes", "size of the row's gradient"],
                                rows: order.prefix(5).map { [.integer($0), .text(described($0)), .number(rowSizes[$0])] })))
        let top = largestEntry(gradient)
        report.verify(lossCheck(pass))
        let middle = (row: matrix.rows / 2, column: matrix.cols / 2)
        for entry in top == middle ? [top] : [top, middle] {
            report.verify(finiteDifference(gpt, pass.document, matrix, entry, gradient: gradient[entry.row][entry.column]))
        }
        report.check("loss", pass.gradients.loss)
        report.check("rows", matrix.rows)
        report.check("columns", matrix.cols)
        report.check("norm", rowSizes.map { $0 * $0 }.reduce(0, +).squareRoot())
        report.check("largest", gradient[top.row][top.column])
        report.check("largest_row", top.row)
        report.check("largest_row_label", rowLabels[top.row])
        report.check("largest_column", top.column)
        report.check("zero_rows", rowSizes.count { $0 == 0 })
        return report
    }

    /// A character as a table shows it: a space as '␣', so that it can be seen.
    static func shown(_ label: String) -> String { label == " " ? "␣" : label }

    // MARK: Checks against finite differences and the chain rule

    /// The entry of largest |value| (the first of equals), among `rows` when given.
    static func largestEntry(_ matrix: [[Double]], rows: Range<Int>? = nil) -> (row: Int, column: Int) {
        var best = (row: rows?.lowerBound ?? 0, column: 0), size = -1.0
        for r in rows ?? matrix.indices {
            for (c, value) in matrix[r].enumerated() where abs(value) > size {
                best = (r, c)
                size = abs(value)
            }
        }
        return best
    }

    /// The step of the central difference: the loss is near 4, so its rounding error over 2h is
    /// about 1e-15 / 1e-5, and its curvature error h^2 times a third derivative of order 1.
    static let finiteStep = 1e-5

    /// How far a weight's gradient may be from its central difference: the difference's own errors
    /// (above) are near 1e-10; a wrong gradient is off by far more.
    static func finiteTolerance(_ gradient: Double) -> Double { 1e-7 * max(1, abs(gradient)) }

    /// The self-check that one weight's gradient is the slope of the loss: the loss with the
    /// weight moved by +-h, the model's own inference pass (`meanLoss`), the weight put back.
    static func finiteDifference(_ gpt: GPT, _ document: Document, _ matrix: WeightMatrix, _ entry: (row: Int, column: Int),
                                 gradient: Double) -> Verification {
        let id = matrix.row(entry.row).start + NodeID(entry.column), tape = gpt.tape
        let weight = tape.data(id), h = finiteStep
        tape.setData(id, weight + h)
        let up = gpt.meanLoss([document])
        tape.setData(id, weight - h)
        let down = gpt.meanLoss([document])
        tape.setData(id, weight)
        let estimate = (up - down) / (2 * h), tolerance = finiteTolerance(gradient)
        let difference = abs(gradient - estimate), passed = difference <= tolerance
        let name = "\(matrix.name)[\(entry.row)][\(entry.column)]"
        return Verification(
            name: "grad.\(name)", expected: "\(NumberFormat.shown(estimate, within: tolerance)) ± \(NumberFormat.scientific(tolerance, digits: 1)), "
                + "its finite difference", actual: .number(gradient), passed: passed,
            message: passed ? "" : "the gradient of \(name) disagrees with its finite difference: backward gives \(NumberFormat.full(gradient)), "
                + "(loss(w + h) - loss(w - h)) / 2h gives \(NumberFormat.full(estimate)) for h = \(h)",
            hint: passed ? nil : "the engine's backward pass and the model's forward pass disagree: run the engine's gradient tests",
            tolerance: tolerance)
    }

    /// The self-check that the gradients shown for a head's queries (or keys) are the ones its
    /// weight matrix receives: q = Wq xn at every position, so dL/dWq[i][j] = sum_t dL/dq_t[i] * xn_t[j].
    static func chainToMatrix(_ vectorGrads: [[Double]], _ inputs: [[Double]], _ matrixGrad: [[Double]], rows: Range<Int>,
                              name: String, what: String) -> Verification {
        var worst = 0.0
        for i in rows {
            for j in matrixGrad[i].indices {
                let sum = zip(vectorGrads, inputs).map { $0[i] * $1[j] }.reduce(0, +)
                worst = max(worst, abs(sum - matrixGrad[i][j]))
            }
        }
        let tolerance = 1e-12, passed = worst <= tolerance
        return Verification(
            name: name, expected: "0 ± 1e-12, the largest gap between sum_t grad(\(what)_t) x_t and the matrix's gradient",
            actual: .number(worst), passed: passed,
            message: passed ? "" : "the \(what) gradients do not add up to their matrix's gradient: off by \(NumberFormat.short(worst))",
            tolerance: tolerance)
    }

    /// The self-check that the weights' gradients shown are the ones the queries receive: through
    /// the softmax, dL/ds_j = w_j (dL/dw_j - sum_k w_k dL/dw_k), and s_j = q.k_j / sqrt(D).
    static func chainToQueries(weights: [[Double]], weightGrads: [[Double]], keys: [[Double]], queryGrads: [[Double]],
                               headDim: Int) -> Verification {
        var worst = 0.0
        let scale = 1 / Double(headDim).squareRoot()
        for t in weights.indices {
            let w = weights[t], g = weightGrads[t]
            let mean = zip(w, g).map { $0 * $1 }.reduce(0, +)
            for i in 0..<headDim {
                let sum = w.indices.map { j in w[j] * (g[j] - mean) * keys[j][i] * scale }.reduce(0, +)
                worst = max(worst, abs(sum - queryGrads[t][i]))
            }
        }
        let tolerance = 1e-12, passed = worst <= tolerance
        return Verification(
            name: "chain.weights", expected: "0 ± 1e-12, the largest gap between the queries' gradients and the weights' through the softmax",
            actual: .number(worst), passed: passed,
            message: passed ? "" : "the weights' gradients do not carry over to the queries': off by \(NumberFormat.short(worst))",
            tolerance: tolerance)
    }

    // MARK: Gradient norms while training

    /// The size of every weight matrix's gradient at each training step, read after backward and
    /// before Adam: sqrt of the sum of its gradients' squares. Reading changes nothing on the tape.
    struct NormRecorder {
        let matrices: [WeightMatrix]
        /// [matrix][step]
        var norms: [[Double]]

        init(_ gpt: GPT, steps: Int) {
            matrices = gpt.matrices
            norms = matrices.map { _ in
                var list: [Double] = []
                list.reserveCapacity(steps)
                return list
            }
        }

        /// The norms the training run recorded (`recording`), by matrix: from the run itself or
        /// from the model cache, which keeps them with the weights.
        init(_ gpt: GPT, series: [String: [Double]]) {
            matrices = gpt.matrices
            norms = matrices.map { series[Self.seriesName($0)] ?? [] }
        }

        /// What `LessonState.runTraining` reads at each step: every matrix's gradient norm, by name.
        static func recording(_ gpt: GPT) -> [String: (GPT) -> Double] {
            Dictionary(uniqueKeysWithValues: gpt.matrices.map { matrix in (seriesName(matrix), { norm(of: matrix, in: $0) }) })
        }

        static func seriesName(_ matrix: WeightMatrix) -> String { "gradient_norm.\(matrix.name)" }

        // region: gradient-norms
        /// One matrix's gradient norm, read after the step's backward pass, before Adam's update.
        static func norm(of matrix: WeightMatrix, in gpt: GPT) -> Double {
            let grads = gpt.tape.gradPointer(matrix.start)  // the matrix's gradients, read in place
            var sum = 0.0
            for k in 0..<matrix.count { sum += grads[k] * grads[k] }
            return sum.squareRoot()
        }
        // endregion

        /// Called by a training loop after each step's backward pass, before Adam's update.
        mutating func record(_ gpt: GPT) {
            for (index, matrix) in matrices.enumerated() { norms[index].append(Self.norm(of: matrix, in: gpt)) }
        }

        /// The groups the chart draws: embeddings, attention, MLP, output; each one's norm is that
        /// of all its matrices' gradients together.
        static func group(of name: String) -> String {
            if name == "wte" || name == "wpe" { return "embeddings (wte, wpe)" }
            if name == "lm_head" { return "output (lm_head)" }
            return name.contains(".attn_") ? "attention (wq, wk, wv, wo)" : "MLP (fc1, fc2)"
        }

        var groups: [(name: String, norms: [Double])] {
            var names: [String] = []
            for matrix in matrices where !names.contains(Self.group(of: matrix.name)) { names.append(Self.group(of: matrix.name)) }
            let steps = norms.first?.count ?? 0
            return names.map { group in
                let members = matrices.indices.filter { Self.group(of: matrices[$0].name) == group }
                let values = (0..<steps).map { (s: Int) -> Double in
                    var sum = 0.0
                    for m in members { sum += norms[m][s] * norms[m][s] }
                    return sum.squareRoot()
                }
                return (group, values)
            }
        }

        /// Every matrix together: the length of the whole gradient, step by step.
        var total: [Double] {
            (0..<(norms.first?.count ?? 0)).map { (s: Int) -> Double in
                var sum = 0.0
                for list in norms { sum += list[s] * list[s] }
                return sum.squareRoot()
            }
        }

        /// The outputs and checks the training step adds: a chart per group on a log scale, the
        /// mean of the last `window` steps, and a table of every matrix at the start and the end.
        func report(into report: inout StepReport, window: Int) {
            guard let steps = norms.first?.count, steps > 0 else { return }
            let span = min(window, steps)
            func mean(_ values: [Double], _ range: Range<Int>) -> Double { values[range].reduce(0, +) / Double(range.count) }
            report.add(.series(Series(
                title: "Size of the gradient of each group of weight matrices, step by step (mean of the last \(span) steps)",
                xLabel: "step", yLabel: "gradient norm",
                lines: groups.map { Series.Line(name: $0.name, values: TrainingSteps.movingAverage($0.norms, window: window)) },
                yScale: .logarithmic)))
            let first = 0..<span, last = (steps - span)..<steps
            report.add(.table(Table(
                title: "Each matrix's gradient norm: mean of the first and of the last \(span) steps",
                columns: ["matrix", "weights", "first \(span)", "last \(span)", "last / first"],
                rows: matrices.indices.map { i in
                    let a = mean(norms[i], first), b = mean(norms[i], last)
                    return [.text(matrices[i].name), .integer(matrices[i].count), .number(a), .number(b), a > 0 ? .number(b / a) : .empty]
                })))
            let total = total
            report.check("grad_norm_first", total[0])
            report.check("grad_norm_start", mean(total, first))
            report.check("grad_norm_end", mean(total, last))
            for i in matrices.indices {
                report.check("grad_norm_start.\(matrices[i].name)", mean(norms[i], first))
                report.check("grad_norm_end.\(matrices[i].name)", mean(norms[i], last))
            }
        }
    }
}
