// `gpt import` run as a process: a raw log becomes a file LogDataset loads, the summary on stderr
// says what was read and left out, and every mistake in the flags or the input is a message and a
// non-zero exit, never a crash or a half-written file.
import Foundation
import GPT
import Testing

@Suite struct ImportCommandTests {
    let workspace = Workspace()

    private func gpt(_ arguments: String..., input: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        try GPTBinary.run(arguments, in: workspace.path, input: input, sourceLocation: sourceLocation)
    }

    private let log = """
        2015-10-18 18:01:47,978 INFO [main] org.example.App: started in 812 ms
        2015-10-18 18:01:48,100 WARN [main] org.example.Pool: 90% of connections in use
        2015-10-18 18:01:49,500 ERROR [worker-3] org.example.Job: job 7 failed
        java.io.IOException: disk gone
        \tat org.example.Job.run(Job.java:42)
        this line is no log line
        2015-10-18 18:01:50,000 AUDIT [main] org.example.Audit: user 12 logged in
        """

    @Test func importsALogIntoAFileThatLoadsAsADataset() throws {
        let input = workspace.write(log, to: "app.log")
        let run = try gpt("import", "app.log", "-o", "imported.txt")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        let dataset = try LogDataset.load(path: workspace.file("imported.txt"))
        #expect(dataset.examples.map(\.text) == [
            "org.example.App: started in 812 ms -> INFO",
            "org.example.Pool: 90% of connections in use -> WARNING",
            "org.example.Job: job 7 failed java.io.IOException: disk gone at org.example.Job.run(Job.java:42) -> ERROR",
        ])
        for expected in ["imported app.log: 7 lines read (0 blank)", "format: log4j (log4j reads 3 of the first 7 non-blank lines",
                         "wrote 3 examples to imported.txt: INFO 1, WARNING 1, ERROR 1",
                         "joined 2 continuation lines", "left out 1 line that no pattern of log4j reads:",
                         "  line 6: this line is no log line", "left out 1 line whose level the table does not know: AUDIT 1",
                         "  line 7: 2015-10-18 18:01:50,000 AUDIT", "HINT: map them with --level-map AUDIT=INFO"] {
            #expect(run.stderr.contains(expected), "stderr lacks \(expected.debugDescription):\n\(run.stderr)")
        }
        #expect(FileManager.default.contents(atPath: input) == Data(log.utf8), "the input is untouched")
    }

    @Test func writesToStandardOutputAndReadsStandardInput() throws {
        let run = try gpt("import", "-", "--format", "log4j", "--level-map", "AUDIT=INFO,WARN=ERROR", input: log)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.lines.map { $0.components(separatedBy: " -> ").last! } == ["INFO", "ERROR", "ERROR", "INFO"])
        #expect(run.stderr.contains("imported standard input"))
        #expect(run.stderr.contains("format: log4j (named, not detected)"))
    }

    @Test func readsAnyLogWithAPattern() throws {
        workspace.write("12:00:01 | Warn | cache miss for key 7\n12:00:02 | Error | connection lost\n", to: "custom.log")
        let run = try gpt("import", "custom.log", "--pattern", #"^\S+ \| (?<level>\w+) \| (?<message>.*)$"#)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.lines == ["cache miss for key 7 -> WARNING", "connection lost -> ERROR"])
    }

    @Test func nothingToWriteIsAnErrorAndLeavesNoFile() throws {
        workspace.write(log, to: "app.log")
        let run = try gpt("import", "app.log", "--format", "cbs", "-o", "out.txt")
        #expect(run.exited)
        #expect(run.status == 1)
        #expect(run.stderr.contains("left out 5 lines that no pattern of cbs reads"), "\(run.stderr)")
        #expect(run.stderr.contains("no line of app.log became an example, so nothing was written"))
        #expect(!FileManager.default.fileExists(atPath: workspace.file("out.txt")))
    }

    @Test func refusesToWriteOverItsInput() throws {
        workspace.write(log, to: "app.log")
        let run = try gpt("import", "app.log", "-o", "./app.log")
        #expect(run.status == 1)
        #expect(run.stderr.contains("this is the input file"), "\(run.stderr)")
        #expect(FileManager.default.contents(atPath: workspace.file("app.log")) == Data(log.utf8))
    }

    @Test(arguments: [
        (["--format", "nginx"], "The value 'nginx' is invalid for '--format <format>'"),
        (["--format", "pattern"], "--format pattern reads lines with --pattern REGEX, which is missing"),
        (["--format", "json", "--pattern", "(?<level>x)(?<message>y)"], "--format json would be ignored"),
        (["--pattern", "^(?<level>\\w+) (?<msg>.*)$"], "--pattern: the pattern has no (?<message>...) group"),
        (["--pattern", "^(?<level>\\w+ (?<message>.*)$"], "is not a regular expression"),
        (["--level-map", "AUDIT"], "--level-map: level override 'AUDIT' has no NAME=LABEL"),
        (["--format", "log4j", "--json-level-key", "sev"], "apply to JSON lines"),
        (["--max-length", "0"], "--max-length is 0; it must be at least 1"),
    ])
    func badFlagsAreRefusedWithAReason(flags: [String], message: String) throws {
        workspace.write(log, to: "app.log")
        let run = try GPTBinary.run(["import", "app.log"] + flags, in: workspace.path)
        #expect(run.exited)
        #expect(run.status != 0)
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test func unreadableInputsAreClearErrors() throws {
        let missing = try gpt("import", "none.log")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("none.log: no such file"))
        let prose = try gpt("import", "-", input: "dear diary\ntoday nothing happened\n")
        #expect(prose.status == 1)
        #expect(prose.stderr.contains("no known format reads any of the first 2 non-blank lines"), "\(prose.stderr)")
        #expect(prose.stderr.contains("HINT: name the format with --format"))
    }

    @Test func helpDocumentsTheFormatsAndTheLevelTable() throws {
        let run = try gpt("import", "--help")
        #expect(run.status == 0)
        let text = run.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // as wrapped for the terminal
        for format in LogFormat.allCases { #expect(text.contains("\(format.rawValue): \(format.summary)"), "\(format)") }
        for words in ["WARNING: W WARN WARNING WRN", "taken out of the message", "match no pattern", "--level-map"] {
            #expect(text.contains(words), "--help lacks \(words.debugDescription)")
        }
    }
}
