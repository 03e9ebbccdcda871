// Temperature scaling against an optimum worked out by hand, its ends, and the classifier that
// applies it: softer probabilities, the same labels.
import Foundation
import Testing
@testable import GPT

@Suite struct TemperatureScalingTests {
    /// Five lines scored INFO 4, WARNING 0 (ERROR unspellable), four of them INFO: the log-loss
    /// -0.8 ln s(4/T) - 0.2 ln(1 - s(4/T)), s the logistic function, is lowest where s(4/T) = 0.8,
    /// that is 4/T = ln 4, so T = 4 / ln 4 = 2.88539...
    @Test func theFittedTemperatureIsTheOneWorkedOutByHand() {
        let scores: [LogLabel: Double] = [.info: 4, .warning: 0, .error: -.infinity]
        let lines = [LogLabel.info, .info, .info, .info, .warning].map { ScoredLine(actual: $0, scores: scores) }
        let fitted = TemperatureScaling.fit(lines)
        let expected = 4 / log(4.0)
        print("fitted T \(fitted), by hand \(expected), difference \(abs(fitted - expected))")
        // A minimum is flat: the loss tells arguments apart only to about the square root of the
        // precision (1e-8), so T is known to some 1e-7.
        #expect(abs(fitted - expected) < 1e-6 * expected)
        // The loss there is the entropy of 0.8 / 0.2, lower than at T = 1 or T = 5.
        let atFit = TemperatureScaling.logLoss(lines, temperature: fitted)
        #expect(abs(atFit - -(0.8 * log(0.8) + 0.2 * log(0.2))) < 1e-12)
        #expect(atFit < TemperatureScaling.logLoss(lines, temperature: 1))
        #expect(atFit < TemperatureScaling.logLoss(lines, temperature: 5))
    }

    @Test func aModelThatIsAlwaysRightIsNeverMadeSharper() {
        let lines = [ScoredLine(actual: .error, scores: [.info: -3, .warning: -2, .error: -0.5])]
        #expect(TemperatureScaling.fit(lines) == 1)
        #expect(TemperatureScaling.fit([]) == 1)
    }

    @Test func aConfidentMistakeAsksForTheSoftestEndOfTheRange() {
        // Sure of INFO and wrong every time: the softer the better, up to the range's end.
        let lines = [ScoredLine(actual: .error, scores: [.info: 0, .warning: -40, .error: -40])]
        let fitted = TemperatureScaling.fit(lines)
        #expect(abs(fitted - TemperatureScaling.range.upperBound) < 1e-6)
    }

