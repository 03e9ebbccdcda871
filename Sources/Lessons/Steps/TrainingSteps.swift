// Chapter 5's steps: the loss of one document, Adam on a single number, a full training run with
// its loss curve, and what the model writes after a message before and after training.
import Autograd
import GPT
import LessonOutput

enum TrainingSteps {
    static let all = [documentLoss, adam, train, complete]

    static let documentLoss = StepDefinition(
        id: "document-loss",
        summary: "The loss of one labelled line: the cross-entropy of predicting each next character.",
        parameters: [TokenSteps.lineParameter],
        needs: [.model]
    ) { context in
        guard let gpt = context.state.model, let tokenizer = context.state.tokenizer else { throw context.error("no model") }
        let (message, label) = try splitLabelled(context)
        guard let document = Document(message: message, label: label, tokenizer: tokenizer, blockSize: gpt.config.blockSize) else {
            throw context.error(in: "line", "the line has characters outside the vocabulary")
        }
        let probe = gpt.traced(Array(document.tokens.dropLast()))
        var rows: [[Cell]] = []
        var total = 0.0
        for (position, logits) in probe.logits.enumerated() {
            let target = document.tokens[position + 1]
            let p = softmax(logits)[target]
            total -= DeterministicMath.log(p)
            rows.append([.integer(position), .text(name(document.tokens[position], tokenizer)),
                         .text(name(target, tokenizer)), .number(p), .number(-DeterministicMath.log(p))])
        }
        let tape = gpt.tape
        let loss = tape.data(gpt.loss(of: document))
        tape.truncate(to: gpt.weightsEnd)
        let uniform = DeterministicMath.log(Double(tokenizer.vocabSize))
        var report = StepReport()
        report.add(.table(Table(title: "Each position predicts the next token", columns: ["position", "reads", "target", "p(target)", "-log p"],
                                rows: rows)))
        report.text("Mean loss \(NumberFormat.short(loss)) over \(document.positions) predictions; guessing uniformly over \(tokenizer.vocabSize) ids would give ln \(tokenizer.vocabSize) = \(NumberFormat.short(uniform)).")
        report.check("loss", loss)
        report.check("mean_of_rows", total / Double(rows.count))
        report.check("uniform_loss", uniform)
        report.check("positions", document.positions)
        report.check("trained_steps", context.state.trainedSteps)
        return report
    }

    static let adam = StepDefinition(
        id: "adam",
        summary: "Adam minimising (x - target)^2 for one number x, with the project's optimizer, step by step.",
        parameters: [
            ParameterSpec("start", .number, default: "0", "x before the first step"),
            ParameterSpec("target", .number, default: "3", "where the minimum is"),
            ParameterSpec("lr", .number, default: "0.1", "learning rate"),
            ParameterSpec("steps", .integer(1...10_000), default: "60", "optimizer steps"),
        ]
    ) { context in
        let tape = Tape()
        let x = Value(try context.number("start"), on: tape, label: "x")
        let mark = tape.mark()
        let target = try context.number("target")
        var optimizer = Adam(parameterCount: 1, settings: AdamSettings(learningRate: try context.number("lr")))
        var xs: [Double] = [], losses: [Double] = [], rows: [[Cell]] = []
        let steps = try context.integer("steps")
        for step in 1...steps {
            let (loss, grad, before) = adamStep(x, target: target, optimizer: &optimizer, tape: tape, mark: mark)
            xs.append(x.data)
            losses.append(loss)
            if step <= 5 { rows.append([.integer(step), .number(before), .number(grad), .number(x.data)]) }
        }
        var report = StepReport()
        report.add(.table(Table(title: "The first steps", columns: ["step", "x", "grad", "x after"], rows: rows)))
        report.add(.series(Series(title: "x after each Adam step, and the target", xLabel: "step", yLabel: "x",
                                  lines: [Series.Line(name: "x", values: xs),
                                          Series.Line(name: "target", values: Array(repeating: target, count: xs.count))])))
        report.check("final_x", xs[xs.count - 1])
        report.check("first_x", xs[0])
        // How far x ran past the target, and at which step: positive once x is beyond it.
        let side: Double = target >= (try context.number("start")) ? 1 : -1
        let beyond = xs.map { ($0 - target) * side }
        let farthest = beyond.indices.max { beyond[$0] < beyond[$1] }!
        report.check("overshoot", max(0, beyond[farthest]))
        report.check("overshoot_step", beyond[farthest] > 0 ? farthest + 1 : 0)
        return report
    }

