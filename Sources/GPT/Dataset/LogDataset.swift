// Reads labelled log lines, "<message> -> <LABEL>", one per line, into examples.
// Built for files of millions of lines: the input is read once into one buffer (InputFile.swift,
// which also says where a line ends), and an example is only where its message lies in that
// buffer, its label and its line number, about 30 bytes besides the text itself; a message becomes
// a String only when it is read. Every problem names the file, the 1-based line and what to do.
import Foundation

/// One labelled line of a dataset.
public struct LogExample: Sendable, Equatable {
    public var message: String
    public var label: LogLabel
    /// 1-based line in the source the example was read from.
    public var lineNumber: Int

    public init(message: String, label: LogLabel, lineNumber: Int) {
        self.message = message
        self.label = label
        self.lineNumber = lineNumber
    }

    /// What stands between a message and its label in a dataset line.
    public static let separator = " -> "

    /// The full training document text: "\(message) -> \(label.rawValue)".
    public var text: String { message + LogExample.separator + label.rawValue }
}

/// A dataset that cannot be read, with the file, the line (when one is to blame) and a hint.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    public let file: String
    /// 1-based line, or nil when the problem is the whole file.
    public let line: Int?
    public let reason: String
    public let hint: String?

    public init(file: String, line: Int?, reason: String, hint: String?) {
        self.file = file
        self.line = line
        self.reason = reason
        self.hint = hint
    }

    /// "file:line: reason", then "HINT: ..." on its own line.
    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return "\(place): \(reason)" + (hint.map { "\nHINT: \($0)" } ?? "")
    }
}

/// The labelled lines of one dataset file, in file order, duplicates included.
public struct LogDataset: Sendable {
    /// The path the lines were read from, or the name given to `parse`.
    public let source: String
    /// Every non-blank line, in file order; a repeated line appears each time it occurs.
    public let examples: LogExamples
    /// Whitespace-only lines, which are skipped.
    public let skippedBlankLines: Int

    /// Lines whose full text (message and label) repeats an earlier line.
    public var duplicateCount: Int { examples.store.duplicateCount }

    private init(source: String, store: ExampleStore, skippedBlankLines: Int) {
        self.source = source
        self.examples = LogExamples(store: store, selection: nil)
        self.skippedBlankLines = skippedBlankLines
    }

    /// A dataset of `examples`, counting the ones whose text repeats an earlier one.
    public init(source: String, examples: [LogExample], skippedBlankLines: Int = 0) {
        var text: [UInt8] = []
        var records = ExampleRecords(capacity: examples.count)
        for example in examples {
            records.append(messageStart: text.count, length: example.message.utf8.count, label: example.label,
                           lineNumber: example.lineNumber)
            text += example.message.utf8
        }
        self.init(source: source, store: ExampleStore(text: InputBytes(copying: text), records: records),
                  skippedBlankLines: skippedBlankLines)
    }

    /// Reads the dataset file at `path`: a regular file, or a named pipe, /dev/stdin or a process
    /// substitution, which are read once to their end.
    public static func load(path: String) throws(DatasetError) -> LogDataset {
        let input: InputBytes
        do {
            input = try InputBytes.read(path: path)
        } catch {
            throw DatasetError(file: path, line: nil, reason: error.reason,
                               hint: "check the path; `gpt dataset` writes a generated dataset to start from")
        }
        return try parse(input, source: path)
    }

    /// Reads dataset lines from `text`; `source` names it in errors.
    public static func parse(_ text: String, source: String) throws(DatasetError) -> LogDataset {
        try parse(InputBytes(copying: text.utf8), source: source)
    }