    @Test func theClassifierDividesItsScoresByTheTemperatureAndKeepsItsLabels() throws {
        // An untrained model with weights large enough that the labels get clearly different scores.
        let tokenizer = Tokenizer(characters: Array("abcdefghijklmnopqrstuvwxyz ->INFOWARNGE"))
        let config = GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 8, nHead: 2, nLayer: 1, blockSize: 32, initStd: 0.4)
        let plain = TrainedModel(model: GPT(config: config, seed: 4), tokenizer: tokenizer)
        let warm = TrainedModel(model: plain.model, tokenizer: plain.tokenizer, notes: plain.notes, temperature: 3)
        for message in ["api ok", "db failed", "web slow"] {
            let before = try LogClassifier(plain).classify(message)
            let after = try LogClassifier(warm).classify(message)
            #expect(after.label == before.label)
            #expect(after.logLikelihoods == before.logLikelihoods)
            let weights = LogLabel.allCases.map { exp(before.logLikelihoods[$0]! / 3) }
            for (label, weight) in zip(LogLabel.allCases, weights) {
                let expected = weight / weights.reduce(0, +)
                #expect(abs(after.probabilities[label]! - expected) < 1e-12, "\(label): \(after.probabilities[label]!) vs \(expected)")
            }
            #expect(after.probabilities[after.label]! <= before.probabilities[before.label]!, "T > 1 makes no answer surer")
        }
    }

    // MARK: The cap from the record on unseen messages

    @Test func theUnseenErrorRateIsTheHighestTheRecordDoesNotRuleOut() {
        let right = ScoredLine(actual: .info, scores: [.info: 0, .warning: -3, .error: -5])
        let wrong = ScoredLine(actual: .error, scores: [.info: 0, .warning: -3, .error: -5])
        let lines = Array(repeating: right, count: 97) + Array(repeating: wrong, count: 3)
        #expect(TemperatureScaling.mistakes(lines) == 3)
        // Upper ends of the one-sided 95% Wilson interval, solved by bisection in Python.
        let known: [(mistakes: Int, distinct: Int, rate: Double)] = [
            (0, 118, 0.02241440928621755), (3, 100, 0.07271034328690394),
            (1, 50, 0.08480529424830945), (4, 500, 0.01769936521494456), (0, 1, 0.7301340512159458),
        ]
        for (k, n, rate) in known {
            #expect(abs(TemperatureScaling.unseenErrorRate(mistakes: k, distinct: n) - rate) < 1e-12, "\(k) of \(n)")
        }
        // Wrong on every line: nothing rules out being wrong always.
        #expect(TemperatureScaling.unseenErrorRate(mistakes: 5, distinct: 5) == 1)
        #expect(TemperatureScaling.unseenErrorRate(mistakes: 0, distinct: 0) == 0, "no lines: no cap")
    }

    /// The rate is where the score test stops ruling it out: (p - k/n) / sqrt(p (1 - p) / n) = z,
    /// found here by bisection rather than by the closed form, for many records.
    @Test func theUnseenErrorRateSolvesTheScoreTest() {
        let z = TemperatureScaling.unseenErrorConfidenceZ
        for n in [1, 2, 7, 50, 118, 1000, 100_000] {
            for k in Set([0, 1, n / 10, n / 2, n - 1]) where k >= 0 && k < n {
                let observed = Double(k) / Double(n)
                var low = observed, high = 1.0
                for _ in 0..<200 {
                    let p = (low + high) / 2
                    if (p - observed) / (p * (1 - p) / Double(n)).squareRoot() < z { low = p } else { high = p }
                }
                let rate = TemperatureScaling.unseenErrorRate(mistakes: k, distinct: n)
                #expect(abs(rate - low) < 1e-12, "\(k) of \(n): \(rate), the score test's \(low)")
                #expect(rate > observed, "the record's own rate is never the bound")
            }
        }
    }

    @Test func theCapKeepsEveryLabelAndLimitsTheSurestToOneMinusTheRate() {
        // Scores 40 apart: 1 - 4e-18 sure without the cap, exactly 1 in floating point.
        let scores: [LogLabel: Double] = [.info: 0, .warning: -40, .error: -45]
        let plain = LogClassifier.probabilities(scores)
        #expect(plain[.info]! == 1)
        let rate = 0.05
        let capped = LogClassifier.probabilities(scores, temperature: 1, unseenErrorRate: rate)
        #expect(abs(capped[.info]! - (1 - rate)) < 1e-15)
        #expect(abs(capped.values.reduce(0, +) - 1) < 1e-15)
        // The share of the uniform guess, 3/2 of the rate, lifts the others by half the rate each.
        #expect(abs(capped[.warning]! - (plain[.warning]! * (1 - 1.5 * rate) + rate / 2)) < 1e-15)
        #expect(LogLabel.allCases.max { capped[$0]! < capped[$1]! } == .info)
        // A rate so high that the model was never right: a uniform guess, not negative numbers.
        let hopeless = LogClassifier.probabilities(scores, temperature: 1, unseenErrorRate: 1)
        for label in LogLabel.allCases { #expect(abs(hopeless[label]! - 1.0 / 3) < 1e-15) }
    }

    @Test func theTemperatureIsFittedWithTheCapInPlace() {
        // Certain and right on 49 lines, certain and wrong on 1: the cap alone pays the mistake
        // -ln(rate / 2); the temperature is fitted to the capped loss, which it lowers.
        let right = ScoredLine(actual: .info, scores: [.info: 0, .warning: -30, .error: -30])
        let wrong = ScoredLine(actual: .warning, scores: [.info: 0, .warning: -30, .error: -30])
        let lines = Array(repeating: right, count: 49) + [wrong]
        let rate = TemperatureScaling.unseenErrorRate(mistakes: TemperatureScaling.mistakes(lines), distinct: lines.count)
        #expect(abs(rate - 0.08480529424830945) < 1e-12, "1 mistake in 50 lines")
        let fitted = TemperatureScaling.fit(lines, unseenErrorRate: rate)
        let capped = TemperatureScaling.logLoss(lines, temperature: fitted, unseenErrorRate: rate)
        #expect(capped <= TemperatureScaling.logLoss(lines, temperature: 1, unseenErrorRate: rate))
        #expect(capped < TemperatureScaling.logLoss(lines, temperature: fitted) / 3, "the cap bounds the certain mistake's cost")
        print("rate \(rate), T \(fitted), capped log-loss \(capped)")
    }

    @Test func aCappedClassifierIsNeverSurerThanOneMinusTheRate() throws {
        let tokenizer = Tokenizer(characters: Array("abcdefghijklmnopqrstuvwxyz ->INFOWARNGE"))
        let config = GPTConfig(vocabSize: tokenizer.vocabSize, nEmbd: 8, nHead: 2, nLayer: 1, blockSize: 32, initStd: 2)
        let plain = TrainedModel(model: GPT(config: config, seed: 4), tokenizer: tokenizer)
        let capped = TrainedModel(model: plain.model, tokenizer: plain.tokenizer, temperature: 1, unseenErrorRate: 0.02)
        for message in ["api ok", "db failed", "web slow", "zzzz"] {
            let before = try LogClassifier(plain).classify(message)
            let after = try LogClassifier(capped).classify(message)
            #expect(after.label == before.label)
            #expect(after.probabilities[after.label]! <= 0.98 + 1e-15)
            #expect(after.probabilities.values.allSatisfy { $0 >= 0.01 - 1e-15 })
        }
    }

    @Test func calibratingIsTheCapThenTheTemperatureFittedWithIt() {
        let right = ScoredLine(actual: .info, scores: [.info: 0, .warning: -6, .error: -9])
        let wrong = ScoredLine(actual: .error, scores: [.info: 0, .warning: -6, .error: -9])
        let lines = Array(repeating: right, count: 20) + [wrong, wrong]
        let fit = TemperatureScaling.calibrate(lines)
        #expect(fit.mistakes == 2)
        let rate = TemperatureScaling.unseenErrorRate(mistakes: 2, distinct: 22)
        #expect(fit.unseenErrorRate == rate)
        #expect(fit.temperature == TemperatureScaling.fit(lines, unseenErrorRate: rate))
        #expect(fit.logLoss == TemperatureScaling.logLoss(lines, temperature: fit.temperature, unseenErrorRate: rate))
        #expect(TemperatureScaling.calibrate([]).logLoss.isNaN, "no lines: nothing to score")
    }
}
