// The notebook runs the Swift cells it is sent: listening where other machines can reach it is
// letting them run programs as its user, and it says so loudly when started that way.
import Foundation
import Lessons
import Notebook
import Server
import Synchronization
import Testing

@Suite struct NotebookExposureTests {
    @Test func onlyAnAddressOtherMachinesReachGetsTheWarning() {
        for host in ["127.0.0.1", "127.0.0.2", "::1", "localhost"] {
            #expect(NotebookServer.exposureWarning(host) == nil, "\(host)")
        }
        for host in ["0.0.0.0", "::", "192.168.1.5"] {
            let warning = NotebookServer.exposureWarning(host) ?? "(none)"
            #expect(warning.contains("WARNING: the notebook is listening on \(host)"), "\(host): \(warning)")
            #expect(warning.contains("runs the Swift\ncells it is sent as you"), "\(host): \(warning)")
        }
    }

    @Test func aNotebookStartedOnEveryNetworkWarnsAsItStarts() async throws {
        let lessons = try makeNotebookLessons(["01-small.md": "# Small\n\nProse only.\n"])
        let reports = Mutex<[String]>([])
        var limits = ServerLimits()
        limits.shutdownGrace = .zero
        let server = try NotebookServer(runner: LessonRunner(lessonsDirectory: lessons), host: "0.0.0.0", port: 0, limits: limits,
                                        report: { message in reports.withLock { $0.append(message) } })
        let task = Task { try await server.run() }
        _ = try await server.listeningPort(timeout: .seconds(60))
        let deadline = ContinuousClock.now + .seconds(10)
        while reports.withLock({ $0.isEmpty }) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        await server.stop()
        task.cancel()
        let said = reports.withLock { $0.joined(separator: "\n") }
        #expect(said.contains("WARNING: the notebook is listening on 0.0.0.0"), "\(said)")
        #expect(!said.contains("it has no login"), "the server's own warning is for servers without a token: \(said)")
    }
}
