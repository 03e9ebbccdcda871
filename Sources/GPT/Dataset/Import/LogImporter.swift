// Raw log lines in, dataset examples out, in one pass that holds one record at a time.
//
// Each non-blank line is one of three things:
// - a line the format reads: it starts a record (or, when its level is unknown or mapped to SKIP,
//   a left-out line, counted);
// - a continuation (MessageText.isContinuation: a stack frame, `Caused by:`, a wrapped line): it is
//   joined to the record above it with one space, and is never a record of its own. A line the
//   format reads is one too when its message is, and its level and source are the record's: OpenStack
//   and Android repeat the prefix on every line of a stack trace;
// - anything else: counted as matching no pattern, and quoted (the first few, with line numbers).
// A record becomes an example when the next line that is not a continuation arrives, or the input
// ends. The format is named, or detected from the first `sampleSize` non-blank lines, which are
// held until it is known and then read like every other line.
import Foundation

/// Why a log cannot be imported, and what to do.
public struct ImportError: Error, CustomStringConvertible, Equatable {
    public let reason: String
    public let hint: String?

    public init(_ reason: String, hint: String? = nil) {
        self.reason = reason
        self.hint = hint
    }

    /// The reason, then "HINT: ..." on its own line.
    public var description: String { reason + (hint.map { "\nHINT: \($0)" } ?? "") }
}

/// A line of the input as a report quotes it.
public struct NumberedLine: Sendable, Equatable {
    /// 1-based line number in the input.
    public let number: Int
    /// The line, cut to its first 200 characters.
    public let text: String

    public init(number: Int, text: String) {
        self.number = number
        self.text = text.count > 200 ? String(text.prefix(200)) : text
    }
}

/// What an import read, wrote and left out: every non-blank line is in exactly one count.
public struct ImportSummary: Sendable, Equatable {
    /// How many lines of each kind a report quotes.
    public static let quotedLines = 5

    /// The format the lines were read in ("log4j", or "pattern"); empty when there was nothing to read.
    public internal(set) var format = ""
    /// Why that format: the detection's reason, or that it was named.
    public internal(set) var formatReason = ""
    /// Every line of the input, blank ones included.
    public internal(set) var linesRead = 0
    public internal(set) var blankLines = 0
    /// Examples written, by label.
    public internal(set) var records: [LogLabel: Int] = [:]
    /// Lines joined to the record above them (stack traces, wrapped lines).
    public internal(set) var continuationLines = 0
    /// Continuations of a line that was left out (unknown level, skipped level, no pattern), left out with it.
    public internal(set) var continuationLinesLeftOut = 0
    /// Lines no pattern of the format reads and that continue no line: left out.
    public internal(set) var unmatchedLines = 0
    /// The first `quotedLines` of them.
    public internal(set) var unmatchedQuoted: [NumberedLine] = []
    /// Lines the format reads whose level the level table does not know, by level (upper case): left out.
    public internal(set) var unknownLevels: [String: Int] = [:]
    /// The first `quotedLines` of them.
    public internal(set) var unknownLevelQuoted: [NumberedLine] = []
    /// Lines whose level the table maps to SKIP, by level (upper case): left out.
    public internal(set) var skippedLevels: [String: Int] = [:]
    /// Records left with nothing once the level, the time and the ids were taken out: left out.
    public internal(set) var emptyMessages = 0
    /// Messages cut to the longest length kept.
    public internal(set) var cutMessages = 0
    /// Lines that were not valid UTF-8, whose bad bytes became U+FFFD.
    public internal(set) var repairedLines = 0

    /// Nothing read yet.
    public init() {}

    /// Examples written.
    public var recordCount: Int { records.values.reduce(0, +) }
    /// Lines left out for their level.
    public var unknownLevelLines: Int { unknownLevels.values.reduce(0, +) }
    public var skippedLevelLines: Int { skippedLevels.values.reduce(0, +) }
}

/// Turns raw log lines into `LogExample`s, reading each line's level with a format.
public struct LogImporter {
    /// How the lines are read.
    public enum FormatChoice: Sendable {
        /// Detected from the first lines (`FormatDetection`).
        case automatic
        case format(LogFormat)
        case pattern(LinePattern)
    }

