// Classifying a log message with the trained GPT. The model was trained on lines
// "<message> -> <LABEL>", so it already knows how likely each label is after a message:
//
//   score(label) = log P(label's characters, then BOS | "<message> -> ")
//   P(label)     = softmax over the three scores, each divided by the model's temperature T
//
// T is fitted on the validation part when the model is trained (TemperatureScaling.swift) and
// kept in the model file; it changes how sure the answers are, never which label wins.
//
// The prompt's forward pass is shared: it runs once, and each label continues from its keys and
// values. Inference needs no graph: `InferencePass` runs the same weights through the same
// computation as the model's forward pass, without a tape, in single precision and many positions
// at a time (scores within about 1e-6 of the recorded pass; the tests check it). Greedy generation
// and the attention map, which look at one line at a time, use the recorded pass itself (the map
// is read from its `ForwardTrace`).
//
// Odd input, each with a defined behaviour:
// - an empty (or all-space) message is an error;
// - characters the model never saw are left out, with a warning naming them;
// - a message too long for the block keeps its start (the first blockSize - 12 characters: room
//   for BOS, " -> ", and the longest label), like training, with a warning.
import Autograd

/// The label of one message, with how sure the model is.
public struct Classification: Sendable, Equatable {
    public let message: String
    public let label: LogLabel
    /// P(label) for each label; they sum to 1.
    public let probabilities: [LogLabel: Double]
    /// log P(label's characters + BOS | prompt), before the temperature and the softmax.
    public let logLikelihoods: [LogLabel: Double]
    /// Anything the classifier had to change about the input (unknown characters, truncation).
    public let warnings: [String]
}

/// What greedy generation after " -> " produced: the original project's method.
public struct GreedyClassification: Sendable, Equatable {
    public let message: String
    /// The label the text spells, or nil when it spells none (reported as UNCERTAIN).
    public let label: LogLabel?
    /// The characters generated before the end token (or the length limit).
    public let generated: String
    public let warnings: [String]
}

/// A line's classification and the attention of the same forward pass (`LogClassifier.explain`).
public struct Explanation: Sendable, Equatable {
    public let classification: Classification
    public let attention: AttentionMap
}

/// Attention weights over the characters of a prompt.
public struct AttentionMap: Sendable, Equatable {
    /// The prompt's tokens as text, "BOS" for the start token.
    public let tokens: [String]
    /// weights[t][s]: how much position t attended to position s (s <= t; each row sums to 1).
    public let weights: [[Double]]
}

/// A message that cannot be classified.
public struct ClassificationError: Error, CustomStringConvertible, Equatable {
    public let reason: String
    public var description: String { reason }
}

/// Classifies log messages with one trained model. Not thread-safe: it runs inference on its own
/// copy of the weights; give each thread its own classifier (`copy()`).
public final class LogClassifier {
    public let trained: TrainedModel
    private let model: GPT
    /// The same weights without a tape, for the label likelihoods: thousands of lines a second.
    private let inference: InferencePass
    private let labels = LogLabel.allCases
    private let labelTokens: [[Int]?]

    public init(_ trained: TrainedModel) {
        self.trained = trained
        self.model = trained.model.copy()
        self.inference = InferencePass(trained.model)
        let tokenizer = trained.tokenizer
        labelTokens = LogLabel.allCases.map { label in
            if case .success(let ids) = tokenizer.encode(label.rawValue) { return ids + [tokenizer.bos] }
            return nil
        }
    }

    /// Another classifier over the same weights, for another thread.
    public func copy() -> LogClassifier { LogClassifier(trained) }

    // MARK: The default method: label likelihoods

    /// The label whose characters the model finds most likely after "<message> -> ".
    public func classify(_ message: String) throws(ClassificationError) -> Classification {
        let prompt = try promptTokens(message)
        let spelled = zip(labels, labelTokens).compactMap { label, tokens in tokens.map { (label, $0) } }
        let likelihoods = inference.logLikelihoods(prompt: prompt.ids, continuations: spelled.map(\.1))
        var scores = Dictionary(uniqueKeysWithValues: labels.map { ($0, -Double.infinity) })  // unspellable labels
        for ((label, _), likelihood) in zip(spelled, likelihoods) { scores[label] = likelihood }
        let probabilities = LogClassifier.probabilities(scores, temperature: trained.temperature,
                                                        unseenErrorRate: trained.unseenErrorRate)
        let best = labels.max { probabilities[$0]! < probabilities[$1]! }!
        return Classification(message: message, label: best, probabilities: probabilities, logLikelihoods: scores,
                              warnings: prompt.warnings)
    }

    /// The label probabilities of a line's scores: the softmax at temperature T, mixed with a
    /// uniform guess so that no label gets more than 1 - `unseenErrorRate` (see
    /// `TemperatureScaling.unseenErrorRate`). With T = 1 and a rate of 0 it is the plain softmax.
    static func probabilities(_ scores: [LogLabel: Double], temperature: Double = 1,
                              unseenErrorRate: Double = 0) -> [LogLabel: Double] {
        let softmax = softmax(scores, temperature: temperature)
        guard unseenErrorRate > 0 else { return softmax }
        // A share s of the uniform guess gives a certain label 1 - s + s/K; that is 1 - rate
        // when s = rate * K / (K - 1).
        let labelCount = Double(LogLabel.allCases.count)
        let uniformShare = min(1, unseenErrorRate * labelCount / (labelCount - 1))
        return softmax.mapValues { (1 - uniformShare) * $0 + uniformShare / labelCount }
    }

