// `gpt serve` as a process: it says where it listens, answers there, Ctrl-C ends it cleanly and
// quickly even with connections open, and more clients than it has open files do not end it.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(2)))
struct ServeCommandTests {
    /// A running `gpt serve --port 0`, started through `sh -c` with `shell` before it (a ulimit),
    /// and the port it says it listens on.
    struct Served {
        let process: Process
        let port: Int
        let errors: Pipe

        init(shell: String = "") throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "\(shell) exec \"$0\" serve --model \"$1\" --port 0",
                                 try Fixture.gptBinary().path, try Fixture.modelPath.get()]
            let output = Pipe()
            errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            // The first line names the address; an empty read means the process ended first.
            var said = ""
            while !said.contains("\n") {
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { break }
                said += String(decoding: data, as: UTF8.self)
            }
            guard let port = said.firstMatch(of: /http:\/\/127\.0\.0\.1:(\d+)\//).flatMap({ Int($0.1) }),
                  said.contains("Ctrl-C to stop") else {
                process.terminate()
                throw FixtureError(description: "gpt serve said: \(said)")
            }
            self.port = port
        }

        /// Sends Ctrl-C and waits up to 10 s for the process to end: the seconds it took.
        func interrupt() async throws -> Double {
            let start = ContinuousClock.now
            process.interrupt()
            let deadline = start + .seconds(10)
            while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            return LimitsTests.seconds(since: start)
        }

        /// What the process wrote to standard error (once it has ended).
        var stderr: String { String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
    }

    @Test func saysItsAddressServesAndStopsOnInterruptWithinHalfASecond() async throws {
        let served = try Served()
        defer { if served.process.isRunning { served.process.terminate() } }
        let reply = try await Client(port: served.port).get("/api/model")
        #expect(reply.status == 200)

        // An idle kept-alive connection and a half-sent request do not hold the server up.
        let idle = try RawConnection(port: served.port)
        await idle.send(LimitsTests.get(port: served.port))
        #expect(await idle.reply()?.status == 200)
        let half = try RawConnection(port: served.port)
        await half.send("GET / HTTP/1.1\r\nHost: 127.0.0.1:\(served.port)\r\n")

        let seconds = try await served.interrupt()
        #expect(!served.process.isRunning, "gpt serve still runs 10 s after Ctrl-C")
        #expect(served.process.terminationStatus == 0)
        // Half a second of grace, and some room for a busy machine.
        #expect(seconds < 1.5, "Ctrl-C took \(seconds) s")
        print("gpt serve stopped \(String(format: "%.2f", seconds)) s after Ctrl-C")
        #expect(!served.stderr.contains("warning"), "no warning on 127.0.0.1")
    }

    /// With 128 open files it takes 64 connections; the rest are refused with 503, it keeps
    /// running, and it serves again once they close. (It used to exit, saying the port was taken.)
    @Test func moreClientsThanOpenFilesAreRefusedNotFatal() async throws {
        let served = try Served(shell: "ulimit -n 128 &&")
        defer { if served.process.isRunning { served.process.terminate() } }
        var connections: [RawConnection] = []
        for _ in 0..<100 { connections.append(try RawConnection(port: served.port)) }
        var statuses: [Int: Int] = [:]
        for connection in connections {
            await connection.send(LimitsTests.get(port: served.port))
            statuses[await connection.reply(timeout: .seconds(5))?.status ?? 0, default: 0] += 1
        }
        #expect(statuses[200] == 64, "\(statuses)")
        #expect(statuses[503] == 36, "\(statuses)")
        #expect(served.process.isRunning)

        connections.removeAll()
        var status = 0
        let deadline = ContinuousClock.now + .seconds(5)
        while status != 200 && ContinuousClock.now < deadline {
            status = (try? await Client(port: served.port).get("/api/model").status) ?? 0
            if status != 200 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(status == 200)
        _ = try await served.interrupt()
        #expect(served.process.terminationStatus == 0)
        #expect(served.stderr.contains("may open only 128 files"))
    }
}
