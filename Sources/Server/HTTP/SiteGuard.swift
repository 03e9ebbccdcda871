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

/// Who may use a server beyond the Host and Origin checks every server makes. A server that can
/// write files or run code (the notebook) answers only requests that carry a secret token: the
/// address it prints has it in its query, and the first request with it gets it back as a
/// cookie, so the page's own links and scripts need not carry it (as Jupyter does).
public struct AccessPolicy: Sendable, Equatable {
    /// The token requests must carry (nil: no token, as for `gpt serve`).
    public var token: String?
    /// Refuse another site's Origin on every request, reads included, not only on changes.
    public var originOnEveryRequest: Bool

    public init(token: String? = nil, originOnEveryRequest: Bool = false) {
        self.token = token
        self.originOnEveryRequest = originOnEveryRequest
    }

    /// The name of the cookie that carries the token.
    public static let cookieName = "gpt_notebook_token"

    /// A token of 128 random bits, as 32 hex digits.
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}

/// Refuses requests for other hosts, cross-origin requests that change something (or any, as the
/// policy says) and requests without the policy's token, answers errors a route throws as JSON,
/// and adds the security headers to every response.
struct SiteGuard<Routes: HTTPResponder>: HTTPResponder where Routes.Context == BasicRequestContext {
    let routes: Routes
    let hosts: HostNames
    var access = AccessPolicy()

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        var response: Response
        if let refusal = refusal(of: request) {
            response = .json(refusal)
        } else if let token = access.token, let answer = tokenAnswer(to: request, token: token) {
            response = answer
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
        if changes || access.originOnEveryRequest, let origin = request.headers[.origin], !hosts.accepts(origin: origin) {
            return APIError(status: 403, "requests from the page \(origin) are refused: it is not this server's page",
                            hint: "use the page at \(hosts.home), or a client that sends no Origin header (such as curl)")
        }
        return nil
    }
}

extension SiteGuard {
    /// The answer to a request that the token decides, or nil when it may go on to the routes:
    /// a request whose cookie holds the token goes on; one whose query holds it is sent, with the
    /// cookie, to the same address without the token (so it stays out of history and logs);
    /// any other is refused.
    func tokenAnswer(to request: Request, token: String) -> Response? {
        if Self.cookies(request)[AccessPolicy.cookieName].map({ Self.sameSecret($0, token) }) == true { return nil }
        let query = request.uri.queryParameters
        if let given = query.get("token"), Self.sameSecret(given, token) {
            var response = Response(status: .seeOther)
            let rest = query.filter { $0.key != "token" }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
            response.headers[.location] = request.uri.path + (rest.isEmpty ? "" : "?" + rest)
            // HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it.
            response.headers[.setCookie] = "\(AccessPolicy.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict"
            return response
        }
        return .json(APIError(status: 403, "this server answers only requests that carry its token",
                              hint: "open the address the server printed when it started (it ends in ?token=...); "
                                  + "that address is a password for this server, so share it with no one"))
    }

    /// The request's cookies by name.
    static func cookies(_ request: Request) -> [String: String] {
        var cookies: [String: String] = [:]
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                cookies[parts[0].trimmingCharacters(in: .whitespaces)] = String(parts[1]).trimmingCharacters(in: .whitespaces)
            }
        }
        return cookies
    }

    /// Compares two secrets in time that does not depend on where they first differ.
    static func sameSecret(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
