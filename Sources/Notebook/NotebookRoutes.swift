// Requests to responses for the notebook. Connections, limits, the Host and Origin checks and the
// token are LocalServer's; this type sees only requests that passed them. Every control of a page
// is a form: posted by a browser without JavaScript it comes back to the page (303), posted by the
// page's script (Accept: application/json) it answers with the cells that changed, as HTML made
// by the same code that drew the page. GET /s/ID/api/cells describes the cells as data.
import Foundation
import HTTPTypes
import Hummingbird
import Lessons
import NIOCore
import Server

struct NotebookRoutes: HTTPResponder {
    let store: NotebookStore
    let limits: ServerLimits

    /// Nothing loads from anywhere but this server: scripts only from /notebook.js, styles only
    /// from /notebook.css (no inline styles or scripts at all), data: images for nothing but SVG.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        var response = await answer(request)
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.cacheControl] = response.headers[.cacheControl] ?? "no-store"
        return response
    }

    private func answer(_ request: Request) async -> Response {
        let path = request.uri.path
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch (request.method, parts.first) {
        case (.get, nil): return home()
        case (.get, "notebook.css"): return file(HTMLRenderer.stylesheet + "\n" + NotebookTemplates.css, type: "text/css; charset=utf-8")
        case (.get, "notebook.js"): return file(NotebookScript.text, type: "text/javascript; charset=utf-8")
        case (_, "s") where parts.count >= 2:
            guard let session = store.session(parts[1]) else {
                let reason = "There is no session \(parts[1]) on this server: it ended (the server restarted, or it was unused or "
                    + "crowded out by newer tabs), or it never was."
                return wantsJSON(request) ? .json(APIError(status: 410, reason, hint: "open / for a new session")) : html(NotebookPage.gone(reason), status: 410)
            }
            if let ended = session.endReason {
                return html(NotebookPage.gone("This session ended: \(ended)."), status: 410)
            }
            return await route(request, session: session, rest: Array(parts.dropFirst(2)))
        default:
            return .json(APIError(status: 404, "there is nothing at \(path)", hint: "the notebook starts at /"))
        }
    }

    /// A new session, or a page that waits for the first run.
    private func home() -> Response {
        guard store.isReady else {
            let progress = store.baselineProgress
            return html(NotebookPage.preparing(done: progress.done, total: progress.total))
        }
        let session = store.newSession()
        return redirect("/s/\(session.id)/")
    }

    private func route(_ request: Request, session: NotebookSession, rest: [String]) async -> Response {
        let page = { session.read { NotebookPage(session: session.id, timeline: $0, registry: store.runner.registry, limits: store.limits) } }
        switch (request.method, rest.first, rest.count) {
        case (.get, nil, _):
            return html(page().contents(problem: store.problem))
        case (.get, "chapter", 2):
            guard let number = Int(rest[1]), let text = page().chapter(number) else { return missing(rest) }
            return html(text)
        case (.get, "chapter", 3) where rest[2] == "body":
            guard let number = Int(rest[1]), let chapter = session.read({ try? $0.chapter(number) }) else { return missing(rest) }
            return html(page().body(chapter))
        case (.get, "chapter", 3) where rest[2] == "export":
            guard let number = Int(rest[1]), let export = session.read({ NotebookExport.walkthrough(of: number, in: $0) }) else { return missing(rest) }
            return download(export.html, name: export.name, type: "text/html; charset=utf-8")
        case (.get, "chapter", 3) where rest[2] == "markdown":
            guard let number = Int(rest[1]) else { return missing(rest) }
            do throws(NotebookError) {
                let export = try session.read { timeline throws(NotebookError) in try NotebookExport.markdown(of: number, in: timeline) }
                return download(export.text, name: export.name, type: "text/markdown; charset=utf-8")
            } catch {
                return failure(error, request)
            }
        case (.get, "events", 1):
            return events(session)
        case (.get, "api", 2) where rest[1] == "cells":
            let progress = session.progress  // outside `read`: both take the session's lock
            return .json(session.read { CellsDescription(timeline: $0, progress: progress) })
        case (.post, _, _):
            return await post(request, session: session, rest: rest)
        default:
            return missing(rest)
        }
    }

    // MARK: Changes

    private func post(_ request: Request, session: NotebookSession, rest: [String]) async -> Response {
        let form: FormValues
        do throws(APIError) {
            form = try FormValues(try await request.collectBody(limit: limits.maxBodyBytes))
        } catch {
            return .json(error)
        }
        let before = session.read { $0.cells.mapValues(\.revision) }
        var focus: (chapter: Int, cell: Int?)?
        var notice: String?
        do throws(NotebookError) {
            switch (rest.first, rest.count, rest.last) {
            case ("cell", 3, "parameters"):
                let id = try cellID(rest[1])
                focus = (try session.read { timeline throws(NotebookError) in try timeline.cell(id).chapter }, id)
                try await session.change { timeline throws(NotebookError) in try timeline.setParameters(id, form.parameters) }
            case ("cell", 3, "answer"):
                let id = try cellID(rest[1])
                focus = (try session.read { timeline throws(NotebookError) in try timeline.cell(id).chapter }, id)
                let response = form["response"] ?? ""
                // The verdict shows in the cell, which the answer sends back.
                _ = try session.apply { timeline throws(NotebookError) in try timeline.answer(id, response) }
            case ("cell", 3, "reset"):
                let id = try cellID(rest[1])
                focus = (try session.read { timeline throws(NotebookError) in try timeline.cell(id).chapter }, id)
                try await session.change { timeline throws(NotebookError) in try timeline.reset(id) }
            case ("cell", 3, "run"):
                let id = try cellID(rest[1])
                focus = (try session.read { timeline throws(NotebookError) in try timeline.cell(id).chapter }, id)
                // Form values sent with Run are applied first, as a learner who typed and pressed Run expects.
                try await session.change { timeline throws(NotebookError) in
                    try timeline.setParameters(id, form.parameters)
                    try timeline.requestRun(id)
                }
            case ("cell", 3, "code"):
                // A Swift cell's Run: its code, then a run even when the code is as it was (run it again).
                let id = try cellID(rest[1])
                focus = (try session.read { timeline throws(NotebookError) in try timeline.cell(id).chapter }, id)
                guard let code = form["code"] else {
                    throw NotebookError(status: 422, "the form sent no code", parameter: "code", hint: "post the cell's code as the field 'code'")
                }
                try await session.change { timeline throws(NotebookError) in
                    try timeline.setCode(id, code, maxBytes: store.limits.maxCodeBytes)
                    try timeline.requestRun(id)
                }
            case ("cell", 3, "remove"):
                let id = try cellID(rest[1])
                focus = (try session.read { timeline throws(NotebookError) in try timeline.cell(id).chapter }, nil)
                try await session.change { timeline throws(NotebookError) in try timeline.removeCell(id) }
            case ("chapter", 3, "cells"):
                guard let number = Int(rest[1]) else { throw NotebookError(status: 404, "there is no chapter \(rest[1])") }
                let after = form["after"].flatMap { $0.isEmpty ? nil : Int($0) }
                let step = form["step"] ?? ""
                let id = try await session.change(addsCell: true) { timeline throws(NotebookError) in
                    try timeline.addCell(step: step, chapter: number, after: after, values: [])
                }
                focus = (number, id)
            case ("chapter", 3, "save"):
                guard let number = Int(rest[1]) else { throw NotebookError(status: 404, "there is no chapter \(rest[1])") }
                let export = try session.read { timeline throws(NotebookError) in try NotebookExport.markdown(of: number, in: timeline) }
                let written = try NotebookExport.save(export, toFolder: form["folder"] ?? "", replacing: form["replace"] == "true",
                                                      lessons: store.runner.lessonsDirectory)
                notice = "Saved as \(written). `gpt run --lessons \((written as NSString).deletingLastPathComponent)` runs it."
                focus = (number, nil)
            case ("cancel", 1, _):
                session.cancelRun()
                await session.waitUntilIdle(.milliseconds(500))
            case ("run-all", 1, _):
                try await session.change { timeline throws(NotebookError) in timeline.requestAll() }
            default:
                return missing(rest)
            }
        } catch {
            if !wantsJSON(request), let focus, let cell = focus.cell, error.status == 422,
               let text = session.read({ NotebookPage(session: session.id, timeline: $0, registry: store.runner.registry, limits: store.limits)
                   .chapter(focus.chapter, errors: [cell: error]) }) {
                return html(text, status: 422)  // the page again, with the message next to its field
            }
            return failure(error, request)
        }
        guard wantsJSON(request) else {
            let chapter = focus?.chapter ?? Int(request.headers[.referer]?.split(separator: "/").last ?? "") ?? 0
            let anchor = focus?.cell.map { "#cell-\($0)" } ?? ""
            return redirect(chapter > 0 ? "/s/\(session.id)/chapter/\(chapter)\(anchor)" : "/s/\(session.id)/")
        }
        let running = session.isWorking  // outside `read`: both take the session's lock
        return .json(session.read { timeline in
            ChangeAnswer(timeline: timeline, page: NotebookPage(session: session.id, timeline: timeline, registry: store.runner.registry,
                                                                 limits: store.limits),
                         session: session, before: before, chapter: focus?.chapter, running: running, notice: notice)
        })
    }

    private func cellID(_ text: String) throws(NotebookError) -> Int {
        guard let id = Int(text) else { throw NotebookError(status: 404, "there is no cell \(text)") }
        return id
    }

    // MARK: Events

    /// Server-sent events: changed cells as HTML, training progress, chapter redraws, heartbeats.
    private func events(_ session: NotebookSession) -> Response {
        guard let stream = session.events() else {
            return .json(APIError(status: 429, "this session already has \(store.limits.maxStreamsPerSession) pages following it",
                                  hint: "close some of its tabs"))
        }
        let store = store
        return Response(status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"],
                        body: ResponseBody { writer in
                            // The first line opens the stream at once, so the page knows it is live.
                            try await writer.write(ByteBuffer(string: "retry: 2000\n: following session \(session.id)\n\n"))
                            for await event in stream {
                                let text = session.read { timeline in
                                    Self.serverSent(event, page: NotebookPage(session: session.id, timeline: timeline,
                                                                              registry: store.runner.registry, limits: store.limits),
                                                    session: session)
                                }
                                try await writer.write(ByteBuffer(string: text))
                                if case .ended = event { break }
                            }
                            try await writer.finish(nil)
                        })
    }

    /// One event as server-sent-events text: `event: name`, then the data as JSON on one line.
    static func serverSent(_ event: NotebookEvent, page: NotebookPage, session: NotebookSession) -> String {
        func line(_ name: String, _ value: some Encodable) -> String {
            let data = (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
            return "event: \(name)\ndata: \(data)\n\n"
        }
        switch event {
        case .cells(let cells):
            return line("cells", cells.compactMap { CellAnswer($0, page: page, session: session) })
        case .progress(let progress):
            return line("progress", progress)
        case .chapter(let number):
            return line("chapter", number)
        case .ended(let reason):
            return line("ended", reason)
        case .heartbeat:
            return ": heartbeat\n\n"  // a comment: keeps the connection alive, the page ignores it
        }
    }

    // MARK: Responses

    private func wantsJSON(_ request: Request) -> Bool {
        request.headers[.accept]?.contains("application/json") == true
    }

    private func failure(_ error: NotebookError, _ request: Request) -> Response {
        if wantsJSON(request) {
            return .json(ErrorAnswer(error: error.message, hint: error.hint, parameter: error.parameter), status: error.status)
        }
        return html(NotebookPage.gone(error.description), status: error.status)
    }

    private func missing(_ rest: [String]) -> Response {
        .json(APIError(status: 404, "there is nothing at \(rest.joined(separator: "/")) in this session",
                       hint: "chapters are at chapter/N, the cells' data at api/cells"))
    }

    private func html(_ text: String, status: Int = 200) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "text/html; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private func file(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private func download(_ text: String, name: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(name)\""],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}

