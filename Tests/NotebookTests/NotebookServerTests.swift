// The notebook's HTTP API end to end, over loopback on a free port: the token, Host and Origin,
// an edit that re-runs its dependents and not the others, refused values, separate sessions, and
// a chapter edited on disk reaching an open page's event stream.
import Foundation
import Lessons
import Notebook
import Server
import Testing
import TestSupport

/// A notebook server on a free port over a small lessons folder, with its first run done.
struct NotebookFixture {
    let server: NotebookServer
    let port: Int
    let lessons: String
    let task: Task<Void, Error>
    static let token = "0123456789abcdef0123456789abcdef"

    static func start(_ chapters: [String: String] = ["01-small.md": smallChapter],
                      notebook: NotebookLimits = NotebookLimits()) async throws -> NotebookFixture {
        let lessons = try makeNotebookLessons(chapters)
        var limits = ServerLimits()
        limits.shutdownGrace = .zero
        let server = try NotebookServer(runner: LessonRunner(lessonsDirectory: lessons), host: "127.0.0.1", port: 0,
                                        limits: limits, notebook: notebook, token: token)
        let task = Task { try await server.run() }
        let port = try await server.listeningPort(timeout: .seconds(60))  // a busy machine starts servers slowly
        let deadline = ContinuousClock.now + .seconds(120)
        while !server.store.isReady {
            guard ContinuousClock.now < deadline else { throw ConnectionError(description: "the first run did not finish") }
            try await Task.sleep(for: .milliseconds(20))
        }
        return NotebookFixture(server: server, port: port, lessons: lessons, task: task)
    }

    func stop() async {
        await server.stop()
        task.cancel()
    }

    /// One request with the token's cookie (unless `cookie` is false) and any other headers.
    func request(_ method: String, _ path: String, body: String = "", json: Bool = true, cookie: Bool = true,
                 headers: [String: String] = [:]) async throws -> RawConnection.Reply {
        let connection = try RawConnection(port: port)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if cookie { head += "Cookie: \(AccessPolicy.cookieName)=\(Self.token)\r\n" }
        if json { head += "Accept: application/json\r\n" }
        if method == "POST" { head += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        await connection.send(head + "\r\n" + body)
        guard let reply = await connection.reply(timeout: .seconds(60)) else {
            throw ConnectionError(description: "no reply to \(method) \(path)")
        }
        return reply
    }

    /// A new session's id, as a browser gets one by opening the notebook.
    func newSession() async throws -> String {
        let reply = try await request("GET", "/", json: false)
        #expect(reply.status == 303)
        let location = try #require(reply.headers["location"])
        return String(location.split(separator: "/")[1])
    }

    /// Every cell of a session, as the data API describes them.
    func cells(_ session: String) async throws -> [[String: Any]] {
        let reply = try await request("GET", "/s/\(session)/api/cells")
        let object = try #require(try JSONSerialization.jsonObject(with: reply.body) as? [String: Any])
        return object["cells"] as? [[String: Any]] ?? []
    }

    func cell(_ session: String, step: String) async throws -> [String: Any] {
        try #require(try await cells(session).first { $0["step"] as? String == step })
    }
}

func revision(_ cell: [String: Any]) -> Int { cell["revision"] as? Int ?? -1 }

@Suite(.serialized) struct NotebookServerTests {
    @Test func onlyRequestsWithTheTokenAreAnswered() async throws {
        let notebook = try await NotebookFixture.start()
        defer { Task { await notebook.stop() } }
        let bare = try await notebook.request("GET", "/", cookie: false)
        #expect(bare.status == 403)
        #expect(bare.error.contains("token"))
        let wrong = try await notebook.request("GET", "/?token=ffffffffffffffffffffffffffffffff", cookie: false)
        #expect(wrong.status == 403)
        let first = try await notebook.request("GET", "/?token=\(NotebookFixture.token)", cookie: false)
        #expect(first.status == 303)
        #expect(first.headers["location"] == "/")
        #expect(first.headers["set-cookie"]?.contains("\(AccessPolicy.cookieName)=\(NotebookFixture.token)") == true)
        #expect(first.headers["set-cookie"]?.contains("HttpOnly") == true)
        #expect(first.headers["set-cookie"]?.contains("SameSite=Strict") == true)
        let withCookie = try await notebook.request("GET", "/notebook.js")
        #expect(withCookie.status == 200)
        #expect(withCookie.text.contains("EventSource"))
    }

