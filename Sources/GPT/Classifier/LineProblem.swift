// What can be wrong with a log line before the model reads it. The classifier, the command line
// and the web server all ask here, so they agree on what an empty or unreadable line is.

/// Why a line cannot be read exactly as it was written.
public enum LineProblem: Sendable, Equatable {
    /// Nothing but whitespace.
    case empty
    /// Not one character the model knows: there is nothing left to read.
    case nothingKnown
    /// Characters the model never saw in training, sorted. The classifier reads the line without
    /// them (with a warning); the web API refuses the line instead.
    case unknownCharacters([Character])

    /// What is wrong, as the end of a sentence about the line: "... is empty".
    public var reason: String {
        switch self {
        case .empty: return "is empty"
        case .nothingKnown: return "has none of the characters the model knows"
        case .unknownCharacters(let characters):
            return "has character(s) the model never saw in training: "
                + characters.map { String($0).debugDescription }.joined(separator: ", ")
        }
    }

    /// What to do about it.
    public var hint: String {
        switch self {
        case .empty: return "give the text of a log line, without ' -> LABEL'"
        case .nothingKnown, .unknownCharacters: return "use only characters that appear in the training data"
        }
    }

    /// True when nothing of the line can be read, so it cannot be classified at all.
    public var isFatal: Bool {
        if case .unknownCharacters = self { return false }
        return true
    }
}

extension Tokenizer {
    /// What is wrong with `message` as this vocabulary reads it, the fatal problem first; empty
    /// when nothing is.
    public func problems(with message: String) -> [LineProblem] {
        if message.allSatisfy(\.isWhitespace) { return [.empty] }
        let encoded = encodeKnown(message)
        if encoded.ids.isEmpty { return [.nothingKnown] }
        return encoded.unknown.isEmpty ? [] : [.unknownCharacters(encoded.unknown.sorted())]
    }
}
