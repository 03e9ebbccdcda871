// Where something is in a lesson file, and errors that say where, what, and what would be valid.

/// A point in a lesson file: the file's path and a 1-based line and column.
public struct SourceLocation: Sendable, Equatable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// "file:line:column", the form editors and terminals turn into links.
    public var description: String { "\(file):\(line):\(column)" }
}

/// A problem in a lesson, reported at the place an author can fix it: an error, or a warning
/// about something that runs but is probably not what the author meant.
public struct LessonError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    public var location: SourceLocation
    /// The step the problem belongs to, when there is one.
    public var step: String?
    public var message: String
    /// What would be valid, or how to fix it ("did you mean 'forward'?").
    public var hint: String?
    /// An error fails `gpt check`; a warning fails it only with `--strict`.
    public var severity: Severity = .error

    public enum Severity: String, Sendable, Equatable, Codable {
        case error, warning
    }

    public init(at location: SourceLocation, step: String? = nil, _ message: String, hint: String? = nil,
                severity: Severity = .error) {
        self.location = location
        self.step = step
        self.message = message
        self.hint = hint
        self.severity = severity
    }

    /// "file:line:column: error: in step 'x': message" (or "warning:"), then "HINT: ..." on its own
    /// line. Control characters quoted from the chapter are written out (`\u{1B}`), as the text
    /// reaches terminals.
    public var description: String {
        let inStep = step.map { "in step '\($0)': " } ?? ""
        return VisibleText.lines("\(location): \(severity.rawValue): \(inStep)\(message)" + (hint.map { "\nHINT: \($0)" } ?? ""))
    }
}

/// Suggestions for a misspelt name: the known names closest to it, nearest first.
enum Suggestions {
    /// "did you mean 'a'?" when some known name is close to `name`, otherwise the full list of
    /// valid names, so an author always learns what would have worked.
    static func hint(for name: String, among known: [String], kind: String) -> String {
        let close = closest(to: name, among: known)
        if let best = close.first {
            return "did you mean '\(best)'? " + validList(known, kind: kind)
        }
        return validList(known, kind: kind)
    }

    static func validList(_ known: [String], kind: String) -> String {
        known.isEmpty ? "this step takes no \(kind)s" : "valid \(kind)s: " + known.joined(separator: ", ")
    }

    /// Names longer than this get no suggestions: nobody mistypes a name that long, and the edit
    /// distance takes time in the product of the two lengths.
    static let longestSuggestedName = 64

    /// Known names within an edit distance of a third of the name's length (at least 2).
    static func closest(to name: String, among known: [String]) -> [String] {
        guard name.count <= longestSuggestedName else { return [] }
        let limit = max(2, name.count / 3)
        let scored: [(name: String, distance: Int)] = known.filter { $0.count <= longestSuggestedName }
            .map { ($0, distance(name.lowercased(), $0.lowercased())) }
        let close = scored.filter { $0.distance <= limit }
        let sorted = close.sorted { a, b in a.distance != b.distance ? a.distance < b.distance : a.name < b.name }
        return sorted.map(\.name)
    }

    /// Levenshtein distance between two strings, by characters.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }
}
