// The importer's rules, one test each: what becomes part of a message and what is taken out, how
// continuations join, what is left out and counted, messages the dataset format could not hold,
// patterns given by the user, and files read in pieces.
import Foundation
import Testing
@testable import GPT

@Suite struct ImporterTests {
    private let time = "2015-10-18 18:01:47,978"

    private func only(_ text: String, sourceLocation: SourceLocation = #_sourceLocation,
                      _ configure: (inout LogImporter.Settings) throws -> Void = { $0.format = .format(.log4j) }) throws -> LogExample? {
        let (examples, _) = try importChecked(text, sourceLocation: sourceLocation, configure)
        #expect(examples.count <= 1, sourceLocation: sourceLocation)
        return examples.first
    }

    // MARK: What a message keeps

    @Test func colourCodesAreRemovedBeforeTheLineIsRead() throws {
        let line = "\u{1B}[2m\(time)\u{1B}[0m \u{1B}[1;31mERROR\u{1B}[0m [main] disk \u{1B}[4mfailed\u{1B}[0m"
        #expect(try only(line)?.text == "disk failed -> ERROR")
    }

    @Test func whitespaceAndControlCharactersBecomeOneSpace() throws {
        let line = "\(time) INFO [main] a\tb  c\u{0}d\u{2028}e\u{85}f   "
        #expect(try only(line)?.message == "a b c d e f")
    }