// MARK: JSON shapes

/// A refused change: the message `gpt check` gives, and the field it belongs to.
struct ErrorAnswer: Encodable {
    let error: String
    let hint: String?
    let parameter: String?
}

/// One cell for the page: its HTML, and what a client may want to read without parsing it.
struct CellAnswer: Encodable {
    let id: Int
    let chapter: Int
    let revision: Int
    let freshness: Freshness
    let html: String

    init?(_ cell: NotebookCell, page: NotebookPage, session: NotebookSession) {
        guard let chapter = page.timeline.chapters.first(where: { $0.number == cell.chapter }) else { return nil }
        let ids = chapter.cellIDs
        guard let index = ids.firstIndex(of: cell.id) else { return nil }
        id = cell.id
        self.chapter = cell.chapter
        revision = cell.revision
        freshness = cell.freshness
        html = session.html(of: cell, index: index + 1, count: ids.count) { page.cellHTML(cell, index: index + 1, of: ids.count) }
    }
}

/// The answer to a change: the cells it reached so far, and the chapter's whole body when its
/// cells were added, removed or reordered.
struct ChangeAnswer: Encodable {
    let cells: [CellAnswer]
    let body: String?
    let running: Bool
    let notice: String?

    init(timeline: Timeline, page: NotebookPage, session: NotebookSession, before: [Int: Int], chapter: Int?, running: Bool, notice: String?) {
        let changed = timeline.order.compactMap { id -> NotebookCell? in
            guard let cell = timeline.cells[id], before[id] != cell.revision else { return nil }
            return cell
        }
        cells = changed.compactMap { CellAnswer($0, page: page, session: session) }
        let layoutChanged = Set(before.keys) != Set(timeline.cells.keys)
        body = layoutChanged ? chapter.flatMap { number in (try? timeline.chapter(number)).map { page.body($0) } } : nil
        self.running = running
        self.notice = notice
    }
}

