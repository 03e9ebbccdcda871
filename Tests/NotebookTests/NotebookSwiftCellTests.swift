// Swift cells in the notebook, over loopback: new code posted to a cell runs it and the Swift cells
// below it (not the other steps), a compile error shows at its line in the code box, code past the
// limit is refused, a Swift cell added in the notebook is saved as a ```swift run fence that reads
// back, and a code post without the token or from another site changes nothing.
import Foundation
import Lessons
import Notebook
import Server
import Testing
import TestSupport

/// Two Swift cells around a step; the second reads what the first defines. The first cell's code
/// starts at line 6.
let swiftChapter = """
# Swift cells

Prose before.

```swift run
let a = 2.0
print("a is", a)
```

```step backward
expr: a*b
a: 2
b: 3
```

```swift run
print("twice", a * 2)
```

"""

@Suite(.serialized) struct NotebookSwiftCellTests {
    /// A notebook on `swiftChapter`, a session, and the ids of its three cells.
    func start(_ limits: NotebookLimits = NotebookLimits()) async throws -> (NotebookFixture, String, first: Int, step: Int, second: Int) {
        let notebook = try await NotebookFixture.start(["01-swift.md": swiftChapter], notebook: limits)
        let session = try await notebook.newSession()
        let ids = try await notebook.cells(session).compactMap { $0["id"] as? Int }
        try #require(ids.count == 3)
        return (notebook, session, ids[0], ids[1], ids[2])
    }

    @Test func theChaptersSwiftCellsRunInTheFirstRunWithTheirCodeInABox() async throws {
        let (notebook, session, first, _, _) = try await start()
        defer { Task { await notebook.stop() } }
        let cells = try await notebook.cells(session)
        #expect(cells.allSatisfy { $0["status"] as? String == "passed" }, "\(cells)")
        #expect(cells.first?["code"] as? String == "let a = 2.0\nprint(\"a is\", a)")
        let page = try await notebook.request("GET", "/s/\(session)/chapter/1", json: false)
        let cell = try #require(cellHTML(page.text, first))
        #expect(cell.contains("<textarea id=\"cell-\(first)-code\" name=\"code\""))
        #expect(cell.contains("print(&quot;a is&quot;, a)</textarea>"))
        #expect(cell.contains("<span>6</span><span>7</span>"))  // numbered as the chapter's lines
        #expect(cell.contains("a is 2.0"))
        #expect(!cell.contains("<figure class=\"code\""), "the code is in its box, not shown again as an output")
        #expect(page.text.contains("name=\"step\" value=\"swift\""))  // the "+ Swift cell" button
    }

    @Test func newCodeRunsTheCellAndTheSwiftCellsBelowItOnly() async throws {
        let (notebook, session, first, step, second) = try await start()
        defer { Task { await notebook.stop() } }
        let before = try await notebook.cells(session)
        let answer = try await notebook.request("POST", "/s/\(session)/cell/\(first)/code",
                                                body: "code=" + encoded("let a = 5.0\r\nprint(\"a is\", a)"))
        #expect(answer.status == 200)
        try await settle(notebook, session)
        let after = try await notebook.cells(session)
        #expect(after[0]["code"] as? String == "let a = 5.0\nprint(\"a is\", a)", "the browser's CRLF is kept as LF")
        #expect(revision(after[1]) == revision(before[1]), "the backward step does not read Swift cells")
        #expect(revision(after[2]) > revision(before[2]))
        let page = try await notebook.request("GET", "/s/\(session)/chapter/1/body", json: false).text
        #expect(try #require(cellHTML(page, first)).contains("a is 5.0"))
        #expect(try #require(cellHTML(page, second)).contains("twice 10.0"))
        #expect(try #require(cellHTML(page, first)).contains("mark edited"))
        _ = step
    }

    @Test func aCompileErrorShowsAtItsLineBesideTheCode() async throws {
        let (notebook, session, first, _, second) = try await start()
        defer { Task { await notebook.stop() } }
        // Without script: the form posts and comes back to the page, at the cell.
        let posted = try await notebook.request("POST", "/s/\(session)/cell/\(first)/code",
                                                body: "code=" + encoded("let a = 2.0\nprint(\"a is\", b)"), json: false)
        #expect(posted.status == 303)
        #expect(posted.headers["location"] == "/s/\(session)/chapter/1#cell-\(first)")
        try await settle(notebook, session)
        let cells = try await notebook.cells(session)
        #expect(cells[0]["status"] as? String == "failed")
        let error = try #require(cells[0]["error"] as? String)
        #expect(error.contains("01-swift.md:7:15: error: in step 'swift': cannot find 'b' in scope"), "\(error)")
        #expect(cells[2]["status"] as? String == "failed", "the cell below no longer sees 'a'")
        let page = try await notebook.request("GET", "/s/\(session)/chapter/1", json: false).text
        let cell = try #require(cellHTML(page, first))
        #expect(cell.contains("data-error-lines=\"7\""))
        #expect(cell.contains("<span>6</span><span class=\"bad\">7</span>"))
        #expect(cell.contains("01-swift.md:7:15: error"))
        #expect(cell.contains("print(&quot;a is&quot;, b)</textarea>"), "the box holds the code that failed, to fix")
        _ = second
    }

