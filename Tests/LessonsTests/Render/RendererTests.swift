// The terminal and HTML renderers: structure present, data escaped, nothing from the network.
import Foundation
import Testing
@testable import Lessons

@Suite struct RendererTests {
    /// A run whose data holds markup: a dataset line with a script tag, and a failing step.
    func runWithHostileData() throws -> RunRecord {
        let lines = (0..<30).map { i in "<script>alert(\(i))</script> & \"quotes\" on web-0\(i % 10) -> \(["INFO", "WARNING", "ERROR"][i % 3])" }
        let lessons = try makeLessons(
            ["01-data.md": chapter("dataset\npath: hostile.txt\n", "backward\nexpr: a*b\na: 2\nb: 3\n", "nosuch\n")],
            extraFiles: ["hostile.txt": lines.joined(separator: "\n")])
        return try runLessons(lessons)
    }

    @Test func htmlEscapesDataAndLoadsNothingFromTheNetwork() throws {
        let html = HTMLRenderer().render(try runWithHostileData())
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert("))
        #expect(html.contains("&quot;quotes&quot;"))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("@import"))
        #expect(!html.contains("<link") && !html.contains("<img"))
    }

    @Test func htmlHasContentsChaptersGraphsAndErrorBoxes() throws {
        let html = HTMLRenderer().render(try runWithHostileData())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<nav><h2>Contents</h2>"))
        #expect(html.contains("<a href=\"#chapter-1\">Test chapter</a>"))
        #expect(html.contains("<section class=\"chapter\" id=\"chapter-1\">"))
        #expect(html.contains("<figure class=\"graph\">") && html.contains("class=\"op\""))
        #expect(html.contains("class=\"error-box\"") && html.contains("unknown step &#39;nosuch&#39;"))
        #expect(html.contains("<style>") && html.contains("@media print"))
    }

    @Test func heatmapChartAndBarsAreDrawn() {
        let matrix = Matrix(title: "w", kind: .weights, rowTitle: "q", columnTitle: "k", rowLabels: ["<", "b"],
                            columnLabels: ["<", "b"], values: [[1, nil], [0.25, 0.75]])
        let step = StepRecord(id: "x", chapter: 1, index: 1, location: SourceLocation(file: "f", line: 1, column: 1),
                              status: .passed, outputs: [
                                .matrix(matrix),
                                .series(Series(title: "loss", xLabel: "step", yLabel: "loss", lines: [.init(name: "loss", values: [3, 2, 1])])),
                                .bars(BarSet(title: "p", bars: [.init(label: "ERROR", value: 0.5)], maximum: 1)),
                              ], values: [], checks: [], error: nil)
        let record = RunRecord(lessons: "l", chapters: [ChapterRecord(number: 1, slug: "s", title: "T", file: "f",
                                                                       segments: [.step(step)], error: nil)])
        let html = HTMLRenderer().render(record)
        #expect(html.contains("<figure class=\"heatmap\">") && html.contains("stroke=\"#f1f1f1\""))
        // The masked cell's tip says so and gives no number; an unmasked cell's gives its value.
        #expect(html.contains("<title>masked</title>"))
        #expect(html.contains("<title>b -&gt; &lt;: 0.2500</title>"), "\(html)")
        #expect(!html.contains("<title>&lt; -&gt; b:"))
        #expect(html.contains("<polyline points=\"56.0,"))
        #expect(html.contains("<figure class=\"bars\">") && html.contains("width=\"210\" height=\"20\" class=\"bar label-error\""))
        let text = TerminalRenderer(colour: false).render(record)
        #expect(text.contains("\n< █·\nb ░█\n"))  // each row against its own largest weight
        #expect(text.contains("ERROR ████████████████████ 0.5000"))
    }

    @Test func everyOutputShowsNaNAndInfinityAsWords() {
        let nan = Double.nan, inf = Double.infinity
        let step = StepRecord(id: "x", chapter: 1, index: 1, location: SourceLocation(file: "f", line: 1, column: 1),
                              status: .failed, outputs: [
                                .table(Table(title: "t", columns: ["v"], rows: [[.number(nan)], [.number(-inf)]])),
                                .graph(Graph(title: "g", nodes: [.init(id: 1, label: "a", op: "", data: nan, grad: inf)], edges: [])),
                                .matrix(Matrix(title: "w", kind: .weights, rowTitle: "q", columnTitle: "k", rowLabels: ["a"],
                                               columnLabels: ["a", "b"], values: [[nan, 0.5]])),
                                .matrix(Matrix(title: "c", kind: .counts, rowTitle: "true", columnTitle: "predicted", rowLabels: ["x"],
                                               columnLabels: ["x", "y"], values: [[inf, 3]])),
                                .series(Series(title: "loss", xLabel: "step", yLabel: "loss", lines: [.init(name: "loss", values: [3, 2, nan])])),
                                .bars(BarSet(title: "p", bars: [.init(label: "ERROR", value: nan), .init(label: "INFO", value: inf)], maximum: 1)),
                              ], values: [NamedValue(name: "out", value: .number(nan))], checks: [], error: nil)
        let record = RunRecord(lessons: "l", chapters: [ChapterRecord(number: 1, slug: "s", title: "T", file: "f",
                                                                       segments: [.step(step)], error: nil)])
        let text = TerminalRenderer(colour: false).render(record)
        #expect(text.contains("t\n   v\n NaN\n-inf"))
        #expect(text.contains("a     input           NaN   inf"))
        #expect(text.contains("a ?█") && text.contains("; ? NaN or infinite)"))
        #expect(text.contains("x                 inf  3"))
        #expect(text.contains("loss: █▁?  first 3.0000, last NaN"))
        #expect(text.contains("ERROR  NaN") && text.contains("INFO   inf"))

        let html = HTMLRenderer().render(record)
        #expect(html.contains("<td class=\"num\">NaN</td>") && html.contains("<td class=\"num\">-inf</td>"))
        #expect(html.contains(">data NaN</text>") && html.contains(">grad inf</text>"))
        #expect(html.contains("<path d=\"M0 0h1\" stroke=\"\(Pictures.notFiniteFill)\"/>"))  // a's own square, in red
        #expect(html.contains("<title>a -&gt; a: NaN</title>") && html.contains("Red cells are NaN or infinite."))
        #expect(html.contains("<td class=\"num shade-nan\">inf</td>") && html.contains(".shade-nan { background: \(Pictures.notFiniteFill); }"))
        #expect(html.contains("(1 value is NaN or infinite and left out)"))
        #expect(html.contains("width=\"0\" height=\"20\" class=\"bar label-error\"/><text x=\"76\" y=\"23.0\">NaN</text>"))

        let json = try? record.json()
        #expect(json?.contains("\"value\" : \"NaN\"") == true && json?.contains("\"grad\" : \"Infinity\"") == true)
        #expect(json?.contains("\"-Infinity\"") == true)
    }

    /// Escape sequences in a title, in prose, in a dataset's lines or in a parameter used to
    /// reach the terminal raw (`\u{1B}[2J` clears it, `\u{1B}]0;...` retitles the window); now
    /// they show as text, and the only escape sequences printed are the renderer's colours.
    @Test func terminalShowsControlCharactersInsteadOfObeyingThem() throws {
        let hostile = "\u{1B}[2J\u{1B}]0;pwned\u{7}"
        let lines = (0..<30).map { i in "disk \(hostile) full on db-0\(i % 10) -> \(["INFO", "WARNING", "ERROR"][i % 3])" }
        let lessons = try makeLessons(
            ["01-hostile.md": "# Title \(hostile)\r\n\r\nProse \(hostile)\tand a tab.\r\n\r\n"
                + "```step dataset\npath: hostile.txt\n```\n\n```step tokenize\nline: a\(hostile)b\n```\n\n```step no\(hostile)such\n```\n"],
            extraFiles: ["hostile.txt": lines.joined(separator: "\n")])
        let record = try runLessons(lessons)
        for colour in [false, true] {
            let text = TerminalRenderer(colour: colour).render(record)
            #expect(!text.contains("\u{1B}[2J") && !text.contains("\u{1B}]") && !text.contains("\u{7}") && !text.contains("\r"))
            #expect(text.contains("Chapter 1: Title \\u{1B}[2J\\u{1B}]0;pwned\\u{7}"))
            #expect(text.contains("Prose \\u{1B}[2J\\u{1B}]0;pwned\\u{7}\tand a tab.\n"))
            #expect(text.contains("unknown step 'no\\u{1B}[2J\\u{1B}]0;pwned\\u{7}such'"))
            if !colour { #expect(!text.contains("\u{1B}")) }
        }
        let text = TerminalRenderer(colour: false).render(record)
        #expect(text.contains("disk \\u{1B}[2J\\u{1B}]0;pwned\\u{7} full on db-0"), "\(text)")
    }

    @Test func terminalTablesAlignNumbersRight() {
        let table = Table(title: "t", columns: ["name", "value"], rows: [[.text("a"), .number(1)], [.text("long"), .number(-12.5)]])
        #expect(TerminalRenderer(colour: false).table(table) == "t\nname     value\na       1.0000\nlong  -12.5000")
        #expect(TerminalRenderer(colour: true).table(table).contains("\u{1B}["))
    }

    @Test func writesAtomically() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("walk-\(UUID().uuidString).html").path
        try HTMLRenderer.write("<p>hello</p>", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "<p>hello</p>")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
            .filter { $0.hasPrefix((path as NSString).lastPathComponent + ".tmp") }
        #expect(leftovers.isEmpty)
    }
}
