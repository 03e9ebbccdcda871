// Telling a format from a log's first lines: each sample is detected as its own format, with the
// reason stated; a tie goes to the format listed first; nothing readable is an error that says
// what to do.
import Testing
@testable import GPT

@Suite struct DetectionTests {
    private func nonBlankLines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { !$0.allSatisfy(\.isWhitespace) }
    }

    @Test(arguments: LogFormat.allCases)
    func eachSampleIsDetectedAsItsFormat(format: LogFormat) throws {
        let detection = try #require(FormatDetection.detect(nonBlankLines(Samples.of(format))))
        #expect(detection.format == format, "scores: \(detection.scores)")
        // Importing with detection gives what naming the format gives.
        let detected = try importChecked(Samples.of(format))
        let named = try importChecked(Samples.of(format)) { $0.format = .format(format) }
        #expect(detected.examples == named.examples)
        #expect(detected.summary.format == format.rawValue)
        #expect(detected.summary.formatReason == detection.reason)
    }

    @Test(arguments: LogFormat.allCases)
    func eachExampleLineIsDetectedAsItsFormat(format: LogFormat) {
        #expect(FormatDetection.detect([format.example])?.format == format)
    }

    @Test func theReasonCountsTheLinesReadAndNamesTheRunnerUp() throws {
        // The nginx lines read as log4j too (a time, then a bracketed level); apache reads them all.
        let detection = try #require(FormatDetection.detect(nonBlankLines(Samples.apache)))
        #expect(detection.scores.map(\.format) == [.apache, .log4j])
        #expect(detection.reason == "apache reads 7 of the first 8 non-blank lines with a known level (next: log4j, 2)")
    }

    @Test func aTieGoesToTheFormatListedFirst() throws {
        // Python's "time - LEVEL - message" is also a log4j layout; both read it the same way.
        let detection = try #require(FormatDetection.detect(["2024-03-01 12:00:06,000 - ERROR - disk failed"]))
        #expect(detection.scores.map(\.format) == [.log4j, .python])
        #expect(detection.format == .log4j)
    }

    @Test func aLevelTheTableDoesNotKnowDoesNotCount() throws {
        let lines = ["2015-10-18 18:01:51,000 AUDIT [main] user logged in"]
        #expect(FormatDetection.detect(lines) == nil)
        var levels = LevelTable.standard
        levels.set("audit", to: .label(.info))
        #expect(FormatDetection.detect(lines, levels: levels)?.format == .log4j)
    }

    @Test func noReadableLineIsAnErrorWithAHint() {
        #expect {
            _ = try LogImporter.importText("hello\nworld\n")
        } throws: { error in
            let error = error as? ImportError
            return error?.reason == #"no known format reads any of the first 2 non-blank lines with a level the table knows; line 1 is "hello""#
                && error?.hint?.contains("--pattern") == true
        }
    }

    @Test func detectionLooksOnlyAtTheFirstLinesAndReadsTheRestTheSameWay() throws {
        // With a sample of 2 lines, detection happens at line 2; the lines held until then are
        // read like the others, in order.
        let small = try importChecked(Samples.log4j) { $0.sampleSize = 2 }
        let large = try importChecked(Samples.log4j)
        #expect(small.examples == large.examples)
        #expect(small.summary.formatReason == "log4j reads 2 of the first 2 non-blank lines with a known level (no other format reads any)")
    }
}