    @Test func codePastTheLimitAndCodeForAStepAreRefused() async throws {
        var limits = NotebookLimits()
        limits.maxCodeBytes = 1024
        let (notebook, session, first, step, _) = try await start(limits)
        defer { Task { await notebook.stop() } }
        let long = "// " + String(repeating: "x", count: 2000)
        let refused = try await notebook.request("POST", "/s/\(session)/cell/\(first)/code", body: "code=" + encoded(long))
        #expect(refused.status == 422)
        let object = try #require(try JSONSerialization.jsonObject(with: refused.body) as? [String: Any])
        #expect(object["error"] as? String == "this code is 2003 bytes, and a Swift cell's code may be at most 1024 bytes (1 KB)")
        #expect(object["parameter"] as? String == "code")
        #expect((object["hint"] as? String)?.contains("split it") == true)
        #expect(try await notebook.cells(session)[0]["code"] as? String == "let a = 2.0\nprint(\"a is\", a)")
        // Without script, the page comes back with the message under the code box.
        let page = try await notebook.request("POST", "/s/\(session)/cell/\(first)/code", body: "code=" + encoded(long), json: false)
        #expect(page.status == 422)
        #expect(page.text.contains("data-error-for=\"code\">this code is 2003 bytes"))
        let notSwift = try await notebook.request("POST", "/s/\(session)/cell/\(step)/code", body: "code=print(1)")
        #expect(notSwift.status == 422)
        let noCode = try await notebook.request("POST", "/s/\(session)/cell/\(first)/code", body: "")
        #expect(noCode.status == 422)
    }

    @Test func anAddedSwiftCellIsSavedAsARunFenceThatReadsBack() async throws {
        let (notebook, session, _, step, _) = try await start()
        defer { Task { await notebook.stop() } }
        let added = try await notebook.request("POST", "/s/\(session)/chapter/1/cells", body: "after=\(step)&step=swift")
        #expect(added.status == 200)
        let cells = try await notebook.cells(session)
        let new = try #require(cells.count == 4 ? cells[2] : nil)
        #expect(new["code"] as? String == "")
        let id = try #require(new["id"] as? Int)
        let code = "let fence = \"```\"\n```\nprint(\"mine\", a * 7)"  // a line that would close a ``` fence
        let fixed = code.replacingOccurrences(of: "```\nprint", with: "// ```\nprint")
        _ = try await notebook.request("POST", "/s/\(session)/cell/\(id)/code", body: "code=" + encoded(fixed))
        try await settle(notebook, session)
        let page = try await notebook.request("GET", "/s/\(session)/chapter/1/body", json: false).text
        #expect(try #require(cellHTML(page, id)).contains("mine 14.0"))
        #expect(try #require(cellHTML(page, id)).contains("<span>1</span><span>2</span><span>3</span>"), "a new cell counts from 1")

        let markdown = try await notebook.request("GET", "/s/\(session)/chapter/1/markdown", json: false)
        #expect(markdown.status == 200)
        #expect(markdown.text == swiftChapter.replacingOccurrences(of: "b: 3\n```\n\n", with: "b: 3\n```\n\n```swift run\n\(fixed)\n```\n\n"))
        let back = try ChapterParser.parse(markdown.text, file: "back.md", number: 1, slug: "swift")
        #expect(back.steps.map(\.code) == ["let a = 2.0\nprint(\"a is\", a)", nil, fixed, "print(\"twice\", a * 2)"])

        // Code holding a line of three backticks gets a longer fence, and still reads back.
        _ = try await notebook.request("POST", "/s/\(session)/cell/\(id)/code", body: "code=" + encoded(code))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("notebook-save-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let saved = try await notebook.request("POST", "/s/\(session)/chapter/1/save", body: "folder=" + encoded(folder))
        #expect(saved.status == 200)
        let text = try String(contentsOfFile: folder + "/01-swift.md", encoding: .utf8)
        #expect(text.contains("````swift run\n\(code)\n````\n"))
        #expect(try ChapterParser.parse(text, file: "saved.md", number: 1, slug: "swift").steps[2].code == code)
    }

    @Test func aCodePostWithoutTheTokenOrFromAnotherSiteChangesNothing() async throws {
        let (notebook, session, first, _, _) = try await start()
        defer { Task { await notebook.stop() } }
        let body = "code=" + encoded("print(\"taken over\")")
        let bare = try await notebook.request("POST", "/s/\(session)/cell/\(first)/code", body: body, cookie: false)
        #expect(bare.status == 403)
        let foreign = try await notebook.request("POST", "/s/\(session)/cell/\(first)/code", body: body,
                                                 headers: ["Origin": "http://evil.example"])
        #expect(foreign.status == 403)
        let added = try await notebook.request("POST", "/s/\(session)/chapter/1/cells", body: "after=&step=swift",
                                               headers: ["Origin": "http://evil.example"])
        #expect(added.status == 403)
        let cells = try await notebook.cells(session)
        #expect(cells.count == 3)
        #expect(cells[0]["code"] as? String == "let a = 2.0\nprint(\"a is\", a)")
    }

    // MARK: Helpers

    /// Waits until no cell of the session runs or waits to.
    private func settle(_ notebook: NotebookFixture, _ session: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try await notebook.cells(session).contains(where: { $0["freshness"] as? String != "fresh" }) {
            guard ContinuousClock.now < deadline else { Issue.record("the cells did not become fresh"); return }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The HTML of cell `id` in a page: from its element to the next cell's.
    private func cellHTML(_ page: String, _ id: Int) -> String? {
        guard let start = page.range(of: "id=\"cell-\(id)\"") else { return nil }
        let rest = page[start.lowerBound...]
        let end = rest.range(of: "<div class=\"cell segment")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    private func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}
