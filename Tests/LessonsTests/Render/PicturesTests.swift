// The walkthrough's pictures: graphs that fit the column and never hide an edge, heatmaps whose
// labels are legible, shading that agrees between terminal and HTML, alt text, anchors, numbers.
import Foundation
import Testing
import TestSupport
@testable import Lessons

@Suite struct PicturesTests {
    /// The graph the real `backward` step draws for `expr`, every name in it an input.
    func graph(_ expr: String) throws -> Graph {
        let functions: Set<String> = ["tanh", "exp", "log", "relu"]
        let names = expr.split { !$0.isLetter && !$0.isNumber }.map(String.init)
            .filter { $0.first?.isLetter == true && !functions.contains($0) }
        let inputs = Array(Set(names)).sorted().enumerated().map { i, name in "\(name): \(0.1 * Double(i + 1))\n" }.joined()
        let step = try runStep("backward\nexpr: \(expr)\n" + inputs)
        #expect(step.status == .passed, "\(step.error?.description ?? "")")
        for case .graph(let graph) in step.outputs { return graph }
        Issue.record("no graph for \(expr)")
        return Graph(title: expr, nodes: [], edges: [])
    }

    /// Expressions of about 30 nodes a learner might type: balanced, a long sum of products, a
    /// long chain, inputs read at many depths.
    static let largeExpressions = [
        "(a+b)*(c+d)*(e+f)*(g+h) + (i+j)*(k+l)*(m+n)*(o+p)",
        "a*b + c*d + e*f + g*h + i*j + k*l + m*n + o*p",
        "a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+q+r+s+t+u+v+w+x+y+z",
        "tanh(a*a + a*b + b*b + exp(a) + log(b) + a/b + (a-b)*(a+b) + a*b*c*d + c/d + exp(c*d))",
        "((((a*b + c)*d + e)*f + g)*h + i)*j + tanh(a + b + c + d + e + f + g + h + i + j)",
    ]