    /// Every distinct character that appears in the examples' `text`, sorted by Unicode scalar value.
    public var characters: [Character] {
        // Nearly every message is ASCII, where a byte is a character: mark those bytes in a table
        // instead of hashing every Character, which matters for files of millions of lines.
        let store = examples.store
        var asciiSeen = [Bool](repeating: false, count: 128)
        var found = Set<Character>()
        var labels = Set<LogLabel>()
        for index in 0..<store.count {
            labels.insert(store.labels[index])
            let message = store.message(index)
            if isASCII(message) {
                for byte in message { asciiSeen[Int(byte)] = true }
            } else {
                found.formUnion(store.example(index).text)
            }
        }
        if store.count > 0 { found.formUnion(LogExample.separator) }
        for label in labels { found.formUnion(label.rawValue) }
        for byte in 0..<128 where asciiSeen[byte] { found.insert(Character(Unicode.Scalar(UInt8(byte)))) }
        return found.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) { $0.value < $1.value } }
    }

    /// A 64-bit FNV-1a hash of every example's line ("<message> -> <LABEL>" and a newline), in
    /// order, as 16 hex digits: recognises the training file later (to evaluate on its test part)
    /// wherever it has been moved, and whatever its line endings or blank lines.
    public var fingerprint: String {
        let store = examples.store
        var hash = FNV1a()
        for index in 0..<store.count {
            hash.add(store.message(index))
            hash.add(LogExample.separator.utf8)
            hash.add(store.labels[index].rawValue.utf8)
            hash.add(UInt8(ascii: "\n"))
        }
        let digits = String(hash.value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// The examples of a dataset, or of one part of its split: a collection of `LogExample`, each
/// made from the dataset's bytes when it is read.
public struct LogExamples: RandomAccessCollection, Sendable, Equatable {
    let store: ExampleStore
    /// Which of the store's examples, in order; nil for all of them in file order.
    let selection: [Int32]?

    public var startIndex: Int { 0 }
    public var endIndex: Int { selection?.count ?? store.count }

    public subscript(position: Int) -> LogExample {
        store.example(storeIndex(position))
    }

    /// The example's index in the whole dataset.
    func storeIndex(_ position: Int) -> Int {
        selection.map { Int($0[position]) } ?? position
    }

    /// Equal when they hold equal examples in the same order.
    public static func == (a: LogExamples, b: LogExamples) -> Bool {
        a.elementsEqual(b)
    }
}

/// Where each example of a dataset lies, built line by line as the file is read.
struct ExampleRecords {
    var messageStarts: [Int] = []  // byte offset of the message in the text
    var messageLengths: [Int] = []
    var labels: [LogLabel] = []
    var lineNumbers: [Int] = []

    init(capacity: Int) {
        messageStarts.reserveCapacity(capacity)
        messageLengths.reserveCapacity(capacity)
        labels.reserveCapacity(capacity)
        lineNumbers.reserveCapacity(capacity)
    }

    mutating func append(messageStart: Int, length: Int, label: LogLabel, lineNumber: Int) {
        messageStarts.append(messageStart)
        messageLengths.append(length)
        labels.append(label)
        lineNumbers.append(lineNumber)
    }

    var count: Int { labels.count }
}

/// A dataset's examples: the text they were read from, where each message lies in it, and which
/// examples share a message. Never changed once built.
final class ExampleStore: @unchecked Sendable {
    let text: InputBytes
    let messageStarts: [Int]
    let messageLengths: [Int]
    let labels: [LogLabel]
    let lineNumbers: [Int]
    /// The message group of each example: examples with the same message bytes share one, and
    /// groups are numbered in the order their first example appears.
    let groups: [Int32]
    let groupCount: Int
    /// Examples whose message and label repeat an earlier example's.
    let duplicateCount: Int

    init(text: InputBytes, records: ExampleRecords) {
        self.text = text
        messageStarts = records.messageStarts
        messageLengths = records.messageLengths
        labels = records.labels
        lineNumbers = records.lineNumbers
        (groups, groupCount) = Self.groupByMessage(records, text: text)
        var labelsOfGroup = [UInt8](repeating: 0, count: groupCount)  // one bit per label seen
        var duplicates = 0
        for index in 0..<records.count {
            let bit = UInt8(1) << UInt8(LogLabel.allCases.firstIndex(of: records.labels[index])!)
            let group = Int(groups[index])
            if labelsOfGroup[group] & bit != 0 { duplicates += 1 }
            labelsOfGroup[group] |= bit
        }
        duplicateCount = duplicates
    }

    var count: Int { labels.count }

    /// The bytes of example `index`'s message.
    func message(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: text.buffer[messageStarts[index]..<(messageStarts[index] + messageLengths[index])])
    }

    func example(_ index: Int) -> LogExample {
        // The reader checked every message is UTF-8, so decoding changes nothing.
        LogExample(message: String(decoding: message(index), as: UTF8.self), label: labels[index], lineNumber: lineNumbers[index])
    }

    /// Numbers the distinct messages in order of first appearance. An open-addressing table of
    /// first examples, found by an FNV-1a hash of the message and confirmed byte by byte, so two
    /// messages share a group only when their bytes are equal; it costs 4 to 16 bytes an example,
    /// where a dictionary of Strings cost over a hundred.
    private static func groupByMessage(_ records: ExampleRecords, text: InputBytes) -> (groups: [Int32], count: Int) {
        var capacity = 2
        while capacity < 2 * records.count { capacity *= 2 }  // at most half full: short probe runs
        let mask = capacity - 1
        var firstOfGroup = [Int32](repeating: -1, count: capacity)  // by slot: the first example of a group
        var groups: [Int32] = []
        groups.reserveCapacity(records.count)
        var groupCount: Int32 = 0
        let base = text.buffer.baseAddress
        for index in 0..<records.count {
            let start = records.messageStarts[index], length = records.messageLengths[index]
            var slot = Int(truncatingIfNeeded: FNV1a.hash(UnsafeBufferPointer(start: base.map { $0 + start }, count: length))) & mask
            while true {
                let first = Int(firstOfGroup[slot])
                if first < 0 {
                    firstOfGroup[slot] = Int32(index)
                    groups.append(groupCount)
                    groupCount += 1
                    break
                }
                if records.messageLengths[first] == length
                    && (length == 0 || memcmp(base! + records.messageStarts[first], base! + start, length) == 0) {
                    groups.append(groups[first])
                    break
                }
                slot = (slot + 1) & mask
            }
        }
        return (groups, Int(groupCount))
    }
}

/// True when every byte is below 128.
private func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var combined: UInt8 = 0
    for byte in bytes { combined |= byte }
    return combined < 128
}

