import Foundation
@testable import GPT
import Testing

// Mutated model files against the reader. Each case takes a valid model file, damages it (bit
// flips, truncations, a wrong header length, header JSON with huge, negative or fractional shapes
// and offsets, overlapping tensors, wrong dtypes, deep nesting, impossible metadata) and reads it
// as `gpt classify` would: decode, build the model, classify a line. Reading must never crash and
// must end in a model that classifies or in a CheckpointError that reads as a sentence.
//
// It runs for GPT_FUZZ_SECONDS (default 2, so `swift test` stays fast; CI sets 60) and prints how
// many cases it ran. Case i is drawn from SeededRandom(seed ^ i * golden ratio), seed from
// GPT_FUZZ_SEED (default 1), so GPT_FUZZ_SEED=s GPT_FUZZ_CASE=i replays one case, printing it.

@Suite struct SafetensorsFuzzTests {
    @Test func mutatedModelFilesAreReadOrRefusedReadably() throws {
        let environment = ProcessInfo.processInfo.environment
        let seconds = environment["GPT_FUZZ_SECONDS"].flatMap(Double.init) ?? 2
        let seed = environment["GPT_FUZZ_SEED"].flatMap(UInt64.init) ?? 1
        let only = environment["GPT_FUZZ_CASE"].flatMap(Int.init)
        let originals = try FuzzOriginal.all()
        var tally = Tally()
        let start = Date()
        var index = only ?? 0
        repeat {
            var random = SeededRandom(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
            let original = originals[random.nextInt(below: originals.count)]
            var mutations: [String] = []
            var bytes = original.bytes
            for _ in 0...random.nextInt(below: 3) {  // one to three mutations, one on another
                mutations.append(mutate(&bytes, original: original, random: &random))
            }
            let outcome = readCase(bytes)
            let replay = "GPT_FUZZ_SEED=\(seed) GPT_FUZZ_CASE=\(index) (\(original.name): \(mutations.joined(separator: "; ")))"
            if only != nil { print("fuzz case \(replay): \(outcome)") }
            switch outcome {
            case .read: tally.read += 1
            case .refused(let error):
                tally.refused += 1
                if let problem = unreadable(error) { Issue.record("\(problem): \(error)\nreplay: \(replay)") }
            case .failed(let problem):
                Issue.record("\(problem)\nreplay: \(replay)")
            }
            index += 1
        } while only == nil && Date().timeIntervalSince(start) < seconds
        let elapsed = Date().timeIntervalSince(start)
        print("safetensors fuzz: \(tally.read + tally.refused) cases in \(String(format: "%.1f", elapsed)) s "
              + "(\(Int(Double(tally.read + tally.refused) / elapsed)) per second), seed \(seed): "
              + "\(tally.read) read and classified, \(tally.refused) refused with a CheckpointError")
        #expect(tally.read + tally.refused > 0)
        if only == nil {
            #expect(tally.refused > 0, "no mutation was ever refused: the mutations do nothing")
        }
    }
}

// MARK: - Reading one case

private struct Tally {
    var read = 0
    var refused = 0
}

private enum Outcome: CustomStringConvertible {
    case read
    case refused(CheckpointError)
    case failed(String)

    var description: String {
        switch self {
        case .read: "read and classified"
        case .refused(let error): "refused: \(error)"
        case .failed(let problem): "FAILED: \(problem)"
        }
    }
}

/// Reads `bytes` as `gpt classify --model` does, and classifies a line of the model's own characters.
private func readCase(_ bytes: [UInt8]) -> Outcome {
    let trained: TrainedModel
    do {
        let file = try SafetensorsFile.decode(bytes, source: "fuzz.safetensors")
        trained = try TrainedModel(safetensors: file, path: "fuzz.safetensors")
    } catch let error as CheckpointError {
        return .refused(error)
    } catch {
        return .failed("threw \(type(of: error)), not a CheckpointError: \(error)")
    }
    guard trained.model.config.problems.isEmpty else { return .failed("read a model with problems \(trained.model.config.problems)") }
    let message = String(trained.tokenizer.characters.prefix(8).filter { $0 != "\n" && $0 != "\r" })
    do {
        let result = try LogClassifier(trained).classify(message.isEmpty ? "a" : message)
        let total = result.probabilities.values.reduce(0, +)
        // Weights read from the file are finite, but large ones may overflow in single precision.
        if total.isFinite && abs(total - 1) > 1e-6 { return .failed("probabilities sum to \(total)") }
    } catch {
        // A model may lack the characters of a label or of the message: a reason, not a crash.
    }
    return .read
}

/// Why `error` does not read as a message for a person, or nil when it does.
private func unreadable(_ error: CheckpointError) -> String? {
    if error.path != "fuzz.safetensors" { return "the error names \(error.path.debugDescription), not the file" }
    let reason = error.reason
    if reason.isEmpty { return "the reason is empty" }
    if reason.count > 2000 { return "the reason is \(reason.count) characters long" }
    for leak in ["Optional(", "Error Domain", "NSCocoaErrorDomain", "__NS"] where reason.contains(leak) {
        return "the reason shows an implementation detail (\(leak))"
    }
    if reason.contains(/Swift\.[A-Z]/) { return "the reason names a Swift type" }
    if let first = reason.unicodeScalars.first, !(CharacterSet.lowercaseLetters.contains(first) || first == "\"") {
        return "the reason does not start as a sentence of ours does"
    }
    if let hint = error.hint, hint.isEmpty { return "the hint is empty" }
    return nil
}

// MARK: - Valid files to start from

/// A valid file, with its header parsed so mutations can edit the JSON.
private struct FuzzOriginal {
    let name: String
    let bytes: [UInt8]
    let header: [String: Any]
    let data: [UInt8]

