// Which model the lesson state holds, in words a reader can follow: how its weights were drawn,
// and every training run since, with the cache key of the last one. Each step that uses the model
// names it in its output (LessonRunner), so two steps that report different numbers for the same
// input say why: they ran on different models.
import GPT

/// How the state's current model was made. It changes whenever the model does: a new model, a
/// training run (finished, loaded from the cache, or stopped half-way).
public struct ModelIdentity: Sendable, Equatable {
    /// How the weights were drawn: "random weights, seed 42 (n_embd 24, n_head 4, n_layer 1, block_size 96)".
    public var origin: String
    /// Each training run since, oldest first: "2,000 steps on Dataset/logs_5000.txt (lr 0.01, ...)".
    public var trainings: [String] = []
    /// The model cache's key for the weights the last training run left (ModelCache), when that
    /// run was one the cache can hold: the weights are the file `<key>.safetensors` there.
    public var key: String?

    /// A model whose weights were drawn from `seed`.
    public static func random(_ config: GPTConfig, seed: UInt64) -> ModelIdentity {
        ModelIdentity(origin: "random weights, seed \(seed) (n_embd \(config.nEmbd), n_head \(config.nHead), "
                          + "n_layer \(config.nLayer), block_size \(config.blockSize))")
    }

    /// The same model after one more training run.
    func trained(_ run: String, key: String?) -> ModelIdentity {
        var next = self
        next.trainings.append(run)
        next.key = key
        return next
    }

    /// The first 8 digits of `key`: enough to tell entries apart by eye.
    public var shortKey: String? { key.map { String($0.prefix(8)) } }

    /// One line: "trained 2,000 steps on … from random weights, seed 42 (…) (cache key 3fa2c1d0)".
    public var description: String {
        guard !trainings.isEmpty else { return origin }
        return "trained " + trainings.reversed().joined(separator: ", after ") + ", from " + origin
            + (shortKey.map { " (cache key \($0))" } ?? "")
    }

    /// Shorter, without parentheses, for naming the model a step replaced: "random weights,
    /// seed 42, n_embd 24, n_head 4, n_layer 1, block_size 96, trained 2,000 steps; cache key 3fa2c1d0"
    /// (its training runs by their steps only).
    public var brief: String {
        var text = origin.replacingOccurrences(of: " (", with: ", ").replacingOccurrences(of: ")", with: "")
        if !trainings.isEmpty {
            // "2,000 steps on …" -> "2,000 steps"; a stopped run keeps its "(stopped: …)" out.
            let runs = trainings.map { $0.components(separatedBy: " on ").first ?? $0 }
            text += ", trained " + runs.joined(separator: " then ")
                + (trainings.contains { $0.contains("(stopped") } ? ", stopped part-way" : "")
        }
        return text + (shortKey.map { "; cache key \($0)" } ?? "")
    }
}

/// What the last training run did: its losses and the other numbers it recorded, step by step,
/// whether they were computed now or loaded from the model cache, and how long training took.
public struct TrainingRun: Sendable, Equatable {
    /// Optimizer steps the run took.
    public var steps: Int
    /// The loss of every step.
    public var losses: [Double]
    /// The other numbers recorded at every step, by name (`LessonState.runTraining(options:recording:)`).
    public var series: [String: [Double]] = [:]
    /// Seconds the training took when it really ran (for a cache hit, the original run's).
    public var seconds: Double
    /// True when the weights and the numbers came from the model cache, nothing trained now.
    public var loadedFromCache: Bool
    /// The cache key of the run (nil when the cache is off).
    public var key: String?
}

extension Int {
    /// 3000 as "3,000", as the lessons' prose writes step counts.
    var grouped: String {
        let digits = String(magnitude)
        var result = ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return (self < 0 ? "-" : "") + result
    }
}
