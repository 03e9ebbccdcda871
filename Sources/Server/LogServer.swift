// The web page and JSON API that classify log lines with a trained model, served over HTTP by
// FlyingFox. This file binds the address and runs the server; Routes answers the requests.
import FlyingFox
import FlyingSocks  // FlyingFox's socket layer, part of its API: addresses and logging
import Foundation
import GPT
import Synchronization

/// An HTTP server for one trained model. The model is only read while serving; each request
/// classifies with a classifier of its own from a pool.
public final class LogServer: Sendable {
    /// The address asked for, as given ("127.0.0.1", "::1", ...).
    public let host: String
    private let server: HTTPServer
    /// Set by `stop()`: from then on, connections and the listener ending is expected, not an error.
    private let stopping = StopFlag()

    /// A server for `trained` on `host`:`port` (port 0 picks a free one; see `listeningPort()`).
    /// `report` hears about connections and handlers that failed; the server itself never prints.
    public init(_ trained: TrainedModel, host: String = "127.0.0.1", port: UInt16 = 8080,
                limits: ServerLimits = ServerLimits(), report: (@Sendable (String) -> Void)? = nil) throws(ServerError) {
        self.host = host
        let config = HTTPServer.Configuration(address: try LogServer.address(host, port: port),
                                              timeout: 120,  // seconds for one request: 1000 lines take a while
                                              pool: NoDelayPool(base: HTTPServer.defaultPool()),
                                              logger: ReportLogger(report: report, stopping: stopping))
        server = HTTPServer(config: config, handler: Routes(trained, limits: limits))
    }

    /// Serves until `stop()` is called or the task is cancelled; throws when it cannot listen.
    public func run() async throws {
        do {
            try await server.run()
        } catch where stopping.isSet || error is CancellationError {
            return
        } catch let error as SocketError {
            throw ServerError(reason: "cannot serve on \(host): \(error.localizedDescription)",
                              hint: "is another server using the port? try another with --port, or 0 for any free one")
        }
    }

    /// The port once the server listens (useful after asking for port 0).
    public func listeningPort(timeout: TimeInterval = 5) async throws -> Int {
        try await server.waitUntilListening(timeout: timeout)
        switch await server.listeningAddress {
        case .ip4(_, let port), .ip6(_, let port): return Int(port)
        default: throw ServerError(reason: "the server is not listening on an IP address", hint: nil)
        }
    }

    /// Stops listening, gives open requests `timeout` seconds to finish, then cancels them.
    /// (On Linux the listener only ends when cancelled, so stopping always takes the whole grace.)
    public func stop(timeout: TimeInterval = 0.5) async {
        stopping.set()
        await server.stop(timeout: timeout)
    }

    /// An IPv4 or IPv6 address to listen on; "localhost" means 127.0.0.1.
    private static func address(_ host: String, port: UInt16) throws(ServerError) -> any SocketAddress {
        do {
            if host == "localhost" { return try sockaddr_in.inet(ip4: "127.0.0.1", port: port) }
            if host.contains(":") { return try sockaddr_in6.inet6(ip6: host, port: port) }
            return try sockaddr_in.inet(ip4: host, port: port)
        } catch {
            throw ServerError(reason: "'\(host)' is not an IP address to listen on",
                              hint: "give an address such as 127.0.0.1 (this machine only), ::1, or 0.0.0.0 (every network)")
        }
    }
}

/// Why the server could not start, with what to try.
public struct ServerError: Error, CustomStringConvertible {
    public let reason: String
    public let hint: String?
    public var description: String { hint.map { "\(reason)\nHINT: \($0)" } ?? reason }
}

/// Passes FlyingFox's warnings and errors to the caller's `report` until the server is stopping
/// (then connections ending is expected); the rest is per-request noise.
private struct ReportLogger: Logging {
    let report: (@Sendable (String) -> Void)?
    let stopping: StopFlag

    func logDebug(_ debug: @autoclosure () -> String) {}
    func logInfo(_ info: @autoclosure () -> String) {}
    func logWarning(_ warning: @autoclosure () -> String) { pass("warning: \(warning())") }
    func logError(_ error: @autoclosure () -> String) { pass("error: \(error())") }
    func logCritical(_ critical: @autoclosure () -> String) { pass("error: \(critical())") }

    private func pass(_ message: String) {
        guard let report, !stopping.isSet else { return }
        report(message)
    }
}

/// Whether `stop()` was called, shared by the server and its logger.
private final class StopFlag: Sendable {
    private let flag = Atomic(false)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}
