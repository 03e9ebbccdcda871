// The page: a form that works without JavaScript, each line's label, bars and heatmap, and no
// way for a submitted line to become markup.
import Foundation
@testable import Server
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(5)))
struct PageTests {
    /// The form body a browser sends for the text box holding `text`.
    static func form(_ text: String) -> Data {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        return Data("lines=\(encoded)".utf8)
    }

    static let formType = "application/x-www-form-urlencoded"

    @Test func theEmptyPageIsAFormThatPostsToItself() async throws {
        try await Fixture.withServer { client in
            let reply = try await client.get("/")
            #expect(reply.status == 200)
            #expect(reply.contentType.hasPrefix("text/html"))
            #expect(reply.text.contains(#"<form method="post" action="/""#))
            #expect(reply.text.contains(#"<textarea id="lines" name="lines""#))
            // Nothing is fetched from the network.
            #expect(!reply.text.contains("http://") && !reply.text.contains("https://"))
            #expect(!reply.text.contains(#"class="result""#))
        }
    }

    @Test func aFormPostShowsEachLinesLabelBarsAndHeatmap() async throws {
        let text = "disk full on /var/lib/db\r\n\r\nuser alice logged in\r\nnaïve line\r\n"
        let results = try await Fixture.withServer { client in
            try await client.classify(lines: ["disk full on /var/lib/db", "user alice logged in"])
        }
        try await Fixture.withServer { client in
            let reply = try await client.post("/", body: Self.form(text), contentType: Self.formType)
            #expect(reply.status == 200)
            let page = reply.text
            // Blank lines are skipped; the three others each get an article.
            #expect(page.components(separatedBy: #"<article class="result">"#).count - 1 == 3)
            for result in results {
                let label = try #require(result["label"] as? String)
                let probabilities = try #require(result["probabilities"] as? [String: Double])
                #expect(page.contains(#"<span class="badge \#(label)">\#(label)</span><code>\#(result["message"] as? String ?? "")</code>"#))
                for (name, p) in probabilities {
                    #expect(page.contains(#"<th scope="row">\#(name)</th>"#))
                    #expect(page.contains(String(format: "%.3f", p)))
                }
            }
            // The heatmap labels its cells with the line's characters, BOS first, and " -> " last.
            #expect(page.contains(#"title="BOS: "#))
            #expect(page.contains(#"title="&gt;: "#))
            // A line the model cannot read says why instead of showing a label.
            #expect(page.contains("This line has character(s) the model never saw"))
            // The text box keeps what was sent.
            #expect(page.contains("user alice logged in"))
        }
    }

    @Test func submittedTextNeverBecomesMarkup() async throws {
        let attack = #"<script>alert("x")</script> & <img src=x onerror='alert(1)'>"#
        try await Fixture.withServer { client in
            let reply = try await client.post("/", body: Self.form(attack), contentType: Self.formType)
            let page = reply.text
            #expect(!page.contains("<script>alert"))
            #expect(!page.contains("<img"))
            #expect(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=&#39;alert(1)&#39;&gt;"))
            // The page's own script, from /page.js, is the only one.
            #expect(page.components(separatedBy: "<script").count - 1 == 1)
            #expect(page.contains(#"<script src="/page.js" defer></script>"#))
        }
    }

    @Test func thePageRunsScriptFromThisServerOnly() async throws {
        try await Fixture.withServer { client in
            let page = try RawConnection(port: client.port)
            await page.send("GET / HTTP/1.1\r\nHost: 127.0.0.1:\(client.port)\r\n\r\n")
            let policy = try #require(await page.reply()?.headers["content-security-policy"])
            let scripts = try #require(policy.split(separator: ";").first { $0.contains("script-src") })
            #expect(scripts.trimmingCharacters(in: .whitespaces) == "script-src 'self'")
            #expect(policy.contains("frame-ancestors 'none'"))
            let script = try await client.get("/page.js")
            #expect(script.status == 200)
            #expect(script.contentType.hasPrefix("text/javascript"))
            #expect(script.text.contains(#"getElementById("classify")"#))
        }
    }

