// Reading dataset files (every error with its file, line and hint) and the seeded 80/10/10 split.
import Foundation
import Testing
@testable import GPT

@Suite struct DatasetTests {
    // MARK: Reading

    @Test func parsesAGoodFile() throws {
        let text = """
            user 4821 logged in from 10.0.3.17 -> INFO
            disk usage at 91% on db-03 (/var/lib/postgres/data) -> WARNING
            connection refused by redis at cache-02:6379 -> ERROR

            """
        let dataset = try LogDataset.parse(text, source: "good.txt")
        #expect(dataset.source == "good.txt")
        #expect(Array(dataset.examples) == [
            LogExample(message: "user 4821 logged in from 10.0.3.17", label: .info, lineNumber: 1),
            LogExample(message: "disk usage at 91% on db-03 (/var/lib/postgres/data)", label: .warning, lineNumber: 2),
            LogExample(message: "connection refused by redis at cache-02:6379", label: .error, lineNumber: 3),
        ])
        #expect(dataset.examples[1].text == "disk usage at 91% on db-03 (/var/lib/postgres/data) -> WARNING")
        #expect(dataset.duplicateCount == 0)
        #expect(dataset.skippedBlankLines == 0)
    }

    @Test func labelFollowsTheLastSeparator() throws {
        let dataset = try LogDataset.parse("route /a -> /b failed -> ERROR", source: "arrows.txt")
        #expect(Array(dataset.examples) == [LogExample(message: "route /a -> /b failed", label: .error, lineNumber: 1)])
    }

    @Test func lastLineNeedsNoNewline() throws {
        let dataset = try LogDataset.parse("first message here -> INFO\nsecond message here -> ERROR", source: "x")
        #expect(dataset.examples.map(\.label) == [.info, .error])
    }

    @Test func toleratesCRLFAndSpacesAroundTheLabel() throws {
        let dataset = try LogDataset.parse("cache warmed on web-01 -> INFO \r\nqueue backlog high ->  WARNING\r\n", source: "crlf.txt")
        #expect(Array(dataset.examples) == [
            LogExample(message: "cache warmed on web-01", label: .info, lineNumber: 1),
            LogExample(message: "queue backlog high", label: .warning, lineNumber: 2),
        ])
    }

    /// LF, CRLF and a lone CR each end a line, here as in `gpt classify --file` (TextLines): a file
    /// of lone CRs was once one line to training and many to classify.
    @Test func aLoneCarriageReturnEndsALineToo() throws {
        let dataset = try LogDataset.parse("disk ok -> INFO\rqueue slow -> WARNING\r\ncache warm -> INFO\n\r\rdb down -> ERROR",
                                           source: "endings.txt")
        #expect(Array(dataset.examples) == [
            LogExample(message: "disk ok", label: .info, lineNumber: 1),
            LogExample(message: "queue slow", label: .warning, lineNumber: 2),
            LogExample(message: "cache warm", label: .info, lineNumber: 3),
            LogExample(message: "db down", label: .error, lineNumber: 6),
        ])
        #expect(dataset.skippedBlankLines == 2)
        // A line number names the line an editor shows for any of the endings.
        #expect(parseError("a b -> INFO\rbroken line\r", source: "cr.txt")?.line == 2)
    }

    @Test(arguments: ["", "a", "a\n", "a\r\nb\r\n", "a\rb\r", "a\r\r\n\n\rb", "\r", "\n\n", "a\r\nb"])
    func theLineCountThatSizesArraysCoversEveryLine(text: String) {
        var lines = 0
        let counted = Array(text.utf8).withUnsafeBufferPointer { bytes in
            TextLines.forEach(in: bytes) { _, number in lines = number }
            return TextLines.count(in: bytes)
        }
        #expect(counted >= lines && counted <= lines + 1, "\(text.debugDescription): \(lines) lines, counted \(counted)")
    }

    @Test func theFingerprintIgnoresLineEndingsAndBlankLinesAndIsPinned() throws {
        // The value written into every model file: it must not change, or `gpt eval` stops
        // recognising the training files of existing models. FNV-1a of "<line>\n" for each line.
        let lines = ["disk full -> ERROR", "cache warm -> INFO"]
        for ending in ["\n", "\r\n", "\r"] {
            let dataset = try LogDataset.parse(lines.joined(separator: ending + ending) + ending, source: "f.txt")
            #expect(dataset.fingerprint == "5f864333c9f13ad0", "line ending \(ending.debugDescription)")
        }
    }

    @Test func examplesBuiltInMemoryAreReadLikeAFile() throws {
        let examples = [LogExample(message: "café ok", label: .info, lineNumber: 3),
                        LogExample(message: "db down", label: .error, lineNumber: 7),
                        LogExample(message: "café ok", label: .info, lineNumber: 9)]
        let dataset = LogDataset(source: "memory", examples: examples)
        #expect(Array(dataset.examples) == examples)
        #expect(dataset.duplicateCount == 1)
        #expect(dataset.fingerprint == (try LogDataset.parse("café ok -> INFO\ndb down -> ERROR\ncafé ok -> INFO\n", source: "x").fingerprint))
    }

    @Test func duplicatesAndMessageGroupsCompareTheBytes() throws {
        let text = (0..<2000).map { "event \($0) -> INFO\n" }.joined() + "event 7 -> ERROR\nevent 7 -> INFO\nevent 1999 -> INFO\n"
        let dataset = try LogDataset.parse(text, source: "many.txt")
        #expect(dataset.duplicateCount == 2)  // the last two lines; "event 7 -> ERROR" has another label
        let split = DatasetSplit(dataset, seed: 3)
        let partsWithEvent7 = [split.train, split.validation, split.test].filter { $0.contains { $0.message == "event 7" } }
        #expect(partsWithEvent7.count == 1)
        #expect(partsWithEvent7.first?.filter { $0.message == "event 7" }.count == 3)
        #expect(split.train.count + split.validation.count + split.test.count == 2003)
    }

    @Test func skipsAByteOrderMark() throws {
        let dataset = try LogDataset.parse("\u{FEFF}cache warmed on web-01 -> INFO\n", source: "bom.txt")
        #expect(dataset.examples.first?.message == "cache warmed on web-01")
    }

    @Test func skipsAndCountsBlankLines() throws {
        let dataset = try LogDataset.parse("\nfirst message -> INFO\n   \n\t\r\nsecond message -> ERROR\n\n", source: "blank.txt")
        #expect(dataset.skippedBlankLines == 4)
        #expect(dataset.examples.map(\.lineNumber) == [2, 5])
    }

    @Test func countsDuplicatesAndKeepsThem() throws {
        let text = "disk full -> ERROR\ndisk full -> WARNING\ndisk full -> ERROR\ncache warm -> INFO\ndisk full -> ERROR\n"
        let dataset = try LogDataset.parse(text, source: "dup.txt")
        #expect(dataset.examples.count == 5)
        #expect(dataset.duplicateCount == 2)
    }

    @Test func charactersAreSortedByScalar() throws {
        let dataset = try LogDataset.parse("zé a -> INFO\n", source: "chars.txt")
        #expect(dataset.characters == [" ", "-", ">", "F", "I", "N", "O", "a", "z", "é"])
    }

    @Test func handlesNonASCIIMessages() throws {
        let dataset = try LogDataset.parse("café übersicht → ok -> INFO\n", source: "utf8.txt")
        #expect(dataset.examples.first?.message == "café übersicht → ok")
        #expect(dataset.characters.contains("→"))
    }

    // MARK: Errors

    @Test func lineWithoutSeparator() {
        let error = parseError("good line here -> INFO\ndisk is full ERROR\n", source: "Dataset/x.txt")
        #expect(error?.line == 2)
        #expect(error?.description.hasPrefix("Dataset/x.txt:2: no ' -> ' separator before the label\nHINT: ") == true)
    }

    @Test func unknownLabelListsTheValidOnes() {
        let error = parseError("good line here -> INFO\n\nnode crashed -> FATAL\n", source: "labels.txt")
        #expect(error?.line == 3)
        #expect(error?.description.hasPrefix("labels.txt:3: unknown label 'FATAL'") == true)
        #expect(error?.hint?.contains("INFO, WARNING or ERROR") == true)
    }

    @Test func lowerCaseLabelSuggestsTheRightCase() {
        let error = parseError("node crashed -> error\n", source: "case.txt")
        #expect(error?.description.hasPrefix("case.txt:1: unknown label 'error'") == true)
        #expect(error?.hint?.contains("did you mean 'ERROR'?") == true)
        #expect(parseError("queue backlog -> WARN\n", source: "short.txt")?.hint?.hasPrefix("did you mean 'WARNING'?") == true)
    }

    @Test func missingLabel() {
        let error = parseError("a b -> INFO\nnode crashed -> \r\n", source: "missing.txt")
        #expect(error?.line == 2)
        #expect(error?.reason.contains("the label is missing") == true)
    }

    @Test func emptyMessage() {
        let error = parseError("a b -> INFO\n -> WARNING\n", source: "empty.txt")
        #expect(error?.description.hasPrefix("empty.txt:2: empty message before ' -> WARNING'") == true)
    }

    @Test func emptyDataset() {
        #expect(parseError("", source: "none.txt")?.description.hasPrefix("none.txt: the dataset is empty") == true)
        #expect(parseError("\n \n", source: "blank.txt")?.line == nil)
    }

    @Test func invalidUTF8NamesTheLine() throws {
        let file = try TemporaryFile(bytes: Array("ok line -> INFO\nbad ".utf8) + [0xFF, 0xFE] + Array(" byte -> ERROR\n".utf8))
        let error = loadError(file.path)
        #expect(error?.file == file.path)
        #expect(error?.line == 2)
        #expect(error?.reason.contains("not valid UTF-8 (invalid byte at position 5 of the line)") == true)
    }

    @Test func missingFileAndDirectory() {
        let missing = loadError("/nonexistent/logs.txt")
        #expect(missing?.description.hasPrefix("/nonexistent/logs.txt: no such file\nHINT: ") == true)
        #expect(loadError(NSTemporaryDirectory())?.reason.contains("directory") == true)
    }

    // MARK: Files

    @Test func loadsAFile() throws {
        let file = try TemporaryFile(bytes: Array("worker 12 started -> INFO\nworker 12 died -> ERROR\n".utf8))
        let dataset = try LogDataset.load(path: file.path)
        #expect(dataset.source == file.path)
        #expect(dataset.examples.map(\.label) == [.info, .error])
    }

    /// A named pipe (or /dev/stdin, or `<(...)`) has no size and can be read only once; it was
    /// refused with a false "permission" error.
    @Test func loadsANamedPipe() throws {
        let text = "worker 12 started -> INFO\r\nworker 12 died -> ERROR\n"
        let folder = TemporaryFolder()
        let pipe = folder.file("pipe")
        try #require(mkfifo(pipe, 0o600) == 0)
        let writer = Thread {
            let handle = FileHandle(forWritingAtPath: pipe)  // blocks until the reader opens the pipe
            handle?.write(Data(text.utf8))
            try? handle?.close()
        }
        writer.start()
        let dataset = try LogDataset.load(path: pipe)
        #expect(dataset.source == pipe)
        #expect(dataset.examples.map(\.message) == ["worker 12 started", "worker 12 died"])
        #expect(dataset.fingerprint == (try LogDataset.parse(text, source: "same").fingerprint))
    }

    @Test func readingSaysWhatAPathIs() throws {
        let folder = TemporaryFolder()
        #expect(throws: InputBytes.Failure(.directory, "this is a directory, not a file")) { try InputBytes.read(path: folder.path) }
        #expect(throws: InputBytes.Failure(.missing, "no such file")) { try InputBytes.read(path: folder.file("none")) }
        let file = try TemporaryFile(bytes: Array(repeating: 65, count: 100))
        #expect(try InputBytes.read(path: file.path, limit: 100).count == 100)
        #expect(throws: InputBytes.Failure(.tooLarge, "it is larger than 99 bytes, the most this command reads")) {
            try InputBytes.read(path: file.path, limit: 99)
        }
    }

    /// Read in pieces as small as one byte, a file has the lines it has read whole: a CRLF split
    /// between two pieces is one ending, a byte order mark is skipped only at the start, and a line
    /// longer than a piece grows the buffer.
    @Test(arguments: ["\u{FEFF}a one\rb two\r\n\n  \nc three\nd four", "x\r\n\r\ny\r", "\r\r\n\n", "no ending",
                      "a\n\u{FEFF}b\n", "", "a long line that is longer than every piece\r\nb"])
    func streamedLinesAreTheLinesOfTheWholeFile(text: String) throws {
        let bytes = Array(text.utf8)
        var whole: [(text: [UInt8], number: Int)] = []
        bytes.withUnsafeBufferPointer { buffer in
            TextLines.forEach(in: buffer) { range, number in whole.append((Array(buffer[range]), number)) }
        }
        let file = try TemporaryFile(bytes: bytes)
        for chunkSize in [1, 2, 3, 5, 1 << 16] {
            var streamed: [(text: [UInt8], number: Int)] = []
            try TextLines.stream(path: file.path, chunkSize: chunkSize) { line, number in streamed.append((Array(line), number)) }
            #expect(streamed.map(\.text) == whole.map(\.text), "pieces of \(chunkSize) bytes: \(text.debugDescription)")
            #expect(streamed.map(\.number) == whole.map(\.number), "pieces of \(chunkSize) bytes: \(text.debugDescription)")
        }
        #expect(throws: InputBytes.Failure(.missing, "no such file")) { try TextLines.stream(path: file.path + ".none") { _, _ in } }
    }

    @Test func textLinesEndWhereDatasetLinesEnd() throws {
        let file = try TemporaryFile(bytes: Array("a one\rb two\r\n\n  \nc three\nd four".utf8))
        #expect(try TextLines.read(path: file.path) == ["a one", "b two", "c three", "d four"])
        let bad = try TemporaryFile(bytes: Array("ok\rbad ".utf8) + [0xFF] + Array("\r".utf8))
        #expect(throws: DatasetError(file: bad.path, line: 2, reason: "the line is not valid UTF-8", hint: "save the file as UTF-8 text")) {
            try TextLines.read(path: bad.path)
        }
    }

    @Test func loadsAMillionLines() throws {
        let labels = ["INFO", "WARNING", "ERROR"]
        var bytes: [UInt8] = []
        bytes.reserveCapacity(25_000_000)
        for i in 0..<1_000_000 { bytes += Array("event \(i) -> \(labels[i % 3])\n".utf8) }
        let file = try TemporaryFile(bytes: bytes)
        let dataset = try LogDataset.load(path: file.path)
        #expect(dataset.examples.count == 1_000_000)
        #expect(dataset.duplicateCount == 0)
        #expect(dataset.examples.last == LogExample(message: "event 999999", label: .info, lineNumber: 1_000_000))
    }

    // MARK: Split

    @Test func splitIs80_10_10AndCoversEveryExample() throws {
        let dataset = try LogDataset.parse(LogGenerator.text(count: 1000, seed: 7), source: "gen")
        let split = DatasetSplit(dataset, seed: 42)
        #expect((split.train.count, split.validation.count, split.test.count) == (800, 100, 100))
        let lines = (Array(split.train) + split.validation + split.test).map(\.lineNumber).sorted()
        #expect(lines == Array(1...1000))
    }

    @Test func splitIsDeterministicAndDependsOnTheSeed() throws {
        let dataset = try LogDataset.parse(LogGenerator.text(count: 500, seed: 7), source: "gen")
        let first = DatasetSplit(dataset, seed: 42), again = DatasetSplit(dataset, seed: 42)
        let other = DatasetSplit(dataset, seed: 43)
        #expect(first.train == again.train && first.validation == again.validation && first.test == again.test)
        #expect(first.test != other.test)
    }

    @Test func repeatedMessagesStayInOnePart() throws {
        var text = ""
        for i in 0..<200 {
            text += "unique event \(i) -> INFO\n"
            if i % 10 == 0 { text += "repeated event \(i % 30) -> ERROR\nrepeated event \(i % 30) -> WARNING\n" }
        }
        let dataset = try LogDataset.parse(text, source: "dup")
        #expect(dataset.duplicateCount == 34)
        for seed in UInt64(0)..<20 {
            let split = DatasetSplit(dataset, seed: seed)
            let parts = [split.train, split.validation, split.test].map { Set($0.map(\.message)) }
            #expect(parts[0].isDisjoint(with: parts[1]) && parts[0].isDisjoint(with: parts[2]) && parts[1].isDisjoint(with: parts[2]))
            #expect(split.train.count + split.validation.count + split.test.count == dataset.examples.count)
        }
    }

    @Test func withoutRepeatsKeepsTheFirstOfEachMessageAndLabel() throws {
        let text = "a -> INFO\nb -> ERROR\na -> INFO\na -> WARNING\nb -> ERROR\nc -> INFO\na -> WARNING\n"
        let dataset = try LogDataset.parse(text, source: "repeats")
        let kept = dataset.examples.withoutRepeats()
        // "a" with two labels keeps one line of each: both are what the log says.
        #expect(kept.map(\.text) == ["a -> INFO", "b -> ERROR", "a -> WARNING", "c -> INFO"])
        #expect(kept.map(\.lineNumber) == [1, 2, 4, 6])
        #expect(kept.count == dataset.examples.count - dataset.duplicateCount)
        // A part keeps its own order.
        let split = DatasetSplit(dataset, seed: 3)
        #expect(split.train.withoutRepeats().map(\.text) == split.train.reduce(into: [String]()) { seen, example in
            if !seen.contains(example.text) { seen.append(example.text) }
        })
    }

    @Test func rareLabelsAreRepeatedByTheSquareRootOfHowRareTheyAre() throws {
        // 100 INFO, 10 WARNING, 1 ERROR: WARNING is 10 times rarer (sqrt 3.16, so 3 visits),
        // ERROR 100 times (sqrt 10, capped at 8).
        let lines = (0..<100).map { "info \($0) -> INFO" } + (0..<10).map { "warn \($0) -> WARNING" } + ["boom -> ERROR"]
        let examples = try LogDataset.parse(lines.joined(separator: "\n"), source: "rare").examples
        let (visited, repeats) = examples.withRareLabelsRepeated(atMost: 8)
        #expect(repeats == [.info: 1, .warning: 3, .error: 8])
        #expect(visited.count == 100 + 30 + 8)
        #expect(visited.filter { $0.text == "warn 4 -> WARNING" }.count == 3)
        // Each line's copies follow it, so the order of the lines is kept.
        #expect(visited.map(\.text).prefix(3) == ["info 0 -> INFO", "info 1 -> INFO", "info 2 -> INFO"])
        #expect(examples.withRareLabelsRepeated(atMost: 1).examples.map(\.text) == examples.map(\.text))
        // Labels less than 2.25 times rarer than the commonest keep their lines once: our own file
        // trains on exactly its lines.
        let near = try LogDataset.parse((0..<20).map { "a \($0) -> INFO" }.joined(separator: "\n") + "\n"
                                        + (0..<9).map { "b \($0) -> ERROR" }.joined(separator: "\n"), source: "near").examples
        #expect(near.withRareLabelsRepeated(atMost: 8).repeats == [.info: 1, .error: 1])
        let ours = try LogDataset.load(path: LogGeneratorTests.committedFile.path).examples.withoutRepeats()
        #expect(ours.withRareLabelsRepeated(atMost: 8).examples.map(\.text) == ours.map(\.text))
    }

    @Test func splitOfATinyDataset() throws {
        let dataset = try LogDataset.parse("only one line -> INFO\n", source: "one")
        let split = DatasetSplit(dataset, seed: 1)
        #expect((split.train.count, split.validation.count, split.test.count) == (1, 0, 0))
    }

    // MARK: Helpers

    private func parseError(_ text: String, source: String) -> DatasetError? {
        do { _ = try LogDataset.parse(text, source: source) } catch { return error }
        return nil
    }

    private func loadError(_ path: String) -> DatasetError? {
        do { _ = try LogDataset.load(path: path) } catch { return error }
        return nil
    }
}

/// A file in the temporary directory, removed when the value is released.
private final class TemporaryFile {
    let path: String

    init(bytes: [UInt8]) throws {
        path = NSTemporaryDirectory() + "dataset-test-\(UUID().uuidString).txt"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
