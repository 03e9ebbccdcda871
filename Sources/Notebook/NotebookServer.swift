// `gpt notebook`'s server: the notebook's routes on a LocalServer (the same HTTP layer, limits and
// Host/Origin checks as `gpt serve`), answering only requests that carry its token, with the
// first run of the chapters and the watch on their files going on beside it.
import Foundation
import Lessons
import Server

/// A notebook on one address.
public final class NotebookServer: Sendable {
    public let store: NotebookStore
    /// The secret every request must carry (see `AccessPolicy`); the printed address holds it.
    public let token: String
    private let server: LocalServer

    /// The address asked for, as given.
    public var host: String { server.host }

    public init(runner: LessonRunner, host: String = "127.0.0.1", port: UInt16 = 8080, limits: ServerLimits = ServerLimits(),
                notebook: NotebookLimits = NotebookLimits(), token: String = AccessPolicy.newToken(),
                report: (@Sendable (String) -> Void)? = nil) throws(ServerError) {
        store = NotebookStore(runner: runner, limits: notebook)
        self.token = token
        server = try LocalServer(NotebookRoutes(store: store, limits: limits), host: host, port: port, limits: limits,
                                 access: AccessPolicy(token: token, originOnEveryRequest: true),
                                 exposureWarning: Self.exposureWarning, report: report)
    }

    /// What to tell whoever starts the notebook where other machines can reach it, loudly: the
    /// notebook runs the Swift cells it is sent, so reaching it is running programs as its user.
    public static func exposureWarning(_ host: String) -> String? {
        guard !LocalServer.isLoopback(host) else { return nil }
        return """

            WARNING: the notebook is listening on \(host), so other machines can reach it, and it runs the Swift
            cells it is sent as you, with your rights on this machine: anyone who learns its address and token
            (the address printed below holds it) can run any program here. The token, and the Host and Origin
            checks, stop web pages and guessers; they do not make an open network safe. Use --host 127.0.0.1
            (the default) unless you trust everyone who can reach this address.

            """
    }

    /// Runs the chapters once, watches their files, and serves until `stop()`.
    public func run() async throws {
        store.start()
        let watcher = Task { [store] in await store.watchFiles() }
        defer { watcher.cancel() }
        try await server.run()
    }

    /// The port once the server listens.
    public func listeningPort(timeout: Duration = .seconds(5)) async throws -> Int { try await server.listeningPort(timeout: timeout) }

    /// The address to open, token included.
    public func address(port: Int) -> String {
        let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : (host.contains(":") ? "[\(host)]" : host)
        return "http://\(shown):\(port)/?token=\(token)"
    }

    /// Stops serving; open sessions end and their pages hear why.
    public func stop() async {
        store.endAll("the notebook server stopped")
        await server.stop()
    }
}