    static let train = StepDefinition(
        id: "train",
        summary: "Trains the model in place for some steps, one training line per step, and draws the loss curve and the gradients' sizes.",
        parameters: [
            ParameterSpec("steps", .integer(1...100_000), default: "400", "optimizer steps, one document each"),
            ParameterSpec("lr", .number, default: "0.01", "Adam's learning rate, decaying linearly to 0"),
            ParameterSpec("seed", .integer(0...Int.max), default: "42", "seed of the order documents are visited in"),
            ParameterSpec("message_weight", .number, default: "1", "loss weight of the message's characters (the label's is 1)"),
            ParameterSpec("window", .integer(1...10_000), default: "50", "steps in the moving average of the loss"),
        ],
        needs: [.model],
        provides: [.model, .trainedModel],  // it changes the model's weights in place
        runsLong: true
    ) { context in
        let state = context.state
        guard let gpt = state.model, let split = state.split, let tokenizer = state.tokenizer else { throw context.error("no model") }
        let validation = Array(split.validation.prefix(50).compactMap {
            Document(message: $0.message, label: $0.label.rawValue, tokenizer: tokenizer, blockSize: gpt.config.blockSize)
        })
        let before = gpt.meanLoss(validation)
        let options = TrainingOptions(steps: try context.integer("steps"), seed: UInt64(try context.integer("seed")),
                                      adam: AdamSettings(learningRate: try context.number("lr")),
                                      messageWeight: try context.number("message_weight"))
        // Each step's gradient norms, read between backward and Adam (GradientSteps.swift).
        do {
            try state.runTraining(options: options, recording: GradientSteps.NormRecorder.recording(gpt))
        } catch {
            throw context.error("\(error)")
        }
        let norms = GradientSteps.NormRecorder(gpt, series: state.lastTraining?.series ?? [:])
        let after = gpt.meanLoss(validation)
        let losses = state.lossHistory
        let window = try context.integer("window")
        let average = movingAverage(losses, window: window)
        var report = StepReport()
        report.add(lossCurve("Training loss, step by step", losses, average: average, window: window))
        report.add(.table(Table(title: "Mean loss per token on \(validation.count) validation lines", columns: ["", "loss"],
                                rows: [[.text("before training"), .number(before)], [.text("after training"), .number(after)]])))
        report.check("steps", losses.count)
        report.check("first_loss", losses[0])
        report.check("final_loss", average[average.count - 1])
        report.check("validation_before", before)
        report.check("validation_after", after)
        norms.report(into: &report, window: window)
        return report
    }

