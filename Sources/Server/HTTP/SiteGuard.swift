// The checks every request passes before a route sees it, and the headers every response gets.
// A page on another site must not reach this server through the visitor's browser: its requests
// either name another host (DNS rebinding: evil.example resolved to 127.0.0.1), which is refused
// with 421, or carry that site's Origin on a request that changes something, refused with 403.
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Headers on every response, the routes' and the connection guard's alike.
enum SecurityHeaders {
    static func add(to fields: inout HTTPFields) {
        // A browser reads each response as the type it says, never as what its bytes look like.
        fields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
    }
}

/// The names a request may give in its Host header (and in its Origin): this machine's loopback
/// names and the address the server was asked to listen on, each with the port it listens on.
final class HostNames: Sendable {
    private let names: [String]
    /// Known once the server listens (the port asked for may be 0).
    private let port = Atomic(0)

    init(listeningOn host: String) {
        let given = host.contains(":") ? "[\(host)]" : host
        var names = ["127.0.0.1", "localhost", "[::1]"]
        if !names.contains(given.lowercased()) { names.append(given.lowercased()) }
        self.names = names
    }

    func listening(on port: Int) { self.port.store(port, ordering: .releasing) }

    /// The addresses a browser may use for this server, to show in a hint; the first is `home`.
    var examples: String {
        let port = port.load(ordering: .acquiring)
        return names.map { "http://\($0):\(port)/" }.joined(separator: ", ")
    }

    /// The server's page as `gpt serve` prints it.
    var home: String { "http://127.0.0.1:\(port.load(ordering: .acquiring))/" }

    /// Whether `authority` (a Host header: name and port) names this server.
    func accepts(authority: String) -> Bool {
        let port = port.load(ordering: .acquiring)
        let authority = authority.lowercased()
        // Browsers leave out the port only when it is HTTP's own.
        return names.contains { authority == "\($0):\(port)" || (port == 80 && authority == $0) }
    }

    /// Whether `origin` (an Origin header: "http://name:port") is this server's.
    func accepts(origin: String) -> Bool {
        let origin = origin.lowercased()
        return origin.hasPrefix("http://") && accepts(authority: String(origin.dropFirst("http://".count)))
    }
}

/// Refuses requests for other hosts and cross-origin requests that change something, answers
/// errors a route throws as JSON, and adds the security headers to every response.
struct SiteGuard<Routes: HTTPResponder>: HTTPResponder where Routes.Context == BasicRequestContext {
    let routes: Routes
    let hosts: HostNames

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        var response: Response
        if let refusal = refusal(of: request) {
            response = .json(refusal)
        } else {
            do {
                response = try await routes.respond(to: request, context: context)
            } catch let error as APIError {
                response = .json(error)
            } catch {
                response = .json(APIError(status: 500, "the server failed to answer: \(error)"))
            }
        }
        SecurityHeaders.add(to: &response.headers)
        return response
    }

    /// Why `request` is refused before any route sees it, if it is.
    func refusal(of request: Request) -> APIError? {
        guard let authority = request.head.authority else {
            return APIError(status: 400, "the request has no Host header",
                            hint: "HTTP/1.1 requests name the server they are for, such as Host: 127.0.0.1:8080")
        }
        guard hosts.accepts(authority: authority) else {
            return APIError(status: 421, "this server does not answer requests for the host '\(authority)'",
                            hint: "open it as one of \(hosts.examples); other names are refused so that "
                                + "no other site can reach it through a name of its own (DNS rebinding)")
        }
        let changes = request.method != .get && request.method != .head && request.method != .options
        if changes, let origin = request.headers[.origin], !hosts.accepts(origin: origin) {
            return APIError(status: 403, "requests from the page \(origin) are refused: it is not this server's page",
                            hint: "use the page at \(hosts.home), or a client that sends no Origin header (such as curl)")
        }
        return nil
    }
}
