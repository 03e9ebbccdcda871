// Chapter 4's steps: attention on a real log line. One query's scores and weights, one head's
// weights over the whole line as a heatmap, every head at once, and the MLP after them. Every
// number comes from the model's own forward pass, which keeps them in a `ForwardTrace` when asked.
import GPT
import LessonOutput

enum AttentionSteps {
    static let all = [attention, attentionQuery, mlp]

    static let probeParameters = [
        TokenSteps.lineParameter,
        ParameterSpec("layer", .integer(0...7), default: "0", "which transformer block"),
    ]

    /// The model's forward pass over the step's line, traced, after checking the layer exists.
    static func probe(_ context: StepContext) throws(LessonError) -> (GPT, LogLineInput, ForwardTrace, Int) {
        guard let gpt = context.state.model, let tokenizer = context.state.tokenizer else { throw context.error("no model") }
        let layer = try context.integer("layer")
        guard layer < gpt.config.nLayer else {
            throw context.error(in: "layer", "layer \(layer) does not exist; the model has \(gpt.config.nLayer)",
                                hint: "layers count from 0")
        }
        let line = try LogLineInput(context, tokenizer: tokenizer, blockSize: gpt.config.blockSize)
        return (gpt, line, gpt.traced(line.tokens), layer)
    }

    static let attention = StepDefinition(
        id: "attention",
        summary: "Shows attention weights for any log line as a heatmap (one head, or all), as the model's forward pass computed them.",
        parameters: probeParameters + [ParameterSpec("head", .text, default: "0", "a head number from 0, or 'all'")],
        needs: [.model]
    ) { context in
        let (gpt, line, probe, layer) = try probe(context)
        let headText = context.text("head")
        let heads: [Int]
        if headText == "all" {
            heads = Array(0..<gpt.config.nHead)
        } else if let head = Int(headText), head >= 0, head < gpt.config.nHead {
            heads = [head]
        } else {
            throw context.error(in: "head", "'\(headText)' is not a head of this model",
                                hint: "give a number from 0 to \(gpt.config.nHead - 1), or 'all'")
        }
        var report = StepReport()
        for head in heads {
            let rows = probe.weights[layer].map { $0[head] }
            report.add(.matrix(Matrix(
                title: "Layer \(layer), head \(head): how much each position (row) attends to each earlier one (column)",
                kind: .weights, rowTitle: "query position", columnTitle: "key position",
                rowLabels: line.labels, columnLabels: line.labels,
                values: rows.map { row in row.map { Optional($0) } + Array(repeating: nil, count: line.tokens.count - row.count) })))
            let last = rows[rows.count - 1]
            let top = last.indices.max { last[$0] < last[$1] } ?? 0
            report.check("head\(head).last_row_top", line.labels[top])
            report.check("head\(head).last_row_max", last[top])
        }
        report.check("positions", line.tokens.count)
        return report
    }

    static let attentionQuery = StepDefinition(
        id: "attention-query",
        summary: "One head, one query position: the scores q.k/sqrt(d) against every earlier key, the softmax weights, and the weighted sum.",
        parameters: probeParameters + [
            ParameterSpec("head", .integer(0...31), default: "0", "which head, from 0"),
            ParameterSpec("position", .integer(-1...511), default: "-1", "the query's position; -1 for the line's last"),
        ],
        needs: [.model]
    ) { context in
        let (gpt, line, probe, layer) = try probe(context)
        let head = try context.integer("head")
        guard head < gpt.config.nHead else {
            throw context.error(in: "head", "head \(head) does not exist; the model has \(gpt.config.nHead)")
        }
        var position = try context.integer("position")
        if position == -1 { position = line.tokens.count - 1 }
        guard position < line.tokens.count else {
            throw context.error(in: "position", "position \(position) is past the line's last token (\(line.tokens.count - 1))")
        }
        let scores = probe.scores[layer][position][head], weights = probe.weights[layer][position][head]
        let d = gpt.config.headDim
        let output = Array(probe.headOutputs[layer][position][(head * d)..<((head + 1) * d)])
        var report = StepReport()
        report.text("The query is position \(position) ('\(line.labels[position])'). It may look at positions 0...\(position); later ones are masked.")
        report.add(.table(Table(title: "Scores and weights of head \(head) for that query",
                                columns: ["key position", "character", "score q.k/sqrt(\(d))", "weight"],
                                rows: (0...position).map { [.integer($0), .text(line.labels[$0]), .number(scores[$0]), .number(weights[$0])] })))
        report.add(.table(Table(title: "The head's output: the weights times the value vectors, summed (\(d) numbers)",
                                columns: ["dim", "output"], rows: output.enumerated().map { [.integer($0), .number($1)] })))
        let top = weights.indices.max { weights[$0] < weights[$1] } ?? 0
        report.check("keys", weights.count)
        report.check("weight_sum", weights.reduce(0, +))
        report.check("top_key", line.labels[top])
        report.check("top_weight", weights[top])
        return report
    }

    static let mlp = StepDefinition(
        id: "mlp",
        summary: "The MLP after attention: how many of its 4*n_embd hidden units relu switches off, position by position.",
        parameters: probeParameters,
        needs: [.model]
    ) { context in
        let (_, line, probe, layer) = try probe(context)
        let hidden = probe.hidden[layer]
        let zeros = hidden.map { row in Double(row.count { $0 == 0 }) / Double(row.count) }
        var report = StepReport()
        report.add(.series(Series(title: "Share of hidden units relu set to zero, by position", xLabel: "position",
                                  yLabel: "share", lines: [Series.Line(name: "zero share", values: zeros)])))
        report.add(.table(Table(title: "The first positions", columns: ["position", "character", "active units", "zero share"],
                                rows: hidden.prefix(8).enumerated().map { i, row in
                                    [.integer(i), .text(line.labels[i]), .integer(row.count { $0 > 0 }), .number(zeros[i])]
                                })))
        report.check("hidden_units", hidden.first?.count ?? 0)
        report.check("mean_zero_share", zeros.reduce(0, +) / Double(max(1, zeros.count)))
        return report
    }
}