    /// How to read the lines, and what to keep of them.
    public struct Settings: Sendable {
        public var format: FormatChoice = .automatic
        public var levels: LevelTable = .standard
        public var jsonKeys: JSONKeys = .standard
        /// The longest message kept, in characters (a record with a long stack trace is cut); ten
        /// times the model's default block, so the cut never decides what the model reads.
        public var maxMessageLength = 1000
        /// How many non-blank lines detection looks at.
        public var sampleSize = 200

        public init() {}
    }

    /// The counts so far; complete once `finish` returns.
    public private(set) var summary = ImportSummary()
    private let settings: Settings
    private var parser: LineParser?
    /// Lines held until the format is detected.
    private var sample: [(text: String, number: Int)] = []
    private var pending = Pending.nothing

    private enum Pending {
        case nothing
        /// A record, to which continuations are joined until it is `full`; `level` and `source`
        /// are as its line wrote them.
        case record(message: String, label: LogLabel, line: Int, full: Bool, level: String, source: String)
        /// A line left out, whose continuations are left out with it.
        case leftOut
    }

    /// An importer with `settings`.
    ///
    /// - Throws: `ImportError` when a setting is out of range.
    public init(_ settings: Settings = Settings()) throws(ImportError) {
        guard settings.maxMessageLength >= 1 else {
            throw ImportError("the longest message kept is \(settings.maxMessageLength) characters; it must be at least 1")
        }
        guard settings.sampleSize >= 1 else { throw ImportError("detection must look at 1 line or more, not \(settings.sampleSize)") }
        self.settings = settings
        switch settings.format {
        case .automatic: break
        case .format(let format):
            parser = LineParser(format, jsonKeys: settings.jsonKeys)
            summary.format = format.rawValue
            summary.formatReason = "named, not detected"
        case .pattern(let pattern):
            parser = LineParser(pattern: pattern)
            summary.format = "pattern"
            summary.formatReason = "read with the pattern \(pattern.pattern)"
        }
    }

    /// Reads the next line, given as bytes (invalid UTF-8 is repaired and counted), and passes
    /// `emit` every example it completes.
    public mutating func read(bytes: UnsafeBufferPointer<UInt8>, number: Int, emit: (LogExample) throws -> Void) throws {
        if let text = String(validating: bytes, as: UTF8.self) { return try read(text, number: number, emit: emit) }
        summary.repairedLines += 1
        try read(String(decoding: bytes, as: UTF8.self), number: number, emit: emit)
    }

