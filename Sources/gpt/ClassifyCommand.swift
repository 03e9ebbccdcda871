// `gpt classify`: the label of each given log message, with the three label probabilities.
import ArgumentParser
import Foundation
import GPT

struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Label log messages as INFO, WARNING or ERROR with a trained model.",
        discussion: """
            By default each label is scored by how likely the model finds its characters (and the \
            end token) after "<message> -> ", and the three scores become probabilities by a \
            softmax. --greedy uses the original project's method instead: generate after " -> " and \
            read the label off the text (UNCERTAIN when it spells none). Characters the model never \
            saw are left out with a warning; a message too long for the model's block keeps its start.
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Read messages from this file, one per line ('-' for standard input). A line that ends in ' -> LABEL' (a dataset line) is classified by its message.")
    var file: String?

    @Flag(help: "Print one JSON array of {message, label, probabilities, warnings}, as the web API answers.")
    var json = false

    @Flag(help: "Use greedy generation after ' -> ' (the original project's method).")
    var greedy = false

    @Option(name: .customLong("min-confidence"),
            help: ArgumentHelp("Label a line UNCERTAIN when its likeliest label's probability is below P (0 to 1); --json then also gives the likeliest label.", valueName: "P"))
    var minimumConfidence: Double?

    @Option(help: "Threads to classify on (default: one per core); every number of threads gives the same results.")
    var jobs: Int = LogClassifier.defaultJobs

    @Argument(help: "Messages to classify (without ' -> LABEL').")
    var messages: [String] = []

    func validate() throws {
        if file == nil && messages.isEmpty {
            throw ValidationError("give messages to classify, or --file F (one message per line, '-' for standard input)")
        }
        if let minimumConfidence, !(0...1).contains(minimumConfidence) {
            throw ValidationError("--min-confidence is a probability, from 0 to 1, not \(minimumConfidence)")
        }
        if jobs < 1 { throw ValidationError("--jobs is a number of threads, at least 1, not \(jobs)") }
        if minimumConfidence != nil && greedy {
            throw ValidationError("--min-confidence needs probabilities, which --greedy does not give")
        }
    }

    func run() throws {
        let classifier = LogClassifier(try modelOptions.load())
        var inputs = messages
        // Lines end as in a dataset file: LF, CRLF or a lone CR (TextLines).
        if let file { inputs += try TextLines.read(path: file).map(Self.messageOfDatasetLine) }
        var records: [Record] = []
        var failures = 0
        // Label likelihoods are classified on every thread first, then shown in order.
        let scored = greedy ? [] : classifier.classifyAll(inputs, jobs: jobs)
        for (index, message) in inputs.enumerated() {
            do {
                let record = try greedy ? classifyGreedy(message, with: classifier) : show(scored[index].get())
                if json { records.append(record) }
            } catch let error as ClassificationError {
                failures += 1
                Terminal.warn("error: \(error.reason): \(message.debugDescription)")
                if json { records.append(.failed(message: message, error: error.reason)) }
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(records), as: UTF8.self))
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// One line of --json output: a classification as the web API writes it, or why there is none.
    enum Record: Encodable {
        case classified(Classification)
        case thresholded(ConfidentClassification)
        case generated(GreedyClassification)
        case failed(message: String, error: String)

        func encode(to encoder: Encoder) throws {
            switch self {
            case .classified(let result): try result.encode(to: encoder)
            case .thresholded(let result): try result.encode(to: encoder)
            case .generated(let result): try result.encode(to: encoder)
            case .failed(let message, let error): try ["message": message, "error": error].encode(to: encoder)
            }
        }
    }

    /// Generates after one message, prints it unless --json, and returns its JSON record.
    private func classifyGreedy(_ message: String, with classifier: LogClassifier) throws -> Record {
        let result = try classifier.classifyGreedy(message)
        result.warnings.forEach { Terminal.warn("warning: \($0)") }
        let label = result.label?.rawValue ?? "UNCERTAIN"
        if !json { print("\(label.padding(toLength: 9, withPad: " ", startingAt: 0)) generated \(result.generated.debugDescription)  \(message)") }
        return .generated(result)
    }

    /// Prints one classification unless --json, and returns its JSON record.
    private func show(_ result: Classification) -> Record {
        let message = result.message
        result.warnings.forEach { Terminal.warn("warning: \($0)") }
        let thresholded = minimumConfidence.map { ConfidentClassification(result, minimumConfidence: $0) }
        if !json {
            let shown = LogLabel.allCases.map { "\($0.rawValue) \(format(result.probabilities[$0]!, 3))" }.joined(separator: "  ")
            let label = thresholded?.shownLabel ?? result.label.rawValue
            print("\(label.padding(toLength: max(8, label.count), withPad: " ", startingAt: 0)) \(shown)  \(message)")
        }
        return thresholded.map(Record.thresholded) ?? .classified(result)
    }

    /// A dataset line "<message> -> <LABEL>" without its label, so a dataset file can be classified
    /// as it is; any other line unchanged. The dataset reader decides what a dataset line is (the
    /// label follows the last " -> " and is INFO, WARNING or ERROR), so the two never disagree.
    static func messageOfDatasetLine(_ line: String) -> String {
        guard let dataset = try? LogDataset.parse(line, source: "a classify line"),
              let example = dataset.examples.first else { return line }
        return example.message
    }
}