    @Test func tooManyLinesOrTooLargeAFormIsRefusedOnThePage() async throws {
        try await Fixture.withServer(limits: ServerLimits(maxBodyBytes: 4096), lines: LineLimits(maxLines: 3)) { client in
            let many = try await client.post("/", body: Self.form("a\nb\nc\nd"), contentType: Self.formType)
            #expect(many.status == 422)
            #expect(many.text.contains("4 lines is more than the limit of 3 per request"))
            let large = try await client.post("/", body: Self.form(String(repeating: "a", count: 5000)), contentType: Self.formType)
            #expect(large.status == 413)
            #expect(large.contentType.hasPrefix("text/html"))
        }
    }

    @Test func linesPastTheDetailedOnesGetTheirLabelOnly() async throws {
        let lines = (1...5).map { "disk full on node-\($0)" } + ["naïve line"]
        try await Fixture.withServer(lines: LineLimits(detailedLines: 2)) { client in
            let reply = try await client.post("/", body: Self.form(lines.joined(separator: "\n")), contentType: Self.formType)
            #expect(reply.status == 200)
            let page = reply.text
            #expect(page.components(separatedBy: #"<article class="result">"#).count - 1 == 2)
            let says = page.contains("The first 2 lines are shown in full above; the other 4 are listed here with their label only.")
            #expect(says)
            let rows = page.components(separatedBy: #"<tr><td class="num">"#).dropFirst()
            #expect(rows.count == 4)
            #expect(rows.first?.hasPrefix("3</td><td><span class=\"badge ") == true, "\(rows.first ?? "")")
            #expect(rows.first?.contains("<code>disk full on node-3</code>") == true)
            #expect(rows.last?.contains("This line has character(s) the model never saw") == true)
        }
    }

    /// The form takes as many lines as the API, and the page it returns stays small: 1,000 lines
    /// once made an 18 MB page after 12 s of work.
    @Test func aFormOfAThousandLinesGivesABoundedPage() async throws {
        let lines = (0..<1000).map { "job \($0) " + APITests.lines[$0 % 4] }
        try await Fixture.withServer { client in
            let start = ContinuousClock.now
            let reply = try await client.post("/", body: Self.form(lines.joined(separator: "\n")), contentType: Self.formType)
            let elapsed = ContinuousClock.now - start
            #expect(reply.status == 200)
            let says = reply.text.contains("the other 950 are listed here")
            #expect(says)
            #expect(reply.body.count < 2_000_000, "\(reply.body.count) bytes")
            print("a form of 1,000 lines: \(reply.body.count) bytes in \(elapsed)")
        }
    }

    @Test func theTemplateParsesAndNeverOutputsUnescapedValues() {
        #expect(!PageTemplate.text.contains("{{{"))
        #expect(!PageTemplate.text.contains("{{&"))
        let view = PageView(model: .init(layers: 1, heads: 4, width: 16, blockSize: 64, vocabSize: 40, parameters: "1,234",
                                         maxLines: 1000),
                            input: "</textarea><b>", error: "<i>bad</i>")
        let html = view.render()
        #expect(html.contains("&lt;/textarea&gt;&lt;b&gt;</textarea>"))
        #expect(html.contains(#"<p class="error">&lt;i&gt;bad&lt;/i&gt;</p>"#))
    }

    @Test func formFieldsDecodePlusAndPercent() throws {
        #expect(try FormBody.field("lines", in: Data("other=1&lines=disk+full%0Aon+%2Fvar%21".utf8)) == "disk full\non /var!")
        #expect(try FormBody.field("lines", in: Data("other=1".utf8)) == "")
        #expect(throws: APIError.self) { try FormBody.field("lines", in: Data("lines=%E2%28".utf8)) }
    }
}
