// One test per limit of ServerLimits, each over a real loopback connection to a server started with
// that limit made small: the request that passes it gets its status and JSON error (or its
// connection closed), in bounded time, and the server goes on answering others.
import Foundation
import Server
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(2)))
struct LimitsTests {
    /// A complete request for GET /api/model on `port`.
    static func get(_ path: String = "/api/model", port: Int) -> String {
        "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n"
    }

    /// Seconds since `start`.
    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// A request that still gets its answer while a test holds a limit's connections.
    static func stillServes(_ client: Client) async throws {
        let reply = try await client.get("/api/model")
        #expect(reply.status == 200, "the server stopped answering: \(reply.text)")
    }

    @Test func aHeadThatArrivesTooSlowlyGets408() async throws {
        try await Fixture.withServer(limits: ServerLimits(headerTimeout: .milliseconds(500))) { client in
            let start = ContinuousClock.now
            let half = try client.raw()
            await half.send("GET /api/model HTTP/1.1\r\nHost: 127.0.0.1:\(client.port)\r\nAccept: ")
            let silent = try client.raw()  // sends nothing at all
            try await Self.stillServes(client)
            let reply = try #require(await half.reply())
            #expect(reply.status == 408)
            #expect(reply.error.contains("did not arrive within 0.5 s"), "\(reply.error)")
            #expect(reply.headers["connection"] == "close")
            #expect(await half.waitForClose(timeout: .seconds(5)).closed)
            #expect(await silent.waitForClose(timeout: .seconds(5)).closed, "a connection that never sends is closed too")
            let elapsed = Self.seconds(since: start)
            #expect(elapsed >= 0.45 && elapsed < 5, "\(elapsed) s")
        }
    }

