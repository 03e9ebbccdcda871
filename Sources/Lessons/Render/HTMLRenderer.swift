// The run record as one self-contained HTML file: inline CSS and SVG, no scripts, no fonts or
// images from the network. Prose goes through cmark-gfm; everything else is data rendered by
// Mustache templates, which escape it, so a log line holding `<script>` shows as text.
import Foundation
import GPT
import Mustache
import LessonOutput

/// Renders run records as the HTML walkthrough.
public struct HTMLRenderer {
    public init() {}

    /// The whole page.
    public func render(_ record: RunRecord, title: String = "GPT From Scratch: the walkthrough") -> String {
        let page: [String: Any] = [
            "title": title, "css": HTMLTemplates.css, "summary": record.summary, "succeeded": record.succeeded,
            "chapters": record.chapters.map(chapter),
        ]
        return Self.library.render(page, withTemplate: "page") ?? ""
    }

    /// One step as the walkthrough shows it: its outputs, checks and error. The notebook shows
    /// each cell with this, so the two never draw a step differently.
    public func render(step: StepRecord) -> String {
        Self.library.render(segment(.step(step)), withTemplate: "step") ?? ""
    }

    /// Prose as the walkthrough shows it (cmark-gfm's HTML, raw HTML in the Markdown left out).
    public static func render(prose markdown: String) -> String { CMark.html(markdown) }

    /// The walkthrough's stylesheet, which the notebook serves as a file of its own.
    public static var stylesheet: String { HTMLTemplates.css }

    /// Writes `html` to `path` atomically: a temporary file in the same folder, then a rename.
    public static func write(_ html: String, to path: String) throws {
        try AtomicFile.write(html, to: path)
    }