    @Test func otherHostsAndOriginsAreRefusedEvenForReads() async throws {
        let notebook = try await NotebookFixture.start()
        defer { Task { await notebook.stop() } }
        let foreign = try await notebook.request("GET", "/notebook.css", headers: ["Origin": "http://evil.example"])
        #expect(foreign.status == 403)
        let connection = try RawConnection(port: notebook.port)
        await connection.send("GET / HTTP/1.1\r\nHost: evil.example:\(notebook.port)\r\nCookie: \(AccessPolicy.cookieName)=\(NotebookFixture.token)\r\nConnection: close\r\n\r\n")
        #expect(await connection.reply()?.status == 421)
    }

    @Test func pagesHaveAStrictPolicyAndWorkWithoutScript() async throws {
        let notebook = try await NotebookFixture.start()
        defer { Task { await notebook.stop() } }
        let session = try await notebook.newSession()
        let page = try await notebook.request("GET", "/s/\(session)/chapter/1", json: false)
        #expect(page.status == 200)
        let policy = try #require(page.headers["content-security-policy"])
        #expect(policy.contains("script-src 'self'") && policy.contains("style-src 'self'"))
        #expect(!policy.contains("unsafe-inline"))
        #expect(!page.text.contains("style=\""))  // no inline style the policy would block
        #expect(!page.text.contains("<script>"))  // the only script is /notebook.js
        #expect(page.text.contains("<form class=\"parameters\""))
        #expect(page.text.contains("name=\"expr\" value=\"a*b + c\""))
        #expect(page.text.contains("out = 4"))  // the output, as the walkthrough draws it
        #expect(page.text.contains("step 1 of 6"))
    }

    @Test func anEditReRunsWhatDependsOnItAndNothingElse() async throws {
        let notebook = try await NotebookFixture.start()
        defer { Task { await notebook.stop() } }
        let session = try await notebook.newSession()
        let before = try await notebook.cells(session)
        let backward = try #require(before.first { $0["step"] as? String == "backward" })
        let id = try #require(backward["id"] as? Int)
        let started = ContinuousClock.now
        let answer = try await notebook.request("POST", "/s/\(session)/cell/\(id)/parameters", body: "a=5")
        let took = ContinuousClock.now - started
        #expect(answer.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
        let cells = try #require(object["cells"] as? [[String: Any]])
        #expect(cells.map { $0["id"] as? Int } == [id])
        #expect((cells.first?["html"] as? String)?.contains("out = -5") == true)
        #expect(took < .seconds(3), "an edited expression answered in \(took)")
        let after = try await notebook.cells(session)
        for (old, new) in zip(before, after) where old["id"] as? Int != id {
            #expect(revision(old) == revision(new), "\(old["step"] ?? "?") must not run again")
        }
        #expect((after.first { $0["id"] as? Int == id }?["values"] as? [String: Any])?["out"] as? Double == -5)
    }