    init(name: String, bytes: [UInt8]) throws {
        self.name = name
        self.bytes = bytes
        let length = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any])
        data = Array(bytes[(8 + length)...])
    }

    static func all() throws -> [FuzzOriginal] {
        let sample = ModelFileTests.sampleModel()
        let tokenizer = Tokenizer(characters: Array("ab c-> INFOWARNGE"))
        let small = TrainedModel(model: GPT(config: GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 4, nHead: 1, nLayer: 1, blockSize: 8),
                                            seed: 5), tokenizer: tokenizer)
        return [
            try FuzzOriginal(name: "two-layer model, F64", bytes: sample.safetensors().encoded(as: .float64)),
            try FuzzOriginal(name: "two-layer model, F32", bytes: sample.safetensors().encoded(as: .float32)),
            try FuzzOriginal(name: "one-layer model, F32", bytes: small.safetensors().encoded(as: .float32)),
        ]
    }
}

// MARK: - Mutations

/// Applies one random mutation to `bytes` and says which.
private func mutate(_ bytes: inout [UInt8], original: FuzzOriginal, random: inout SeededRandom) -> String {
    switch random.nextInt(below: 8) {
    case 0:
        let flips = 1 + random.nextInt(below: 8)
        for _ in 0..<flips where !bytes.isEmpty {
            bytes[random.nextInt(below: bytes.count)] ^= UInt8(1) << UInt8(random.nextInt(below: 8))
        }
        return "flipped \(flips) bits"
    case 1:
        let headerEnd = min(bytes.count, 8 + headerLength(bytes))
        let inHeader = random.nextInt(below: 2) == 0 && headerEnd > 8
        let interesting: [UInt8] = Array("0123456789-.e[]{}\",: ".utf8) + [0x00, 0xFF, 0x80, 0xC3]
        let count = 1 + random.nextInt(below: 4)
        for _ in 0..<count where !bytes.isEmpty {
            let at = inHeader ? 8 + random.nextInt(below: headerEnd - 8) : random.nextInt(below: bytes.count)
            bytes[at] = interesting[random.nextInt(below: interesting.count)]
        }
        return "set \(count) \(inHeader ? "header " : "")bytes"
    case 2:
        let length = random.nextInt(below: bytes.count + 1)
        bytes.removeSubrange(length...)
        return "truncated to \(length) bytes"
    case 3:
        let extra = 1 + random.nextInt(below: 64)
        bytes += (0..<extra).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        return "appended \(extra) bytes"
    case 4:
        let actual = UInt64(headerLength(bytes))
        let lengths: [UInt64] = [0, 1, 7, actual &- 1, actual &+ 1, actual &+ 8, UInt64(bytes.count), 1 << 40, UInt64(Int.max),
                                 UInt64(Int.max) &+ 1, .max, random.next()]
        let length = lengths[random.nextInt(below: lengths.count)]
        if bytes.count < 8 { bytes += [UInt8](repeating: 0, count: 8 - bytes.count) }
        withUnsafeBytes(of: length.littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        return "header length set to \(length)"
    case 5, 6:
        var header = original.header
        let change = editHeader(&header, random: &random)
        guard let json = try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]) else {
            return "header edit \(change) could not be written as JSON"
        }
        bytes = framed(Array(json), data: original.data)
        return "header: \(change)"
    default:
        return editHeaderText(&bytes, original: original, random: &random)
    }
}