    @Test func arrowsStayAndTheLabelStillFollowsTheLastOne() throws {
        let log = """
            \(time) INFO [main] route /a -> /b moved
            \(time) INFO [main] state went OK -> ERROR
            \(time) WARN [main] ends with an arrow ->
            """
        let (examples, _) = try importChecked(log)
        #expect(triples(examples) == [
            Triple(1, .info, "route /a -> /b moved"),
            Triple(2, .info, "state went OK -> ERROR"),
            Triple(3, .warning, "ends with an arrow ->"),
        ])
    }

    @Test func invalidUTF8IsRepairedAndCounted() throws {
        var bytes = Array("\(time) ERROR [main] bad byte ".utf8) + [0xFF] + Array(" here\n".utf8)
        bytes += Array("\(time) INFO [main] fine\n".utf8)
        var importer = try LogImporter()
        var examples: [LogExample] = []
        for (number, line) in bytes.split(separator: UInt8(ascii: "\n")).enumerated() {
            try line.withUnsafeBufferPointer { try importer.read(bytes: $0, number: number + 1) { examples.append($0) } }
        }
        let summary = try importer.finish { examples.append($0) }
        #expect(examples.map(\.message) == ["bad byte \u{FFFD} here", "fine"])
        #expect(summary.repairedLines == 1)
        expectLoadsAsADataset(examples)
    }

    @Test func aRecordWithNothingLeftIsCountedNotWritten() throws {
        let (examples, summary) = try importChecked("\(time) INFO [main]\n\(time) INFO [main] kept") { $0.format = .format(.log4j) }
        #expect(examples.map(\.message) == ["kept"])
        #expect(summary.emptyMessages == 1)
    }

    @Test func aLongRecordIsCutToTheLongestLength() throws {
        let frames = (1...50).map { "\tat com.example.Frame\($0).run(Frame.java:\($0))" }.joined(separator: "\n")
        let (examples, summary) = try importChecked("\(time) ERROR [main] boom\n\(frames)\n\(time) INFO [main] next") {
            $0.maxMessageLength = 60
        }
        #expect(examples.map(\.message) == ["boom at com.example.Frame1.run(Frame.java:1) at com.example.", "next"])
        #expect(examples[0].message.count <= 60)
        #expect(summary.cutMessages == 1)
        #expect(summary.continuationLines == 50, "every frame is counted as joined, also those cut")
    }

    // MARK: Continuations and lines left out

    @Test func aContinuationWithNoLineAboveMatchesNoPattern() throws {
        let (examples, summary) = try importChecked("\tat com.example.Orphan.run(Orphan.java:1)\n\(time) INFO [main] started")
        #expect(examples.map(\.message) == ["started"])
        #expect(summary.unmatchedQuoted == [NumberedLine(number: 1, text: "\tat com.example.Orphan.run(Orphan.java:1)")])
    }

    @Test func aLeftOutLineTakesItsContinuationsWithIt() throws {
        let log = """
            \(time) INFO [main] started
            \(time) AUDIT [main] user 12 read a file
            \tdetail of the audit
            garbage that is no log line
              indented under the garbage
            \(time) INFO [main] stopped
            """
        let (examples, summary) = try importChecked(log)
        #expect(examples.map(\.message) == ["started", "stopped"])
        #expect(summary.unknownLevels == ["AUDIT": 1])
        #expect(summary.unmatchedLines == 1)
        #expect(summary.continuationLinesLeftOut == 2)
        #expect(summary.continuationLines == 0)
    }

    @Test func onlyTheFirstFewLeftOutLinesAreQuotedButAllAreCounted() throws {
        let log = (1...8).map { "noise \($0)" }.joined(separator: "\n") + "\n\(time) INFO [main] ok"
        let (_, summary) = try importChecked(log)
        #expect(summary.unmatchedLines == 8)
        #expect(summary.unmatchedQuoted.map(\.number) == Array(1...ImportSummary.quotedLines))
    }

    @Test func blankLinesAreCountedAndDoNotEndARecord() throws {
        let (examples, summary) = try importChecked("\(time) ERROR [main] failed\n\n   \njava.io.IOException: gone\n")
        #expect(examples.map(\.message) == ["failed java.io.IOException: gone"])
        #expect(summary.blankLines == 2)
        #expect(summary.linesRead == 4)
    }

    @Test func continuationsAreRecognised() {
        for line in ["\tat x.Y.z(Y.java:1)", "    at async run", "Caused by: java.io.IOException: x", "Suppressed: x",
                     "Traceback (most recent call last):", "\t... 12 more", "... 3 common frames omitted",
                     "java.lang.IllegalStateException: x", "org.example.Failure", "ValueError: bad value", "KeyboardInterrupt",
                     "During handling of the above exception, another exception occurred:"] {
            #expect(MessageText.isContinuation(line), "\(line)")
        }
        for line in ["disk full", "Error in module x", "ok: done", "-- banner --", "2015-10-18 INFO x"] {
            #expect(!MessageText.isContinuation(line), "\(line)")
        }
    }

    // MARK: Patterns

    @Test func aPatternReadsWhatNoFormatDoes() throws {
        let pattern = try LinePattern(#"^(?<time>\S+) \| (?P<level>\w+) \| (?<source>\w+) \| (?<message>.*)$"#)
        let log = "12:00:01 | Warn | cache | miss for key 7\n12:00:02 | e | db | connection lost\n12:00:03 something else"
        let (examples, summary) = try importChecked(log) { $0.format = .pattern(pattern) }
        #expect(triples(examples) == [Triple(1, .warning, "cache: miss for key 7"), Triple(2, .error, "db: connection lost")])
        #expect(summary.format == "pattern")
        #expect(summary.unmatchedLines == 1)
    }

    @Test func aPatternMayReadASyslogPriority() throws {
        let pattern = try LinePattern(#"^\[(?<priority>\d+)\] (?<message>.*)$"#)
        #expect(pattern.read("[11] disk failed") == ParsedLine(level: "ERR", message: "disk failed"))
        #expect(pattern.read("[192] out of range") == nil)
    }

    @Test(arguments: [
        (#"^(?<level>\w+) (?<text>.*)$"#, "the pattern has no (?<message>...) group"),
        (#"^(?<lvl>\w+) (?<message>.*)$"#, "the pattern has no (?<level>...) group (or (?<priority>...), a syslog PRI number)"),
        (#"^(?<=x)(?<message>.*)$"#, "the pattern has no (?<level>...) group (or (?<priority>...), a syslog PRI number)"),
        (#"^(?<level>\w+ (?<message>.*)$"#, #"'^(?<level>\w+ (?<message>.*)$' is not a regular expression NSRegularExpression (ICU) can compile"#),
    ])
    func aBadPatternSaysWhatIsWrong(pattern: String, reason: String) {
        #expect(throws: ImportError.self) { _ = try LinePattern(pattern) }
        do { _ = try LinePattern(pattern) } catch { #expect(error.reason == reason) }
    }

    @Test func settingsOutOfRangeAreRefused() {
        var settings = LogImporter.Settings()
        settings.maxMessageLength = 0
        #expect(throws: ImportError.self) { _ = try LogImporter(settings) }
    }

    // MARK: Files

    @Test func aFileReadInPiecesImportsAsItsText() throws {
        let folder = TemporaryFolder()
        let path = folder.file("app.log")
        let text = Samples.log4j.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        var examples: [LogExample] = []
        let summary = try LogImporter.importFile(path: path) { examples.append($0) }
        let fromText = try LogImporter.importText(text)
        #expect(examples == fromText.examples)
        #expect(summary == fromText.summary)
        #expect(summary.linesRead == 14)
    }

    @Test func aMissingFileIsAnImportError() {
        #expect(throws: ImportError("/no/such/app.log: no such file", hint: "check the path of the log to import")) {
            _ = try LogImporter.importFile(path: "/no/such/app.log") { _ in }
        }
    }
}
