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
}
