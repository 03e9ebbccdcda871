// A regular expression that reads one raw log line: every built-in format is a few of these, and
// `gpt import --pattern` is one more. Only the named groups matter: `level` (or `priority`, a syslog
// PRI number) says the level, `message` and `source` are what the example keeps, and every other
// part of the line (the timestamp, the process id, the thread) is left out by not being in them.
import Foundation

/// What a format reads from one line: its level as written, and the text an example keeps.
public struct ParsedLine: Sendable, Equatable {
    /// The level word as the line writes it ("WARN", "err", "I"), or a syslog severity's name.
    public var level: String
    /// What logged the line (a logger, a tag, a module), written before the message; empty if none.
    public var source: String
    /// The rest of the line after the level, the timestamp and the process id are taken out.
    public var message: String

    public init(level: String, source: String = "", message: String) {
        self.level = level
        self.source = source
        self.message = message
    }
}

/// A regular expression (ICU syntax, as `NSRegularExpression` reads it) with the named groups
/// `level` or `priority`, and `message`; `source` is optional. Python's `(?P<name>...)` is
/// accepted too. The pattern is searched for in the line: anchor it with `^` and `$` to read
/// lines whole.
public struct LinePattern: Sendable {
    /// The pattern as given.
    public let pattern: String
    private let regex: NSRegularExpression
    private let groups: Set<String>

    /// Compiles `pattern`.
    ///
    /// - Throws: `ImportError` when it is not a regular expression or lacks a required group.
    public init(_ pattern: String) throws(ImportError) {
        let translated = pattern.replacingOccurrences(of: "(?P<", with: "(?<")
        let groups = Self.groupNames(translated)
        let shape = "name the parts with (?<level>...) and (?<message>...), as in '^(?<level>[A-Z]+) \\S+ (?<message>.*)$'"
        guard groups.contains("message") else { throw ImportError("the pattern has no (?<message>...) group", hint: shape) }
        guard groups.contains("level") || groups.contains("priority") else {
            throw ImportError("the pattern has no (?<level>...) group (or (?<priority>...), a syslog PRI number)", hint: shape)
        }
        do {
            regex = try NSRegularExpression(pattern: translated, options: [.dotMatchesLineSeparators])  // "." runs over a U+2028 or NEL inside a line
        } catch {
            throw ImportError("'\(pattern)' is not a regular expression NSRegularExpression (ICU) can compile",
                              hint: "check its brackets, quantifiers and backslashes; a group is named (?<name>...)")
        }
        self.pattern = pattern
        self.groups = groups
    }

    /// The level, source and message of `line`, or nil when the pattern does not match it (or its
    /// `priority` is not a syslog PRI, 0 to 191).
    public func read(_ line: String) -> ParsedLine? {
        guard let match = regex.firstMatch(in: line, range: NSRange(location: 0, length: line.utf16.count)) else { return nil }
        func group(_ name: String) -> Substring? {
            guard groups.contains(name) else { return nil }
            let range = match.range(withName: name)
            guard range.location != NSNotFound, let found = Range(range, in: line) else { return nil }
            return line[found]
        }
        let level: String
        if let word = group("level"), !word.isEmpty {
            level = String(word)
        } else if let priority = group("priority").flatMap({ Int($0) }), (0...191).contains(priority) {
            level = LevelTable.syslogSeverities[priority % 8]
        } else {
            return nil
        }
        let source = group("source").map(String.init) ?? ""
        return ParsedLine(level: level, source: source == "-" ? "" : source, message: group("message").map(String.init) ?? "")
    }

    /// The names of the pattern's named groups. `(?<=` and `(?<!` (lookbehind) are not groups.
    private static func groupNames(_ pattern: String) -> Set<String> {
        var names = Set<String>()
        var rest = pattern[...]
        while let open = rest.range(of: "(?<") {
            rest = rest[open.upperBound...]
            let name = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            if let first = name.first, first.isLetter, rest.dropFirst(name.count).first == ">" { names.insert(String(name)) }
        }
        return names
    }
}
