// Control characters written out: what reaches a terminal from a chapter or a dataset shows as
// `\u{1B}`, never acts on it; layout (line feeds and tabs in multi-line text) stays.
import Testing
@testable import Lessons

@Suite struct VisibleTextTests {
    @Test func aLineWritesOutEveryControlCharacter() {
        #expect(VisibleText.line("red \u{1B}[31mtext\u{1B}[0m") == "red \\u{1B}[31mtext\\u{1B}[0m")
        #expect(VisibleText.line("a\tb\nc\r\nd\0") == "a\\u{9}b\\u{A}c\\u{D}\\u{A}d\\u{0}")
        #expect(VisibleText.line("\u{9B}2J \u{7F} \u{202E}txt\u{2066}") == "\\u{9B}2J \\u{7F} \\u{202E}txt\\u{2066}")
    }

    @Test func linesKeepTheirLayout() {
        #expect(VisibleText.lines("one\r\ntwo\tcolumn\nthree\rover\u{8}") == "one\ntwo\tcolumn\nthree\\u{D}over\\u{8}")
    }

    @Test func ordinaryTextIsUnchangedAndWritingOutIsIdempotent() {
        for text in ["plain", "é e\u{301} 👩‍👩‍👧 ǅ ½ ␛", "a\u{200D}b", ""] { #expect(VisibleText.line(text) == text) }
        let written = VisibleText.line("\u{1B}[2J\u{7}")
        #expect(VisibleText.line(written) == written && VisibleText.lines(written) == written)
    }
}
