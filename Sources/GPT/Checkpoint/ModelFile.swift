// A trained model on disk: its weights as safetensors tensors with GPT-2 names ([out, in] for
// linear layers), and in the header's metadata everything needed to rebuild it: the shape
// (n_embd, n_head, n_layer, block_size), the vocabulary (the characters in id order; BOS is
// id len(vocab)), the temperature the classifier divides its scores by (absent: 1) and the
// unseen-message error rate that caps its probabilities (absent: 0, no cap). Any
// safetensors reader (PyTorch, NumPy) can open the file.
import Autograd

/// A model together with the tokenizer its ids belong to.
public struct TrainedModel {
    public let model: GPT
    public let tokenizer: Tokenizer
    /// Free-form facts about how it was made (data file, seed, steps, losses), kept in the file.
    public let notes: [String: String]
    /// What the classifier divides the label scores by before the softmax: fitted on the
    /// validation part by training (TemperatureScaling.swift), 1 for a model without one.
    public let temperature: Double
    /// No label's probability exceeds 1 minus this: the validation part's estimate of how often the
    /// model is wrong on a message it never saw (TemperatureScaling.unseenErrorRate); 0, no cap,
    /// for a model without one.
    public let unseenErrorRate: Double

    public init(model: GPT, tokenizer: Tokenizer, notes: [String: String] = [:], temperature: Double = 1,
                unseenErrorRate: Double = 0) {
        self.model = model
        self.tokenizer = tokenizer
        self.notes = notes
        self.temperature = temperature
        self.unseenErrorRate = unseenErrorRate
    }

    /// Where `gpt train` writes and the other commands read when no `--model` is given.
    public static let defaultPath = "model.safetensors"

    // MARK: Writing

