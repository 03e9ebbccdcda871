// The log generator: it reproduces the committed dataset byte for byte, and its lines are unique,
// balanced, within the length limits and readable by LogDataset.
import Foundation
import Testing
@testable import GPT

@Suite struct LogGeneratorTests {
    /// Dataset/logs_5000.txt, found from this file: Tests/GPTTests/ is two folders below the package.
    static let committedFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Dataset/logs_5000.txt")

    @Test func reproducesTheCommittedDataset() throws {
        let committed = try Data(contentsOf: Self.committedFile)
        let generated = Data(LogGenerator.text(count: 5000, seed: 42).utf8)
        #expect(generated == committed, "regenerate Dataset/logs_5000.txt with LogGenerator.text(count: 5000, seed: 42)")
    }

    @Test func linesAreUniqueBalancedAndReadable() throws {
        let text = LogGenerator.text(count: 5000, seed: 42)
        let dataset = try LogDataset.parse(text, source: "generated")
        #expect(dataset.examples.count == 5000)
        #expect(dataset.duplicateCount == 0)
        for label in LogLabel.allCases {
            let share = Double(dataset.examples.count { $0.label == label }) / 5000
            #expect((0.25...0.42).contains(share), "\(label.rawValue) is \(share) of the lines")
        }
    }

    @Test func linesKeepTheLengthLimitsAndAreASCII() {
        for line in LogGenerator.lines(count: 2000, seed: 3) {
            let message = line[..<line.range(of: LogExample.separator, options: .backwards)!.lowerBound]
            #expect(line.count <= LogGenerator.longestLine, "\(line)")
            #expect((LogGenerator.shortestMessage...LogGenerator.longestMessage).contains(message.count), "\(line)")
            #expect(line.utf8.allSatisfy { $0 < 128 }, "\(line)")
        }
    }

    @Test func sameSeedSameLinesOtherSeedOtherLines() {
        #expect(LogGenerator.lines(count: 300, seed: 9) == LogGenerator.lines(count: 300, seed: 9))
        #expect(LogGenerator.lines(count: 300, seed: 9) != LogGenerator.lines(count: 300, seed: 10))
        #expect(LogGenerator.lines(count: 100, seed: 9) == Array(LogGenerator.lines(count: 300, seed: 9).prefix(100)))
    }

    @Test func textEndsEveryLineWithANewline() {
        #expect(LogGenerator.text(count: 0, seed: 1) == "")
        let text = LogGenerator.text(count: 3, seed: 1)
        #expect(text == LogGenerator.lines(count: 3, seed: 1).joined(separator: "\n") + "\n")
    }

    @Test func everyTemplateFillsEveryTime() {
        var random = SeededRandom(seed: 1)
        for (label, templates) in LogVocabulary.templates {
            for template in templates {
                let message = LogVocabulary.fill(template, random: &random)
                #expect(!message.contains("{") && !message.contains("}"), "\(label.rawValue): \(template)")
            }
        }
    }

    @Test func manyUniqueLinesComeEasily() {
        let lines = LogGenerator.lines(count: 50_000, seed: 5)
        #expect(Set(lines).count == 50_000)
    }
}
