// The Swift highlighter of code regions: every character kept, pieces classed, markup escaped.
import Testing
@testable import Lessons

@Suite struct SwiftHighlighterTests {
    typealias Token = SwiftHighlighter.Token

    @Test func keywordsStringsCommentsAndNumbers() {
        let line = "    static func mul(_ a: Int) -> Double { return 2.5e-3 * 0x1F } // the rule"
        let tokens = SwiftHighlighter.tokens([line])[0]
        #expect(tokens.map(\.text).joined() == line)
        #expect(tokens.filter { $0.kind == .keyword }.map(\.text) == ["static", "func", "return"])
        #expect(tokens.filter { $0.kind == .number }.map(\.text) == ["2.5e-3", "0x1F"])
        #expect(tokens.last == Token(text: "// the rule", kind: .comment))
        // A range is two numbers; a name holding a digit is no number.
        #expect(SwiftHighlighter.tokens(["for i in 1...5 { x1 += i }"])[0].filter { $0.kind == .number }.map(\.text) == ["1", "5"])
        #expect(SwiftHighlighter.tokens(["@inlinable let g"])[0].first == Token(text: "@inlinable", kind: .keyword))
    }

    @Test func stringsKeepTheirEscapesAndInterpolations() {
        let line = ##"let s = "a \"quoted\" \(x ? "yes" : "no") end" + #"raw "inside""#"##
        let tokens = SwiftHighlighter.tokens([line])[0]
        #expect(tokens.map(\.text).joined() == line)
        #expect(tokens.filter { $0.kind == .string }.map(\.text)
                == [#""a \"quoted\" \(x ? "yes" : "no") end""#, ##"#"raw "inside""#"##])
    }

    @Test func blockCommentsAndMultilineStringsSpanLines() {
        let lines = ["let a = 1 /* start", "still /* nested */ comment", "end */ let b = \"\"\"", "text // not a comment", "\"\"\" + c"]
        let tokens = SwiftHighlighter.tokens(lines)
        #expect(zip(tokens, lines).allSatisfy { $0.map(\.text).joined() == $1 })
        #expect(tokens[1] == [Token(text: lines[1], kind: .comment)])
        #expect(tokens[2].first == Token(text: "end */", kind: .comment))
        #expect(tokens[3] == [Token(text: lines[3], kind: .string)])
        #expect(tokens[4].first == Token(text: "\"\"\"", kind: .string) && tokens[4].last == Token(text: " + c", kind: nil))
    }

    /// A code region holding markup shows it as text: every piece goes through the template's escaping.
    @Test func markupInARegionIsEscaped() {
        let code = CodeRegion(file: "Sources/x.swift", region: "r", firstLine: 7,
                              lines: [#"let s = "<script>alert(1)</script>" // <b>&"#, "x < y && y > z"])
        let step = StepRecord(id: "code", chapter: 1, index: 1, location: SourceLocation(file: "f", line: 1, column: 1),
                              status: .passed, outputs: [.code(code)], values: [], checks: [], error: nil)
        let html = HTMLRenderer().render(step: step)
        #expect(!html.contains("<script") && !html.contains("<b>"))
        #expect(html.contains(#"<span class="tok-string">&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;</span>"#), "\(html)")
        #expect(html.contains(#"<span class="tok-comment">// &lt;b&gt;&amp;</span>"#))
        #expect(html.contains(#"<span class="ln">8</span>x &lt; y &amp;&amp; y &gt; z</span>"#))
        #expect(html.contains(#"<span class="tok-keyword">let</span>"#) && !html.contains("style="))
    }
}
