// Swift source split into coloured pieces for the walkthrough's code regions: keywords, strings,
// comments and numbers. Only text comes out, never markup; the template escapes every piece and
// colours it by class (the notebook's Content-Security-Policy allows no inline styles). Block
// comments and multi-line strings carry over from one line to the next.

/// Splits lines of Swift into highlighted tokens.
enum SwiftHighlighter {
    enum Kind: String { case keyword, string, comment, number }

    struct Token: Equatable {
        var text: String
        /// Nil for plain code (names, operators, spaces).
        var kind: Kind?
    }

    static let keywords: Set<String> = [
        "associatedtype", "actor", "as", "async", "await", "break", "case", "catch", "class", "continue", "default",
        "defer", "deinit", "do", "else", "enum", "extension", "fallthrough", "false", "fileprivate", "final", "for",
        "func", "guard", "if", "import", "in", "indirect", "init", "inout", "internal", "is", "let", "mutating", "nil",
        "nonisolated", "open", "operator", "override", "private", "protocol", "public", "repeat", "rethrows", "return",
        "self", "Self", "some", "static", "struct", "subscript", "super", "switch", "throw", "throws", "true", "try",
        "typealias", "var", "weak", "where", "while", "any", "lazy", "unowned",
    ]

    /// What an unfinished line leaves open for the next one.
    private enum Open: Equatable {
        case code
        case blockComment(depth: Int)
        case multilineString(hashes: Int)
    }

    /// Each line's tokens, in order; joining a line's texts gives the line back.
    static func tokens(_ lines: [String]) -> [[Token]] {
        var open = Open.code
        return lines.map { line in
            var scanner = Scanner(Array(line), open: open)
            let tokens = scanner.run()
            open = scanner.open
            return tokens
        }
    }

    private struct Scanner {
        let chars: [Character]
        var open: Open
        var i = 0
        var tokens: [Token] = []

        init(_ chars: [Character], open: Open) {
            self.chars = chars
            self.open = open
        }

        mutating func run() -> [Token] {
            while i < chars.count {
                switch open {
                case .blockComment(let depth): blockComment(depth: depth)
                case .multilineString(let hashes): multilineString(hashes: hashes)
                case .code: code()
                }
            }
            return tokens
        }

        func peek(_ offset: Int = 0) -> Character? { i + offset < chars.count ? chars[i + offset] : nil }

        func starts(with text: String, at index: Int? = nil) -> Bool {
            let at = index ?? i
            let pattern = Array(text)
            return at + pattern.count <= chars.count && Array(chars[at..<at + pattern.count]) == pattern
        }

        mutating func emit(_ start: Int, _ kind: Kind?) {
            guard i > start else { return }
            let text = String(chars[start..<i])
            if let last = tokens.last, last.kind == kind {
                tokens[tokens.count - 1].text += text
            } else {
                tokens.append(Token(text: text, kind: kind))
            }
        }

        mutating func code() {
            let start = i
            let c = chars[i]
            if starts(with: "//") {
                i = chars.count
                emit(start, .comment)
            } else if starts(with: "/*") {
                i += 2
                open = .blockComment(depth: 1)
                emit(start, .comment)
            } else if c == "\"" || (c == "#" && hashedQuote() != nil) {
                string()
            } else if c.isNumber, !(start > 0 && isIdentifier(chars[start - 1])) {
                number()
            } else if isIdentifierStart(c) || ((c == "@" || c == "#") && peek(1).map(isIdentifierStart) == true) {
                i += 1
                while let next = peek(), isIdentifier(next) { i += 1 }
                let word = String(chars[start..<i])
                emit(start, keywords.contains(word) || c == "@" || c == "#" ? .keyword : nil)
            } else {
                i += 1
                emit(start, nil)
            }
        }

        /// The number of `#` before a quote at the scanner's position (a raw string), if any.
        func hashedQuote() -> Int? {
            var j = i
            while j < chars.count, chars[j] == "#" { j += 1 }
            return j < chars.count && chars[j] == "\"" && j > i ? j - i : nil
        }

        mutating func string() {
            let start = i
            let hashes = hashedQuote() ?? 0
            i += hashes
            if starts(with: "\"\"\"") {
                i += 3
                open = .multilineString(hashes: hashes)
                multilineString(hashes: hashes, from: start)
                return
            }
            i += 1
            let close = "\"" + String(repeating: "#", count: hashes)
            while i < chars.count {
                if skipEscape(hashes: hashes) { continue }
                if starts(with: close) {
                    i += close.count
                    break
                }
                i += 1
            }
            emit(start, .string)
        }

        mutating func multilineString(hashes: Int, from start: Int? = nil) {
            let start = start ?? i
            let close = "\"\"\"" + String(repeating: "#", count: hashes)
            while i < chars.count {
                if skipEscape(hashes: hashes) { continue }
                if starts(with: close) {
                    i += close.count
                    open = .code
                    break
                }
                i += 1
            }
            emit(start, .string)
        }

        /// Steps over an escape (`\n`, `\"`, or an interpolation `\( ... )` with its parentheses
        /// balanced); a raw string's escapes start with `\` and its hashes.
        mutating func skipEscape(hashes: Int) -> Bool {
            let introducer = "\\" + String(repeating: "#", count: hashes)
            guard starts(with: introducer) else { return false }
            i += introducer.count
            guard i < chars.count else { return true }
            if chars[i] == "(" {
                var depth = 0
                while i < chars.count {
                    if chars[i] == "(" { depth += 1 }
                    if chars[i] == ")" { depth -= 1 }
                    i += 1
                    if depth == 0 { break }
                }
            } else {
                i += 1
            }
            return true
        }

        mutating func blockComment(depth: Int) {
            let start = i
            var depth = depth
            while i < chars.count, depth > 0 {
                if starts(with: "/*") {
                    depth += 1
                    i += 2
                } else if starts(with: "*/") {
                    depth -= 1
                    i += 2
                } else {
                    i += 1
                }
            }
            open = depth > 0 ? .blockComment(depth: depth) : .code
            emit(start, .comment)
        }

        mutating func number() {
            let start = i
            if starts(with: "0x") || starts(with: "0b") || starts(with: "0o") { i += 2 }
            while let c = peek() {
                if c.isHexDigit || c == "_" {
                    i += 1
                } else if c == ".", peek(1)?.isNumber == true {  // 1.5, but not the range 1...5
                    i += 1
                } else if (c == "+" || c == "-"), i > start, "eEpP".contains(chars[i - 1]), !starts(with: "0x", at: start) || "pP".contains(chars[i - 1]) {
                    i += 1
                } else {
                    break
                }
            }
            emit(start, .number)
        }

        func isIdentifierStart(_ c: Character) -> Bool { c == "_" || c.isLetter }
        func isIdentifier(_ c: Character) -> Bool { c == "_" || c.isLetter || c.isNumber }
    }
}
