import Foundation
@testable import GPT
import Testing

// A trained model on disk: written and read back it is the same model (exactly, as float64); the
// file is plain safetensors any reader can parse; and every way a file can be wrong for this model
// is a CheckpointError that says what is wrong.

/// A folder of its own for one test, removed when the test ends.
final class TemporaryFolder {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("gpt-tests-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

@Suite struct ModelFileTests {
    let folder = TemporaryFolder()

    /// Two layers so that layer names and counts are really checked.
    static func sampleModel() -> TrainedModel {
        let tokenizer = Tokenizer(characters: Array("ab c-> INFOWARNGE\u{e9}\"\\"))
        let config = GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 8, nHead: 2, nLayer: 2, blockSize: 12)
        return TrainedModel(model: GPT(config: config, seed: 21), tokenizer: tokenizer,
                            notes: ["seed": "21", "data": "logs \"quoted\".txt"])
    }

    /// Writes the sample model's tensors and metadata after `change`, and reads them as a model.
    private func readAfter(_ change: (inout SafetensorsFile) -> Void) throws -> TrainedModel {
        var file = Self.sampleModel().safetensors()
        change(&file)
        let path = folder.file("changed.safetensors")
        try file.write(to: path, as: .float64)
        return try TrainedModel.read(path: path)
    }

    /// The CheckpointError reading the changed file gives, or a recorded issue if it reads.
    private func error(after change: (inout SafetensorsFile) -> Void,
                       sourceLocation: SourceLocation = #_sourceLocation) -> CheckpointError? {
        do {
            _ = try readAfter(change)
            Issue.record("the changed file was read as a model", sourceLocation: sourceLocation)
        } catch let error as CheckpointError {
            #expect(error.path.hasSuffix("changed.safetensors"), sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("expected a CheckpointError, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    @Test func aFloat64RoundTripGivesExactlyTheSameModel() throws {
        let original = Self.sampleModel()
        let path = folder.file("model.safetensors")
        try original.write(to: path)
        let read = try TrainedModel.read(path: path)
        #expect(read.model.config == original.model.config)
        #expect(read.tokenizer == original.tokenizer)
        #expect(read.notes == original.notes)
        #expect(read.model.matrices == original.model.matrices)
        #expect(weights(of: read.model).map(\.bitPattern) == weights(of: original.model).map(\.bitPattern))
        // Writing the same model twice gives the same bytes.
        let again = folder.file("again.safetensors")
        try read.write(to: again)
        #expect(FileManager.default.contents(atPath: path) == FileManager.default.contents(atPath: again))
    }

    @Test func aFloat32RoundTripIsCloseToHalfAnULPOfFloat() throws {
        let original = Self.sampleModel()
        let path = folder.file("model32.safetensors")
        try original.write(to: path, as: .float32)
        let read = try TrainedModel.read(path: path)
        #expect(read.model.config == original.model.config)
        #expect(read.tokenizer == original.tokenizer)
        var worst = 0.0
        for (a, b) in zip(weights(of: original.model), weights(of: read.model)) {
            #expect(b == Double(Float(a)))
            worst = max(worst, abs(a - b) / abs(a))
        }
        #expect(worst <= 0x1p-24, "relative error \(worst)")
        #expect(worst > 0, "float32 should round something")
    }

    @Test func theTemperatureIsKeptExactlyAndAFileWithoutOneReadsAsOne() throws {
        let sample = Self.sampleModel()
        let warm = TrainedModel(model: sample.model, tokenizer: sample.tokenizer, notes: sample.notes, temperature: 1.7320508075688772)
        let path = folder.file("warm.safetensors")
        try warm.write(to: path)
        let read = try TrainedModel.read(path: path)
        #expect(read.temperature.bitPattern == warm.temperature.bitPattern)
        #expect(read.notes["temperature"] == nil, "the temperature is a field of the model, not a note")
        let older = try readAfter { $0.metadata["temperature"] = nil }  // written before temperatures existed
        #expect(older.temperature == 1)
    }

    @Test func theUnseenErrorRateIsKeptExactlyAndAFileWithoutOneHasNoCap() throws {
        let sample = Self.sampleModel()
        let capped = TrainedModel(model: sample.model, tokenizer: sample.tokenizer, notes: sample.notes,
                                  temperature: 2, unseenErrorRate: 3.0 / 107)
        let path = folder.file("capped.safetensors")
        try capped.write(to: path)
        let read = try TrainedModel.read(path: path)
        #expect(read.unseenErrorRate.bitPattern == capped.unseenErrorRate.bitPattern)
        #expect(read.notes["unseen_error_rate"] == nil, "the rate is a field of the model, not a note")
        let older = try readAfter { $0.metadata["unseen_error_rate"] = nil }  // written before the cap existed
        #expect(older.unseenErrorRate == 0)
    }

    @Test func theFileIsPlainSafetensors() throws {
        let trained = Self.sampleModel()
        let path = folder.file("model.safetensors")
        try trained.write(to: path)
        let bytes = try #require(FileManager.default.contents(atPath: path)).map { $0 }
        // 8 bytes: the header's length N, little-endian.
        let n = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect((8 + n) % 8 == 0, "tensors should start 8-byte aligned")
        let json = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)]))
        let header = try #require(json as? [String: Any])
        let metadata = try #require(header["__metadata__"] as? [String: String])
        #expect(metadata["format"] == "gpt-from-scratch/1")
        #expect(metadata["n_embd"] == "8")
        #expect(metadata["n_head"] == "2")
        #expect(metadata["n_layer"] == "2")
        #expect(metadata["block_size"] == "12")
        #expect(metadata["vocab"] == trained.tokenizer.vocabularyString)
        #expect(metadata["seed"] == "21")
        #expect(metadata["data"] == "logs \"quoted\".txt")

        // Every tensor is F64 with its shape, and together they tile the data buffer.
        let buffer = Array(bytes[(8 + n)...])
        var ranges: [(Int, Int)] = []
        for matrix in trained.model.matrices {
            let entry = try #require(header[matrix.name] as? [String: Any], "no entry for \(matrix.name)")
            #expect(entry["dtype"] as? String == "F64")
            #expect(entry["shape"] as? [Int] == [matrix.rows, matrix.cols])
            let offsets = try #require(entry["data_offsets"] as? [Int])
            #expect(offsets.count == 2 && offsets[1] - offsets[0] == 8 * matrix.count)
            ranges.append((offsets[0], offsets[1]))
            // The values, row-major and little-endian, are the weights.
            let values = (0..<matrix.count).map { i in
                Double(bitPattern: buffer[(offsets[0] + 8 * i)..<(offsets[0] + 8 * i + 8)].reversed()
                    .reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            }
            #expect(values == Array(UnsafeBufferPointer(start: trained.model.tape.dataPointer(matrix.start), count: matrix.count)))
        }
        #expect(header.count == trained.model.matrices.count + 1)
        ranges.sort { $0.0 < $1.0 }
        #expect(ranges.first?.0 == 0)
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.1 == $1.0 })
        #expect(ranges.last?.1 == buffer.count)
    }

    @Test func aTruncatedFileIsAnError() throws {
        let path = folder.file("model.safetensors")
        try Self.sampleModel().write(to: path)
        let bytes = try #require(FileManager.default.contents(atPath: path))
        for length in [0, 5, 100, bytes.count - 1] {
            try bytes.prefix(length).write(to: URL(fileURLWithPath: path))
            let error = try #require(throws: CheckpointError.self) { try TrainedModel.read(path: path) }
            #expect(error.reason.contains("truncated"), "cut to \(length) bytes: \(error.reason)")
            #expect(error.path == path)
        }
    }

    @Test func aMissingTensorIsNamed() {
        let error = error { $0.tensors["layer1.attn_wv"] = nil }
        #expect(error?.reason == "tensor 'layer1.attn_wv' is missing")
        #expect(error?.hint?.contains("gpt train") == true)
    }

    @Test func aWrongShapeIsNamedWithBothShapes() {
        let error = error { file in
            let head = file.tensors["lm_head"]!
            file.tensors["lm_head"] = NamedTensor(shape: [head.shape[1], head.shape[0]], values: head.values)
        }
        let v = Self.sampleModel().tokenizer.vocabSize
        #expect(error?.reason == "tensor 'lm_head' has shape [8, \(v)], but the metadata's config needs [\(v), 8]")
    }

    @Test func anExtraTensorIsNamed() {
        let error = error { $0.tensors["layer2.attn_wq"] = NamedTensor(shape: [1], values: [0]) }
        #expect(error?.reason == "tensor 'layer2.attn_wq' is not part of this model")
    }

    @Test func aVocabularyThatDoesNotMatchTheEmbeddingsIsAnError() {
        // One character fewer: wte and lm_head no longer have a row per id.
        let error = error { $0.metadata["vocab"] = String($0.metadata["vocab"]!.dropLast()) }
        let v = Self.sampleModel().tokenizer.vocabSize
        #expect(error?.reason == "tensor 'wte' has shape [\(v), 8], but the metadata's config needs [\(v - 1), 8]")
    }

    @Test(arguments: [
        ("n_embd", "eight", "the metadata's 'n_embd' is 'eight', not a whole number"),
        ("n_head", "3", "the metadata describes an impossible model: n_embd 8 is not divisible by n_head 3; each head needs an equal share"),
        ("block_size", "4", "the metadata describes an impossible model: block_size is 4; it must be at least 8 to hold a label"),
        ("vocab", "aab", "the metadata's 'vocab' repeats a character"),
        ("temperature", "0", "the metadata's 'temperature' is '0'; it must be a positive number"),
        ("temperature", "nan", "the metadata's 'temperature' is 'nan'; it must be a positive number"),
        ("temperature", "warm", "the metadata's 'temperature' is 'warm'; it must be a positive number"),
        ("unseen_error_rate", "-0.1", "the metadata's 'unseen_error_rate' is '-0.1'; it must be a number from 0 to 1"),
        ("unseen_error_rate", "nan", "the metadata's 'unseen_error_rate' is 'nan'; it must be a number from 0 to 1"),
        ("unseen_error_rate", "2", "the metadata's 'unseen_error_rate' is '2'; it must be a number from 0 to 1"),
    ])
    func badMetadataIsExplained(key: String, value: String, reason: String) {
        let error = error { $0.metadata[key] = value }
        #expect(error?.reason == reason)
    }

    @Test func sizesTooLargeForAnyModelAreRefusedBeforeAnythingIsAllocated() {
        // 2^62 once overflowed while counting the weights; ten million layers made a list of sixty
        // million names before the first missing tensor was noticed.
        let wide = error { $0.metadata["n_embd"] = "4611686018427387904" }
        #expect(wide?.reason == "the metadata describes an impossible model: n_embd is 4611686018427387904; it must be at most 2048")
        let deep = error { $0.metadata["n_layer"] = "10000000" }
        #expect(deep?.reason == "the metadata describes an impossible model: n_layer is 10000000; it must be at most 256")
        let long = error { $0.metadata["block_size"] = "9223372036854775807" }
        #expect(long?.reason == "the metadata describes an impossible model: block_size is 9223372036854775807; it must be at most 4096")
    }

    @Test func moreLayersThanTheFileHoldsNamesTheFirstMissingTensor() {
        let error = error { $0.metadata["n_layer"] = "200" }
        #expect(error?.reason == "tensor 'layer2.attn_wq' is missing")
    }

    @Test(arguments: [(Double.nan, "NaN"), (.infinity, "infinity"), (-.infinity, "minus infinity")])
    func nonFiniteWeightsAreRefusedNamingTheTensor(value: Double, word: String) {
        // They used to load, and every line then got INFO 0.333, WARNING 0.333, ERROR 0.333.
        let error = error { $0.tensors["layer1.mlp_fc2"]!.values[37] = value }  // [8, 32]: row 1, column 5
        #expect(error?.reason == "tensor 'layer1.mlp_fc2' holds \(word) at [1, 5]; a model's weights must be finite numbers")
        #expect(error?.hint?.contains("train the model again") == true)
    }

    @Test(arguments: ["vocab", "n_layer"])
    func missingMetadataIsNamed(key: String) {
        let error = error { $0.metadata[key] = nil }
        #expect(error?.reason.hasPrefix("the metadata has no '\(key)'") == true)
    }

    @Test func aFileThatIsNotThereSaysSo() {
        let path = folder.file("nothing.safetensors")
        let error = #expect(throws: CheckpointError.self) { try TrainedModel.read(path: path) }
        #expect(error?.reason.contains("does not exist") == true)
    }

    @Test func junkIsAnErrorNotACrash() throws {
        let path = folder.file("junk.safetensors")
        try Data("this is not a model, just some text that is long enough".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: CheckpointError.self) { try TrainedModel.read(path: path) }
    }

    @Test func notesSurviveButCannotOverrideTheShape() throws {
        // Notes share the metadata map; the shape written last wins over a note of the same name.
        let sample = Self.sampleModel()
        let trained = TrainedModel(model: sample.model, tokenizer: sample.tokenizer, notes: ["n_embd": "99", "lr": "0.01"])
        let path = folder.file("notes.safetensors")
        try trained.write(to: path)
        let read = try TrainedModel.read(path: path)
        #expect(read.model.config.nEmbd == 8)
        #expect(read.notes == ["lr": "0.01"])
    }

    @Test func writingReplacesAnOldFileWhole() throws {
        let path = folder.file("model.safetensors")
        try Data(repeating: 0xAB, count: 1 << 16).write(to: URL(fileURLWithPath: path))
        try Self.sampleModel().write(to: path)
        let read = try TrainedModel.read(path: path)
        #expect(read.model.config.nLayer == 2)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "model.safetensors" }
        #expect(leftovers.isEmpty, "temporary files left behind: \(leftovers)")
    }

    @Test func aVocabularyOfCharactersThatCombineWhenJoinedSurvivesTheRoundTrip() throws {
        // A message may start with a combining mark; as its own character it is a token, and it
        // must come back as one even though the stored vocabulary string puts it after a letter.
        let dataset = try LogDataset.parse("\u{301}disk ok -> INFO\nzone down -> ERROR\n", source: "marks.txt")
        let tokenizer = Tokenizer(characters: dataset.characters)
        #expect(tokenizer.characters.contains("\u{301}"))
        let config = GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 4, nHead: 1, blockSize: 8)
        let path = folder.file("marks.safetensors")
        try TrainedModel(model: GPT(config: config, seed: 1), tokenizer: tokenizer).write(to: path)
        let read = try TrainedModel.read(path: path)
        #expect(read.tokenizer == tokenizer)
    }
}
