// What every import test checks besides its own expectations: the lines written load with
// LogDataset as the same examples, and every non-blank line of the input is in exactly one count.
import Foundation
import Testing
@testable import GPT

/// Imports `text` with the settings `configure` makes, and checks the result loads as a dataset
/// and accounts for every line.
func importChecked(_ text: String, sourceLocation: SourceLocation = #_sourceLocation,
                   _ configure: (inout LogImporter.Settings) throws -> Void = { _ in }) throws
    -> (examples: [LogExample], summary: ImportSummary) {
    var settings = LogImporter.Settings()
    try configure(&settings)
    let (examples, summary) = try LogImporter.importText(text, settings: settings)
    expectLoadsAsADataset(examples, sourceLocation: sourceLocation)
    expectEveryLineCounted(summary, sourceLocation: sourceLocation)
    return (examples, summary)
}

/// The dataset file the importer's examples make loads with `LogDataset.parse` as those examples.
func expectLoadsAsADataset(_ examples: [LogExample], sourceLocation: SourceLocation = #_sourceLocation) {
    guard !examples.isEmpty else { return }
    let file = examples.map { $0.text + "\n" }.joined()
    do {
        let dataset = try LogDataset.parse(file, source: "imported.txt")
        #expect(dataset.examples.map(\.message) == examples.map(\.message), sourceLocation: sourceLocation)
        #expect(dataset.examples.map(\.label) == examples.map(\.label), sourceLocation: sourceLocation)
    } catch {
        Issue.record("the imported lines do not load: \(error)", sourceLocation: sourceLocation)
    }
}

/// Lines that started a record, continuations, and lines left out add up to the non-blank lines.
func expectEveryLineCounted(_ summary: ImportSummary, sourceLocation: SourceLocation = #_sourceLocation) {
    let counted = summary.recordCount + summary.emptyMessages + summary.continuationLines + summary.continuationLinesLeftOut
        + summary.unmatchedLines + summary.unknownLevelLines + summary.skippedLevelLines
    #expect(counted == summary.linesRead - summary.blankLines, "lines unaccounted for: \(summary)", sourceLocation: sourceLocation)
}

/// (message, label, line) of each example, to compare in one expectation.
func triples(_ examples: [LogExample]) -> [Triple] {
    examples.map { Triple($0.lineNumber, $0.label, $0.message) }
}

struct Triple: Equatable, CustomStringConvertible {
    let line: Int
    let label: LogLabel
    let message: String

    init(_ line: Int, _ label: LogLabel, _ message: String) {
        self.line = line
        self.label = label
        self.message = message
    }

    var description: String { "\(line): \(message) -> \(label.rawValue)" }
}
