// The web page and JSON API that classify log lines with a trained model: the classifier's routes
// on a LocalServer, which brings the limits, the Host and Origin checks and the shutdown.
import GPT

/// An HTTP server for one trained model. The model is only read while serving; each request
/// classifies with a classifier of its own from a pool.
public final class LogServer: Sendable {
    private let server: LocalServer

    /// The address asked for, as given ("127.0.0.1", "::1", ...).
    public var host: String { server.host }

    /// A server for `trained` on `host`:`port` (port 0 picks a free one; see `listeningPort()`).
    /// `report` hears warnings and errors; the server itself never prints.
    public init(_ trained: TrainedModel, host: String = "127.0.0.1", port: UInt16 = 8080,
                limits: ServerLimits = ServerLimits(), lines: LineLimits = LineLimits(),
                report: (@Sendable (String) -> Void)? = nil) throws(ServerError) {
        server = try LocalServer(Routes(trained, limits: limits, lines: lines), host: host, port: port,
                                 limits: limits, report: report)
    }

    /// Serves until `stop()` is called or the task is cancelled; throws when it cannot listen.
    public func run() async throws { try await server.run() }

    /// The port once the server listens (useful after asking for port 0).
    public func listeningPort(timeout: Duration = .seconds(5)) async throws -> Int {
        try await server.listeningPort(timeout: timeout)
    }

    /// Stops listening and gives open requests `ServerLimits.shutdownGrace` to finish.
    public func stop() async { await server.stop() }
}
