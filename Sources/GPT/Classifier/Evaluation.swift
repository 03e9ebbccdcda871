// How good a classifier is on labelled lines: accuracy, precision / recall / F1 per label,
// macro-F1, the confusion matrix, the mistakes the model was most sure of, and how honest its
// probabilities are (log-loss and expected calibration error).

import Foundation

/// Precision, recall and F1 of one label.
public struct ClassScores: Sendable, Equatable, Codable {
    public let precision: Double  // of the lines predicted as this label, the share that are
    public let recall: Double     // of the lines that are this label, the share found
    public let f1: Double         // harmonic mean of the two
    public let support: Int       // lines that are this label
}

/// A wrong prediction and its probabilities.
public struct Mistake: Sendable, Equatable {
    public let example: LogExample
    public let predicted: LogLabel
    public let probabilities: [LogLabel: Double]
}

/// The results of classifying a set of labelled lines.
public struct EvaluationReport: Sendable {
    public let count: Int
    public let accuracy: Double
    public let macroF1: Double
    public let perClass: [LogLabel: ClassScores]
    /// confusion[actual][predicted], rows and columns in `LogLabel.allCases` order.
    public let confusion: [[Int]]
    /// Up to ten wrong predictions, the most confident first.
    public let mistakes: [Mistake]
    /// Lines that could not be classified at all (for example, no known character), with why.
    public let unclassifiable: [(example: LogExample, reason: String)]
    /// How well the probabilities of the classified lines match how often the model is right.
    public let calibration: Calibration
    /// The same for the probabilities before the model's calibration (T = 1, no cap): what
    /// temperature scaling and the cap changed. Equal to `calibration` for a model without them.
    public let unscaledCalibration: Calibration

    /// Classifies every example and scores the predictions.
    public init<Examples: Collection<LogExample>>(classifier: LogClassifier, examples: Examples,
                                                  jobs: Int = LogClassifier.defaultJobs) {
        let labels = LogLabel.allCases
        var confusion = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
        var mistakes: [Mistake] = []
        var unclassifiable: [(example: LogExample, reason: String)] = []
        var predictions: [(actual: LogLabel, probabilities: [LogLabel: Double])] = []
        var unscaled: [(actual: LogLabel, probabilities: [LogLabel: Double])] = []
        let results = classifier.classifyAll(examples.map(\.message), jobs: jobs)
        for (example, classified) in zip(examples, results) {
            do {
                let result = try classified.get()
                predictions.append((example.label, result.probabilities))
                unscaled.append((example.label, LogClassifier.softmax(result.logLikelihoods)))
                confusion[labels.firstIndex(of: example.label)!][labels.firstIndex(of: result.label)!] += 1
                if result.label != example.label {
                    mistakes.append(Mistake(example: example, predicted: result.label, probabilities: result.probabilities))
                }
            } catch {
                unclassifiable.append((example, error.reason))
            }
        }
        let scored = confusion.joined().reduce(0, +)
        let correct = labels.indices.map { confusion[$0][$0] }.reduce(0, +)
        var perClass: [LogLabel: ClassScores] = [:]
        for (i, label) in labels.enumerated() {
            let predicted = labels.indices.map { confusion[$0][i] }.reduce(0, +)
            let actual = confusion[i].reduce(0, +)
            let precision = predicted == 0 ? 0 : Double(confusion[i][i]) / Double(predicted)
            let recall = actual == 0 ? 0 : Double(confusion[i][i]) / Double(actual)
            let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
            perClass[label] = ClassScores(precision: precision, recall: recall, f1: f1, support: actual)
        }
        count = examples.count
        // Lines that could not be classified count as wrong: they are not silently dropped.
        accuracy = examples.isEmpty ? 0 : Double(correct) / Double(scored + unclassifiable.count)
        let present = labels.filter { perClass[$0]!.support > 0 }
        macroF1 = present.isEmpty ? 0 : present.map { perClass[$0]!.f1 }.reduce(0, +) / Double(present.count)
        self.perClass = perClass
        self.confusion = confusion
        self.mistakes = Array(mistakes.sorted { $0.probabilities[$0.predicted]! > $1.probabilities[$1.predicted]! }.prefix(10))
        self.unclassifiable = unclassifiable
        calibration = Calibration(predictions)
        let trained = classifier.trained
        unscaledCalibration = trained.temperature == 1 && trained.unseenErrorRate == 0 ? calibration : Calibration(unscaled)
    }
}

/// How honest a classifier's probabilities are. A model that says 0.9 should be right nine times
/// in ten: log-loss punishes confident mistakes (the mean of -ln p(actual label)), and the
/// expected calibration error is the gap between confidence and accuracy, bin by bin.
public struct Calibration: Sendable, Equatable {
    /// Mean of -ln p(actual label); 0 for certain and right, ln 3 = 1.0986 for a uniform guess.
    public let logLoss: Double
    /// Lines are put in `bins` equal bins by their top probability; ECE is the mean over lines of
    /// |accuracy of the line's bin - mean top probability of the bin|.
    public let expectedCalibrationError: Double
    public static let bins = 15

    /// Probabilities below this count as this, so one certain mistake costs a large, finite loss.
    static let smallest = 1e-15

    public init(_ predictions: [(actual: LogLabel, probabilities: [LogLabel: Double])]) {
        guard !predictions.isEmpty else {
            logLoss = .nan
            expectedCalibrationError = .nan
            return
        }
        var loss = 0.0
        var binCount = Array(repeating: 0, count: Self.bins)
        var binRight = Array(repeating: 0, count: Self.bins)
        var binConfidence = Array(repeating: 0.0, count: Self.bins)
        for prediction in predictions {
            loss -= log(max(prediction.probabilities[prediction.actual] ?? 0, Self.smallest))
            guard let top = prediction.probabilities.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key.rawValue > $1.key.rawValue) }) else { continue }
            let bin = min(Self.bins - 1, Int(top.value * Double(Self.bins)))
            binCount[bin] += 1
            binConfidence[bin] += top.value
            if top.key == prediction.actual { binRight[bin] += 1 }
        }
        logLoss = loss / Double(predictions.count)
        var gap = 0.0
        for bin in 0..<Self.bins where binCount[bin] > 0 {
            gap += abs(Double(binRight[bin]) - binConfidence[bin])  // = count * |accuracy - confidence|
        }
        expectedCalibrationError = gap / Double(predictions.count)
    }
}
