// Reads labelled log lines, "<message> -> <LABEL>", one per line, into examples.
// Built for files of millions of lines: the file is read once as bytes, split on newline bytes, and
// only each message is decoded; the label is matched as bytes. Every problem names the file, the
// 1-based line and what to do about it.
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
    public let examples: [LogExample]
    /// Lines whose full text repeats an earlier line.
    public let duplicateCount: Int
    /// Whitespace-only lines, which are skipped.
    public let skippedBlankLines: Int

    /// A dataset of `examples`, counting the ones whose text repeats an earlier one.
    public init(source: String, examples: [LogExample], skippedBlankLines: Int = 0) {
        struct Key: Hashable { let message: String, label: LogLabel }
        var seen = Set<Key>(minimumCapacity: examples.count)
        self.source = source
        self.examples = examples
        self.duplicateCount = examples.count { !seen.insert(Key(message: $0.message, label: $0.label)).inserted }
        self.skippedBlankLines = skippedBlankLines
    }

    /// Reads the dataset file at `path`.
    public static func load(path: String) throws(DatasetError) -> LogDataset {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw unreadable(path, because: error)
        }
        return try data.withUnsafeBytes { bytes in
            Result { () throws(DatasetError) in try parse(utf8: bytes.bindMemory(to: UInt8.self), source: path) }
        }.get()
    }

    /// Reads dataset lines from `text`; `source` names it in errors.
    public static func parse(_ text: String, source: String) throws(DatasetError) -> LogDataset {
        var text = text
        return try text.withUTF8 { utf8 in
            Result { () throws(DatasetError) in try parse(utf8: utf8, source: source) }
        }.get()
    }

    /// Every distinct character that appears in the examples' `text`, sorted by Unicode scalar value.
    public var characters: [Character] {
        // Nearly every message is ASCII, where a byte is a character: mark those bytes in a table
        // instead of hashing every Character, which matters for files of millions of lines.
        var asciiSeen = [Bool](repeating: false, count: 128)
        var found = Set<Character>()
        var labels = Set<LogLabel>()
        for example in examples {
            labels.insert(example.label)
            if example.message.utf8.allSatisfy({ $0 < 128 }) {
                for byte in example.message.utf8 { asciiSeen[Int(byte)] = true }
            } else {
                found.formUnion(example.text)
            }
        }
        if !examples.isEmpty { found.formUnion(LogExample.separator) }
        for label in labels { found.formUnion(label.rawValue) }
        for byte in 0..<128 where asciiSeen[byte] { found.insert(Character(Unicode.Scalar(UInt8(byte)))) }
        return found.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) { $0.value < $1.value } }
    }
}

// MARK: - Reading lines

// The reading loop walks raw pointers with plain integer offsets and compares bytes with memchr and
// memcmp: slices of buffers go through generic code that, unoptimised in debug builds (the tests),
// read a million lines about eight times slower.
extension LogDataset {
    private static let newline = Int32(UInt8(ascii: "\n"))
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Splits `bytes` into lines and reads each one.
    static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>, source: String) throws(DatasetError) -> LogDataset {
        var examples: [LogExample] = []
        var blankLines = 0
        var lineNumber = 0
        if let base = bytes.baseAddress {
            var lineStart = bytes.starts(with: byteOrderMark) ? byteOrderMark.count : 0
            while lineStart < bytes.count {
                lineNumber += 1
                let lineEnd = memchr(base + lineStart, newline, bytes.count - lineStart)
                    .map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? bytes.count
                let line = UnsafeBufferPointer(start: base + lineStart, count: lineEnd - lineStart)
                if isBlank(line) {
                    blankLines += 1
                } else {
                    examples.append(try LineReader(bytes: line, number: lineNumber, source: source).example())
                }
                lineStart = lineEnd + 1
            }
        }
        guard !examples.isEmpty else {
            throw DatasetError(file: source, line: nil,
                               reason: lineNumber == 0 ? "the dataset is empty" : "the dataset has only blank lines",
                               hint: LineReader.lineShape)
        }
        return LogDataset(source: source, examples: examples, skippedBlankLines: blankLines)
    }

    /// True when every byte is a space, a tab or a carriage return.
    fileprivate static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index < bytes.count && isWhitespace(bytes[index]) { index += 1 }
        return index == bytes.count
    }

    fileprivate static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    private static func unreadable(_ path: String, because error: any Error) -> DatasetError {
        var isDirectory: ObjCBool = false
        let reason: String
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            reason = "no such file"
        } else if isDirectory.boolValue {
            reason = "this is a directory, not a dataset file"
        } else {
            reason = "cannot read the file (\(error.localizedDescription))"
        }
        return DatasetError(file: path, line: nil, reason: reason,
                            hint: "check the path; `gpt dataset` writes a generated dataset to start from")
    }
}

/// Reads one non-blank line: the label is what follows the last " -> ", the message what precedes it.
private struct LineReader {
    /// The line without its newline; never empty.
    let bytes: UnsafeBufferPointer<UInt8>
    let number: Int
    let source: String

    static let lineShape = "each line must look like '<message> -> INFO', with \(LogLabel.spelledOut) after the last ' -> '"
    private static let separator = Array(LogExample.separator.utf8)
    private static let labels = LogLabel.allCases.map { (label: $0, bytes: Array($0.rawValue.utf8)) }

    func example() throws(DatasetError) -> LogExample {
        guard let separatorStart = lastSeparator() else {
            throw failure("no '\(LogExample.separator)' separator before the label", hint: Self.lineShape)
        }
        // Spaces around the label and the "\r" of a CRLF file belong to neither the message nor the label.
        var labelStart = separatorStart + Self.separator.count
        var labelEnd = bytes.count
        while labelEnd > labelStart && LogDataset.isWhitespace(bytes[labelEnd - 1]) { labelEnd -= 1 }
        while labelStart < labelEnd && bytes[labelStart] == UInt8(ascii: " ") { labelStart += 1 }
        let labelBytes = part(labelStart..<labelEnd)
        let messageBytes = part(0..<separatorStart)
        guard let message = String(validating: messageBytes, as: UTF8.self) else { throw invalidUTF8() }
        guard let label = Self.labels.first(where: { matches(labelBytes, $0.bytes) })?.label else {
            throw unknownLabel(labelBytes)
        }
        guard !LogDataset.isBlank(messageBytes) else {
            throw failure("empty message before '\(LogExample.separator)\(label.rawValue)'",
                          hint: "write the log message before the separator, as in 'disk /var/lib/postgres at 91% -> WARNING'")
        }
        return LogExample(message: message, label: label, lineNumber: number)
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