    @Test func aModelEditReRunsItsReadersAndLeavesTrainingStale() async throws {
        let notebook = try await NotebookFixture.start()
        defer { Task { await notebook.stop() } }
        let session = try await notebook.newSession()
        let model = try await notebook.cell(session, step: "model")
        let attention = try await notebook.cell(session, step: "attention")
        let answer = try await notebook.request("POST", "/s/\(session)/cell/\(model["id"] as? Int ?? 0)/parameters", body: "n_embd=16")
        #expect(answer.status == 200)
        let newAttention = try await notebook.cell(session, step: "attention")
        #expect(newAttention["freshness"] as? String == "fresh")
        #expect(revision(newAttention) > revision(attention))
        let train = try await notebook.cell(session, step: "train")
        #expect(train["freshness"] as? String == "stale")
        #expect((train["staleReason"] as? String)?.contains("Run") == true)
        #expect(try await notebook.cell(session, step: "complete")["freshness"] as? String == "stale")
        #expect(try await notebook.cell(session, step: "backward")["freshness"] as? String == "fresh")

        let run = try await notebook.request("POST", "/s/\(session)/cell/\(train["id"] as? Int ?? 0)/run", body: "")
        #expect(run.status == 200)
        let deadline = ContinuousClock.now + .seconds(60)
        while try await notebook.cells(session).contains(where: { $0["freshness"] as? String != "fresh" }) {
            guard ContinuousClock.now < deadline else { Issue.record("the cells did not become fresh"); break }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func invalidValuesAreRefusedWithCheckMessage() async throws {
        let notebook = try await NotebookFixture.start()
        defer { Task { await notebook.stop() } }
        let session = try await notebook.newSession()
        let model = try await notebook.cell(session, step: "model")
        let path = "/s/\(session)/cell/\(model["id"] as? Int ?? 0)/parameters"
        let refused = try await notebook.request("POST", path, body: "n_layer=zero")
        #expect(refused.status == 422)
        let object = try #require(try JSONSerialization.jsonObject(with: refused.body) as? [String: Any])
        #expect(object["error"] as? String == "parameter 'n_layer' must be a whole number, not 'zero'")
        #expect(object["parameter"] as? String == "n_layer")
        // Without script, the page comes back with the message next to the field.
        let page = try await notebook.request("POST", path, body: "n_layer=zero", json: false)
        #expect(page.status == 422)
        #expect(page.text.contains("data-error-for=\"n_layer\">parameter &#39;n_layer&#39; must be a whole number")
                    || page.text.contains("data-error-for=\"n_layer\">parameter &apos;n_layer&apos; must be a whole number")
                    || page.text.contains("data-error-for=\"n_layer\">parameter 'n_layer' must be a whole number"))
        #expect(try await notebook.cell(session, step: "model")["parameters"] as? [String: String] == model["parameters"] as? [String: String])
        // A form posted without script comes back to the page, at the cell.
        let posted = try await notebook.request("POST", path, body: "n_layer=1", json: false)
        #expect(posted.status == 303)
        #expect(posted.headers["location"] == "/s/\(session)/chapter/1#cell-\(model["id"] as? Int ?? 0)")
    }

    @Test func sessionsAreSeparate() async throws {
        let notebook = try await NotebookFixture.start()
        defer { Task { await notebook.stop() } }
        let first = try await notebook.newSession(), second = try await notebook.newSession()
        #expect(first != second)
        let backward = try await notebook.cell(first, step: "backward")
        _ = try await notebook.request("POST", "/s/\(first)/cell/\(backward["id"] as? Int ?? 0)/parameters", body: "a=7")
        #expect(try await notebook.cell(first, step: "backward")["parameters"] as? [String: String] != backward["parameters"] as? [String: String])
        let other = try await notebook.cell(second, step: "backward")
        #expect(other["parameters"] as? [String: String] == backward["parameters"] as? [String: String])
        #expect(revision(other) == revision(backward))
        let missing = try await notebook.request("GET", "/s/00000000000000000000000000000000/chapter/1")
        #expect(missing.status == 410)
    }

    @Test func aChapterEditedOnDiskReachesAnOpenPage() async throws {
        let notebook = try await NotebookFixture.start()
        defer { Task { await notebook.stop() } }
        let session = try await notebook.newSession()
        let stream = try RawConnection(port: notebook.port)
        await stream.send("GET /s/\(session)/events HTTP/1.1\r\nHost: 127.0.0.1:\(notebook.port)\r\n"
                          + "Cookie: \(AccessPolicy.cookieName)=\(NotebookFixture.token)\r\nAccept: text/event-stream\r\n\r\n")
        #expect(await stream.read(until: ": following session", timeout: .seconds(5)).contains("text/event-stream"))
        try await Task.sleep(for: .milliseconds(1100))  // a new modification time, whatever the file system's resolution
        let edited = smallChapter.replacingOccurrences(of: "Prose before.", with: "Prose the teacher just wrote.")
        try edited.write(toFile: notebook.lessons + "/01-small.md", atomically: true, encoding: .utf8)
        let heard = await stream.read(until: "event: chapter", timeout: .seconds(10))
        #expect(heard.contains("event: chapter\ndata: 1"))
        let body = try await notebook.request("GET", "/s/\(session)/chapter/1/body", json: false)
        #expect(body.text.contains("Prose the teacher just wrote."))
        // A parse error shows where it is.
        try "no heading here\n".write(toFile: notebook.lessons + "/01-small.md", atomically: true, encoding: .utf8)
        _ = await stream.read(until: "Prose the teacher", timeout: .seconds(2))
        let deadline = ContinuousClock.now + .seconds(10)
        var page = ""
        while ContinuousClock.now < deadline {
            page = try await notebook.request("GET", "/s/\(session)/chapter/1/body", json: false).text
            if page.contains("01-small.md:1:1") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(page.contains("01-small.md:1:1: error: the chapter has no heading"))
    }
}