/// Every cell as data: for tests and for clients that are not the page.
struct CellsDescription: Encodable {
    struct Cell: Encodable {
        let id: Int
        let chapter: Int
        let step: String
        let freshness: Freshness
        let staleReason: String?
        let revision: Int
        let status: StepStatus?
        let parameters: [String: String]
        /// A Swift cell's code.
        let code: String?
        let values: [String: CheckValue]
        let error: String?
        /// Seconds its last run took.
        let seconds: Double?
    }

    let cells: [Cell]
    let running: RunProgress?

    init(timeline: Timeline, progress: RunProgress?) {
        cells = timeline.order.compactMap { id in
            guard let cell = timeline.cells[id] else { return nil }
            var values: [String: CheckValue] = [:]
            for value in cell.record?.values ?? [] {
                // JSON has no NaN or infinity: such a value is given as its name, as `gpt run --json` does.
                if case .number(let x) = value.value, !x.isFinite { values[value.name] = .text(x.isNaN ? "NaN" : x > 0 ? "Infinity" : "-Infinity") }
                else { values[value.name] = value.value }
            }
            return Cell(id: id, chapter: cell.chapter, step: cell.invocation.id, freshness: cell.freshness, staleReason: cell.staleReason,
                        revision: cell.revision, status: cell.record?.status,
                        parameters: Dictionary(cell.invocation.parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }),
                        code: cell.invocation.code, values: values, error: cell.record?.error?.description, seconds: cell.runSeconds)
        }
        running = progress
    }
}

