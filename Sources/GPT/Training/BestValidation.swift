// Keeping the model that did best on lines it does not train on. A few times a run, training
// scores the validation part with the classifier's own log-loss (the one `gpt eval` reports) and,
// when it is the lowest so far, copies the weights aside; at the end the best copy is put back.
// Each check is scored as its weights would be written: with the cap and the temperature fitted
// for them (TemperatureScaling.calibrate). At temperature 1, a model that has learnt its labels
// but is sure of a few wrong answers scored worse than the first check's, which called every
// line INFO, and runs on real logs stopped there.
// On real logs the validation loss falls, then climbs while the training loss keeps falling (the
// model learns its training lines by heart), so the last step's weights are often not the best.
// After `patience` checks without a new best, more steps only fit the training lines harder, and
// training stops.
import Autograd

/// The validation log-loss after one step of training.
public struct ValidationCheck: Sendable, Equatable {
    public let step: Int
    public let logLoss: Double
}

/// Scores the validation part every `every` steps and remembers the best weights.
struct BestValidation {
    let model: GPT
    let tokenizer: Tokenizer
    let validation: [LogExample]
    let every: Int
    /// Checks in a row without a new best after which training should stop; nil never stops it.
    let patience: Int?
    private(set) var checks: [ValidationCheck] = []
    private(set) var best: ValidationCheck?
    private var bestWeights: [Double] = []

    init(model: GPT, tokenizer: Tokenizer, validation: [LogExample], every: Int, patience: Int?) {
        self.model = model
        self.tokenizer = tokenizer
        self.validation = validation
        self.every = max(1, every)
        self.patience = patience
    }

    /// Call after each step (1-based); checks on every `every`-th step and on the last one.
    mutating func after(step: Int, of steps: Int) {
        guard !validation.isEmpty, step % every == 0 || step == steps else { return }
        let check = ValidationCheck(step: step, logLoss: logLoss())
        checks.append(check)
        if best == nil || check.logLoss < best!.logLoss {  // a tie keeps the earlier, as good and trained less
            best = check
            bestWeights = Array(UnsafeBufferPointer(start: model.tape.dataPointer(0), count: model.parameterCount))
        }
    }

    /// True once `patience` checks in a row have not beaten the best, and the best has learnt
    /// something. A check no better than a uniform guess over the labels (ln 3, what the cap makes
    /// of a model wrong on two thirds of the lines) is where every run starts: stopping there kept
    /// a model that called every line INFO, on a short run whose checks were still at chance.
    var shouldStop: Bool {
        guard let patience, let best, let last = checks.last else { return false }
        return best.logLoss < Self.uniformGuessLogLoss && (last.step - best.step) / every >= patience
    }

    /// The log-loss of probability 1/3 for every label, less a rounding's worth.
    static let uniformGuessLogLoss = DeterministicMath.log(Double(LogLabel.allCases.count)) * (1 - 1e-12)

    /// The validation lines' scores under the current weights (temperature 1). `classifyAll`
    /// sorts the lines (each reuses the start it shares with the one before) and splits them over
    /// the cores: the same scores, bit for bit, as one line at a time, in a fraction of the time.
    func scoredLines() -> [ScoredLine] {
        let classifier = LogClassifier(TrainedModel(model: model, tokenizer: tokenizer))
        let results = classifier.classifyAll(validation.map(\.message))
        return zip(validation, results).compactMap { example, result in
            (try? result.get()).map { ScoredLine(actual: example.label, scores: $0.logLikelihoods) }
        }
    }

    /// Puts the best weights back in the model (nothing changes when no check ran).
    func restoreBest() {
        guard !bestWeights.isEmpty else { return }
        let weights = model.tape.dataPointer(0)
        for (index, value) in bestWeights.enumerated() { weights[index] = value }
    }

    private func logLoss() -> Double {
        TemperatureScaling.calibrate(scoredLines()).logLoss
    }
}
