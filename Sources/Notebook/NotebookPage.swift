// What the notebook's pages show, as HTML: the contents, a chapter with a cell in place of each
// step, and each cell on its own (the page's script swaps cells in as they change). Every step's
// output is drawn by the walkthrough's own renderer, so the notebook and `gpt report` never show a
// step differently; this file adds the form, the stale marks and the page around them. Every piece
// of data goes through Mustache's `{{ }}`, which escapes it.
import Foundation
import Lessons
import Mustache

/// Renders a session's pages.
struct NotebookPage {
    let session: String
    let timeline: Timeline
    let registry: StepRegistry
    let limits: NotebookLimits

    // MARK: Pages

    /// The list of chapters, with how many of each one's steps passed and how many are stale.
    func contents(problem: LessonError?) -> String {
        let chapters = timeline.chapters.map { chapter -> [String: Any] in
            let cells = chapter.cellIDs.compactMap { timeline.cells[$0] }
            let failed = cells.count { $0.freshness == .fresh && $0.record?.status != .passed }
            let stale = cells.count { $0.freshness != .fresh }
            return ["hasFailed": failed > 0, "hasStale": stale > 0, "number": chapter.number, "title": chapter.title, "href": href("chapter/\(chapter.number)"),
                    "steps": cells.count, "passed": cells.count { $0.freshness == .fresh && $0.record?.status == .passed },
                    "stale": stale,
                    "failed": failed,
                    "error": chapter.error.map { ["message": $0.description] } ?? false]
        }
        return Self.library.render([
            "title": "GPT From Scratch: the notebook", "session": session, "chapters": chapters,
            "problem": problem.map { ["message": $0.description] } ?? false, "limits": limits.summary,
            "first": chapters.first?["href"] ?? false,
        ], withTemplate: "contents") ?? ""
    }

    /// The page of chapter `number`.
    func chapter(_ number: Int, errors: [Int: NotebookError] = [:]) -> String? {
        guard let index = timeline.chapters.firstIndex(where: { $0.number == number }) else { return nil }
        let chapter = timeline.chapters[index]
        let previous = index > 0 ? timeline.chapters[index - 1] : nil
        let next = index + 1 < timeline.chapters.count ? timeline.chapters[index + 1] : nil
        return Self.library.render([
            "title": "\(chapter.title): GPT From Scratch notebook", "session": session, "number": number,
            "position": index + 1, "count": timeline.chapters.count, "contents": href(""),
            "previous": previous.map { ["href": href("chapter/\($0.number)"), "title": $0.title] } ?? false,
            "next": next.map { ["href": href("chapter/\($0.number)"), "title": $0.title] } ?? false,
            "export": href("chapter/\(number)/export"), "markdown": href("chapter/\(number)/markdown"),
            "save": href("chapter/\(number)/save"), "runAll": href("run-all"), "limits": limits.summary,
            "body": body(chapter, errors: errors),
        ], withTemplate: "chapterPage") ?? ""
    }

    /// The chapter's prose and cells, without the page around them (what a redraw replaces).
    func body(_ chapter: NotebookChapter, errors: [Int: NotebookError] = [:]) -> String {
        let ids = chapter.cellIDs
        var segments: [[String: Any]] = []
        segments.append(adder(chapter: chapter.number, after: nil))
        for segment in chapter.segments {
            switch segment {
            case .prose(let markdown):
                segments.append(["prose": HTMLRenderer.render(prose: markdown)])
            case .cell(let id):
                guard let cell = timeline.cells[id] else { continue }
                segments.append(["cell": cellHTML(cell, index: (ids.firstIndex(of: id) ?? 0) + 1, of: ids.count, error: errors[id])])
                segments.append(adder(chapter: chapter.number, after: id))
            }
        }
        return Self.library.render([
            "number": chapter.number, "file": chapter.file, "steps": ids.count,
            "error": chapter.error.map { ["message": $0.description] } ?? false,
            "segments": segments,
        ], withTemplate: "chapterBody") ?? ""
    }

    /// The "add a step here" form after cell `after` (at the chapter's start when nil).
    /// A Swift cell has a button of its own, so the list holds the other steps.
    private func adder(chapter: Int, after: Int?) -> [String: Any] {
        ["adder": ["action": href("chapter/\(chapter)/cells"), "after": after.map(String.init) ?? "", "swift": ChapterParser.swiftCellID,
                   "steps": registry.definitions.filter { $0.id != ChapterParser.swiftCellID }.map { ["id": $0.id, "summary": $0.summary] }]]
    }

    // MARK: Cells

