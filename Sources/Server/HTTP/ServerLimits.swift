// Every bound the HTTP server puts on its clients, in one place. The server is built from these
// values (LocalServer) and nothing else decides a limit; each one has a loopback test of its own
// in Tests/ServerTests/LimitsTests.swift.

/// How much one client may ask of the server, and for how long. Every field has a default that
/// suits a page and API used from this machine; tests give small values to reach each limit fast.
public struct ServerLimits: Sendable, Equatable {
    /// Connections open at once. One more is answered 503 and closed, so a flood of clients
    /// costs them a refusal and the server nothing it cannot give back. Above 1,000 so that a
    /// thousand idle connections still leave room for real requests; the server also raises its
    /// open-file limit to fit (see `OpenFileLimit`).
    public var maxConnections = 2048
    /// How long a kept-alive connection may wait, after a response, for the first byte of its next
    /// request. Then it is closed without a word, as browsers expect of idle connections.
    public var idleTimeout: Duration = .seconds(30)
    /// How long a request's head (request line and headers) may take to arrive, counted from the
    /// connection's start or from the request's first byte. Then: 408 and the connection closes.
    /// This is what frees a connection that sends half a request and waits.
    public var headerTimeout: Duration = .seconds(10)
    /// How long a request's body may take to arrive once its head has. Then: 408 and close.
    public var bodyTimeout: Duration = .seconds(30)
    /// Largest request head in bytes: the request line and every header name and value together.
    /// Browsers send 1 to 4 KB. A larger head is answered 431 as soon as the limit is passed.
    public var maxHeaderBytes = 16 * 1024
    /// Most header fields in one request head (browsers send about 15). More: 431.
    public var maxHeaderCount = 100
    /// Largest request body in bytes. Larger: 413, before it is read when its length is declared.
    public var maxBodyBytes = 1 << 20
    /// How long a connection that is being closed keeps reading (and dropping) what the client
    /// still sends: the rest of a body answered early (413), or the request of a client refused
    /// with 503. Closing with unread input resets the connection, and the client may lose the answer.
    public var lingerTimeout: Duration = .seconds(2)
    /// How long open requests get to finish once the server is asked to stop; then they are cancelled.
    public var shutdownGrace: Duration = .milliseconds(500)

    public init(maxConnections: Int = 2048, idleTimeout: Duration = .seconds(30), headerTimeout: Duration = .seconds(10),
                bodyTimeout: Duration = .seconds(30), maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100,
                maxBodyBytes: Int = 1 << 20, lingerTimeout: Duration = .seconds(2),
                shutdownGrace: Duration = .milliseconds(500)) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.lingerTimeout = lingerTimeout
        self.shutdownGrace = shutdownGrace
    }

    /// The limits in words, for help texts.
    public var summary: String {
        "\(headerTimeout.spoken) for a request's headers and \(bodyTimeout.spoken) for its body (408 then), "
            + "\(idleTimeout.spoken) idle between requests, headers of at most \(maxHeaderBytes) bytes and "
            + "\(maxHeaderCount) fields (431), a body of at most \(maxBodyBytes) bytes (413), "
            + "\(maxConnections) connections at once (503 past that)"
    }
}