    /// Reads the next line (without its line ending; `number` is 1-based) and passes `emit` every
    /// example it completes.
    ///
    /// - Throws: `ImportError` when detection finds no format, or what `emit` throws.
    public mutating func read(_ raw: String, number: Int, emit: (LogExample) throws -> Void) throws {
        summary.linesRead += 1
        let line = MessageText.withoutTerminalEscapes(raw)
        if line.utf8.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
            summary.blankLines += 1
        } else if let parser {
            try take(line, number: number, parser: parser, emit: emit)
        } else {
            sample.append((line, number))
            if sample.count == settings.sampleSize { try detect(emit: emit) }
        }
    }

    /// Ends the input: detects the format of a short input, passes `emit` the last example, and
    /// returns the counts.
    public mutating func finish(emit: (LogExample) throws -> Void) throws -> ImportSummary {
        if parser == nil && !sample.isEmpty { try detect(emit: emit) }
        try flush(emit: emit)
        return summary
    }

    // MARK: Whole inputs

    /// Imports every line of `path` ("-" for standard input), read in pieces so the file is never
    /// held whole, passing `emit` each example in input order.
    ///
    /// - Throws: `ImportError` when the input cannot be read or no format reads it, or what `emit` throws.
    public static func importFile(path: String, settings: Settings = Settings(), emit: (LogExample) throws -> Void) throws
        -> ImportSummary {
        var importer = try LogImporter(settings)
        do {
            try TextLines.stream(path: path) { bytes, number in try importer.read(bytes: bytes, number: number, emit: emit) }
        } catch let failure as InputBytes.Failure {
            throw ImportError("\(path == "-" ? "standard input" : path): \(failure.reason)", hint: "check the path of the log to import")
        }
        return try importer.finish(emit: emit)
    }

    /// Imports the lines of `text`, cut where `TextLines` cuts a file.
    public static func importText(_ text: String, settings: Settings = Settings()) throws -> (examples: [LogExample], summary: ImportSummary) {
        var importer = try LogImporter(settings)
        var examples: [LogExample] = []
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBufferPointer { buffer in
            try TextLines.forEach(in: buffer) { range, number in
                try importer.read(bytes: UnsafeBufferPointer(rebasing: buffer[range]), number: number) { examples.append($0) }
            }
        }
        let summary = try importer.finish { examples.append($0) }
        return (examples, summary)
    }

    // MARK: Reading a line

    private mutating func detect(emit: (LogExample) throws -> Void) throws {
        guard let detection = FormatDetection.detect(sample.map(\.text), levels: settings.levels, jsonKeys: settings.jsonKeys) else {
            let first = sample[0]
            throw ImportError("no known format reads any of the first \(sample.count) non-blank lines with a level the table knows; "
                              + "line \(first.number) is \(first.text.prefix(120).debugDescription)",
                              hint: "name the format with --format (\(LogFormat.allCases.map(\.rawValue).joined(separator: ", "))), "
                              + "or give --pattern with (?<level>...) and (?<message>...) groups; "
                              + "--level-map NAME=LABEL adds a level the table lacks")
        }
        let parser = LineParser(detection.format, jsonKeys: settings.jsonKeys)
        self.parser = parser
        summary.format = detection.format.rawValue
        summary.formatReason = detection.reason
        let held = sample
        sample = []
        for (line, number) in held { try take(line, number: number, parser: parser, emit: emit) }
    }

    /// Reads one non-blank line once the format is known.
    private mutating func take(_ line: String, number: Int, parser: LineParser, emit: (LogExample) throws -> Void) throws {
        if let parsed = parser.read(line) {
            if case .record(_, _, _, _, let level, let source) = pending, !source.isEmpty, parsed.source == source,
               parsed.level == level, MessageText.isContinuation(parsed.message) {
                // OpenStack and Android write every line of a stack trace with the full prefix.
                return join(parsed.message)
            }
            try flush(emit: emit)
            let level = parsed.level.uppercased()
            switch settings.levels.mapping(for: level) {
            case nil:
                summary.unknownLevels[level, default: 0] += 1
                if summary.unknownLevelQuoted.count < ImportSummary.quotedLines {
                    summary.unknownLevelQuoted.append(NumberedLine(number: number, text: line))
                }
                pending = .leftOut
            case .skip:
                summary.skippedLevels[level, default: 0] += 1
                pending = .leftOut
            case .label(let label):
                let message = MessageText.tidy(parsed.message), source = MessageText.tidy(parsed.source)
                let text = message.isEmpty || source.isEmpty ? message : source + ": " + message
                pending = .record(message: text, label: label, line: number, full: isFull(text),
                                  level: parsed.level, source: parsed.source)
            }
            return
        }
        switch pending {
        case .record where MessageText.isContinuation(line):
            join(line)
        case .leftOut where MessageText.isContinuation(line):
            summary.continuationLinesLeftOut += 1
        default:
            try flush(emit: emit)
            summary.unmatchedLines += 1
            if summary.unmatchedQuoted.count < ImportSummary.quotedLines {
                summary.unmatchedQuoted.append(NumberedLine(number: number, text: line))
            }
            pending = .leftOut
        }
    }

    /// Joins a continuation line's text to the record being built, with one space.
    private mutating func join(_ continuation: String) {
        guard case .record(let message, let label, let line, let full, let level, let source) = pending else { return }
        summary.continuationLines += 1
        guard !full else { return }
        let more = MessageText.tidy(continuation)
        let joined = message.isEmpty ? more : message + " " + more
        pending = .record(message: joined, label: label, line: line, full: isFull(joined), level: level, source: source)
    }

    /// True when `message` is already longer than the longest kept: more continuations would be cut.
    private func isFull(_ message: String) -> Bool {
        message.utf8.count > settings.maxMessageLength && message.count > settings.maxMessageLength
    }

    /// Passes `emit` the record being built, if any, as an example.
    private mutating func flush(emit: (LogExample) throws -> Void) throws {
        defer { pending = .nothing }
        guard case .record(var message, let label, let line, _, _, _) = pending else { return }
        if message.isEmpty {
            summary.emptyMessages += 1
            return
        }
        if let cut = MessageText.cut(message, to: settings.maxMessageLength) {
            message = MessageText.tidy(cut)  // no space left at the end
            summary.cutMessages += 1
        }
        summary.records[label, default: 0] += 1
        try emit(LogExample(message: message, label: label, lineNumber: line))
    }
}