    @Test func anIdleConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await Fixture.withServer(limits: ServerLimits(idleTimeout: .milliseconds(500))) { client in
            let connection = try client.raw()
            let start = ContinuousClock.now  // the server's idle time starts after this, with its answer
            await connection.send(Self.get(port: client.port))
            #expect(try #require(await connection.reply()).status == 200)
            let (closed, data) = await connection.waitForClose(timeout: .seconds(5))
            let elapsed = Self.seconds(since: start)
            #expect(closed && data.isEmpty, "closed without a word")
            #expect(elapsed >= 0.45 && elapsed < 5, "\(elapsed) s")
        }
    }

    @Test func aBodyThatArrivesTooSlowlyGets408() async throws {
        try await Fixture.withServer(limits: ServerLimits(bodyTimeout: .milliseconds(500))) { client in
            let start = ContinuousClock.now
            let connection = try client.raw()
            await connection.send("POST /api/classify HTTP/1.1\r\nHost: 127.0.0.1:\(client.port)\r\n"
                                  + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"lines\": [")
            try await Self.stillServes(client)
            let reply = try #require(await connection.reply())
            #expect(reply.status == 408)
            #expect(reply.error.contains("body did not arrive within 0.5 s"), "\(reply.error)")
            #expect(await connection.waitForClose(timeout: .seconds(5)).closed)
            let elapsed = Self.seconds(since: start)
            #expect(elapsed >= 0.45 && elapsed < 5, "\(elapsed) s")
        }
    }

    /// Two 200 KB headers, as in the report that held a normal request for 28 s: refused as soon as
    /// the limit is passed, while a normal request is answered at once.
    @Test func aHeadLargerThanTheLimitGets431() async throws {
        try await Fixture.withServer { client in
            let large = String(repeating: "a", count: 200_000)
            let start = ContinuousClock.now
            let connections = try (0..<2).map { _ in try client.raw() }
            for connection in connections {
                await connection.send("GET / HTTP/1.1\r\nHost: 127.0.0.1:\(client.port)\r\nX-Large: \(large)\r\n\r\n")
            }
            try await Self.stillServes(client)
            for connection in connections {
                let reply = try #require(await connection.reply())
                #expect(reply.status == 431)
                #expect(reply.error.contains("larger than 16384 bytes"), "\(reply.error)")
                #expect(await connection.waitForClose(timeout: .seconds(5)).closed)
            }
            #expect(Self.seconds(since: start) < 5)
        }
    }

    @Test func moreHeaderFieldsThanTheLimitGet431() async throws {
        try await Fixture.withServer(limits: ServerLimits(maxHeaderCount: 10)) { client in
            let connection = try client.raw()
            let fields = (1...11).map { "X-Field-\($0): \($0)\r\n" }.joined()
            await connection.send("GET /api/model HTTP/1.1\r\nHost: 127.0.0.1:\(client.port)\r\n\(fields)\r\n")
            let reply = try #require(await connection.reply())
            #expect(reply.status == 431)
            #expect(reply.error.contains("more than 10 header fields"), "\(reply.error)")
            // Ten fields in all (Host is one) pass.
            let within = try client.raw()
            await within.send("GET /api/model HTTP/1.1\r\nHost: 127.0.0.1:\(client.port)\r\n\((1...9).map { "X-Field-\($0): \($0)\r\n" }.joined())\r\n")
            #expect(try #require(await within.reply()).status == 200)
        }
    }

    @Test func connectionsPastTheCapGet503AndTheServerGoesOn() async throws {
        try await Fixture.withServer(limits: ServerLimits(maxConnections: 3)) { client in
            // Three connections, each answered once so it is surely counted, then kept open.
            var held = try (0..<3).map { _ in try client.raw() }
            for connection in held {
                await connection.send(Self.get(port: client.port))
                #expect(try #require(await connection.reply()).status == 200)
            }
            let extra = try client.raw()
            await extra.send(Self.get(port: client.port))
            let refused = try #require(await extra.reply())
            #expect(refused.status == 503)
            #expect(refused.error.contains("serving 3 connections"), "\(refused.error)")
            #expect(refused.headers["retry-after"] == "1")
            #expect(await extra.waitForClose(timeout: .seconds(5)).closed)
            // One connection closes (a RawConnection closes when released): the next client is served again.
            held.removeFirst()
            let deadline = ContinuousClock.now + .seconds(5)
            var status = 0
            while status != 200 && ContinuousClock.now < deadline {
                let next = try client.raw()
                await next.send(Self.get(port: client.port))
                status = await next.reply()?.status ?? 0
                if status != 200 { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(status == 200)
            withExtendedLifetime(held) {}
        }
    }

    /// A body answered before it arrived: the server ends its output after the answer, and reads
    /// (and drops) what the client still sends for `lingerTimeout`, so the client is not reset
    /// before it reads the answer; then it closes.
    @Test func aConnectionAnsweredEarlyLingersThenCloses() async throws {
        try await Fixture.withServer(limits: ServerLimits(maxBodyBytes: 1000, lingerTimeout: .milliseconds(500))) { client in
            let connection = try client.raw()
            let chunk = Data(repeating: UInt8(ascii: " "), count: 1000)
            await connection.send("POST /api/classify HTTP/1.1\r\nHost: 127.0.0.1:\(client.port)\r\nContent-Length: 100000\r\n\r\n")
            await connection.send(chunk)
            let reply = try #require(await connection.reply())
            #expect(reply.status == 413)
            #expect(reply.headers["connection"] == "close")
            #expect(await connection.send(chunk), "still read right after the answer")
            try await Task.sleep(for: .seconds(1))
            var accepted = true
            let deadline = ContinuousClock.now + .seconds(5)
            while accepted && ContinuousClock.now < deadline {
                accepted = await connection.send(chunk, timeout: .milliseconds(200))
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(!accepted, "closed once the linger is over")
        }
    }

    @Test func aMalformedRequestGets400() async throws {
        try await Fixture.withServer { client in
            let garbage = try client.raw()
            await garbage.send("THIS IS NOT HTTP\r\n\r\n")
            let reply = try #require(await garbage.reply())
            #expect(reply.status == 400)
            #expect(reply.error.contains("not valid HTTP/1.1"), "\(reply.error)")
            #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true)
            #expect(await garbage.waitForClose(timeout: .seconds(5)).closed)

            let noHost = try client.raw()
            await noHost.send("GET /api/model HTTP/1.1\r\n\r\n")
            let missing = try #require(await noHost.reply())
            #expect(missing.status == 400)
            #expect(missing.error.contains("no Host header"), "\(missing.error)")
        }
    }

    /// A body declared larger than the limit is refused before it is read; one sent in chunks is
    /// refused once it passes the limit; either way the connection ends.
    @Test func aBodyLargerThanTheLimitGets413() async throws {
        try await Fixture.withServer(limits: ServerLimits(maxBodyBytes: 1000)) { client in
            let declared = try client.raw()
            await declared.send("POST /api/classify HTTP/1.1\r\nHost: 127.0.0.1:\(client.port)\r\nContent-Length: 5000\r\n\r\n")
            let early = try #require(await declared.reply())
            #expect(early.status == 413)
            #expect(early.error.contains("larger than 1000 bytes"))
            #expect(await declared.waitForClose(timeout: .seconds(5)).closed)

            let chunked = try client.raw()
            let chunk = String(repeating: " ", count: 600)
            await chunked.send("POST /api/classify HTTP/1.1\r\nHost: 127.0.0.1:\(client.port)\r\nTransfer-Encoding: chunked\r\n\r\n"
                               + "258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n")
            let late = try #require(await chunked.reply())
            #expect(late.status == 413)
            #expect(await chunked.waitForClose(timeout: .seconds(5)).closed)
        }
    }
}
