// Chapter 3's steps: the dataset, the tokenizer, the model's weights, and one character's journey
// from its id to a normalised vector.
import Autograd
import GPT
import LessonOutput

enum TokenSteps {
    static let all = [dataset, tokenize, model, embedding]

    static let lineParameter = ParameterSpec("line", .text, default: LogLineInput.defaultLine,
                                             "a log line, with or without ' -> LABEL'")

    static let dataset = StepDefinition(
        id: "dataset",
        summary: "Loads a labelled log file, splits it 80/10/10, and builds the tokenizer over its characters.",
        parameters: [ParameterSpec("path", .text, default: "Dataset/logs_5000.txt", "the dataset, relative to the package root")],
        provides: [.dataset]
    ) { context in
        let state = context.state
        do {
            try state.loadDataset(path: context.text("path"))
        } catch let error as DatasetError {
            throw context.error(in: "path", "\(error.reason) (\(error.file)\(error.line.map { ":\($0)" } ?? ""))",
                                hint: error.hint)
        }
        guard let data = state.dataset, let split = state.split, let tokenizer = state.tokenizer else {
            throw context.error("the dataset did not load")
        }
        var report = StepReport()
        let counts = LogLabel.allCases.map { label in (label, data.examples.count { $0.label == label }) }
        report.text("\(data.examples.count) lines; \(split.train.count) for training, \(split.validation.count) for validation, \(split.test.count) for test.",
                    "The vocabulary is the \(tokenizer.characters.count) characters the lines use, plus BOS.")
        report.add(.table(Table(title: "Lines per label", columns: ["label", "lines"],
                                rows: counts.map { [.text($0.0.rawValue), .integer($0.1)] })))
        report.add(.table(Table(title: "The first training lines", columns: ["message", "label"],
                                rows: split.train.prefix(4).map { [.text($0.message), .text($0.label.rawValue)] })))
        report.check("lines", data.examples.count)
        for (label, count) in counts { report.check(label.rawValue.lowercased(), count) }
        report.check("train", split.train.count)
        report.check("vocab_size", tokenizer.vocabSize)
        return report
    }

    static let tokenize = StepDefinition(
        id: "tokenize",
        summary: "Turns a log line into token ids, one per character, after a BOS token.",
        parameters: [lineParameter],
        needs: [.dataset]
    ) { context in
        guard let tokenizer = context.state.tokenizer else { throw context.error("no tokenizer") }
        let line = try LogLineInput(context, tokenizer: tokenizer, blockSize: Int.max)
        var report = StepReport()
        let shown = tokenizer.characters.map { $0 == " " ? "␣" : String($0) }.joined()
        report.text("Vocabulary (id 0 first): \(shown)", "BOS has id \(tokenizer.bos); \(tokenizer.vocabSize) ids in all.")
        report.add(.table(Table(title: "The line as tokens", columns: ["position", "character", "id"],
                                rows: zip(line.labels, line.tokens).enumerated().map { [.integer($0), .text($1.0), .integer($1.1)] })))
        report.check("tokens", line.tokens.count)
        report.check("vocab_size", tokenizer.vocabSize)
        report.check("bos", tokenizer.bos)
        if line.tokens.count > 1 { report.check("first_id", line.tokens[1]) }
        report.check("decoded", tokenizer.decode(line.tokens))
        return report
    }

    static let model = StepDefinition(
        id: "model",
        summary: "Builds a GPT on the dataset's vocabulary with random weights and lists its weight matrices.",
        parameters: [
            ParameterSpec("n_embd", .integer(1...256), default: "24", "width of every vector in the residual stream"),
            ParameterSpec("n_head", .integer(1...32), default: "4", "attention heads; n_embd must divide by it"),
            ParameterSpec("n_layer", .integer(1...8), default: "1", "transformer blocks"),
            ParameterSpec("block_size", .integer(8...512), default: "96", "longest context in tokens"),
            ParameterSpec("seed", .integer(0...Int.max), default: "42", "seed of the random weights"),
        ],
        needs: [.dataset],
        provides: [.model]
    ) { context in
        guard let tokenizer = context.state.tokenizer else { throw context.error("no tokenizer") }
        let config = GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: try context.integer("n_embd"),
                               nHead: try context.integer("n_head"), nLayer: try context.integer("n_layer"),
                               blockSize: try context.integer("block_size"))
        if let problem = config.problems.first { throw context.error(problem, hint: "change the step's model parameters") }
        context.state.buildModel(config, seed: UInt64(try context.integer("seed")))
        guard let gpt = context.state.model else { throw context.error("the model was not built") }
        var report = StepReport()
        report.add(.table(Table(title: "Weight matrices, in the order they sit on the tape",
                                columns: ["name", "rows", "columns", "weights"],
                                rows: gpt.matrices.map { [.text($0.name), .integer($0.rows), .integer($0.cols), .integer($0.count)] })))
        report.text("\(gpt.parameterCount) weights in all, each one a leaf node on the tape.")
        report.check("parameters", gpt.parameterCount)
        report.check("matrices", gpt.matrices.count)
        report.check("wte[0][0]", gpt.tape.data(gpt.wte.start))
        return report
    }

    static let embedding = StepDefinition(
        id: "embedding",
        summary: "Follows one character of a line into the model: token and position embeddings, their sum, rmsnorm.",
        parameters: [
            lineParameter,
            ParameterSpec("position", .integer(0...511), default: "1", "which token of the line (0 is BOS)"),
        ],
        needs: [.model]
    ) { context in
        guard let gpt = context.state.model, let tokenizer = context.state.tokenizer else { throw context.error("no model") }
        let line = try LogLineInput(context, tokenizer: tokenizer, blockSize: gpt.config.blockSize)
        let position = try context.integer("position")
        guard position < line.tokens.count else {
            throw context.error(in: "position", "position \(position) is past the line's last token (\(line.tokens.count - 1))")
        }
        let tape = gpt.tape
        defer { tape.truncate(to: gpt.weightsEnd) }
        let token = line.tokens[position]
        let x = tape.add(gpt.wte.row(token), gpt.wpe.row(position))
        let normed = tape.rmsnorm(x)
        let (wte, wpe, sum, norm) = (tape.data(gpt.wte.row(token)), tape.data(gpt.wpe.row(position)), tape.data(x), tape.data(normed))
        var report = StepReport()
        report.text("Position \(position) holds '\(line.labels[position])', token id \(token): row \(token) of wte plus row \(position) of wpe.")
        report.add(.table(Table(title: "The vector, dimension by dimension", columns: ["dim", "wte[\(token)]", "wpe[\(position)]", "x = sum", "rmsnorm(x)"],
                                rows: (0..<sum.count).map { [.integer($0), .number(wte[$0]), .number(wpe[$0]), .number(sum[$0]), .number(norm[$0])] })))
        let rms = { (v: [Double]) in (v.reduce(0) { $0 + $1 * $1 } / Double(v.count)).squareRoot() }
        report.text("rms(x) = \(NumberFormat.short(rms(sum))); rms(rmsnorm(x)) = \(NumberFormat.short(rms(norm))).")
        report.check("token", token)
        report.check("rms_x", rms(sum))
        report.check("rms_normed", rms(norm))
        report.check("x[0]", sum[0])
        return report
    }
}
