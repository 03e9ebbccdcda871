// Temperature scaling: one number T that divides the three label scores before the softmax,
// fitted on the validation part so its probabilities say how often the model is right.
//
//   P(label) = softmax(score / T)
//
// A model trained until its training lines are near certain is as sure of a line it has never
// seen: T > 1 softens every answer alike. Dividing all scores by one positive
// number never changes which label is largest, so accuracy stays what it was; only the log-loss and
// the calibration move. T is the one that minimises the validation log-loss, found by golden-
// section search over ln T (the log-loss is convex in 1/T, so it has one minimum on the range).
// T is never below 1: a validation part of a few dozen lines that the model gets all right asks
// for T near 0, certainty, which the next unfamiliar line would not deserve (on a real 2,000-line
// log it asked for 0.05).
import Autograd

/// A line's label scores (log-likelihoods, before the softmax) and the label it really has.
public struct ScoredLine: Sendable, Equatable {
    public let actual: LogLabel
    public let scores: [LogLabel: Double]

    public init(actual: LogLabel, scores: [LogLabel: Double]) {
        self.actual = actual
        self.scores = scores
    }
}

public enum TemperatureScaling {
    /// The temperatures searched: from the model's own probabilities to 20 times softer.
    public static let range = 1.0...20.0

    /// The temperature in `range` with the lowest mean log-loss on `lines`; 1 when there are none.
    public static func fit(_ lines: [ScoredLine]) -> Double {
        guard !lines.isEmpty else { return 1 }
        let golden = (5.0.squareRoot() - 1) / 2  // 0.618...: each step keeps this share of the interval
        var low = DeterministicMath.log(range.lowerBound), high = DeterministicMath.log(range.upperBound)
        var a = high - golden * (high - low), b = low + golden * (high - low)
        var lossA = logLoss(lines, temperature: DeterministicMath.exp(a))
        var lossB = logLoss(lines, temperature: DeterministicMath.exp(b))
        for _ in 0..<60 {  // 0.618^60 of the range's width, about 1e-12 in ln T
            if lossA <= lossB {
                high = b
                b = a
                lossB = lossA
                a = high - golden * (high - low)
                lossA = logLoss(lines, temperature: DeterministicMath.exp(a))
            } else {
                low = a
                a = b
                lossA = lossB
                b = low + golden * (high - low)
                lossB = logLoss(lines, temperature: DeterministicMath.exp(b))
            }
        }
        let found = DeterministicMath.exp((low + high) / 2)
        // The search only nears an end of the range; a model that needs no softening gets exactly 1.
        let lowest = range.lowerBound
        return logLoss(lines, temperature: lowest) <= logLoss(lines, temperature: found) ? lowest : found
    }

    /// Mean of -ln softmax(scores / T)[actual] over `lines`, each term at most -ln 1e-15 as
    /// `Calibration` counts it, so one certain mistake cannot make the loss infinite.
    public static func logLoss(_ lines: [ScoredLine], temperature: Double) -> Double {
        var total = 0.0
        for line in lines {
            let p = LogClassifier.softmax(line.scores, temperature: temperature)[line.actual] ?? 0
            total -= DeterministicMath.log(max(p, Calibration.smallest))
        }
        return total / Double(lines.count)
    }
}