    static let complete = StepDefinition(
        id: "complete",
        summary: "What the model writes after a message and ' -> ', one most likely character at a time, until BOS.",
        parameters: [
            ParameterSpec("line", .text, default: "disk full on db-02: cannot write /var/log/syslog",
                          "a log message (a ' -> LABEL' ending is dropped)"),
            ParameterSpec("max_characters", .integer(1...64), default: "12", "stop after this many characters"),
        ],
        needs: [.model]
    ) { context in
        guard let gpt = context.state.model, let tokenizer = context.state.tokenizer else { throw context.error("no model") }
        let written = context.text("line")
        let message = written.range(of: LogExample.separator, options: .backwards).map { String(written[..<$0.lowerBound]) } ?? written
        guard case .success(let ids) = tokenizer.encode(message), case .success(let separator) = tokenizer.encode(LogExample.separator) else {
            throw context.error(in: "line", "the message has characters outside the vocabulary")
        }
        // The prompt as training and the classifier cut it: a long message keeps its start.
        let prompt = Document.fitPrompt(bos: tokenizer.bos, message: ids, separator: separator, blockSize: gpt.config.blockSize)
        let continuation = gpt.greedyContinuation(of: prompt, maxTokens: try context.integer("max_characters"), stop: tokenizer.bos)
        let completion = continuation.tokens, firstChoice = softmax(continuation.firstLogits)
        let text = tokenizer.decode(completion)
        let ranked = firstChoice.indices.sorted { firstChoice[$0] > firstChoice[$1] }.prefix(5)
        var report = StepReport()
        report.text("\(message) -> \(text)", "(after \(context.state.trainedSteps) training steps)")
        report.add(.bars(BarSet(title: "The five likeliest first characters after ' -> '",
                                bars: ranked.map { BarSet.Bar(label: name($0, tokenizer), value: firstChoice[$0]) }, maximum: 1)))
        report.check("completion", text)
        report.check("first_character_probability", ranked.first.map { firstChoice[$0] } ?? 0)
        return report
    }

    // region: adam-one-number
    /// One training step on one number: forward, backward, Adam, forget the step's nodes.
    static func adamStep(_ x: Value, target: Double, optimizer: inout Adam, tape: Tape,
                         mark: Tape.Mark) -> (loss: Double, grad: Double, before: Double) {
        let loss = (x - target).pow(2)  // forward: one +c node (x + -target) and one pow node after x
        loss.backward()                 // x.grad = 2 (x - target)
        let result = (loss.data, x.grad, x.data)
        optimizer.update(values: tape.dataPointer(x.id), grads: tape.gradPointer(x.id), learningRateScale: 1)
        tape.truncate(to: mark)         // keep x, forget the rest
        tape.zeroGrad()
        return result
    }
    // endregion

    // MARK: Helpers

    /// The step's `line` as (message, label); the label must be one of the dataset's.
    static func splitLabelled(_ context: StepContext) throws(LessonError) -> (String, String) {
        let line = context.text("line")
        guard let separator = line.range(of: LogExample.separator, options: .backwards) else {
            throw context.error(in: "line", "the line has no ' -> LABEL' ending", hint: "write a labelled line, as in 'disk full on db-02 -> ERROR'")
        }
        let label = String(line[separator.upperBound...])
        guard LogLabel(rawValue: label) != nil else {
            throw context.error(in: "line", "'\(label)' is not a label", hint: "labels are " + LogLabel.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return (String(line[..<separator.lowerBound]), label)
    }

    static func name(_ token: Int, _ tokenizer: Tokenizer) -> String {
        token == tokenizer.bos ? "BOS" : tokenizer.decode([token])
    }

    static func softmax(_ logits: [Double]) -> [Double] {
        let top = logits.max() ?? 0
        let exps = logits.map { DeterministicMath.exp($0 - top) }
        let total = exps.reduce(0, +)
        return exps.map { $0 / total }
    }

    /// The loss of every step with its moving average, as a chart.
    static func lossCurve(_ title: String, _ losses: [Double], average: [Double], window: Int) -> StepOutput {
        .series(Series(title: title, xLabel: "step", yLabel: "loss",
                       lines: [Series.Line(name: "loss", values: losses),
                               Series.Line(name: "mean of last \(window)", values: average)]))
    }

    static func movingAverage(_ values: [Double], window: Int) -> [Double] {
        var result: [Double] = [], sum = 0.0
        for (i, value) in values.enumerated() {
            sum += value
            if i >= window { sum -= values[i - window] }
            result.append(sum / Double(min(i + 1, window)))
        }
        return result
    }
}
