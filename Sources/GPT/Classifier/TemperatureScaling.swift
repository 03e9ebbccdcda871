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
//
// A temperature softens every answer alike, and a line unlike anything in training can still
// score one label far above the others: on a real log, `ERROR IN CONTACTING RM.` came out INFO
// with probability 0.9999 at T = 2.5, its source being one whose every training line was INFO.
// So the probabilities are also capped by the classifier's record on messages it never trained
// on. The validation part's distinct messages are such messages, and if it got k of n wrong, the
// rate at which it is wrong on the next unseen message is not k / n but something the record
// only bounds: 0 mistakes in 118 messages does not rule out being wrong on 2% of them. The cap
// takes the highest rate such a record does not rule out at 95% confidence, the upper end of the
// Wilson score interval (z = 1.645, one-sided), and no answer is given more than 1 minus it.
// (Laplace's rule, (k + 1) / (n + 2), the rate's expected value, let a model with a clean record
// on 118 validation messages call a held-out real ERROR message INFO at 0.9917.) The cap mixes
// the softmax with a uniform guess, so it never changes which label is largest either:
//
//   P(label) = (1 - s) softmax(score / T) + s / 3,   s = 3/2 rate
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

    /// How often the classifier may be wrong on a message it never saw, judged by k mistakes in n
    /// distinct lines it never trained on: the largest rate p whose score test does not reject
    /// k / n at one-sided 95%, (p - k/n) / sqrt(p (1 - p) / n) = z, solved for p (Wilson, 1927).
    /// 0, no cap, when there are no lines to judge by.
    public static func unseenErrorRate(mistakes: Int, distinct: Int) -> Double {
        guard distinct > 0 else { return 0 }
        // Wrong on every line: nothing rules out being wrong always (the formula's rounding gives 1 - 1 ulp).
        guard mistakes < distinct else { return 1 }
        let n = Double(distinct), observed = Double(max(mistakes, 0)) / n
        let z = unseenErrorConfidenceZ, z2 = z * z
        let spread = z * (observed * (1 - observed) / n + z2 / (4 * n * n)).squareRoot()
        return min(1, (observed + z2 / (2 * n) + spread) / (1 + z2 / n))
    }

    /// The standard normal quantile of the cap's confidence: 95%, one-sided.
    public static let unseenErrorConfidenceZ = 1.6448536269514722

    /// How many of `lines` the classifier labels wrong (at temperature 1; a temperature changes no label).
    public static func mistakes(_ lines: [ScoredLine]) -> Int {
        lines.filter { line in
            let probabilities = LogClassifier.softmax(line.scores)
            return LogLabel.allCases.max { probabilities[$0]! < probabilities[$1]! } != line.actual
        }.count
    }

    /// How a model's probabilities are calibrated on `lines` it never trained on: the cap's rate
    /// from its mistakes, the temperature fitted with that cap, and the log-loss with both, as
    /// `gpt eval` would report it on those lines.
    public struct Fit: Sendable, Equatable {
        public let mistakes: Int
        public let unseenErrorRate: Double
        public let temperature: Double
        public let logLoss: Double
    }

    public static func calibrate(_ lines: [ScoredLine]) -> Fit {
        let mistakes = mistakes(lines)
        let rate = unseenErrorRate(mistakes: mistakes, distinct: lines.count)
        let temperature = fit(lines, unseenErrorRate: rate)
        return Fit(mistakes: mistakes, unseenErrorRate: rate, temperature: temperature,
                   logLoss: lines.isEmpty ? .nan : logLoss(lines, temperature: temperature, unseenErrorRate: rate))
    }

    /// The temperature in `range` with the lowest mean log-loss on `lines` (with the probabilities
    /// capped by `unseenErrorRate`); 1 when there are none.
    public static func fit(_ lines: [ScoredLine], unseenErrorRate: Double = 0) -> Double {
        guard !lines.isEmpty else { return 1 }
        func logLoss(_ lines: [ScoredLine], temperature: Double) -> Double {
            Self.logLoss(lines, temperature: temperature, unseenErrorRate: unseenErrorRate)
        }
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

    /// Mean of -ln P(actual) over `lines`, P as the classifier gives it at temperature T and
    /// capped by `unseenErrorRate`, each term at most -ln 1e-15 as `Calibration` counts it, so one
    /// certain mistake cannot make the loss infinite.
    public static func logLoss(_ lines: [ScoredLine], temperature: Double, unseenErrorRate: Double = 0) -> Double {
        var total = 0.0
        for line in lines {
            let p = LogClassifier.probabilities(line.scores, temperature: temperature,
                                                unseenErrorRate: unseenErrorRate)[line.actual] ?? 0
            total -= DeterministicMath.log(max(p, Calibration.smallest))
        }
        return total / Double(lines.count)
    }
}
