// Each of the notebook's limits, reached over loopback with small values: sessions crowded out,
// added cells, event streams, a run past its time, a run cancelled; and what leaves the notebook
// (Markdown that `gpt run` runs unchanged, the walkthrough) and what it refuses to write.
import Foundation
import Lessons
import Notebook
import Server
import Testing
import TestSupport

/// The small chapter with a training step long enough to stop half-way.
let longTrainingChapter = smallChapter.replacingOccurrences(of: "steps: 5", with: "steps: 100000")

@Suite(.serialized) struct NotebookLimitsTests {
    @Test func aNewSessionPastTheLimitEndsTheOldest() async throws {
        var limits = NotebookLimits()
        limits.maxSessions = 2
        let notebook = try await NotebookFixture.start(notebook: limits)
        defer { Task { await notebook.stop() } }
        let first = try await notebook.newSession()
        _ = try await notebook.newSession()
        _ = try await notebook.newSession()
        #expect(notebook.server.store.sessionCount == 2)
        let gone = try await notebook.request("GET", "/s/\(first)/chapter/1", json: false)
        #expect(gone.status == 410)
        #expect(gone.text.contains("This notebook session has ended"))
    }

    @Test func addedCellsAndStreamsAreBounded() async throws {
        var limits = NotebookLimits()
        limits.maxAddedCells = 1
        limits.maxStreamsPerSession = 1
        let notebook = try await NotebookFixture.start(notebook: limits)
        defer { Task { await notebook.stop() } }
        let session = try await notebook.newSession()
        let added = try await notebook.request("POST", "/s/\(session)/chapter/1/cells", body: "after=&step=backward")
        #expect(added.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: added.body) as? [String: Any])
        #expect((object["body"] as? String)?.contains("added") == true)  // the chapter, redrawn with the new cell
        let second = try await notebook.request("POST", "/s/\(session)/chapter/1/cells", body: "after=&step=backward")
        #expect(second.status == 422)
        let stream = try RawConnection(port: notebook.port)
        await stream.send("GET /s/\(session)/events HTTP/1.1\r\nHost: 127.0.0.1:\(notebook.port)\r\n"
                          + "Cookie: \(AccessPolicy.cookieName)=\(NotebookFixture.token)\r\n\r\n")
        #expect(await stream.read(until: "following session", timeout: .seconds(5)).contains("200"))
        let another = try await notebook.request("GET", "/s/\(session)/events")
        #expect(another.status == 429)
    }

    @Test func aRunPastItsTimeIsStoppedAndMarkedStale() async throws {
        var limits = NotebookLimits()
        limits.maxRunTime = .milliseconds(300)
        let notebook = try await NotebookFixture.start(["01-small.md": longTrainingChapter], notebook: limits)
        defer { Task { await notebook.stop() } }
        let session = try await notebook.newSession()
        let train = try await notebook.cell(session, step: "train")
        #expect(train["freshness"] as? String == "stale")  // the first run stopped it too
        #expect((train["staleReason"] as? String)?.contains("limit of 0 s") == true || (train["staleReason"] as? String)?.contains("limit") == true)
        #expect(try await notebook.cell(session, step: "complete")["freshness"] as? String == "stale")
    }

    @Test func aRunningTrainingStepCanBeCancelled() async throws {
        var limits = NotebookLimits()
        limits.answerWithin = .milliseconds(100)
        let notebook = try await NotebookFixture.start(notebook: limits)
        defer { Task { await notebook.stop() } }
        let session = try await notebook.newSession()
        let train = try await notebook.cell(session, step: "train")
        let id = train["id"] as? Int ?? 0
        let started = try await notebook.request("POST", "/s/\(session)/cell/\(id)/run", body: "steps=100000")
        #expect(started.status == 200)
        let deadline = ContinuousClock.now + .seconds(20)
        var progress: [String: Any]?
        while progress == nil, ContinuousClock.now < deadline {
            let reply = try await notebook.request("GET", "/s/\(session)/api/cells")
            progress = (try JSONSerialization.jsonObject(with: reply.body) as? [String: Any])?["running"] as? [String: Any]
            try await Task.sleep(for: .milliseconds(20))
        }
        let running = try #require(progress)
        #expect(running["cell"] as? Int == id && running["steps"] as? Int == 100000)
        #expect(try await notebook.request("POST", "/s/\(session)/cancel").status == 200)
        let after = try await notebook.cell(session, step: "train")
        #expect(after["freshness"] as? String == "stale")
        #expect((after["staleReason"] as? String)?.contains("cancelled") == true)
        #expect(try await notebook.cell(session, step: "complete")["freshness"] as? String == "stale")
    }

