// `gpt import`: a raw log made into '<message> -> LABEL' lines by reading each line's level. The
// library reads (Sources/GPT/Dataset/Import); this file names the options, writes the lines (a file
// atomically, or standard output as they come) and prints what was read and left out to stderr.
import ArgumentParser
import Foundation
import GPT

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a raw log into '<message> -> LABEL' lines, reading each line's level.",
        discussion: discussion
    )

    @Argument(help: "The raw log ('-' for standard input); a named pipe or <(...) is read once, as it streams.")
    var input: String

    @Option(name: .shortAndLong,
            help: "Where to write the lines ('-' for standard output, the default); a file is replaced whole, once every line is written.")
    var output: String = "-"

    @Option(help: "The log's format: auto (told from its first 200 non-blank lines), one of \(LogFormat.allCases.map(\.rawValue).joined(separator: ", ")), or pattern (with --pattern).")
    var format: FormatArgument = .auto

    @Option(help: "A regular expression with the named groups (?<level>...) and (?<message>...), and optionally (?<source>...), for a log no format reads; implies --format pattern.")
    var pattern: String?

    @Option(name: .customLong("level-map"),
            help: "NAME=LABEL: map the level NAME (any case) to INFO, WARNING or ERROR, or to SKIP to leave its lines out; repeat it, or separate entries with commas.")
    var levelMap: [String] = []

    @Option(name: .customLong("json-level-key"),
            help: "The field of a JSON line that holds the level; repeat to try several in order (default: \(JSONKeys.standard.level.joined(separator: ", "))).")
    var jsonLevelKeys: [String] = []

    @Option(name: .customLong("json-message-key"),
            help: "The field of a JSON line that holds the message; repeat to try several in order (default: \(JSONKeys.standard.message.joined(separator: ", "))).")
    var jsonMessageKeys: [String] = []

    @Option(name: .customLong("max-length"), help: "The longest message kept, in characters; a longer one (a long stack trace) is cut.")
    var maxLength: Int = LogImporter.Settings().maxMessageLength

    /// `--format`: a named format, or how to choose one.
    enum FormatArgument: ExpressibleByArgument, Equatable {
        case auto, pattern
        case named(LogFormat)

        init?(argument: String) {
            switch argument {
            case "auto": self = .auto
            case "pattern": self = .pattern
            default:
                guard let format = LogFormat(rawValue: argument) else { return nil }
                self = .named(format)
            }
        }

        static var allValueStrings: [String] { ["auto"] + LogFormat.allCases.map(\.rawValue) + ["pattern"] }
        var defaultValueDescription: String { "auto" }
    }

    func validate() throws {
        _ = try settings()
    }

    /// The importer's settings from the flags; every inconsistency is a `ValidationError`.
    private func settings() throws -> LogImporter.Settings {
        var settings = LogImporter.Settings()
        switch (format, pattern) {
        case (.pattern, nil):
            throw ValidationError("--format pattern reads lines with --pattern REGEX, which is missing")
        case (.named(let named), _?):
            throw ValidationError("--pattern reads every line its own way, so --format \(named.rawValue) would be ignored; give one of them")
        case (_, let regex?):
            do { settings.format = .pattern(try LinePattern(regex)) } catch { throw ValidationError("--pattern: \(error)") }
        case (.named(let named), nil): settings.format = .format(named)
        case (.auto, nil): settings.format = .automatic
        }
        let readsJSON = format == .auto || format == .named(.json)
        if !readsJSON && !(jsonLevelKeys.isEmpty && jsonMessageKeys.isEmpty) {
            throw ValidationError("--json-level-key and --json-message-key apply to JSON lines: use them with --format json or auto")
        }
        if !jsonLevelKeys.isEmpty { settings.jsonKeys.level = jsonLevelKeys }
        if !jsonMessageKeys.isEmpty { settings.jsonKeys.message = jsonMessageKeys }
        for entry in levelMap.flatMap({ $0.split(separator: ",").map(String.init) }) {
            do { try settings.levels.apply(entry) } catch { throw ValidationError("--level-map: \(error)") }
        }
        guard maxLength >= 1 else { throw ValidationError("--max-length is \(maxLength); it must be at least 1") }
        settings.maxMessageLength = maxLength
        return settings
    }

    func run() throws {
        let settings = try settings()
        let started = Terminal.now()
        var summary = ImportSummary()
        if output == "-" {
            let lines = StandardOutputLines()
            summary = try LogImporter.importFile(path: input, settings: settings) { try lines.write($0) }
            try lines.flush()
        } else {
            do {
                try AtomicFile.write(to: output, inputs: [AtomicFile.Input(input, role: "input")]) { file in
                    summary = try LogImporter.importFile(path: input, settings: settings) { try file.write($0.text + "\n") }
                    if summary.recordCount == 0 { throw NoExamples() }  // so no file is left behind
                }
            } catch is NoExamples {}
        }
        report(summary, seconds: Terminal.now() - started)
        guard summary.recordCount > 0 else {
            throw ImportError("no line of \(inputName) became an example, so nothing was written",
                              hint: summary.linesRead == summary.blankLines
                                  ? "the input is empty" : "see what was left out above; --format, --pattern or --level-map may read it")
        }
    }

    private var inputName: String { input == "-" ? "standard input" : input }

    /// What was read, written and left out, to standard error.
    private func report(_ summary: ImportSummary, seconds: Double) {
        var lines = ["imported \(inputName): \(count(summary.linesRead, "line")) read (\(summary.blankLines) blank) in \(String(format: "%.2f", seconds)) s"]
        if !summary.format.isEmpty { lines.append("format: \(summary.format) (\(summary.formatReason))") }
        let perLabel = LogLabel.allCases.map { "\($0.rawValue) \(summary.records[$0, default: 0])" }.joined(separator: ", ")
        let destination = output == "-" ? "standard output" : output
        if summary.recordCount > 0 { lines.append("wrote \(count(summary.recordCount, "example")) to \(destination): \(perLabel)") }
        if summary.continuationLines > 0 {
            lines.append("joined \(count(summary.continuationLines, "continuation line")) (stack traces, wrapped lines) to the line above them")
        }
        if summary.unmatchedLines > 0 {
            lines.append("left out \(count(summary.unmatchedLines, "line")) that no pattern of \(summary.format) reads:")
            lines += summary.unmatchedQuoted.map(quote)
        }
        if summary.unknownLevelLines > 0 {
            let levels = summary.unknownLevels.sorted { $0.value > $1.value }
            lines.append("left out \(count(summary.unknownLevelLines, "line")) whose level the table does not know: "
                         + levels.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            lines += summary.unknownLevelQuoted.map(quote)
            lines.append("HINT: map them with --level-map \(levels[0].key)=INFO (or WARNING, ERROR, SKIP)")
        }
        if summary.skippedLevelLines > 0 {
            lines.append("left out \(count(summary.skippedLevelLines, "line")) whose level is mapped to SKIP: "
                         + summary.skippedLevels.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if summary.continuationLinesLeftOut > 0 {
            lines.append("left out \(count(summary.continuationLinesLeftOut, "continuation line")) with the left-out line above them")
        }
        if summary.emptyMessages > 0 {
            lines.append("left out \(count(summary.emptyMessages, "line")) with no message once the level, time and ids were taken out")
        }
        if summary.cutMessages > 0 { lines.append("cut \(count(summary.cutMessages, "message")) to \(maxLength) characters (--max-length)") }
        if summary.repairedLines > 0 {
            lines.append("\(count(summary.repairedLines, "line")) not valid UTF-8: the bad bytes became U+FFFD")
        }
        Terminal.warn(lines.joined(separator: "\n"))
    }

    /// "1 line", "2 lines".
    private func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }

    private func quote(_ line: NumberedLine) -> String {
        let text = line.text.count > 120 ? line.text.prefix(120) + "..." : line.text
        return "  line \(line.number): \(text)"
    }

    static var discussion: String {
        let formats = LogFormat.allCases.map { "  \($0.rawValue): \($0.summary)" }.joined(separator: "\n")
        let table = LevelTable.standard.entries
        let levels = LogLabel.allCases.map { label in
            "  \(label.rawValue): " + table.filter { $0.mapping == .label(label) }.map(\.level).joined(separator: " ")
        }.joined(separator: "\n")
        return """
            Each line's level is read from the line, mapped to a label, and taken out of the message, \
            with the timestamp, the process and thread ids, the host and request ids: the model must \
            learn the label from the words, not read it. What logged the line (a logger, a tag, a \
            module) stays in front of the message, as 'source: message'. Lines that continue a \
            record (stack frames, lines starting with a space or a tab, 'Caused by:', 'Traceback', \
            'java.io.IOException: ...') are joined to it with one space. Every run of whitespace and \
            control characters becomes one space, colour codes are removed, and invalid UTF-8 \
            becomes U+FFFD, so every line written loads as a dataset; ' -> ' inside a message stays \
            (the label follows the last one).

            Formats (auto picks the one that reads the most of the first 200 non-blank lines with a \
            known level, the first listed on a tie):
            \(formats)

            Levels (any case; a name with trailing digits, like Apache's trace1, is read without them):
            \(levels)
            A syslog <PRI> is read as its severity's name (0 EMERG ... 7 DEBUG); a number in a JSON \
            level is bunyan's and pino's (10 TRACE ... 60 FATAL).

            Nothing is dropped silently: the summary on standard error counts the lines read, the \
            examples per label, the continuation lines joined, and every line left out, quoting the \
            first \(ImportSummary.quotedLines) that match no pattern and the first \(ImportSummary.quotedLines) \
            with an unknown level, with their line numbers. With no example at all, nothing is \
            written and the exit status is 1.
            """
    }
}

/// Thrown inside an atomic write to abandon it.
private struct NoExamples: Error {}

/// Examples written to standard output as they come, in blocks of 64 KB.
private final class StandardOutputLines {
    private var buffer: [UInt8] = []

    func write(_ example: LogExample) throws {
        buffer += example.text.utf8
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 16 { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        do {
            try FileHandle.standardOutput.write(contentsOf: Data(buffer))
        } catch {
            throw ImportError("cannot write to standard output: \(error.localizedDescription)",
                              hint: "is the disk full, or did the reader stop? -o FILE writes to a file instead")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
