// `gpt serve` as a process: it says where it listens, answers there, and Ctrl-C ends it cleanly.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

@Suite(.timeLimit(.minutes(2)))
struct ServeCommandTests {
    @Test func saysItsAddressServesAndStopsOnInterrupt() async throws {
        let process = Process()
        process.executableURL = try Fixture.gptBinary()
        process.arguments = ["serve", "--model", try Fixture.modelPath.get(), "--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The first line names the address; an empty read means the process ended first.
        var said = ""
        while !said.contains("\n") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            said += String(decoding: data, as: UTF8.self)
        }
        let port = try #require(said.firstMatch(of: /http:\/\/127\.0\.0\.1:(\d+)\//).flatMap { Int($0.1) }, "\(said)")
        #expect(said.contains("Ctrl-C to stop"))

        let reply = try await Client(port: port).get("/api/model")
        #expect(reply.status == 200)

        process.interrupt()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning, "gpt serve still runs 10 s after Ctrl-C")
        #expect(process.terminationStatus == 0)
    }
}