    @Test func aSavedChapterRunsUnchangedWithTheLearnersValues() async throws {
        let notebook = try await NotebookFixture.start()
        defer { Task { await notebook.stop() } }
        let session = try await notebook.newSession()
        let backward = try await notebook.cell(session, step: "backward")
        let id = backward["id"] as? Int ?? 0
        _ = try await notebook.request("POST", "/s/\(session)/cell/\(id)/parameters", body: "a=5")
        _ = try await notebook.request("POST", "/s/\(session)/chapter/1/cells", body: "after=\(id)&step=backward")
        let cells = try await notebook.cells(session)
        let added = try #require(cells.first { $0["step"] as? String == "backward" && $0["id"] as? Int != id })
        _ = try await notebook.request("POST", "/s/\(session)/cell/\(added["id"] as? Int ?? 0)/parameters",
                                       body: "expr=x*x&x=3")
        let markdown = try await notebook.request("GET", "/s/\(session)/chapter/1/markdown")
        #expect(markdown.status == 200)
        #expect(markdown.headers["content-disposition"] == "attachment; filename=\"01-small.md\"")
        #expect(markdown.text.contains("a: 5\n"))
        #expect(markdown.text.contains("```step backward\nexpr: x*x\nx: 3\n```"))

        // Saved into a folder of the learner's, `gpt run` gives what the notebook showed.
        let folder = try makeNotebookLessons([:])
        let saved = try await notebook.request("POST", "/s/\(session)/chapter/1/save", body: "folder=\(folder)")
        #expect(saved.status == 200)
        let again = try await notebook.request("POST", "/s/\(session)/chapter/1/save", body: "folder=\(folder)")
        #expect(again.status == 422)  // it exists: not replaced unless asked
        #expect(try await notebook.request("POST", "/s/\(session)/chapter/1/save", body: "folder=\(folder)&replace=true").status == 200)
        #expect(try await notebook.request("POST", "/s/\(session)/chapter/1/save", body: "folder=\(notebook.lessons)").status == 422)
        #expect(try await notebook.request("POST", "/s/\(session)/chapter/1/save", body: "folder=relative/path").status == 422)
        let runner = LessonRunner(lessonsDirectory: folder)
        let record = runner.run(try runner.chapters())
        let values = record.steps.map { step in step.values.map { "\($0.name)=\($0.value)" } }
        let shown = try await notebook.cells(session).map { cell in
            ((cell["values"] as? [String: Any]) ?? [:]).count
        }
        #expect(record.steps.map(\.id) == (try await notebook.cells(session)).map { $0["step"] as? String ?? "" })
        #expect(values.map(\.count) == shown)
        #expect(number(record.steps[0], "out") == -5)
        #expect(number(record.steps[1], "grad.x") == 6)
    }

    @Test func theWalkthroughOfAChapterSaysWhatIsNotUpToDate() async throws {
        let notebook = try await NotebookFixture.start()
        defer { Task { await notebook.stop() } }
        let session = try await notebook.newSession()
        let model = try await notebook.cell(session, step: "model")
        _ = try await notebook.request("POST", "/s/\(session)/cell/\(model["id"] as? Int ?? 0)/parameters", body: "n_embd=16")
        let export = try await notebook.request("GET", "/s/\(session)/chapter/1/export")
        #expect(export.status == 200)
        #expect(export.headers["content-disposition"] == "attachment; filename=\"01-small.html\"")
        #expect(export.text.contains("<style>"))  // self-contained, as `gpt report` writes it
        #expect(export.text.contains("not up to date in the notebook"))
        #expect(export.text.components(separatedBy: "<strong>Skipped</strong>").count == 3)  // train, and what reads its model
    }
}

@Suite(.serialized) struct NotebookExerciseTests {
    static let chapter = smallChapter + """

    ```quiz
    question: Which gradient does the loop compute first?
    choices: the inputs' | the output's
    answer: the output's
    hint: the loop walks the tape backwards
    ```

    ```exercise
    question: What is d(x*x)/dx at x = 3?
    answer: 6
    expr: x*x
    x: 3
    of: grad.x
    ```

    """

    @Test func exercisesAreAnsweredInThePage() async throws {
        let notebook = try await NotebookFixture.start(["01-small.md": Self.chapter])
        defer { Task { await notebook.stop() } }
        let session = try await notebook.newSession()
        let quiz = try await notebook.cell(session, step: "quiz")
        let exercise = try await notebook.cell(session, step: "exercise")
        #expect(quiz["status"] as? String == "passed" && exercise["status"] as? String == "passed")
        let page = try await notebook.request("GET", "/s/\(session)/chapter/1", json: false).text
        #expect(page.contains("<form class=\"answer\""))
        #expect(!page.contains("name=\"answer\""))  // the answer is not a form field the learner can read
        #expect(page.contains("<summary>Show the answer</summary>"))

        let wrong = try await notebook.request("POST", "/s/\(session)/cell/\(quiz["id"] as? Int ?? 0)/answer", body: "response=the+inputs%27")
        #expect(wrong.status == 200)
        #expect(wrong.text.contains("Not the inputs") && wrong.text.contains("Hint: the loop walks the tape backwards"))
        let right = try await notebook.request("POST", "/s/\(session)/cell/\(exercise["id"] as? Int ?? 0)/answer", body: "response=6.0")
        #expect(right.text.contains("Right: 6."))
        let again = try await notebook.request("GET", "/s/\(session)/chapter/1", json: false).text
        #expect(again.contains("class=\"verdict right\""))  // kept, and shown without script too
        let none = try await notebook.request("POST", "/s/\(session)/cell/\(exercise["id"] as? Int ?? 0)/answer", body: "response=six")
        #expect(none.text.contains("is not a number"))
    }
}
