// The checks before any route: requests for other host names (DNS rebinding) get 421, requests
// that change something from another site's page get 403, every response says nosniff, and the
// server warns when other machines can reach it.
import Foundation
import Server
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct SiteGuardTests {
    /// The reply to one request sent as given, with `fields` after its request line.
    static func send(_ requestLine: String, _ fields: [String], body: String = "", port: Int) async throws -> RawConnection.Reply {
        let connection = try RawConnection(port: port)
        let length = body.isEmpty ? [] : ["Content-Length: \(body.utf8.count)"]
        await connection.send("\(requestLine)\r\n" + (fields + length).map { "\($0)\r\n" }.joined() + "\r\n" + body)
        return try #require(await connection.reply())
    }

    @Test func requestsForOtherHostNamesGet421() async throws {
        try await Fixture.withServer { client in
            let port = client.port
            for host in ["127.0.0.1:\(port)", "localhost:\(port)", "LOCALHOST:\(port)", "[::1]:\(port)"] {
                let reply = try await Self.send("GET /api/model HTTP/1.1", ["Host: \(host)"], port: port)
                #expect(reply.status == 200, "\(host): \(reply.text)")
            }
            for host in ["evil.example:\(port)", "evil.example", "127.0.0.1:\(port + 1)", "127.0.0.1"] {
                let reply = try await Self.send("GET / HTTP/1.1", ["Host: \(host)"], port: port)
                #expect(reply.status == 421, "\(host)")
                #expect(reply.error.contains("does not answer requests for the host '\(host)'"), "\(reply.error)")
                #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true)
            }
        }
    }

    @Test func postsFromAnotherSitesPageGet403() async throws {
        try await Fixture.withServer { client in
            let port = client.port
            let body = #"{"lines": ["disk full on /var/lib/db"]}"#
            let host = "Host: 127.0.0.1:\(port)"
            // What a page on evil.example can send without asking: a "simple" text/plain POST.
            let foreign = try await Self.send("POST /api/classify HTTP/1.1",
                                              [host, "Origin: http://evil.example", "Content-Type: text/plain"], body: body, port: port)
            #expect(foreign.status == 403)
            #expect(foreign.error.contains("http://evil.example"), "\(foreign.error)")
            let form = try await Self.send("POST / HTTP/1.1", [host, "Origin: null", "Content-Type: application/x-www-form-urlencoded"],
                                           body: "lines=disk+full", port: port)
            #expect(form.status == 403)
            // The page's own posts, and clients that send no Origin (curl), are answered.
            let own = try await Self.send("POST /api/classify HTTP/1.1", [host, "Origin: http://127.0.0.1:\(port)"], body: body, port: port)
            #expect(own.status == 200, "\(own.text)")
            let curl = try await Self.send("POST /api/classify HTTP/1.1", [host], body: body, port: port)
            #expect(curl.status == 200, "\(curl.text)")
            // Reading is not changing: a GET with a foreign Origin is answered (the browser keeps it from that page).
            let read = try await Self.send("GET /api/model HTTP/1.1", [host, "Origin: http://evil.example"], port: port)
            #expect(read.status == 200)
        }
    }

    @Test func everyResponseSaysNosniff() async throws {
        try await Fixture.withServer { client in
            let port = client.port
            let host = "Host: 127.0.0.1:\(port)"
            let replies = [
                try await Self.send("GET / HTTP/1.1", [host], port: port),
                try await Self.send("GET /nothing-here HTTP/1.1", [host], port: port),
                try await Self.send("GET / HTTP/1.1", ["Host: evil.example"], port: port),
                try await Self.send("NOT HTTP", [], port: port),
            ]
            #expect(replies.map(\.status) == [200, 404, 421, 400])
            for reply in replies { #expect(reply.headers["x-content-type-options"] == "nosniff", "\(reply.status)") }
        }
    }

    @Test func anAddressOtherMachinesCanReachIsWarnedAbout() {
        for host in ["127.0.0.1", "127.0.0.2", "localhost", "::1"] {
            #expect(LocalServer.isLoopback(host), "\(host)")
            #expect(LocalServer.exposureWarning(host) == nil)
        }
        for host in ["0.0.0.0", "::", "192.168.1.5", "10.0.0.1", "fe80::1"] {
            #expect(!LocalServer.isLoopback(host), "\(host)")
            let warning = LocalServer.exposureWarning(host) ?? "(none)"
            #expect(warning.contains("reachable from other machines"), "\(host): \(warning)")
        }
    }
}