    /// The model as a safetensors file.
    public func safetensors() -> SafetensorsFile {
        var tensors: [String: NamedTensor] = [:]
        for matrix in model.matrices {
            let values = Array(UnsafeBufferPointer(start: model.tape.dataPointer(matrix.start), count: matrix.count))
            tensors[matrix.name] = NamedTensor(shape: [matrix.rows, matrix.cols], values: values)
        }
        var metadata = notes
        let config = model.config
        metadata["format"] = TrainedModel.formatName
        metadata["n_embd"] = String(config.nEmbd)
        metadata["n_head"] = String(config.nHead)
        metadata["n_layer"] = String(config.nLayer)
        metadata["block_size"] = String(config.blockSize)
        metadata["vocab"] = tokenizer.vocabularyString
        metadata["temperature"] = String(temperature)  // the shortest text that reads back as the same Double
        metadata["unseen_error_rate"] = String(unseenErrorRate)
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    /// Writes the model atomically (a temporary file, then a rename), as float64 by default so a
    /// reloaded model gives exactly the same numbers. `inputs` (the training data) are never
    /// overwritten.
    public func write(to path: String, as dtype: TensorDType = .float64, inputs: [AtomicFile.Input] = []) throws {
        try safetensors().write(to: path, as: dtype, inputs: inputs)
    }

    static let formatName = "gpt-from-scratch/1"

    // MARK: Reading

    /// Reads a model written by `write(to:)`, checking that every tensor is there with the right shape.
    public static func read(path: String) throws -> TrainedModel {
        try TrainedModel(safetensors: SafetensorsFile.read(path: path), path: path)
    }

    /// Rebuilds a model from a decoded file; `path` names it in errors.
    public init(safetensors file: SafetensorsFile, path: String) throws {
        func fail(_ reason: String, _ hint: String? = nil) -> CheckpointError {
            CheckpointError(path: path, reason: reason,
                            hint: hint ?? "this file was not written by `gpt train`; train a model with `gpt train -o \(path)`")
        }
        func integer(_ key: String) throws -> Int {
            guard let text = file.metadata[key] else { throw fail("the metadata has no '\(key)'") }
            guard let value = Int(text) else { throw fail("the metadata's '\(key)' is '\(text)', not a whole number") }
            return value
        }
        guard let vocab = file.metadata["vocab"] else { throw fail("the metadata has no 'vocab' (the model's characters)") }
        let tokenizer = Tokenizer(vocabulary: vocab)
        guard tokenizer.characters.count == vocab.unicodeScalars.count else {
            throw fail("the metadata's 'vocab' repeats a character")
        }
        let config = GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: try integer("n_embd"), nHead: try integer("n_head"),
                               nLayer: try integer("n_layer"), blockSize: try integer("block_size"))
        if let problem = config.problems.first { throw fail("the metadata describes an impossible model: \(problem)") }
        // Check every tensor before building anything, so a bad file never yields half a model, and
        // a few bytes of metadata never make us allocate gigabytes: the config's bounds (checked
        // above, without overflow) cap the list of names, and the model is built only once every
        // tensor it needs has been found in the file with its shape, so its weights are the file's.
        let expected = GPT.matrixShapes(config)
        for (name, shape) in expected {
            guard let tensor = file.tensors[name] else { throw fail("tensor '\(name)' is missing") }
            guard tensor.shape == shape else {
                throw fail("tensor '\(name)' has shape \(tensor.shape), but the metadata's config needs \(shape)")
            }
            if let index = tensor.values.firstIndex(where: { !$0.isFinite }) {
                let position = "[\(index / shape[1]), \(index % shape[1])]"
                throw fail("tensor '\(name)' holds \(describe(tensor.values[index])) at \(position); a model's weights must be finite numbers",
                           "the file is damaged, or it was saved from a run whose training diverged; train the model again")
            }
        }
        if let extra = file.tensors.keys.sorted().first(where: { name in !expected.contains { $0.name == name } }) {
            throw fail("tensor '\(extra)' is not part of this model")
        }
        var positions: [String: Int] = [:]
        model = GPT(config: config) { name in
            let index = positions[name, default: 0]
            positions[name] = index + 1
            return file.tensors[name]!.values[index]  // present and sized: checked above
        }
        self.tokenizer = tokenizer
        if let text = file.metadata["temperature"] {
            guard let value = Double(text), value.isFinite, value > 0 else {
                throw fail("the metadata's 'temperature' is '\(text)'; it must be a positive number",
                           "write a positive number there (1 leaves the model's scores as they are), or train the model again")
            }
            temperature = value
        } else {
            temperature = 1
        }
        if let text = file.metadata["unseen_error_rate"] {
            guard let value = Double(text), value >= 0, value <= 1 else {
                throw fail("the metadata's 'unseen_error_rate' is '\(text)'; it must be a number from 0 to 1",
                           "write a number from 0 to 1 there (0 leaves the probabilities uncapped), or train the model again")
            }
            unseenErrorRate = value
        } else {
            unseenErrorRate = 0
        }
        let configKeys: Set<String> = ["format", "n_embd", "n_head", "n_layer", "block_size", "vocab", "temperature",
                                       "unseen_error_rate"]
        notes = file.metadata.filter { !configKeys.contains($0.key) }
    }
}

/// A non-finite number in words, as the lessons and the web page show it.
private func describe(_ value: Double) -> String {
    value.isNaN ? "NaN" : (value < 0 ? "minus infinity" : "infinity")
}

extension GPT {
    /// The name and [rows, cols] of every weight matrix of a config, in checkpoint order.
    public static func matrixShapes(_ config: GPTConfig) -> [(name: String, shape: [Int])] {
        let c = config.nEmbd
        var shapes: [(name: String, shape: [Int])] = [("wte", [config.vocabSize, c]), ("wpe", [config.blockSize, c])]
        for i in 0..<config.nLayer {
            shapes += [("layer\(i).attn_wq", [c, c]), ("layer\(i).attn_wk", [c, c]), ("layer\(i).attn_wv", [c, c]),
                       ("layer\(i).attn_wo", [c, c]), ("layer\(i).mlp_fc1", [4 * c, c]), ("layer\(i).mlp_fc2", [c, 4 * c])]
        }
        shapes.append(("lm_head", [config.vocabSize, c]))
        return shapes
    }
}