// MARK: - Reading lines

extension LogDataset {
    /// The most examples a dataset may hold: they are numbered with 32-bit integers.
    static let maxExamples = Int(Int32.max)

    /// Splits `input` into lines (InputFile.swift says where lines end) and reads each one.
    static func parse(_ input: InputBytes, source: String) throws(DatasetError) -> LogDataset {
        let bytes = input.buffer
        var records = ExampleRecords(capacity: TextLines.count(in: bytes))
        var blankLines = 0
        var lines = 0
        try TextLines.forEach(in: bytes) { (range, number) throws(DatasetError) in
            lines = number
            let line = UnsafeBufferPointer(rebasing: bytes[range])
            if isBlank(line) {
                blankLines += 1
                return
            }
            guard records.count < maxExamples else {
                throw DatasetError(file: source, line: number, reason: "the dataset has more than \(maxExamples) lines",
                                   hint: "split it into smaller files")
            }
            let (messageLength, label) = try LineReader(bytes: line, number: number, source: source).read()
            records.append(messageStart: range.lowerBound, length: messageLength, label: label, lineNumber: number)
        }
        guard records.count > 0 else {
            throw DatasetError(file: source, line: nil,
                               reason: lines == 0 ? "the dataset is empty" : "the dataset has only blank lines",
                               hint: LineReader.lineShape)
        }
        return LogDataset(source: source, store: ExampleStore(text: input, records: records), skippedBlankLines: blankLines)
    }

    /// True when every byte is a space or a tab.
    fileprivate static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index < bytes.count && isWhitespace(bytes[index]) { index += 1 }
        return index == bytes.count
    }

    fileprivate static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}

/// Reads one non-blank line: the label is what follows the last " -> ", the message what precedes it.
private struct LineReader {
    /// The line without its line ending; never blank.
    let bytes: UnsafeBufferPointer<UInt8>
    let number: Int
    let source: String

