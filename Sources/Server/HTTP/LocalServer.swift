// A local HTTP server for any set of routes, built from one ServerLimits: `gpt serve` gives it the
// classifier's routes, and another server can give it its own. Hummingbird on SwiftNIO serves;
// GuardedHTTP1Channel and ConnectionGuard enforce the limits on each connection; SiteGuard checks
// each request's Host and Origin. The server never prints: what it has to say goes to `report`.
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// An HTTP server on one address, with every limit of `ServerLimits`.
public final class LocalServer: Sendable {
    /// The address asked for, as given ("127.0.0.1", "::1", ...).
    public let host: String
    /// The port asked for (0: any free one).
    private let port: UInt16
    private let group: ServiceGroup
    private let state: ServerState

    /// A server answering with `routes` on `host`:`port` (port 0 picks a free one; see
    /// `listeningPort()`). `report` hears warnings: an address other machines can reach (once it
    /// listens there), fewer connections than asked because of the open-file limit, errors while serving.
    public init<Routes: HTTPResponder>(_ routes: Routes, host: String = "127.0.0.1", port: UInt16 = 8080,
                                       limits: ServerLimits = ServerLimits(), access: AccessPolicy = AccessPolicy(),
                                       exposureWarning: @escaping @Sendable (String) -> String? = LocalServer.exposureWarning,
                                       report: (@Sendable (String) -> Void)? = nil) throws(ServerError)
    where Routes.Context == BasicRequestContext {
        self.host = host
        self.port = port
        let address = try Self.bindAddress(host, port: port)
        let state = ServerState()
        let hosts = HostNames(listeningOn: host)
        let connections = ConnectionCount(limit: OpenFileLimit.connectionCap(limits.maxConnections, report: report))
        let logger = Logger(label: "gpt.server") { _ in ReportingLogHandler(report: report, state: state) }
        let application = Application(
            responder: SiteGuard(routes: routes, hosts: hosts, access: access),
            server: HTTPServerBuilder { responder in
                GuardedHTTP1Channel(responder: responder, limits: limits, connections: connections)
            },
            configuration: ApplicationConfiguration(address: address, serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                hosts.listening(on: port)
                state.listening(on: port)
                if let warning = exposureWarning(host) { report?(warning) }
            },
            logger: logger)
        var configuration = ServiceGroupConfiguration(services: [application], logger: logger)
        // Open requests get the grace to finish; then they are cancelled.
        configuration.maximumGracefulShutdownDuration = limits.shutdownGrace
        group = ServiceGroup(configuration: configuration)
        self.state = state
    }

    /// Serves until `stop()` is called or the task is cancelled; throws when it cannot listen.
    public func run() async throws {
        do {
            try await group.run()
        } catch where state.isStopping || error is CancellationError {
            return
        } catch {
            let failure = ServerError.cannotListen(on: host, port: port, error)
            state.failed(failure)
            throw failure
        }
        if !state.isStopping && !Task.isCancelled {
            let failure = ServerError(reason: "the server on \(host) stopped listening by itself", hint: nil)
            state.failed(failure)
            throw failure
        }
    }

    /// The port once the server listens (useful after asking for port 0).
    public func listeningPort(timeout: Duration = .seconds(5)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            switch state.port {
            case .success(let port?): return port
            case .failure(let error): throw error
            case .success(nil): try await Task.sleep(for: .milliseconds(5))
            }
        }
        throw ServerError(reason: "the server on \(host) did not start listening within \(timeout.spoken)", hint: nil)
    }

    /// Stops listening and gives open requests `ServerLimits.shutdownGrace` to finish, then cancels them.
    public func stop() async {
        state.stop()
        await group.triggerGracefulShutdown()
    }

    // MARK: Addresses

    /// An IPv4 or IPv6 address to listen on; "localhost" means 127.0.0.1.
    static func bindAddress(_ host: String, port: UInt16) throws(ServerError) -> BindAddress {
        let ip = host == "localhost" ? "127.0.0.1" : host
        guard (try? SocketAddress(ipAddress: ip, port: Int(port))) != nil else {
            throw ServerError(reason: "'\(host)' is not an IP address to listen on",
                              hint: "give an address such as 127.0.0.1 (this machine only), ::1, or 0.0.0.0 (every network)")
        }
        return .hostname(ip, port: Int(port))
    }

    /// Whether `host` is reachable from this machine only (127.0.0.0/8, ::1, localhost).
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        guard let address = try? SocketAddress(ipAddress: host, port: 0) else { return false }
        switch address {
        case .v4(let v4): return UInt32(bigEndian: v4.address.sin_addr.s_addr) >> 24 == 127
        case .v6(let v6): return withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) == Array(repeating: 0, count: 15) + [1] }
        default: return false
        }
    }

    /// What to tell whoever starts a server on `host` when other machines can reach it.
    public static func exposureWarning(_ host: String) -> String? {
        guard !isLoopback(host) else { return nil }
        let shown = host.contains(":") ? "[\(host)]" : host
        return "warning: listening on \(host) makes the server reachable from other machines, not only this one, "
            + "and it has no login: anyone who can reach it can use it. It answers only requests that name "
            + "127.0.0.1, localhost, [::1] or \(shown) in their Host header, so listen on the address others use "
            + "to reach it, or on 127.0.0.1 to keep it to this machine."
    }
}

/// Why the server could not start, with what to try.
public struct ServerError: Error, CustomStringConvertible {
    public let reason: String
    public let hint: String?
    public var description: String { hint.map { "\(reason)\nHINT: \($0)" } ?? reason }

    /// The error of a failed bind, with the hint its cause calls for.
    static func cannotListen(on host: String, port: UInt16, _ error: Error) -> ServerError {
        guard let code = (error as? IOError)?.errnoCode else {
            return ServerError(reason: "cannot serve on \(host) port \(port): \(error)", hint: nil)
        }
        let reason = "cannot serve on \(host) port \(port): \(String(cString: strerror(code)))"
        switch code {
        case EADDRINUSE: return ServerError(reason: reason, hint: "another server is using the port: try another with --port, or 0 for any free one")
        case EACCES: return ServerError(reason: reason, hint: "ports below 1024 need root: use one such as 8080")
        case EADDRNOTAVAIL: return ServerError(reason: reason, hint: "\(host) is not an address of this machine: try 127.0.0.1")
        default: return ServerError(reason: reason, hint: nil)
        }
    }
}

/// What the server's tasks share: the port once it listens, whether it is stopping, why it failed.
private final class ServerState: Sendable {
    private let value = Mutex<(port: Result<Int?, ServerError>, stopping: Bool)>((.success(nil), false))

    var port: Result<Int?, ServerError> { value.withLock { $0.port } }
    var isStopping: Bool { value.withLock { $0.stopping } }
    func listening(on port: Int) { value.withLock { $0.port = .success(port) } }
    func failed(_ error: ServerError) { value.withLock { $0.port = .failure(error) } }
    func stop() { value.withLock { $0.stopping = true } }
}

/// Passes the server's warnings and errors to `report` until it is stopping (then connections
/// ending is expected); the rest is per-request noise.
private struct ReportingLogHandler: LogHandler {
    let report: (@Sendable (String) -> Void)?
    let state: ServerState
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard let report, !state.isStopping else { return }
        report("\(event.level >= .error ? "error" : "warning"): \(event.message)")
    }
}

extension Duration {
    /// "10 s", "0.5 s": how the server's messages give a time.
    var spoken: String {
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
