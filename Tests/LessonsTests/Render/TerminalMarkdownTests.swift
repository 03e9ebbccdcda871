// Prose in the terminal: Markdown drawn, not shown raw. Without colour the marks that carry
// meaning stay (backticks, a rule under a heading); with colour they become the renderer's styles.
import Testing
@testable import Lessons

@Suite struct TerminalMarkdownTests {
    let plain = TerminalMarkdown(colour: false)
    let coloured = TerminalMarkdown(colour: true)

    @Test func inlinesLoseTheirMarksAndKeepTheirMeaning() {
        #expect(plain.render("Some *prose*, **bold**, `code`, ~~gone~~ and [a link](https://example.com).")
                == "Some prose, bold, `code`, ~~gone~~ and a link (https://example.com).")
        #expect(plain.render("<https://example.com>") == "https://example.com")  // an autolink is its address once
        #expect(coloured.render("**bold** and `code`") == "\u{1B}[1mbold\u{1B}[0m and \u{1B}[36mcode\u{1B}[0m")
    }

    /// A reset ends every style, so an inner style sets the outer ones again when it ends.
    @Test func nestedStylesAreSetAgainAfterAnInnerOne() {
        #expect(coloured.render("**bold `code` bold**") == "\u{1B}[1mbold \u{1B}[36mcode\u{1B}[0m\u{1B}[1m bold\u{1B}[0m")
    }

    @Test func headingsAreBoldOrRuled() {
        #expect(plain.render("# Title\n\n## Part") == "Title\n=====\n\nPart\n----")
        #expect(coloured.render("## Part") == "\u{1B}[1mPart\u{1B}[0m")
    }

    @Test func listsHaveBulletsOrNumbersAndIndentTheirLines() {
        #expect(plain.render("- one\n- two\n  1. nested\n  2. again") == "• one\n• two\n  1. nested\n  2. again")
        #expect(plain.render("3. three\n4. four") == "3. three\n4. four")
        #expect(plain.render("- loose\n\n- items") == "• loose\n\n• items")
    }

    @Test func pipeTablesAlignAsTheirDelimiterRowSays() {
        let table = "| name | value | c |\n|:--|--:|:-:|\n| a | 1 | x |\n| longer | 22.5 | yyy |"
        #expect(plain.render(table) == "name    value   c\n------  -----  ---\na           1   x\nlonger   22.5  yyy")
        // Widths count what shows: the styles take no room.
        #expect(TerminalMarkdown.width(coloured.render("`abc`")) == 3)
    }

    @Test func codeIsIndentedQuotesBarredAndHTMLLeftOut() {
        #expect(plain.render("```swift\nlet x = 1\n\nx += 1\n```") == "    let x = 1\n\n    x += 1")
        #expect(plain.render("> quoted\n> text") == "│ quoted\n│ text")
        #expect(plain.render("Before <kbd>x</kbd> after.\n\n<details>\nhidden\n</details>") == "Before x after.")
    }

    /// Text from the chapter still goes through VisibleText: an escape sequence shows as text.
    @Test func controlCharactersAreWrittenOut() {
        let drawn = coloured.render("Prose \u{1B}[2J and `\u{1B}]0;x\u{7}`")
        #expect(drawn.contains("\\u{1B}[2J") && drawn.contains("\\u{1B}]0;x\\u{7}"))
        #expect(!drawn.contains("\u{1B}[2J") && !drawn.contains("\u{7}"))
    }
}