    /// The templates, parsed once. They are constants of this module, so a parse failure is a
    /// programming error that every test run would show.
    private static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [("page", HTMLTemplates.page), ("chapter", HTMLTemplates.chapter),
                             ("step", HTMLTemplates.step), ("output", HTMLTemplates.output)] {
            do {
                try library.register(text, named: name)
            } catch {
                preconditionFailure("the walkthrough template '\(name)' does not parse: \(error)")
            }
        }
        return library
    }()

    // MARK: Template data

    private func chapter(_ chapter: ChapterRecord) -> [String: Any] {
        let errors = chapter.diagnostics.filter { $0.severity == .error }, warnings = chapter.diagnostics.filter { $0.severity == .warning }
        let failures = chapter.steps.count { $0.status != .passed } + (chapter.error == nil ? 0 : 1) + errors.count
        return [
            "anchor": "chapter-\(chapter.number)", "number": chapter.number, "title": chapter.title, "file": chapter.file,
            "hasFailures": failures > 0, "failures": failures,
            "error": chapter.error.map { ["message": $0.description] } ?? false,
            "hasErrors": !errors.isEmpty, "errors": errors.map { ["message": $0.description] },
            "hasWarnings": !warnings.isEmpty, "warnings": warnings.map { ["message": $0.description] },
            "segments": chapter.segments.map(segment),
            "answers": answers(chapter), "hasAnswers": !answers(chapter).isEmpty,
        ]
    }

    /// The chapter's exercises with their answers, for its end in print (on screen each answer
    /// waits behind its own "Show the answer").
    private func answers(_ chapter: ChapterRecord) -> [[String: Any]] {
        chapter.steps.flatMap(\.outputs).compactMap { output -> Exercise? in
            if case .exercise(let exercise) = output { exercise } else { nil }
        }.map { ["question": $0.question, "answer": $0.answer, "explanation": $0.explanation ?? false] }
    }

    private func segment(_ segment: SegmentRecord) -> [String: Any] {
        switch segment {
        case .prose(let markdown):
            return ["isProse": true, "isStep": false, "html": CMark.html(markdown)]
        case .step(let step):
            return ["isProse": false, "isStep": true, "id": step.id, "location": step.location.description,
                    "anchor": Self.anchor(chapter: step.chapter, step: step.index), "index": step.index,
                    "status": step.status.rawValue, "outputs": step.outputs.map(output),
                    // A passed exercise's checks would give its answer away; a failed one's are for its author.
                    "hasChecks": !step.checks.isEmpty && !(step.status == .passed && step.outputs.contains { if case .exercise = $0 { true } else { false } }),
                    "checks": step.checks.map { check -> [String: Any] in
                        ["name": check.name, "passed": check.passed, "expected": check.expected,
                         "actual": check.actual.map { Self.shown($0, within: check.tolerance) } ?? "nothing", "selfCheck": check.kind == .selfCheck]
                    },
                    "error": step.error == nil ? false : [
                        "heading": step.status == .skipped ? "Skipped" : "This step failed",
                        "message": step.errors.map(\.description).joined(separator: "\n\n"),
                    ] as [String: Any]]
        }
    }

    /// One output as data for the `output` template: a single key names its kind.
    private func output(_ output: StepOutput) -> [String: Any] {
        var data: [String: Any] = ["text": false, "table": false, "graph": false, "heatmap": false, "counts": false,
                                   "chart": false, "bars": false, "code": false, "exercise": false, "console": false]
        switch output {
        case .text(let lines):
            data["text"] = ["lines": lines]
        case .table(let table):
            data["table"] = [
                "title": table.title, "columns": table.columns,
                "rows": table.rows.map { row in ["cells": row.map(cell)] },
            ]
        case .graph(let graph):
            data["graph"] = Pictures.graph(graph)
        case .matrix(let matrix):
            switch matrix.kind {
            case .weights, .signed: data["heatmap"] = Pictures.heatmap(matrix)
            case .counts: data["counts"] = counts(matrix)
            }
        case .series(let series):
            data["chart"] = Pictures.chart(series)
        case .bars(let bars):
            data["bars"] = Pictures.bars(bars)
        case .code(let code):
            data["code"] = [
                "file": code.file, "region": code.region.isEmpty ? false : code.region, "firstLine": code.firstLine,
                "lines": SwiftHighlighter.tokens(code.lines).enumerated().map { offset, tokens in
                    ["number": code.firstLine + offset, "tokens": tokens.map { token -> [String: Any] in
                        ["text": token.text, "plain": token.kind == nil, "kind": token.kind.map { "tok-\($0.rawValue)" } ?? ""]
                    }]
                },
            ]
        case .exercise(let exercise):
            data["exercise"] = [
                "isChoice": exercise.kind == .choice, "question": exercise.question, "choices": exercise.choices,
                "hint": exercise.hint ?? false, "answer": exercise.answer, "explanation": exercise.explanation ?? false,
            ]
        case .console(let text):
            data["console"] = ["text": text]
        }
        return data
    }

    /// The id of a step's element in the walkthrough, for links to it: "chapter-2-step-3".
    public static func anchor(chapter: Int, step: Int) -> String { "chapter-\(chapter)-step-\(step)" }

    /// A reported value as a learner reads it: a number to the digits its check's tolerance needs.
    static func shown(_ value: CheckValue, within tolerance: Double) -> String {
        if case .number(let x) = value { return NumberFormat.shown(x, within: tolerance) }
        return value.description
    }

    private func cell(_ cell: Cell) -> [String: Any] {
        switch cell {
        case .text(let text): return ["text": text, "numeric": false]
        default: return ["text": TerminalRenderer.text(cell), "numeric": true]
        }
    }

    /// A counts matrix (a confusion matrix) as a table, cells shaded by their share of the largest.
    private func counts(_ matrix: Matrix) -> [String: Any] {
        let largest = matrix.values.flatMap { $0.compactMap { $0 } }.filter(\.isFinite).max() ?? 1
        return [
            "title": matrix.title, "corner": "\(matrix.rowTitle) \\ \(matrix.columnTitle)", "columnLabels": matrix.columnLabels,
            "rows": zip(matrix.rowLabels, matrix.values).map { label, row -> [String: Any] in
                ["label": label, "cells": row.map { value -> [String: Any] in
                    guard let value, value.isFinite else {
                        return ["text": value.map(NumberFormat.short) ?? "", "shade": value == nil ? "shade-0" : "shade-nan"]
                    }
                    return ["text": String(Int(value)), "shade": HTMLTemplates.shadeClass(largest > 0 ? value / largest * 0.6 : 0)]
                }]
            },
        ]
    }
}
