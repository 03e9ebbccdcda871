// Text from a chapter, a source file or a dataset, made safe to print: a control character
// (an ANSI escape sequence, a carriage return, a backspace) or a bidirectional override would act
// on the terminal instead of being read, so each is written out as `\u{1B}`. Tabs and line breaks
// stay only where they are layout.

/// Control characters written out where text reaches a terminal.
enum VisibleText {
    /// One line of text (a title, a table cell, a label): every control character is written out,
    /// tabs and line breaks included, so the line stays one line and its columns stay aligned.
    static func line(_ text: String) -> String { written(text, keepingLayout: false) }

    /// Text of several lines (prose, code, a message with its hint): line feeds and tabs stay, a
    /// carriage return just before a line feed is dropped (a CRLF file reads as its lines), and
    /// every other control character is written out.
    static func lines(_ text: String) -> String { written(text, keepingLayout: true) }

    /// The text unchanged when it holds nothing to write out, the common case.
    private static func written(_ text: String, keepingLayout: Bool) -> String {
        let scalars = text.unicodeScalars
        guard scalars.contains(where: { needsWriting($0, keepingLayout) }) else { return text }
        var out = String.UnicodeScalarView()
        var index = scalars.startIndex
        while index != scalars.endIndex {
            let scalar = scalars[index]
            let next = scalars.index(after: index)
            if keepingLayout, scalar == "\r", next != scalars.endIndex, scalars[next] == "\n" {
                // CRLF: the line feed that follows is the layout.
            } else if needsWriting(scalar, keepingLayout) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
            index = next
        }
        return String(out)
    }

    /// C0 and C1 controls and DEL (category Cc), and the bidirectional embeddings, overrides and
    /// isolates, which reorder what a reader sees.
    private static func needsWriting(_ scalar: Unicode.Scalar, _ keepingLayout: Bool) -> Bool {
        if keepingLayout && (scalar == "\n" || scalar == "\t") { return false }
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}
