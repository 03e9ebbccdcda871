// The run record as terminal text: prose drawn from its Markdown, tables with aligned columns, heatmaps in
// shade characters, loss curves as sparklines, bars in block characters. Colour (ANSI) only
// when the caller says the output is a terminal. Every text that comes from a chapter, a source
// file or a dataset goes through `VisibleText` first, so its control characters show as `\u{1B}`
// instead of acting on the terminal: the only escape sequences printed are the renderer's own.
import Foundation
import LessonOutput

/// Renders run records for a terminal or a plain text file.
public struct TerminalRenderer {
    /// Use ANSI colours and bold.
    public var colour: Bool
    /// Leave exercises' answers out: the learner is about to be asked (`gpt run --step`).
    public var hidingAnswers: Bool

    public init(colour: Bool, hidingAnswers: Bool = false) {
        self.colour = colour
        self.hidingAnswers = hidingAnswers
    }

    /// The whole record, chapter by chapter, then the summary line.
    public func render(_ record: RunRecord) -> String {
        record.chapters.map { chapter in
            ([chapterHeader(chapter)] + chapter.segments.map { render($0, of: chapter.steps.count) }).joined(separator: "\n")
        }.joined(separator: "\n") + "\n" + summary(record)
    }

    /// The line that opens a chapter, its parse error if it has one, and the parser's errors
    /// (red) and warnings (yellow) outside its steps.
    public func chapterHeader(_ chapter: ChapterRecord) -> String {
        let rule = String(repeating: "=", count: 72)
        let title = VisibleText.line(chapter.title), file = VisibleText.line(chapter.file)
        var text = style(rule + "\nChapter \(chapter.number): \(title)  (\(file))\n" + rule, "1")
        for problem in chapter.problems { text += "\n" + diagnostic(problem) }
        return text
    }

    /// An error in red or a warning in yellow, at its file:line:column.
    public func diagnostic(_ problem: LessonError) -> String {
        style(VisibleText.lines(problem.description), problem.severity == .warning ? "33" : "31")
    }

    /// Prose or a step; `steps` is how many its chapter has, for the counter ("step 3/9").
    public func render(_ segment: SegmentRecord, of steps: Int? = nil) -> String {
        switch segment {
        case .prose(let markdown): return prose(markdown)
        case .step(let step): return render(step, of: steps)
        }
    }

    /// The pass/fail line of a run.
    public func summary(_ record: RunRecord) -> String {
        let line = VisibleText.line(record.summary)
        return record.succeeded ? style("OK: " + line, "32") : style("FAILED: " + line, "31")
    }

    // MARK: Pieces

    /// Markdown drawn for the terminal (TerminalMarkdown), followed by a blank line.
    func prose(_ markdown: String) -> String {
        TerminalMarkdown(colour: colour).render(markdown) + "\n"
    }

    /// A line in the renderer's colours: `code` is an ANSI SGR code ("1" bold, "32" green).
    public func styled(_ text: String, _ code: String) -> String { style(VisibleText.lines(text), code) }

