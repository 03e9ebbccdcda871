// `gpt eval`: accuracy, per-label scores, the confusion matrix and the worst mistakes.
import ArgumentParser
import Foundation
import GPT

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a trained model on labelled log lines.",
        discussion: """
            On the file the model was trained on (recognised by its contents, wherever it is), only \
            its test part is used: the same seeded split as training, which never saw it. On any \
            other file, every line is used.
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Labelled lines to evaluate on (default: the model's training file).")
    var data: String?

    @Option(help: "Seed of the split, when --data is the training file (default: the model's training seed).")
    var seed: UInt64?

    @Option(help: "Threads to classify on (default: one per core); every number of threads gives the same report.")
    var jobs: Int = LogClassifier.defaultJobs

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs is a number of threads, at least 1, not \(jobs)") }
    }

    func run() throws {
        let trained = try modelOptions.load()
        let trainingFile = trained.notes["data"]
        let path = data ?? trainingFile ?? "Dataset/logs_5000.txt"
        let dataset = try LogDataset.load(path: path)
        let isTrainingFile = trained.notes["data_fingerprint"] == dataset.fingerprint
        let examples: LogExamples
        let part: String
        if isTrainingFile {
            let splitSeed = seed ?? trained.notes["seed"].flatMap(UInt64.init) ?? 42
            examples = DatasetSplit(dataset, seed: splitSeed).test
            part = "the test part of \(path) (seed \(splitSeed); training never saw it)"
            guard !examples.isEmpty else {
                // A score over no lines would print as 0.00% and look like a result.
                Terminal.warn("error: nothing to evaluate: \(path) is the model's training file, and its "
                              + "\(dataset.examples.count) line(s) are too few to hold out a test part (a tenth, rounded)\n"
                              + "HINT: evaluate on other labelled lines with --data FILE, or train on a file of 5 lines or more")
                throw ExitCode.failure
            }
        } else {
            examples = dataset.examples
            part = "all of \(path) (not the model's training file)"
        }
        let report = EvaluationReport(classifier: LogClassifier(trained), examples: examples, jobs: jobs)
        if json {
            try printJSON(report, part: part, temperature: trained.temperature, unseenErrorRate: trained.unseenErrorRate)
        } else {
            printText(report, part: part, temperature: trained.temperature, unseenErrorRate: trained.unseenErrorRate)
        }
    }

    private func printText(_ report: EvaluationReport, part: String, temperature: Double, unseenErrorRate: Double) {
        let labels = LogLabel.allCases
        print("evaluated on \(part): \(report.count) lines")
        print("accuracy \(format(100 * report.accuracy, 2))%   macro-F1 \(format(report.macroF1, 4))   "
              + "log-loss \(format(report.calibration.logLoss, 4))   ECE \(format(report.calibration.expectedCalibrationError, 4))")
        if temperature != 1 || unseenErrorRate != 0 {
            print("probabilities at temperature \(format(temperature, 3)), none above \(format(1 - unseenErrorRate, 4)) "
                  + "(both from the validation part); without them: "
                  + "log-loss \(format(report.unscaledCalibration.logLoss, 4))   ECE \(format(report.unscaledCalibration.expectedCalibrationError, 4))")
        }
        print("")
        print("label      precision  recall  f1      support")
        for label in labels {
            let s = report.perClass[label]!
            print(label.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                  + " \(format(s.precision, 4))     \(format(s.recall, 4))  \(format(s.f1, 4))  \(s.support)")
        }
        print("")
        print("confusion (rows: actual, columns: predicted)")
        print("           " + labels.map { $0.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) }.joined())
        for (i, label) in labels.enumerated() {
            print(label.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
                  + report.confusion[i].map { String($0).padding(toLength: 8, withPad: " ", startingAt: 0) }.joined())
        }
        if !report.mistakes.isEmpty {
            print("")
            print("most confident mistakes:")
            for mistake in report.mistakes {
                print("  line \(mistake.example.lineNumber): \(mistake.example.label.rawValue) predicted as "
                      + "\(mistake.predicted.rawValue) (\(format(mistake.probabilities[mistake.predicted]!, 3))): \(mistake.example.message)")
            }
        }
        for (example, reason) in report.unclassifiable {
            print("  line \(example.lineNumber) could not be classified: \(reason)")
        }
    }

    private func printJSON(_ report: EvaluationReport, part: String, temperature: Double, unseenErrorRate: Double) throws {
        struct Unclassifiable: Encodable {
            let line: Int
            let reason: String
        }
        struct Output: Encodable {
            let evaluatedOn: String
            let count: Int
            let accuracy: Double
            let macroF1: Double
            let logLoss: Double
            let expectedCalibrationError: Double
            let temperature: Double
            let unseenErrorRate: Double
            let unscaledLogLoss: Double
            let unscaledExpectedCalibrationError: Double
            let labels: [String]
            let confusion: [[Int]]
            let perClass: [String: ClassScores]
            let mistakes: [Mistake]
            let unclassifiable: [Unclassifiable]

            enum CodingKeys: String, CodingKey {
                case evaluatedOn = "evaluated_on", count, accuracy, macroF1 = "macro_f1", labels, confusion
                case logLoss = "log_loss", expectedCalibrationError = "expected_calibration_error", temperature
                case unseenErrorRate = "unseen_error_rate"
                case unscaledLogLoss = "unscaled_log_loss"
                case unscaledExpectedCalibrationError = "unscaled_expected_calibration_error"
                case perClass = "per_class", mistakes, unclassifiable
            }
        }
        let output = Output(
            evaluatedOn: part, count: report.count, accuracy: report.accuracy, macroF1: report.macroF1,
            logLoss: report.calibration.logLoss, expectedCalibrationError: report.calibration.expectedCalibrationError,
            temperature: temperature, unseenErrorRate: unseenErrorRate, unscaledLogLoss: report.unscaledCalibration.logLoss,
            unscaledExpectedCalibrationError: report.unscaledCalibration.expectedCalibrationError,
            labels: LogLabel.allCases.map(\.rawValue), confusion: report.confusion,
            perClass: Dictionary(uniqueKeysWithValues: report.perClass.map { ($0.key.rawValue, $0.value) }),
            mistakes: report.mistakes,
            unclassifiable: report.unclassifiable.map { Unclassifiable(line: $0.example.lineNumber, reason: $0.reason) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(output), as: UTF8.self))
    }
}
