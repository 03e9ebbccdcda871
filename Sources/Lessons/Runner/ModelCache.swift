// Trained lesson models kept between runs, so a second `gpt check` (or `gpt run`, or the notebook)
// loads in a moment what the first trained for seconds. An entry is the weights a training run
// left, with what the run reported (the loss of every step, and any other numbers it recorded),
// kept as one safetensors file, `<key>.safetensors`, written atomically (AtomicFile).
//
// The key is a hash of everything that determines a training run's result:
// - the code that trains: the build's object files of Autograd and GPT, and of the lessons' own
//   training code (LessonState.swift, this file), by path, size and time of change, as Swift cells
//   key their compiled programs by the build (SwiftToolchain.identity); a rebuilt engine trains
//   anew;
// - the model it starts from: its config and a hash of its weights, bit for bit (so training a
//   model further is cached too, whatever made the model);
// - the data: the dataset's fingerprint (FNV1a of its lines), the split's seed and the vocabulary;
// - the training options, every field (steps, order seed, Adam's settings, message weight), and
//   the names of the numbers recorded besides the loss.
// The entry holds the full text the key was hashed from and is used only when that text is the
// same, so a hash collision can only cost a training run. An entry that cannot be read or does not
// fit (a truncated file, a wrong shape, another vocabulary) is ignored: the run trains and the
// entry is written again.
//
// Where: GPT_LESSON_CACHE names a folder, or turns the cache off ("off", "0", "no", "none",
// "false" or empty); by default `lesson-models/` in the build folder (`.build/debug/lesson-models`),
// outside git, beside the compiled Swift cells (`swift-cells/`). `gpt run`, `gpt check` and
// `gpt report` take --no-cache.
import Foundation
import GPT
import SwiftCells  // BuildFiles: a build told from another as Swift cells tell it
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A folder of trained lesson models, by the key of the training run that made each.
public struct ModelCache: Sendable, Equatable {
    public var directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Set to a folder to keep the models there, or to "off" (or "0", "no", "none", "false",
    /// nothing) to train every time.
    public static let variable = "GPT_LESSON_CACHE"
    static let offWords: Set<String> = ["", "0", "off", "no", "none", "false"]

    /// The cache the environment asks for: GPT_LESSON_CACHE's folder, nil when it turns the cache
    /// off, otherwise `defaultDirectory`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> ModelCache? {
        guard let value = environment[variable] else { return ModelCache(directory: defaultDirectory) }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        return offWords.contains(trimmed.lowercased()) ? nil : ModelCache(directory: trimmed)
    }

    /// `lesson-models` in the build folder the running code was built in; for a `gpt` installed
    /// outside a build folder, `gpt-from-scratch/lesson-models` in the user's cache folder.
    public static var defaultDirectory: String {
        if let folder = BuildIdentity.current.buildFolder { return folder + "/lesson-models" }
        let environment = ProcessInfo.processInfo.environment
        let home = environment["XDG_CACHE_HOME"] ?? ((environment["HOME"] ?? NSTemporaryDirectory()) + "/.cache")
        return home + "/gpt-from-scratch/lesson-models"
    }

    /// The entry of `key`.
    public func path(for key: String) -> String { "\(directory)/\(key).safetensors" }

    // MARK: Reading

    /// A stored run: the weights and what the run reported.
    struct Entry {
        var weights: TrainedModel
        var losses: [Double]
        var series: [String: [Double]]
        /// How long the run took when it trained.
        var seconds: Double
    }

    enum Lookup {
        case hit(Entry)
        /// No entry: the usual first run.
        case missing
        /// An entry that cannot be used, and why; the run trains and replaces it.
        case unusable(String)
    }

    /// The entry of `training` if there is one that fits it: the same key text, a model of
    /// `config` over `vocabulary`, and a number per step for the loss and each recorded series.
    func load(_ training: TrainingKey, config: GPTConfig, vocabulary: String) -> Lookup {
        let path = path(for: training.key)
        guard FileManager.default.fileExists(atPath: path) else { return .missing }
        var file: SafetensorsFile
        do {
            file = try SafetensorsFile.read(path: path)
        } catch let error as CheckpointError {
            return error.fileIsMissing ? .missing : .unusable(error.reason)
        } catch {
            return .unusable("\(error)")
        }
        guard file.metadata[Self.materialKey] == training.material else {
            return .unusable("it was made by another training run (its key text differs)")
        }
        func series(_ name: String) -> [Double]? {
            guard let tensor = file.tensors.removeValue(forKey: name), tensor.shape == [training.steps],
                  tensor.values.allSatisfy(\.isFinite) else { return nil }
            return tensor.values
        }
        guard let losses = series(Self.lossesTensor) else { return .unusable("its losses are missing or not one per step") }
        var recorded: [String: [Double]] = [:]
        for name in training.series {
            guard let values = series(Self.seriesPrefix + name) else { return .unusable("its '\(name)' is missing or not one per step") }
            recorded[name] = values
        }
        let weights: TrainedModel
        do {
            weights = try TrainedModel(safetensors: file, path: path)
        } catch let error as CheckpointError {
            return .unusable(error.reason)
        } catch {
            return .unusable("\(error)")
        }
        let shape = weights.model.config
        guard (shape.vocabSize, shape.nEmbd, shape.nHead, shape.nLayer, shape.blockSize)
                == (config.vocabSize, config.nEmbd, config.nHead, config.nLayer, config.blockSize),
              weights.tokenizer.vocabularyString == vocabulary else {
            return .unusable("its model has another shape or vocabulary")
        }
        let seconds = file.metadata[Self.secondsKey].flatMap(Double.init) ?? .nan
        return .hit(Entry(weights: weights, losses: losses, series: recorded, seconds: seconds))
    }

