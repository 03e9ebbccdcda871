// Where the gradient goes: the steps' reports on a tiny model, the gradients they read off the
// tape against finite differences, the tape left as it was found, the gradient norms training
// records (and training the same to the bit with or without them), and how signed heatmaps and
// log-scale charts are drawn.
import Autograd
import Foundation
import GPT
import Testing
@testable import Lessons

@Suite struct GradientStepsTests {
    static let line = "disk full on db-02 -> ERROR"

    /// A two-layer model small enough that every test builds it in a moment.
    static let tinyModel = "model\nn_embd: 8\nn_head: 2\nn_layer: 2\nblock_size: 32\nseed: 3\n"

    func run(_ fences: String...) throws -> RunRecord {
        try runLessons(try makeLessons(["01-test.md": "# Test\n\n" + fences.map { "```step " + $0 + "```\n" }.joined(separator: "\nProse.\n\n")]))
    }

    func matrices(_ step: StepRecord) -> [Matrix] {
        step.outputs.compactMap { if case .matrix(let m) = $0 { m } else { nil } }
    }

    /// The tiny model on the dataset's vocabulary, and `line` as a training document.
    static func tinyGPT(seed: UInt64 = 3) throws -> (GPT, Document, Tokenizer) {
        let dataset = try LogDataset.load(path: packageRoot + "/Dataset/logs_5000.txt")
        let tokenizer = Tokenizer(characters: dataset.characters)
        let gpt = GPT(config: GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 32), seed: seed)
        let document = try #require(Document(message: "disk full on db-02", label: "ERROR", tokenizer: tokenizer, blockSize: 32))
        return (gpt, document, tokenizer)
    }

    // MARK: The steps' reports

    @Test func attentionGradientsReportsWeightsQueriesAndKeysOfOneHead() throws {
        let record = try run(Self.tinyModel, "attention-gradients\nline: \(Self.line)\nlayer: 1\nhead: 1\n")
        #expect(record.failed == 0, "\(record.steps.compactMap(\.error))")
        let step = record.steps[1]
        let positions = 1 + "disk full on db-02 -> ERROR".count  // BOS and every character; the final BOS reads nothing
        #expect(number(step, "positions") == Double(positions))
        #expect(number(step, "masked") == Double(positions * (positions - 1) / 2))
        // BOS's query looks at one key only: its weight is 1 whatever the score, so nothing reaches it.
        #expect(number(step, "first_query_grad_size") == 0)
        #expect((number(step, "last_key_grad_size") ?? 1) < (number(step, "first_key_grad_size") ?? 0))

        let shown = matrices(step)
        #expect(shown.map(\.kind) == [.weights, .signed, .signed, .signed])
        let (weights, grads, queries, keys) = (shown[0], shown[1], shown[2], shown[3])
        #expect(grads.rowLabels == weights.rowLabels && grads.columnLabels == weights.columnLabels)
        for (t, row) in grads.values.enumerated() {
            // The mask: entries after the query are absent, the ones up to it present, in both pictures.
            #expect(row.indices.allSatisfy { (row[$0] == nil) == ($0 > t) && (weights.values[t][$0] == nil) == ($0 > t) })
        }
        #expect(queries.rowLabels == ["0", "1", "2", "3"] && queries.columnLabels == weights.columnLabels)  // head dim 8 / 2
        #expect(keys.values.count == 4 && keys.values[0].count == positions)
        #expect(queries.values.allSatisfy { $0[0] == 0 })

        // The largest |grad| is the one reported, where it is reported.
        let largest = try #require(number(step, "largest_weight_grad"))
        let (t, j) = (Int(number(step, "largest_weight_grad_query") ?? -1), Int(number(step, "largest_weight_grad_key") ?? -1))
        #expect(grads.values[t][j] == largest)
        #expect(grads.values.joined().compactMap { $0 }.allSatisfy { abs($0) <= abs(largest) })

        // Every self-check ran and held: the loss, two finite differences, three chain-rule sums.
        let selfChecks = step.checks.filter { $0.kind == .selfCheck }
        #expect(selfChecks.map(\.name) == ["loss", "grad.layer1.attn_wq" + entryName(selfChecks[1].name),
                                           "grad.layer1.attn_wk" + entryName(selfChecks[2].name),
                                           "chain.queries", "chain.keys", "chain.weights"])
        #expect(selfChecks.allSatisfy { $0.passed })
    }

    /// "[r][c]" of a check's name "grad.layer1.attn_wq[r][c]".
    func entryName(_ name: String) -> String { name.firstIndex(of: "[").map { String(name[$0...]) } ?? "" }

    @Test func weightGradientShowsAMatrixByNameAndItsZeroRows() throws {
        let record = try run(Self.tinyModel, "weight-gradient\nline: \(Self.line)\nmatrix: wte\n",
                             "weight-gradient\nline: \(Self.line)\nmatrix: layer1.mlp_fc1\n")
        #expect(record.failed == 0, "\(record.steps.compactMap(\.error))")
        let wte = record.steps[1], fc1 = record.steps[2]
        let gradient = try #require(matrices(wte).first)
        #expect(gradient.kind == .signed && gradient.values.count == Int(number(wte, "rows") ?? 0) && gradient.values[0].count == 8)
        // Only the tokens of the line are read, so only their embeddings get a gradient.
        let used = Set("disk full on db-02 -> ERROR").count + 1  // and BOS
        #expect(number(wte, "zero_rows") == Double(gradient.values.count - used))
        #expect(gradient.rowLabels.contains("BOS") && gradient.rowLabels.contains("k"))
        #expect(number(fc1, "rows") == 32 && number(fc1, "columns") == 8)
        #expect(wte.checks.filter { $0.kind == .selfCheck }.count == 3 && wte.checks.allSatisfy { $0.passed })
    }

    @Test func aMatrixThatDoesNotExistIsAnErrorWithTheNames() throws {
        let record = try run(Self.tinyModel, "weight-gradient\nline: \(Self.line)\nmatrix: layer0.atn_wq\n")
        let error = try #require(record.steps[1].error)
        #expect(error.message.contains("no weight matrix 'layer0.atn_wq'"))
        #expect(error.hint?.contains("did you mean 'layer0.attn_wq'?") == true)
        let unlabelled = try run(Self.tinyModel, "attention-gradients\nline: disk full on db-02\n")
        #expect(unlabelled.steps[1].error?.message.contains("no ' -> LABEL' ending") == true)
        let beyond = try run(Self.tinyModel, "attention-gradients\nline: \(Self.line)\nlayer: 2\n",
                             "attention-gradients\nline: \(Self.line)\nhead: 2\n")
        #expect(beyond.steps[1].error?.message.contains("layer 2 does not exist; the model has 2") == true)
        #expect(beyond.steps[2].error?.message.contains("head 2 does not exist; the model has 2") == true)
        #expect(beyond.steps[1].error?.location.line == 15)  // the line of "layer: 2", not the fence (13)
    }

    // MARK: The gradients themselves

    /// Central differences of the model's own loss, h = 1e-5, against the gradients backward left
    /// on the tape, for entries of every kind of matrix: they agree to 1e-7 * max(1, |grad|).
    /// (The difference's own error is near 1e-10: rounding of a loss near 4 over 2h, and h^2.)
    @Test func gradientsAgreeWithFiniteDifferences() throws {
        let (gpt, document, _) = try Self.tinyGPT()
        let gradients = gpt.lossGradients(of: document)
        var checked = 0
        for matrix in gpt.matrices {
            for (r, c) in [(0, 0), (matrix.rows / 2, matrix.cols - 1), (matrix.rows - 1, matrix.cols / 2)] {
                let id = matrix.row(r).start + NodeID(c)
                let weight = gpt.tape.data(id), h = 1e-5
                gpt.tape.setData(id, weight + h)
                let up = gpt.meanLoss([document])
                gpt.tape.setData(id, weight - h)
                let down = gpt.meanLoss([document])
                gpt.tape.setData(id, weight)
                let grad = gradients.gradient(of: matrix)[r][c], estimate = (up - down) / (2 * h)
                #expect(abs(grad - estimate) <= 1e-7 * max(1, abs(grad)), "\(matrix.name)[\(r)][\(c)]: \(grad) vs \(estimate)")
                checked += 1
            }
        }
        #expect(checked == 3 * gpt.matrices.count)
        #expect(abs(gradients.loss - gpt.meanLoss([document])) <= 1e-12)
    }

    /// No weight of attention is a parameter, so no finite difference reaches it alone; the chain
    /// rule ties its gradient to ones that are: through the softmax and the scores to the queries,
    /// and from the queries, times their inputs, to attn_wq, whose entries the test above checks
    /// against finite differences. Every head of both layers, to 1e-12.
    @Test func attentionWeightGradientsCarryOverToQueriesAndToAttnWq() throws {
        let (gpt, document, _) = try Self.tinyGPT(seed: 8)
        let g = gpt.lossGradients(of: document), d = gpt.config.headDim
        for layer in 0..<gpt.config.nLayer {
            for head in 0..<gpt.config.nHead {
                let dims = (head * d)..<((head + 1) * d)
                let check = GradientSteps.chainToQueries(
                    weights: g.trace.weights[layer].map { $0[head] }, weightGrads: g.attentionWeights[layer].map { $0[head] },
                    keys: g.trace.keys[layer].map { Array($0[dims]) }, queryGrads: g.queries[layer].map { Array($0[dims]) }, headDim: d)
                #expect(check.passed, "layer \(layer) head \(head): \(check.actual)")
                let wq = GradientSteps.chainToMatrix(g.queries[layer], g.trace.attentionInputs[layer], g.gradient(of: gpt.layers[layer].attnWq),
                                                     rows: dims, name: "q", what: "query")
                #expect(wq.passed, "layer \(layer) head \(head): \(wq.actual)")
            }
            // Scores come out of a softmax: a row's scores' gradients sum to 0 (adding one number
            // to every score of a row changes no weight).
            for row in g.attentionScores[layer].joined() {
                #expect(abs(row.reduce(0, +)) <= 1e-15)
            }
        }
    }

    @Test func lossGradientsLeaveTheTapeAsTheyFoundIt() throws {
        let (gpt, document, _) = try Self.tinyGPT()
        let tape = gpt.tape, count = tape.count
        let before = gpt.lossGradients(of: document)
        #expect(tape.count == count)
        #expect((0..<gpt.parameterCount).allSatisfy { tape.grad(NodeID($0)) == 0 })
        // Gradients already on the weights (a step that backward ran for) are kept as they were.
        tape.setGrad(5, 0.25)
        let again = gpt.lossGradients(of: document)
        #expect(tape.grad(5) == 0.25 && tape.count == count)
        #expect(again.parameters == before.parameters && again.loss == before.loss)
        #expect(before.trace.logits.count == document.positions)
    }

    // MARK: Gradient norms while training

    @Test func trainingIsTheSameToTheBitWhileItsGradientNormsAreRead() throws {
        let (recorded, _, tokenizer) = try Self.tinyGPT()
        let plain = recorded.copy()
        let lines = ["disk full on db-02", "user 4411 logged in", "payment-worker crashed on api-07"]
        let documents = lines.compactMap { Document(message: $0, label: "INFO", tokenizer: tokenizer, blockSize: 32) }
        let options = TrainingOptions(steps: 12, seed: 5, adam: AdamSettings(learningRate: 0.02))
        var norms = GradientSteps.NormRecorder(recorded, steps: options.steps)
        var recordedLosses: [Double] = [], plainLosses: [Double] = []
        try train(recorded, on: documents, options: options, clock: { 0 }, progress: { recordedLosses.append($0.loss) },
                  afterBackward: { norms.record($0) })
        try train(plain, on: documents, options: options, clock: { 0 }, progress: { plainLosses.append($0.loss) })
        #expect(recordedLosses.map(\.bitPattern) == plainLosses.map(\.bitPattern))
        let a = UnsafeBufferPointer(start: recorded.tape.dataPointer(0), count: recorded.parameterCount)
        let b = UnsafeBufferPointer(start: plain.tape.dataPointer(0), count: plain.parameterCount)
        #expect(zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern })
        #expect(norms.norms.count == recorded.matrices.count && norms.norms.allSatisfy { $0.count == 12 && $0.allSatisfy { $0 > 0 } })
    }

    /// What the recorder reads after a backward pass is each matrix's gradient norm.
    @Test func theRecorderReadsEachMatrixsGradientNorm() throws {
        let (gpt, document, _) = try Self.tinyGPT()
        let expected = gpt.lossGradients(of: document)
        var norms = GradientSteps.NormRecorder(gpt, steps: 1)
        let loss = gpt.loss(of: document)
        gpt.tape.backward(from: loss)
        norms.record(gpt)
        gpt.tape.truncate(to: gpt.weightsEnd)
        gpt.tape.zeroGrad()
        for (index, matrix) in gpt.matrices.enumerated() {
            let norm = expected.gradient(of: matrix).joined().map { $0 * $0 }.reduce(0, +).squareRoot()
            #expect(abs(norms.norms[index][0] - norm) <= 1e-15 * max(1, norm), "\(matrix.name)")
        }
        #expect(Set(gpt.matrices.map { GradientSteps.NormRecorder.group(of: $0.name) }).count == 4)
    }

    @Test func theTrainingStepChartsTheGradientNormsOnALogScale() throws {
        let record = try run(Self.tinyModel, "train\nsteps: 6\nwindow: 3\n")
        #expect(record.failed == 0, "\(record.steps.compactMap(\.error))")
        let step = record.steps[1]
        let charts = step.outputs.compactMap { if case .series(let s) = $0 { s } else { nil } }
        let norms = try #require(charts.first { $0.yScale == .logarithmic })
        #expect(norms.lines.map(\.name) == ["embeddings (wte, wpe)", "attention (wq, wk, wv, wo)", "MLP (fc1, fc2)", "output (lm_head)"])
        #expect(norms.lines.allSatisfy { $0.values.count == 6 && $0.values.allSatisfy { $0 > 0 && $0.isFinite } })
        let table = try #require(step.outputs.compactMap { if case .table(let t) = $0, t.title.contains("gradient norm") { t } else { nil } }.first)
        #expect(table.rows.count == 3 + 6 * 2)  // wte, wpe, lm_head and six per layer
        #expect((number(step, "grad_norm_first") ?? 0) > 0 && number(step, "grad_norm_end.layer1.attn_wq") != nil)
        let html = HTMLRenderer().render(step: step)
        #expect(html.contains("gradient norm on a logarithmic scale"))
        let text = TerminalRenderer(colour: false).render(step)
        #expect(text.contains("log scale"))
    }

    // MARK: Drawing signed values and log scales

    static let signed = Matrix(title: "g", kind: .signed, rowTitle: "q", columnTitle: "k", rowLabels: ["a", "b"],
                               columnLabels: ["a", "b", "c"], values: [[-0.4, nil, nil], [0.4, 0.1, -0.2]])

    @Test func signedMatricesShadeBothSignsAgainstTheLargestSize() {
        let text = TerminalRenderer(colour: false).matrix(Self.signed)
        #expect(text.contains("\na #··\nb █░=\n"), "\(text)")
        #expect(text.contains("against the largest size, 0.4000") && text.contains("negative - = ≡ #") && text.contains("· masked"))
        let data = Pictures.heatmap(Self.signed)
        let fills = (data["shades"] as? [[String: Any]] ?? []).compactMap { $0["fill"] as? String }
        #expect(fills.contains(Pictures.divergingShade(-1)) && fills.contains(Pictures.divergingShade(1)))
        #expect(fills.contains(Pictures.divergingShade(0.25)) && fills.contains(Pictures.divergingShade(-0.5)) && fills.contains(Pictures.maskedFill))
        #expect(Pictures.divergingShade(0) == "rgb(255,255,255)" && Pictures.divergingShade(1) == "rgb(179,88,6)")
        #expect(Pictures.divergingShade(-1) == "rgb(94,60,153)")
        #expect((data["legend"] as? String)?.contains("Orange is positive, purple negative, white 0") == true)
        let html = HTMLRenderer().render(step: StepRecord(id: "x", chapter: 1, index: 1, location: SourceLocation(file: "f", line: 1, column: 1),
                                                          status: .passed, outputs: [.matrix(Self.signed)], values: [], checks: [], error: nil))
        #expect(html.contains("<figure class=\"heatmap\">") && html.contains("dark purple (-0.4000) through white (0) to dark orange (+0.4000)"))
        #expect(html.contains("<title>b -&gt; c: -0.2000</title>"))
    }

    @Test func numberedRowsAndColumnsOfAWeightMatrixKeepTheirLabelsApart() throws {
        for (rows, columns) in [(24, 24), (67, 24), (96, 24), (24, 96)] {
            let matrix = Matrix(title: "w", kind: .signed, rowTitle: "r", columnTitle: "c", rowLabels: (0..<rows).map(String.init),
                                columnLabels: (0..<columns).map(String.init),
                                values: (0..<rows).map { r in (0..<columns).map { Double(r - $0) } })
            let data = Pictures.heatmap(matrix)
            func labels(_ key: String) -> [(x: Double, y: Double, text: String)] {
                (data[key] as? [[String: Any]] ?? []).map { (Double($0["x"] as? String ?? "") ?? .nan, Double($0["y"] as? String ?? "") ?? .nan,
                                                             $0["text"] as? String ?? "") }
            }
            // Two labels of n and m characters (6.6 px each, centred) on one line must not touch;
            // labels on lines 11 px apart or more never do.
            for key in ["columnLabels", "rowLabels"] {
                let placed = labels(key)
                for (i, a) in placed.enumerated() {
                    for b in placed[(i + 1)...] where abs(a.y - b.y) < 11 {
                        let room = 3.3 * Double(a.text.count + b.text.count)
                        #expect(abs(a.x - b.x) >= room, "\(rows)x\(columns) \(key): '\(a.text)' and '\(b.text)' touch")
                    }
                }
                #expect(placed.allSatisfy { $0.x - 3.3 * Double($0.text.count) >= 0 }, "\(rows)x\(columns) \(key) leave the picture")
            }
            let width = try #require(Double(data["width"] as? String ?? "")), height = try #require(Double(data["height"] as? String ?? ""))
            #expect(width <= 2 * Pictures.heatmapWidth && height <= 1.5 * Pictures.heatmapWidth + 40, "\(rows)x\(columns): \(width) x \(height)")
        }
    }

    @Test func logScaleChartsTickPowersOfTenAndLeaveOutWhatTheyCannotDraw() {
        #expect(Pictures.logTicks(log10(0.04), log10(1.1)).map(Pictures.powerOfTen) == ["0.02", "0.05", "0.1", "0.2", "0.5", "1", "2"])
        // Over many decades, every second power of ten.
        #expect(Pictures.logTicks(-6.2, 1.5).map(Pictures.powerOfTen) == ["1e-8", "1e-6", "0.0001", "0.01", "1", "100"])
        let series = Series(title: "norms", xLabel: "step", yLabel: "norm",
                            lines: [.init(name: "a", values: [1, 0.1, 0]), .init(name: "b", values: [0.5, 0.2, 0.01])], yScale: .logarithmic)
        let data = Pictures.chart(series)
        #expect((data["notFinite"] as? String) == "1 value is NaN, infinite or not positive and left out")
        let labels = (data["yTicks"] as? [[String: Any]] ?? []).compactMap { $0["label"] as? String }
        #expect(labels.first == "0.01" && labels.last == "1")
        let text = TerminalRenderer(colour: false).series(series)
        #expect(text.contains("log scale") && text.contains("a: █▅?"), "\(text)")
    }

    @Test func aSeriesWrittenWithoutAScaleReadsAsLinear() throws {
        let json = #"{"title":"t","xLabel":"x","yLabel":"y","lines":[{"name":"l","values":[1,2]}]}"#
        let series = try JSONDecoder().decode(Series.self, from: Data(json.utf8))
        #expect(series.yScale == .linear && series.lines[0].values == [1, 2])
        let logarithmic = Series(title: "t", xLabel: "x", yLabel: "y", lines: [], yScale: .logarithmic)
        #expect(try JSONDecoder().decode(Series.self, from: JSONEncoder().encode(logarithmic)) == logarithmic)
    }

    @Test func chartsOfManyLinesGiveEachItsOwnColourAndTheLegendItsOwnRoom() {
        let lines = (0..<4).map { Series.Line(name: "l\($0)", values: [1, 2, 3]) }
        let data = Pictures.chart(Series(title: "t", xLabel: "x", yLabel: "y", lines: lines))
        let drawn = data["lines"] as? [[String: Any]] ?? []
        #expect(Set(drawn.compactMap { $0["colour"] as? String }).count == 4)
        #expect(drawn.allSatisfy { ($0["legendY"] as? Double ?? 0) > 280 && ($0["width"] as? Double) == 1.6 })
        #expect((data["height"] as? Double ?? 0) > 280 + 4 * 16)
        // Two lines stay a series and its average: light, then dark and thicker, legend inside.
        let two = Pictures.chart(Series(title: "t", xLabel: "x", yLabel: "y", lines: Array(lines.prefix(2))))
        #expect((two["lines"] as? [[String: Any]] ?? []).compactMap { $0["width"] as? Double } == [1.2, 2.2])
        #expect((two["height"] as? Double) == 280)
    }
}