/// The fields of a posted form, in order; a name given twice keeps its last value (a checkbox
/// after its hidden "false").
struct FormValues {
    private(set) var pairs: [(name: String, value: String)] = []

    init(_ body: Data) throws(APIError) {
        guard let text = String(data: body, encoding: .utf8) else { throw APIError(status: 400, "the form is not UTF-8 text") }
        var seen: [String: Int] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), let value = Self.decode(parts.count > 1 ? parts[1] : "") else {
                throw APIError(status: 400, "the form is not valid percent-encoded text")
            }
            if let index = seen[name] {
                pairs[index].value = value
            } else {
                seen[name] = pairs.count
                pairs.append((name, value))
            }
        }
    }

    subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// The step's parameters the form gives: its fields, and the new input its last row names
    /// (an expression's `x = 3`), if both halves are filled in.
    var parameters: [(name: String, value: String)] {
        var parameters = pairs.filter { $0.name != "new-input-name" && $0.name != "new-input-value" }
        let name = (self["new-input-name"] ?? "").trimmingCharacters(in: .whitespaces)
        let value = (self["new-input-value"] ?? "").trimmingCharacters(in: .whitespaces)
        if !name.isEmpty && !value.isEmpty { parameters.append((name, value)) }
        return parameters
    }

    /// A form value: "+" is a space, "%XX" a byte.
    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