    static let lineShape = "each line must look like '<message> -> INFO', with \(LogLabel.spelledOut) after the last ' -> '"
    private static let separator = Array(LogExample.separator.utf8)
    private static let labels = LogLabel.allCases.map { (label: $0, bytes: Array($0.rawValue.utf8)) }

    /// The length in bytes of the message, which starts the line, and the label.
    func read() throws(DatasetError) -> (messageLength: Int, label: LogLabel) {
        guard let separatorStart = lastSeparator() else {
            throw failure("no '\(LogExample.separator)' separator before the label", hint: Self.lineShape)
        }
        // Spaces and tabs around the label belong to neither the message nor the label.
        var labelStart = separatorStart + Self.separator.count
        var labelEnd = bytes.count
        while labelEnd > labelStart && LogDataset.isWhitespace(bytes[labelEnd - 1]) { labelEnd -= 1 }
        while labelStart < labelEnd && bytes[labelStart] == UInt8(ascii: " ") { labelStart += 1 }
        let labelBytes = part(labelStart..<labelEnd)
        let messageBytes = part(0..<separatorStart)
        guard isASCII(messageBytes) || String(validating: messageBytes, as: UTF8.self) != nil else { throw invalidUTF8() }
        guard let label = Self.labels.first(where: { matches(labelBytes, $0.bytes) })?.label else {
            throw unknownLabel(labelBytes)
        }
        guard !LogDataset.isBlank(messageBytes) else {
            throw failure("empty message before '\(LogExample.separator)\(label.rawValue)'",
                          hint: "write the log message before the separator, as in 'disk /var/lib/postgres at 91% -> WARNING'")
        }
        return (separatorStart, label)
    }

    /// Start of the last " -> " in the line. The separator is ASCII, so a byte search cannot
    /// match inside a multi-byte UTF-8 character.
    private func lastSeparator() -> Int? {
        let width = Self.separator.count
        var start = bytes.count - width
        while start >= 0 {
            if matches(part(start..<(start + width)), Self.separator) { return start }
            start -= 1
        }
        return nil
    }

    private func matches(_ part: UnsafeBufferPointer<UInt8>, _ expected: [UInt8]) -> Bool {
        part.count == expected.count && memcmp(part.baseAddress!, expected, expected.count) == 0
    }

    /// The bytes in `range` of the line, as a buffer of their own.
    private func part(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: bytes.baseAddress! + range.lowerBound, count: range.count)
    }

    private func unknownLabel(_ labelBytes: UnsafeBufferPointer<UInt8>) -> DatasetError {
        guard let text = String(validating: labelBytes, as: UTF8.self) else { return invalidUTF8() }
        if text.isEmpty {
            return failure("nothing after the last '\(LogExample.separator)': the label is missing",
                           hint: "end the line with \(LogLabel.spelledOut)")
        }
        let shown = text.count > 40 ? text.prefix(40) + "..." : text
        // "error" and "Warn" are near misses worth naming; "FATAL" is not.
        let upper = text.uppercased()
        if let meant = LogLabel.allCases.first(where: { $0.rawValue == upper || (upper.count >= 3 && $0.rawValue.hasPrefix(upper)) }) {
            return failure("unknown label '\(shown)'",
                           hint: "did you mean '\(meant.rawValue)'? labels are \(LogLabel.spelledOut), in full and in upper case")
        }
        return failure("unknown label '\(shown)'",
                       hint: "the label is the text after the last '\(LogExample.separator)' and must be \(LogLabel.spelledOut)")
    }

    private func invalidUTF8() -> DatasetError {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while case .valid(let scalar) = parser.parseScalar(from: &iterator) { offset += scalar.count }
        return DatasetError(file: source, line: number,
                            reason: "the line is not valid UTF-8 (invalid byte at position \(offset + 1) of the line)",
                            hint: "save the dataset as UTF-8 text")
    }

    /// An error for this line; a line that is also not UTF-8 reports that first, as the likelier cause.
    private func failure(_ reason: String, hint: String) -> DatasetError {
        if String(validating: bytes, as: UTF8.self) == nil { return invalidUTF8() }
        return DatasetError(file: source, line: number, reason: reason, hint: hint)
    }
}