    /// Everything that makes a layout readable: inside the picture, boxes apart, every edge
    /// going up from its input's top to its reader's op, and no edge point under a box.
    func expectReadable(_ layout: GraphLayout, _ graph: Graph, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let rects = layout.boxes.flatMap { box in
            [GraphLayout.Rect(x: box.x, y: box.y, width: box.width, height: box.height)] + (box.op.map { [$0] } ?? [])
        }
        for rect in rects {
            #expect(rect.x >= 0 && rect.y >= 0 && rect.x + rect.width <= layout.width + 1e-9
                    && rect.y + rect.height <= layout.height + 1e-9, "outside the picture: \(rect)", sourceLocation: sourceLocation)
        }
        for (i, a) in layout.boxes.enumerated() {
            for b in layout.boxes[(i + 1)...] {
                let apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y
                #expect(apart, "boxes of nodes \(a.node) and \(b.node) overlap", sourceLocation: sourceLocation)
            }
        }
        for edge in layout.edges {
            let from = layout.boxes[edge.from], to = layout.boxes[edge.to]
            #expect(from.rank > to.rank, "edge \(edge.from) -> \(edge.to) does not go up", sourceLocation: sourceLocation)
            #expect(edge.points.first?.y == from.y, sourceLocation: sourceLocation)
            #expect(edge.points.last?.y == (to.op.map { $0.y + $0.height } ?? to.y + to.height), sourceLocation: sourceLocation)
            for point in GraphLayout.trace(edge.points) {
                let under = rects.first { $0.contains(point) }
                #expect(under == nil, "edge \(edge.from) -> \(edge.to) runs under a box at \(point)", sourceLocation: sourceLocation)
                if under != nil { break }
            }
        }
        let drawnEdges = Set(graph.edges.map { "\($0.from)-\($0.to)" })
        #expect(Set(layout.edges.map { "\(graph.nodes[$0.from].id)-\(graph.nodes[$0.to].id)" }) == drawnEdges, sourceLocation: sourceLocation)
        #expect(layout.edges.count == graph.edges.count, "every edge, once per operand", sourceLocation: sourceLocation)
    }

    @Test(arguments: largeExpressions)
    func largeGraphsFitTheColumnAndReadWell(_ expr: String) throws {
        let graph = try graph(expr)
        #expect(graph.nodes.count >= 25)
        let layout = GraphLayout(graph) { ["#\($0.id)", "data " + NumberFormat.short($0.data), "grad " + NumberFormat.short($0.grad ?? 0)] }
        #expect(layout.width <= GraphLayout.maximumWidth, "\(expr) is \(layout.width) wide")
        expectReadable(layout, graph)
        // The output is alone at the top; inputs are at the bottom of their edges.
        let output = graph.nodes.indices.max { graph.nodes[$0].id < graph.nodes[$1].id }!
        #expect(layout.boxes[output].rank == 0 && layout.boxes.filter { $0.rank == 0 }.count == 1)

        let data = Pictures.graph(graph)
        let width = try #require(Double(data["width"] as? String ?? ""))
        #expect(width <= GraphLayout.maximumWidth)
    }

    @Test func theNeuronIsRankedFromItsOutputDownToItsInputs() throws {
        let graph = try graph("tanh(x1*w1 + x2*w2 + b)")
        let layout = GraphLayout(graph) { [$0.label, "data " + NumberFormat.short($0.data), "grad 0.0000"] }
        let rank = Dictionary(layout.boxes.map { (graph.nodes[$0.node].label.isEmpty ? graph.nodes[$0.node].op : graph.nodes[$0.node].label, $0.rank) },
                              uniquingKeysWith: { first, _ in first })
        #expect(rank["tanh"] == 0)
        #expect(rank["x1"] == rank["w1"] && rank["x1"] == rank["x2"] && rank["x1"] == rank["w2"] && rank["x1"] == 4)
        #expect(rank["b"] == 2)
        // Operands in the op's order, left to right: x1 before w1.
        let x = Dictionary(layout.boxes.map { (graph.nodes[$0.node].label, $0.x) }, uniquingKeysWith: { first, _ in first })
        #expect(x["x1"]! < x["w1"]! && x["w1"]! < x["x2"]! && x["x2"]! < x["w2"]!)
        expectReadable(layout, graph)
    }

    /// Random graphs shaped as tapes: each node reads one or two older ones, some many times.
    @Test func randomGraphsNeverHideAnEdge() {
        var generator = SplitMix64(seed: 11)
        for trial in 0..<60 {
            let count = 2 + trial % 40
            var nodes: [Graph.Node] = [], edges: [Graph.Edge] = []
            for id in 1...count {
                let inputs = id <= 2 || Int.random(in: 0..<4, using: &generator) == 0 ? 0 : Int.random(in: 1...2, using: &generator)
                nodes.append(.init(id: id, label: inputs == 0 ? "x\(id)" : "", op: inputs == 0 ? "" : ["+", "*", "tanh"][inputs == 1 ? 2 : id % 2],
                                   data: Double(id), grad: 1))
                for _ in 0..<inputs { edges.append(.init(from: Int.random(in: 1..<id, using: &generator), to: id)) }
            }
            let graph = Graph(title: "random \(trial)", nodes: nodes, edges: edges)
            let layout = GraphLayout(graph) { ["#\($0.id)", "data 0.0000", "grad 0.0000"] }
            expectReadable(layout, graph)
        }
    }

    @Test func graphSVGScalesAndSaysWhatItShows() throws {
        let html = HTMLRenderer().render(step: StepRecord(id: "backward", chapter: 2, index: 3, location: SourceLocation(file: "f", line: 1, column: 1),
                                                          status: .passed, outputs: [.graph(try graph(Self.largeExpressions[0]))],
                                                          values: [], checks: [], error: nil))
        #expect(html.contains("viewBox=\"0 0 "))
        #expect(html.contains("role=\"img\" aria-label=\"Computation graph of (a+b)*(c+d)*(e+f)*(g+h) + (i+j)*(k+l)*(m+n)*(o+p), 31 values: the output at the top"))
        #expect(HTMLTemplates.css.contains("figure svg { max-width: 100%; height: auto; }"))
        #expect(HTMLTemplates.css.contains(".graph text { font-size: 12px;"))
    }

    // MARK: Heatmaps

    func triangle(_ n: Int, seed: UInt64 = 4) -> Matrix {
        var generator = SplitMix64(seed: seed)
        let letters = Array("abcdefghijklmnopqrstuvwxyz").map(String.init)
        let labels: [String] = (0..<n).map { i -> String in i == 0 ? "BOS" : i % 7 == 0 ? " " : letters[i % 26] }
        let values: [[Double?]] = (0..<n).map { r in
            let raw = (0...r).map { _ in Double.random(in: 0.01...1, using: &generator) }
            let sum = raw.reduce(0, +)
            return raw.map { Optional($0 / sum) } + Array(repeating: nil, count: n - r - 1)
        }
        return Matrix(title: "w", kind: .weights, rowTitle: "query position", columnTitle: "key position",
                      rowLabels: labels, columnLabels: labels, values: values)
    }

    /// Labels at least 11 px, and no two closer than a glyph (11 px monospace is 6.6 px wide and
    /// 11 px tall): two heads of a 60-character line fit side by side in the ~876 px column.
    @Test(arguments: [3, 12, 30, 60, 90])
    func heatmapLabelsAreLegibleAndApart(_ n: Int) throws {
        let data = Pictures.heatmap(triangle(n))
        #expect(Pictures.heatmapLabelSize >= 11 && HTMLTemplates.css.contains(".heatmap text { font-size: 11px; }"))
        func points(_ key: String) -> [(x: Double, y: Double)] {
            (data[key] as? [[String: Any]] ?? []).map { (Double($0["x"] as? String ?? "") ?? .nan, Double($0["y"] as? String ?? "") ?? .nan) }
        }
        let labels = points("columnLabels") + points("rowLabels")
        #expect(labels.count == 2 * n)
        for (i, a) in labels.enumerated() {
            for b in labels[(i + 1)...] {
                let apart = abs(a.x - b.x) >= 7 || abs(a.y - b.y) >= 11
                #expect(apart, "labels at \(a) and \(b) overlap")
                if !apart { return }
            }
        }
        let width = try #require(Double(data["width"] as? String ?? ""))
        if n <= 60 { #expect(2 * width + 20 <= 876, "two heads of \(n) positions side by side") }
    }

    @Test func heatmapsSitSideBySideAndStaySmall() {
        let css = HTMLTemplates.css
        #expect(css.contains(".heatmap { display: inline-block;"))
        let step = StepRecord(id: "attention", chapter: 4, index: 4, location: SourceLocation(file: "f", line: 1, column: 1),
                              status: .passed, outputs: (0..<4).map { .matrix(triangle(60, seed: UInt64($0))) }, values: [], checks: [], error: nil)
        let html = HTMLRenderer().render(step: step)
        // Four heads of a 60-character line of random weights: about 31 KB each (a head of the real
        // chapters takes 29 KB; with an SVG rectangle per square it took 75 KB).
        #expect(html.utf8.count < 4 * 35_000, "\(html.utf8.count) bytes")
        #expect(html.components(separatedBy: "<figure class=\"heatmap\">").count == 5)
    }

    @Test func terminalShadesEachRowAgainstItsLargestWeightAsTheHTMLDoes() {
        // The long row's weights are small, but its largest is drawn full, as in the HTML.
        let matrix = Matrix(title: "w", kind: .weights, rowTitle: "q", columnTitle: "k", rowLabels: ["a", "b"], columnLabels: ["a", "b", "c", "d"],
                            values: [[1, nil, nil, nil], [0.02, 0.1, 0.2, 0.4]])
        let text = TerminalRenderer(colour: false).matrix(matrix)
        #expect(text.contains("\na █···\nb  ░▒█\n"), "\(text)")
        #expect(text.contains("each row shaded against its largest weight"))
        let data = Pictures.heatmap(matrix)
        let fills = (data["shades"] as? [[String: Any]] ?? []).compactMap { $0["fill"] as? String }
        #expect(fills.filter { $0 == Pictures.shade(1) }.count == 1)  // both rows' largest: one path
    }

    // MARK: Bars, alt text, anchors, numbers

    @Test func labelBarsUseTheServersLabelColours() {
        #expect(Pictures.barClass("INFO") == "bar label-info" && Pictures.barClass("WARNING") == "bar label-warning")
        #expect(Pictures.barClass("ERROR") == "bar label-error" && Pictures.barClass("12: >") == "bar")
        let css = HTMLTemplates.css
        #expect(css.contains("--info: #0969da; --warning: #bf8700; --error: #cf222e;"))
        #expect(css.contains(".bar.label-info { fill: var(--info); }"))
    }

    @Test func everyPictureHasAltTextAndNoInlineStyle() throws {
        let step = StepRecord(id: "x", chapter: 1, index: 1, location: SourceLocation(file: "f", line: 1, column: 1), status: .passed, outputs: [
            .graph(try graph("a*b + c")),
            .matrix(triangle(5)),
            .series(Series(title: "loss", xLabel: "step", yLabel: "loss", lines: [.init(name: "loss", values: [3, 2, 1])])),
            .bars(BarSet(title: "p", bars: [.init(label: "INFO", value: 0.5)], maximum: 1)),
            .code(CodeRegion(file: "f.swift", region: "r", firstLine: 1, lines: ["let x = \"<b>\" // hi"])),
        ], values: [], checks: [], error: nil)
        let html = HTMLRenderer().render(step: step)
        let svgs = html.components(separatedBy: "<svg ").dropFirst()
        #expect(svgs.count == 4)
        for svg in svgs {
            let tag = svg.prefix { $0 != ">" }
            #expect(tag.contains("role=\"img\" aria-label=\"") && !tag.contains("aria-label=\"\""), "\(tag)")
        }
        #expect(html.contains("aria-label=\"Line chart, loss: loss over 3 steps; loss from 3.0000 to 1.0000.\""))
        #expect(html.contains("aria-label=\"Bars, p: INFO 0.5000.\""))
        #expect(!html.contains("style=") && !html.contains("<style") && !html.contains("<script"))
    }

    @Test func everyStepHasAnAnchorAndALinkToIt() throws {
        let lessons = try makeLessons(["01-a.md": chapter("backward\nexpr: a*b\na: 2\nb: 3\n", "backward\nexpr: a+b\na: 2\nb: 3\n"),
                                       "02-b.md": chapter("backward\nexpr: a\na: 2\n")])
        let html = HTMLRenderer().render(try runLessons(lessons))
        for anchor in ["chapter-1-step-1", "chapter-1-step-2", "chapter-2-step-1"] {
            #expect(html.contains("id=\"\(anchor)\""))
            #expect(html.contains("<a class=\"step-link\" href=\"#\(anchor)\""))
        }
        let ids = html.components(separatedBy: " id=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(Set(ids).count == ids.count, "ids are unique: \(ids)")
    }

    @Test func valuesShowTheDigitsTheirToleranceNeeds() throws {
        #expect(NumberFormat.shown(1.0000000000000002, within: 1e-9) == "1")
        #expect(NumberFormat.shown(-1.5000000000000004, within: 1e-9) == "-1.5")
        #expect(NumberFormat.shown(0.7071067811865476, within: 1e-9) == "0.7071067812")
        #expect(NumberFormat.shown(2.467999138389132e-10, within: 1e-6) == "2.47e-10")
        #expect(NumberFormat.shown(-1.4999999998488445, within: 1.5e-4) == "-1.5")
        #expect(NumberFormat.shown(1.002, within: 1e-3) == "1.002")
        // An exact expectation compares the full text, so that is what shows.
        #expect(NumberFormat.shown(0.5000000000000001, within: 0) == "0.5000000000000001")
        #expect(NumberFormat.shown(60, within: 0) == "60" && NumberFormat.shown(.nan, within: 1) == "NaN")

        let step = try runStep("backward\nexpr: tanh(x1*w1 + x2*w2 + b)\nx1: 2\nx2: 0\nw1: -3\nw2: 1\nb: 6.8813735870195432\n"
                               + "expect grad.w1 = 1 ± 1e-9\nexpect out = 0.7071067812 ± 1e-9")
        let html = HTMLRenderer().render(step: step)
        #expect(html.contains(">grad.w1 = 1 <span") && html.contains(">out = 0.7071067812 <span"), "\(html)")
        #expect(html.range(of: #"[0-9]\.[0-9]{13,}"#, options: .regularExpression) == nil, "a number printed to 17 digits")
        // The JSON record keeps every digit.
        #expect(step.checks.first { $0.name == "grad.w1" }?.actual == .number(1.0000000000000002))
    }
}