    func render(_ step: StepRecord, of steps: Int? = nil) -> String {
        var lines = [style(VisibleText.line("--- " + Self.counter(step.index, of: steps) + "  \(step.id)  \(step.location)"), "2")]
        for output in step.outputs { lines.append(render(output)) }
        switch step.status {
        case .passed:
            let expectations = step.checks.count { $0.kind == .expectation }, own = step.checks.count { $0.kind == .selfCheck }
            var held: [String] = []
            if expectations > 0 { held.append("\(expectations) expectation\(expectations == 1 ? "" : "s") held") }
            if own > 0 { held.append("\(own) self-check\(own == 1 ? "" : "s") passed") }
            lines.append(style("ok" + (held.isEmpty ? "" : " (\(held.joined(separator: ", ")))"), "32"))
        case .failed:
            // Every problem of the step, as a compiler lists them.
            let reasons = step.errors.isEmpty ? ["without a reason"] : step.errors.map(\.description)
            lines += reasons.map { style("FAILED " + VisibleText.lines($0), "31") }
        case .skipped:
            lines.append(style("SKIPPED " + VisibleText.lines(step.error?.description ?? ""), "33"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func render(_ output: StepOutput) -> String {
        switch output {
        case .text(let lines): return lines.map(VisibleText.line).joined(separator: "\n")
        case .table(let table): return self.table(table)
        case .graph(let graph): return self.graph(graph)
        case .matrix(let matrix): return self.matrix(matrix)
        case .series(let series): return self.series(series)
        case .bars(let bars): return self.bars(bars)
        case .code(let code): return self.code(code)
        case .exercise(let exercise): return self.exercise(exercise, showingAnswer: !hidingAnswers)
        case .console(let text): return VisibleText.lines(text.hasSuffix("\n") ? String(text.dropLast()) : text)
        }
    }

    /// A question, its choices, and (unless the learner is about to answer it) its answer.
    public func exercise(_ exercise: Exercise, showingAnswer: Bool) -> String {
        var out = [style((exercise.kind == .choice ? "Quiz: " : "Exercise: ") + VisibleText.line(exercise.question), "1")]
        for (index, choice) in exercise.choices.enumerated() { out.append("  \(index + 1). " + VisibleText.line(choice)) }
        if showingAnswer {
            out.append(style("Answer: " + VisibleText.line(exercise.answer) + (exercise.explanation.map { " (" + VisibleText.line($0) + ")" } ?? ""), "2"))
        }
        return out.joined(separator: "\n")
    }

    /// Columns padded to their widest cell; numbers right-aligned, text left-aligned.
    func table(_ table: Table) -> String {
        let cells = table.rows.map { $0.map { VisibleText.line(Self.text($0)) } }
        let columns = table.columns.map(VisibleText.line)
        var widths = columns.map(\.count)
        for row in cells {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ row: [String], numeric: [Bool]) -> String {
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(0, widths[min(i, widths.count - 1)] - cell.count))
                return numeric[i] ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        // A column's heading is aligned like its cells, judged by the first row.
        let numericColumns = table.columns.indices.map { i in
            guard let first = table.rows.first, i < first.count else { return false }
            if case .text = first[i] { return false }
            return true
        }
        var out = [style(VisibleText.line(table.title), "1"), style(line(columns, numeric: numericColumns), "4")]
        for (row, original) in zip(cells, table.rows) {
            out.append(line(row, numeric: original.map { if case .text = $0 { false } else { true } }))
        }
        return out.joined(separator: "\n")
    }

    func graph(_ graph: Graph) -> String {
        let names = Dictionary(uniqueKeysWithValues: graph.nodes.map { ($0.id, $0.label.isEmpty ? "#\($0.id)" : $0.label) })
        let rows: [[Cell]] = graph.nodes.map { node in
            let inputs = graph.edges.filter { $0.to == node.id }.compactMap { names[$0.from] }.joined(separator: ", ")
            return [.text(names[node.id] ?? ""), .text(node.op.isEmpty ? "input" : node.op), .text(inputs),
                    .number(node.data), node.grad.map(Cell.number) ?? .empty]
        }
        return table(Table(title: "Graph of \(graph.title)", columns: ["node", "op", "inputs", "data", "grad"], rows: rows))
    }

    /// Weights as shades ( ░▒▓█ from 0 to the row's largest), masked entries as '·'; signed values
    /// (gradients) as shades of two kinds, ░▒▓█ positive and -=≡# negative; counts as numbers.
    func matrix(_ matrix: Matrix) -> String {
        let rowLabels = matrix.rowLabels.map(Self.visible)
        let labelWidth = rowLabels.map(\.count).max() ?? 0
        var out = [style(VisibleText.line(matrix.title), "1"), VisibleText.line("rows: \(matrix.rowTitle), columns: \(matrix.columnTitle)")]
        switch matrix.kind {
        case .weights:
            let shades: [Character] = [" ", "░", "▒", "▓", "█"]
            out.append(String(repeating: " ", count: labelWidth + 1) + matrix.columnLabels.map { Self.visible($0).prefix(1) }.joined())
            for (label, row) in zip(rowLabels, matrix.values) {
                // Shaded against the row's own largest weight, as the walkthrough shades it.
                let largest = row.compactMap { $0 }.filter(\.isFinite).max() ?? 1
                let cells = row.map { value -> String in
                    guard let value else { return "·" }
                    guard value.isFinite else { return "?" }
                    let share = largest > 0 ? value / largest : 0
                    return String(shades[min(4, max(0, Int((share * 4).rounded())))])
                }.joined()
                out.append(label.padding(toLength: labelWidth) + " " + cells)
            }
            let notFinite = matrix.values.joined().contains { $0.map { !$0.isFinite } ?? false }
            out.append("(each row shaded against its largest weight: blank 0, ░ a quarter of it, ▒ a half, ▓ three quarters, █ all; · masked"
                       + (notFinite ? "; ? NaN or infinite)" : ")"))
        case .signed:
            // One scale for the whole matrix, its largest |value|, as the walkthrough draws it; the
            // sign in the character, so that it reads without colour too (and in colour as well).
            let largest = Pictures.largestAbsolute(matrix)
            // Numbered columns (a weight matrix's) are headed by their last digit: 0123456789012...
            let numbered = matrix.columnLabels.allSatisfy { Int($0) != nil }
            out.append(String(repeating: " ", count: labelWidth + 1)
                       + matrix.columnLabels.map { numbered ? String($0.suffix(1)) : String(Self.visible($0).prefix(1)) }.joined())
            for (label, row) in zip(rowLabels, matrix.values) {
                let cells = row.map { value -> String in
                    guard let value else { return "·" }
                    guard value.isFinite else { return "?" }
                    let level = Self.signedLevel(value, largest: largest)
                    guard level != 0 else { return " " }
                    let glyph = String((level > 0 ? Self.positiveGlyphs : Self.negativeGlyphs)[abs(level) - 1])
                    return style(glyph, level > 0 ? "33" : "35")
                }.joined()
                out.append(label.padding(toLength: labelWidth) + " " + cells)
            }
            let notFinite = matrix.values.joined().contains { $0.map { !$0.isFinite } ?? false }
            let masked = matrix.values.joined().contains { $0 == nil }
            out.append("(against the largest size, \(Pictures.scaleText(largest)): positive ░ a quarter of it, ▒ a half, ▓ three quarters, █ all;"
                       + " negative - = ≡ #; blank near 0" + (masked ? "; · masked" : "") + (notFinite ? "; ? NaN or infinite)" : ")"))
        case .counts:
            let rows: [[Cell]] = zip(matrix.rowLabels, matrix.values).map { label, row in
                [.text(label)] + row.map { value in value.map { $0.isFinite ? .integer(Int($0)) : .number($0) } ?? .empty }
            }
            out = [table(Table(title: matrix.title, columns: ["\(matrix.rowTitle) \\ \(matrix.columnTitle)"] + matrix.columnLabels, rows: rows))]
        }
        return out.joined(separator: "\n")
    }

    /// A sparkline per line over at most 60 buckets, with the first and last values. A bucket
    /// holding a NaN or an infinity is drawn '?', so a loss that blew up shows where.
    /// On a logarithmic scale the heights are those of log10(value), and a value <= 0 is '?' too.
    func series(_ series: Series) -> String {
        let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let logarithmic = series.yScale == .logarithmic
        let height = { (v: Double) -> Double in logarithmic ? (v > 0 ? log10(v) : .nan) : v }
        let all = series.lines.flatMap(\.values).filter { height($0).isFinite }
        let low = all.min() ?? 0, high = all.max() ?? 0
        let range = all.isEmpty ? "no finite values" : "\(NumberFormat.short(low)) to \(NumberFormat.short(high))"
            + (logarithmic ? ", log scale" : "")
        let (bottom, top) = (height(low), height(high))
        var out = [style(VisibleText.line(series.title), "1") + VisibleText.line("  (\(series.yLabel) over \(series.xLabel), \(range))")]
        for line in series.lines where !line.values.isEmpty {
            let buckets = min(60, line.values.count)
            let spark = (0..<buckets).map { b -> Character in
                let range = (b * line.values.count / buckets)..<max((b + 1) * line.values.count / buckets, b * line.values.count / buckets + 1)
                let mean = height(line.values[range].reduce(0, +) / Double(range.count))
                guard mean.isFinite else { return "?" }
                let level = top > bottom ? Int(((mean - bottom) / (top - bottom) * 7).rounded()) : 0
                return blocks[min(7, max(0, level))]
            }
            out.append("\(VisibleText.line(line.name)): \(String(spark))  first \(NumberFormat.short(line.values[0])), last \(NumberFormat.short(line.values[line.values.count - 1]))")
        }
        return out.joined(separator: "\n")
    }

    func bars(_ bars: BarSet) -> String {
        let labels = bars.bars.map { VisibleText.line($0.label) }
        let width = labels.map(\.count).max() ?? 0
        var out = [style(VisibleText.line(bars.title), "1")]
        for (bar, label) in zip(bars.bars, labels) {
            let length = bars.maximum > 0 && bar.value.isFinite ? Int((min(1, max(0, bar.value / bars.maximum)) * 40).rounded()) : 0
            out.append(label.padding(toLength: width) + " " + String(repeating: "█", count: length) + " " + NumberFormat.short(bar.value))
        }
        return out.joined(separator: "\n")
    }

    func code(_ code: CodeRegion) -> String {
        let width = String(code.firstLine + code.lines.count).count
        let what = code.region.isEmpty ? "a Swift cell" : "region \(code.region)"
        var out = [style(VisibleText.line("\(code.file):\(code.firstLine)  (\(what))"), "1")]
        for (offset, line) in code.lines.enumerated() {
            out.append(style(String(code.firstLine + offset).leftPadded(toLength: width), "2") + "  " + VisibleText.lines(line))
        }
        return out.joined(separator: "\n")
    }

    /// A signed value's shade on a scale of -4...4 (0 under an eighth of `largest`), as the
    /// weights' shades are quarters of their row's largest.
    static func signedLevel(_ value: Double, largest: Double) -> Int {
        guard largest > 0 else { return 0 }
        let level = Int((abs(value) / largest * 4).rounded())
        return value < 0 ? -min(4, level) : min(4, level)
    }

    static let positiveGlyphs: [Character] = ["░", "▒", "▓", "█"]
    static let negativeGlyphs: [Character] = ["-", "=", "≡", "#"]

    static func text(_ cell: Cell) -> String {
        switch cell {
        case .text(let text): return text
        case .integer(let n): return String(n)
        case .number(let x): return NumberFormat.short(x)
        case .empty: return ""
        }
    }

    /// A space shown as '␣' so characters of a log line stay visible as labels; control
    /// characters written out.
    static func visible(_ label: String) -> String { label == " " ? "␣" : VisibleText.line(label) }

    /// "step 3/9", or "step 3" when the chapter's count is not known.
    public static func counter(_ index: Int, of steps: Int?) -> String {
        "step \(index)" + (steps.map { "/\($0)" } ?? "")
    }

    private func style(_ text: String, _ code: String) -> String {
        Self.styled(text, code, colour: colour)
    }

    /// `text` in the SGR style `code` when `colour`; a terminal's reset ends every style, so the
    /// styles `active` around it are set again after it.
    static func styled(_ text: String, _ code: String, colour: Bool, inside active: [String] = []) -> String {
        guard colour else { return text }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m" + (active.isEmpty ? "" : "\u{1B}[\(active.joined(separator: ";"))m")
    }
}

extension String {
    func padding(toLength length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }

    func leftPadded(toLength length: Int) -> String {
        count >= length ? self : String(repeating: " ", count: length - count) + self
    }

    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