    // MARK: Writing

    /// Keeps `model` (just trained as `training` says) and what the run reported; nil when
    /// written, otherwise why it could not be.
    func store(_ training: TrainingKey, model: GPT, tokenizer: Tokenizer, run: TrainingRun, description: String) -> String? {
        let notes = [Self.materialKey: training.material, Self.secondsKey: String(run.seconds),
                     "lesson_key": training.key, "lesson_model": description, "lesson_steps": String(run.steps)]
        var file = TrainedModel(model: model, tokenizer: tokenizer, notes: notes).safetensors()
        file.tensors[Self.lossesTensor] = NamedTensor(shape: [run.losses.count], values: run.losses)
        for (name, values) in run.series { file.tensors[Self.seriesPrefix + name] = NamedTensor(shape: [values.count], values: values) }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try file.write(to: path(for: training.key), as: .float64)  // float64: the weights come back bit for bit
            return nil
        } catch let error as CheckpointError {
            return error.reason
        } catch {
            return error.localizedDescription
        }
    }

    static let materialKey = "lesson_key_text"
    static let secondsKey = "lesson_seconds"
    static let lossesTensor = "lesson.losses"
    static let seriesPrefix = "lesson.series."
}

/// What one training run's result is keyed by: the text of everything that determines it, and its hash.
struct TrainingKey: Equatable {
    /// The text the key is the hash of; an entry keeps it, and is used only when it is the same.
    let material: String
    /// 32 hex digits.
    let key: String
    let steps: Int
    /// The names of the numbers recorded besides the loss, sorted.
    let series: [String]

    /// The key of training `model` (as it is now) with `options` on the data `data` describes.
    init(model: GPT, data: String, options: TrainingOptions, series: [String], code: String = BuildIdentity.current.codeVersion) {
        let sorted = series.sorted()
        material = [
            "gpt-from-scratch lesson model, cache format 1",
            "code: \(code)",
            "model: \(String(reflecting: model.config)) weights \(Self.hex(Self.weightHash(model)))",
            "data: \(data)",
            "training: \(String(reflecting: options))",
            "recorded: \(sorted.joined(separator: ","))",
        ].joined(separator: "\n")
        var salted = FNV1a()
        salted.add("lesson-model".utf8)
        salted.add(material.utf8)
        key = Self.hex(FNV1a.hash(material.utf8)) + Self.hex(salted.value)
        steps = options.steps
        self.series = sorted
    }

    /// FNV-1a of every weight's bits, matrix by matrix in checkpoint order.
    static func weightHash(_ model: GPT) -> UInt64 {
        var hash = FNV1a()
        for matrix in model.matrices {
            hash.add(UnsafeRawBufferPointer(UnsafeBufferPointer(start: model.tape.dataPointer(matrix.start), count: matrix.count)))
        }
        return hash.value
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// Which build the running code is: the code version a cache key holds, and the build folder.
struct BuildIdentity: Sendable {
    /// 16 hex digits: the hash of the training code's object files (path, size, time of change),
    /// or of the running program itself when they are not found.
    let codeVersion: String
    /// The build folder (the one holding `GPT.build/`), nil for a program outside one.
    let buildFolder: String?

    /// Found once per process: the build does not change while it runs.
    static let current = BuildIdentity(image: runningImage())

    /// The lessons' own files that train (their objects are `<name>.o` in `Lessons.build/`):
    /// a file that builds or trains a model belongs here.
    static let lessonTrainingSources = ["LessonState.swift", "ModelCache.swift", "ModelIdentity.swift"]

    init(image: String) {
        let files = FileManager.default
        // The build folder: the image's own (Linux: .build/debug/gpt), or one above it
        // (macOS: .build/debug/X.xctest/Contents/MacOS/X).
        var folder = (image as NSString).deletingLastPathComponent, found: String?
        for _ in 0..<4 where found == nil {
            if files.fileExists(atPath: folder + "/GPT.build") { found = folder }
            folder = (folder as NSString).deletingLastPathComponent
        }
        buildFolder = found
        var inputs: [String] = []
        if let found {
            func objects(_ module: String) -> [String] { BuildFiles.objects(of: module, in: found) }
            let engine = objects("Autograd") + objects("GPT")
            let lessons = Self.lessonTrainingSources.map { "\(found)/Lessons.build/\($0).o" }
            let own = lessons.allSatisfy { files.fileExists(atPath: $0) } ? lessons : objects("Lessons")
            if !objects("Autograd").isEmpty && !objects("GPT").isEmpty && !own.isEmpty { inputs = engine + own }
        }
        if inputs.isEmpty { inputs = [image] }  // a program on its own: its every byte may train
        codeVersion = TrainingKey.hex(FNV1a.hash(BuildFiles.fingerprint(inputs).utf8))
    }

    /// The file the running code was loaded from: the executable (on Linux everything is linked
    /// into it), or the image holding this module (a test bundle on macOS).
    static func runningImage() -> String {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #elseif canImport(Darwin)
        var info = Dl_info()
        if dladdr(#dsohandle, &info) != 0, let name = info.dli_fname { return String(cString: name) }
        #endif
        return Bundle.main.executablePath ?? CommandLine.arguments.first ?? ""
    }
}
