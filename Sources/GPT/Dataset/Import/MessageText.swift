// Raw log text made into a message a dataset line can hold (LogDataset.swift's rules: one line of
// valid UTF-8, not blank), and the one judgement the importer makes about lines no format reads:
// whether they continue the line above (a stack trace) or stand alone.
//
// The choices, each deliberate:
// - terminal colour codes (ESC [ ... m) are removed before a line is read, so a coloured level
//   still reads as a level;
// - every run of whitespace and control characters (tabs, NUL, a U+2028 inside a line) becomes one
//   space, and none is left at either end: a message never holds a line break or a blank;
// - bytes that are not UTF-8 become U+FFFD (the importer counts the lines);
// - " -> " stays: a dataset's label is what follows the *last* " -> ", so a message may hold it.
import Foundation

enum MessageText {
    /// `text` with every run of whitespace and control characters made one space, trimmed, and
    /// without U+FEFF (a byte order mark inside a line).
    static func tidy(_ text: some StringProtocol) -> String {
        // Nearly every message is printable ASCII with single spaces: then it is already tidy.
        var previousIsSpace = true
        var clean = true
        for byte in text.utf8 {
            if byte < 0x20 || byte >= 0x7F || (byte == 0x20 && previousIsSpace) {
                clean = false
                break
            }
            previousIsSpace = byte == 0x20
        }
        if clean && !previousIsSpace { return String(text) }
        var scalars = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control {
                pendingSpace = !scalars.isEmpty
            } else if scalar != "\u{FEFF}" {
                if pendingSpace { scalars.append(" ") }
                pendingSpace = false
                scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    /// `line` without terminal escape sequences: CSI (colours, `ESC [ 1 ; 31 m`), OSC (titles,
    /// links) and two-character escapes.
    static func withoutTerminalEscapes(_ line: String) -> String {
        guard line.utf8.contains(0x1B) else { return line }
        return terminalEscape.stringByReplacingMatches(in: line, range: NSRange(location: 0, length: line.utf16.count),
                                                       withTemplate: "")
    }

    /// True when `line`, which the format does not read, belongs to the line above it: it starts
    /// with a space or a tab (a stack frame, a wrapped line), or it is how Java and Python go on
    /// about an exception (`Caused by:`, `Traceback (most recent call last):`, `... 12 more`,
    /// `java.io.IOException: ...`, `ValueError: ...`).
    static func isContinuation(_ line: String) -> Bool {
        if let first = line.utf8.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { return true }
        return continuation.firstMatch(in: line, range: NSRange(location: 0, length: line.utf16.count)) != nil
    }

    /// `text` cut to its first `limit` characters, or nil when it is no longer than that.
    static func cut(_ text: String, to limit: Int) -> String? {
        guard text.utf8.count > limit else { return nil }  // a character is at least one byte
        guard text.count > limit else { return nil }
        return String(text.prefix(limit))
    }

    private static let terminalEscape = try! NSRegularExpression(  // constants, tested
        pattern: "\u{1B}(?:\\[[0-?]*[ -/]*[@-~]|\\][^\u{7}\u{1B}]*(?:\u{7}|\u{1B}\\\\)?|[@-Z\\\\-_])")

    private static let continuation = try! NSRegularExpression(pattern: """
        ^(?:Caused by:|Suppressed:|Traceback \\(most recent call last\\)|During handling of the above exception\
        |The above exception was the direct cause|\\.\\.\\. \\d+ (?:more|common frames omitted)\
        |(?:[a-z_$][\\w$]*\\.)+[A-Z][\\w$]*(?::|$)|[A-Z]\\w*(?:Error|Exception|Warning|Exit|Interrupt|Fault|Throwable)(?::|$))
        """)
}