    /// One cell: its bar (place, step, marks), its form, and its output.
    func cellHTML(_ cell: NotebookCell, index: Int, of count: Int, error: NotebookError? = nil) -> String {
        let definition = registry[cell.invocation.id]
        let renderer = HTMLRenderer()
        var output: Any = false
        if var record = cell.record {
            record.index = index
            // A Swift cell's code is in its code box, so its first output (the same code) is not drawn again.
            if cell.invocation.code != nil, case .code? = record.outputs.first { record.outputs.removeFirst() }
            output = renderer.render(step: record)
        }
        // A Swift cell's form is its code box.
        let codeBox: Any = cell.invocation.code != nil ? codeBox(cell, error: error) : false
        return Self.library.render([
            "id": cell.id, "revision": cell.revision, "freshness": cell.freshness.rawValue, "step": cell.invocation.id,
            "index": index, "count": count, "summary": definition?.summary ?? "",
            "where": cell.original.map { $0.location.description } ?? "added in the notebook",
            "stale": cell.freshness == .stale ? ["reason": cell.staleReason ?? "it changed"] : false,
            "running": cell.freshness == .running,
            "edited": cell.original != nil && cell.isEdited, "added": cell.original == nil,
            "codeBox": codeBox,
            // An exercise's parameters hold its answer: the learner gets an answer form instead.
            "fields": cell.exercise == nil ? fields(cell, definition: definition, error: error) : [],
            "parametersForm": cell.exercise == nil,
            "quiz": quiz(cell),
            "formError": error.flatMap { $0.parameter == nil ? ["message": $0.description] : nil } ?? false,
            "action": href("cell/\(cell.id)/parameters"), "reset": href("cell/\(cell.id)/reset"),
            "run": href("cell/\(cell.id)/run"), "remove": href("cell/\(cell.id)/remove"), "cancel": href("cancel"),
            "long": cell.runsLong, "resettable": cell.original != nil && cell.exercise == nil, "output": output,
            "namedInputs": definition?.takesNamedInputs == true && cell.exercise == nil,
        ], withTemplate: "cell") ?? ""
    }

    /// The answer form of an exercise cell: its choices (as radio buttons) or a number field, and
    /// the verdict on the learner's last answer.
    private func quiz(_ cell: NotebookCell) -> Any {
        guard let exercise = cell.exercise else { return false }
        let given = cell.answer?.given ?? ""
        return [
            "action": href("cell/\(cell.id)/answer"), "id": cell.id, "isChoice": exercise.kind == .choice, "given": given,
            "choices": exercise.choices.enumerated().map { index, choice in
                ["text": choice, "inputID": "cell-\(cell.id)-choice-\(index)", "checked": choice == given]
            },
            "verdict": cell.answer.map { ["message": $0.message, "right": $0.right] } ?? false,
        ]
    }

    /// The form's fields, one per parameter the step takes (and one per named input it was given).
    private func fields(_ cell: NotebookCell, definition: StepDefinition?, error: NotebookError?) -> [[String: Any]] {
        guard let definition else { return [] }
        var fields = definition.parameters.map { spec -> [String: Any] in
            let value = cell.invocation.parameter(spec.name)?.value ?? spec.defaultValue ?? ""
            return field(spec.name, value: value, type: spec.type, summary: spec.summary, cell: cell.id,
                         error: error?.parameter == spec.name ? error?.description : nil)
        }
        if definition.takesNamedInputs {
            for parameter in cell.invocation.parameters where definition.parameter(parameter.name) == nil {
                fields.append(field(parameter.name, value: parameter.value, type: .number, summary: "a named input of the expression",
                                    cell: cell.id, error: error?.parameter == parameter.name ? error?.description : nil))
            }
        }
        return fields
    }

    private func field(_ name: String, value: String, type: ParameterType, summary: String, cell: Int, error: String?) -> [String: Any] {
        var field: [String: Any] = ["name": name, "value": value, "summary": summary, "inputID": "cell-\(cell)-\(name)",
                                    "error": error ?? false, "number": false, "integer": false, "flag": false, "choice": false,
                                    "text": false]
        switch type {
        case .number:
            field["number"] = true
        case .integer(let range):
            // A slider where the range is one a hand can move through; a field alone for seeds and such.
            let slider = range.upperBound - range.lowerBound <= 100_000
            field["integer"] = ["min": range.lowerBound, "max": range.upperBound, "slider": slider]
        case .flag:
            field["flag"] = ["checked": value == "true"]
        case .choice(let words):
            field["choice"] = ["options": words.map { ["word": $0, "selected": $0 == value] }]
        case .text, .expression:
            field["text"] = ["wide": true]
        }
        return field
    }

    func href(_ path: String) -> String { "/s/\(session)/" + path }

    // MARK: Templates

    /// The templates, parsed once; they are constants of this module, so a parse failure is a
    /// programming error every test run would show.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in NotebookTemplates.all {
            do {
                try library.register(text, named: name)
            } catch {
                preconditionFailure("the notebook template '\(name)' does not parse: \(error)")
            }
        }
        return library
    }()

    /// A page that says the chapters are still running for the first time, and refreshes itself.
    static func preparing(done: Int, total: Int) -> String {
        library.render(["done": done, "total": total], withTemplate: "preparing") ?? ""
    }

    /// A page for a session that has ended or never was.
    static func gone(_ reason: String) -> String {
        library.render(["reason": reason], withTemplate: "gone") ?? ""
    }
}