    /// exp(score / T) / sum(exp(scores / T)), shifted by the largest score so nothing overflows.
    /// Summed in `LogLabel.allCases` order, never a dictionary's, so the bits never vary.
    static func softmax(_ scores: [LogLabel: Double], temperature: Double = 1) -> [LogLabel: Double] {
        let labels = LogLabel.allCases
        let top = labels.map { scores[$0] ?? -.infinity }.max() ?? 0
        let weights = labels.map { top.isFinite ? DeterministicMath.exp(((scores[$0] ?? -.infinity) - top) / temperature) : 1 }
        let total = weights.reduce(0, +)
        return Dictionary(uniqueKeysWithValues: zip(labels, weights.map { $0 / total }))
    }

    // MARK: The original method: greedy generation

    /// Generates after "<message> -> ", always taking the most likely next character, until the
    /// end token or 12 characters; the label is what the text spells, if it spells one.
    public func classifyGreedy(_ message: String) throws(ClassificationError) -> GreedyClassification {
        let prompt = try promptTokens(message)
        let generated = model.greedyContinuation(of: prompt.ids, maxTokens: 12, stop: trained.tokenizer.bos).tokens
        let text = trained.tokenizer.decode(generated)
        return GreedyClassification(message: message, label: LogLabel(rawValue: text.trimmingSpaces), generated: text,
                                    warnings: prompt.warnings)
    }

    // MARK: What the model looked at

    /// The classification of `message` and the last layer's attention over its prompt, both from
    /// one recorded forward pass of the model (not the fast single-precision pass `classify`
    /// uses, which agrees with it to about 1e-6): the attention shown is the attention of the pass
    /// that gave the probabilities.
    public func explain(_ message: String) throws(ClassificationError) -> Explanation {
        let prompt = try promptTokens(message)
        let spelled = zip(labels, labelTokens).compactMap { label, tokens in tokens.map { (label, $0) } }
        let (trace, likelihoods) = model.traced(prompt.ids, scoring: spelled.map(\.1))
        var scores = Dictionary(uniqueKeysWithValues: labels.map { ($0, -Double.infinity) })  // unspellable labels
        for ((label, _), likelihood) in zip(spelled, likelihoods) { scores[label] = likelihood }
        let probabilities = LogClassifier.probabilities(scores, temperature: trained.temperature,
                                                        unseenErrorRate: trained.unseenErrorRate)
        let best = labels.max { probabilities[$0]! < probabilities[$1]! }!
        let classification = Classification(message: message, label: best, probabilities: probabilities,
                                            logLikelihoods: scores, warnings: prompt.warnings)
        return Explanation(classification: classification, attention: attentionMap(trace, prompt.ids))
    }

    /// The last layer's attention over the prompt "<message> -> ", averaged over its heads:
    /// row t holds how much position t attended to each position 0...t (each row sums to 1).
    public func attention(_ message: String) throws(ClassificationError) -> AttentionMap {
        let prompt = try promptTokens(message)
        return attentionMap(model.traced(prompt.ids), prompt.ids)
    }

    /// The last layer's attention of a traced prompt, averaged over the heads.
    private func attentionMap(_ trace: ForwardTrace, _ prompt: [Int]) -> AttentionMap {
        let rows = trace.weights[model.config.nLayer - 1].map { heads in  // [T][H][0...t] -> [T][0...t]
            heads.dropFirst().reduce(heads[0]) { sum, head in zip(sum, head).map(+) }
        }
        let heads = Double(model.config.nHead)
        let tokens = prompt.map { $0 == trained.tokenizer.bos ? "BOS" : String(trained.tokenizer.characters[$0]) }
        return AttentionMap(tokens: tokens, weights: rows.map { $0.map { $0 / heads } })
    }

    // MARK: The prompt

    /// [BOS] + "<message> -> " as ids, with unknown characters left out and a long prompt cut as
    /// training cuts it (the message keeps its start), and a warning for each change: the prompt
    /// every method here reads.
    public func promptTokens(_ message: String) throws(ClassificationError) -> (ids: [Int], warnings: [String]) {
        var warnings: [String] = []
        for problem in trained.tokenizer.problems(with: message) {
            if problem.isFatal { throw ClassificationError(reason: "the message \(problem.reason); \(problem.hint)") }
            warnings.append("the message \(problem.reason); they were left out")
        }
        let encoded = trained.tokenizer.encodeKnown(message + LogExample.separator)
        let separator = trained.tokenizer.encodeKnown(LogExample.separator).ids
        let messageIDs = Array(encoded.ids.dropLast(separator.count))
        let ids = Document.fitPrompt(bos: trained.tokenizer.bos, message: messageIDs, separator: separator,
                                     blockSize: model.config.blockSize)
        if ids.count < 1 + encoded.ids.count {
            // A block under 13 tokens cannot even hold BOS, " -> " and the longest label together.
            let kept = max(0, ids.count - 1 - separator.count)
            warnings.append("the message is longer than the model's block of \(model.config.blockSize); "
                            + (kept > 0 ? "only its first \(kept) characters were read"
                                        : "the block leaves no room for it, so none of it was read"))
        }
        return (ids, warnings)
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line breaks.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