/// Edits the parsed header: one shape, offsets pair, dtype, metadata value or tensor entry.
private func editHeader(_ header: inout [String: Any], random: inout SeededRandom) -> String {
    let names = header.keys.filter { $0 != "__metadata__" }.sorted()
    let name = names[random.nextInt(below: names.count)]
    var entry = header[name] as? [String: Any] ?? [:]
    let shape = entry["shape"] as? [Int] ?? []
    let offsets = entry["data_offsets"] as? [Int] ?? [0, 0]
    switch random.nextInt(below: 6) {
    case 0:
        let shapes: [Any] = [[1 << 62], [Int.max], [-1], [1.5], ["3"], [], [0], [1 << 32, 1 << 32], [1e300], [[2]], NSNull(),
                             shape.reversed(), shape.map { $0 + 1 }, shape + [1], [shape.reduce(1, *)], [shape.first ?? 1, 0]]
        let value = shapes[random.nextInt(below: shapes.count)]
        entry["shape"] = value
        header[name] = entry
        return "\(name).shape = \(value)"
    case 1:
        let other = header[names[random.nextInt(below: names.count)]] as? [String: Any]
        let otherOffsets = other?["data_offsets"] as? [Int] ?? [0, 0]
        let choices: [Any] = [[-4, 0], [0, Int.max], [offsets[1], offsets[0]], offsets.map { $0 + 1 }, offsets.map { $0 - 8 },
                              [offsets[0], offsets[1] + 4], otherOffsets, [otherOffsets[0], offsets[1]], [1.5, 2], [0], [0, 1, 2],
                              [offsets[0], 1 << 62], "0-8"]
        let value = choices[random.nextInt(below: choices.count)]
        entry["data_offsets"] = value
        header[name] = entry
        return "\(name).data_offsets = \(value)"
    case 2:
        let dtypes: [Any] = ["F16", "BF16", "I64", "U8", "f32", "", "F32", "F64", 32, NSNull(), ["F32"]]
        let value = dtypes[random.nextInt(below: dtypes.count)]
        entry["dtype"] = value
        header[name] = entry
        return "\(name).dtype = \(value)"
    case 3:
        var metadata = header["__metadata__"] as? [String: Any] ?? [:]
        let keys = ["n_embd", "n_head", "n_layer", "block_size", "vocab", "format"]
        let key = keys[random.nextInt(below: keys.count)]
        let values: [Any] = ["4611686018427387904", "9223372036854775807", "10000000", "-1", "0", "1e3", "2.0", " 8", "abc", "",
                             "99999999999999999999999", "1", "3", "2048", "aab", String(repeating: "x", count: 500), 8]
        let value = values[random.nextInt(below: values.count)]
        metadata[key] = random.nextInt(below: 8) == 0 ? nil : value
        header["__metadata__"] = random.nextInt(below: 20) == 0 ? "not an object" : metadata
        return "__metadata__.\(key) = \(value)"
    case 4:
        let value = header[name]
        header[name] = nil
        if random.nextInt(below: 2) == 0 {
            header[name + "_copy"] = value
            return "renamed \(name)"
        }
        return "removed \(name)"
    default:
        header[names[random.nextInt(below: names.count)]] = header[name]
        return "copied \(name) over another tensor (overlapping bytes)"
    }
}

/// Edits the header as text: deep nesting, numbers JSON cannot hold, a key twice, junk.
private func editHeaderText(_ bytes: inout [UInt8], original: FuzzOriginal, random: inout SeededRandom) -> String {
    let headerEnd = 8 + headerLength(original.bytes)
    var text = String(decoding: original.bytes[8..<headerEnd], as: UTF8.self)
    let choice = random.nextInt(below: 5)
    let depth = [10, 600, 5_000, 100_000][random.nextInt(below: 4)]
    switch choice {
    case 0:  // a shape nested `depth` deep
        if let range = text.range(of: "\"shape\":[") {
            text.replaceSubrange(range, with: "\"shape\":" + String(repeating: "[", count: depth + 1))
            if let close = text.range(of: "]", range: range.lowerBound..<text.endIndex) {
                text.replaceSubrange(close, with: String(repeating: "]", count: depth + 1))
            }
        }
    case 1:  // metadata nested `depth` deep
        text = "{\"deep\":" + String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth) + "," + text.dropFirst()
    case 2:  // a number too large for a Double, and one too large for an Int
        let numbers = ["1e400", "18446744073709551616", "-0", "0x10", "1_000"]
        let number = numbers[random.nextInt(below: numbers.count)]
        if let range = text.range(of: #"\[\d+"#, options: .regularExpression) {
            text.replaceSubrange(range, with: "[" + number)
        }
    case 3:  // the first tensor's entry twice
        if let range = text.range(of: #""[^"]+":\{"dtype"[^}]*\}"#, options: .regularExpression) {
            text.insert(contentsOf: text[range] + ",", at: range.lowerBound)
        }
    default:  // padding that is not spaces, or a header that is not an object
        let junk = ["\u{0}", "x", "\t\n", "[]", "null"]
        text += junk[random.nextInt(below: junk.count)]
    }
    bytes = framed(Array(text.utf8), data: original.data)
    return ["deep shape (\(depth))", "deep metadata (\(depth))", "odd number", "duplicate key", "junk after the header"][choice]
}

/// Header length, header, data: a file around `header`.
private func framed(_ header: [UInt8], data: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
    return bytes + header + data
}

/// The header length the first 8 bytes claim, clamped to the bytes there are.
private func headerLength(_ bytes: [UInt8]) -> Int {
    guard bytes.count >= 8 else { return 0 }
    let claimed = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    return Int(min(claimed, UInt64(bytes.count - 8)))
}
