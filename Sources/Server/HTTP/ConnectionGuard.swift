// The deadlines and refusals of one connection, below the routes. A request's head must arrive
// within `headerTimeout` and its body within `bodyTimeout`; a kept-alive connection may wait
// `idleTimeout` for its next request; a head NIO's parser refuses (malformed, or past the header
// limits) is answered 400 or 431 instead of the connection just dropping. Every refusal is the
// server's JSON error, and closes the connection.
//
// Pipeline of a connection (GuardedHTTP1Channel builds it):
//   RequestStartObserver (bytes) -> NIO's HTTP/1.1 decoder and encoder -> HTTP types codec ->
//   ConnectionGuard (request and response parts) -> Hummingbird's connection state -> the routes
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// What a route's body read throws when the body did not arrive within `bodyTimeout`.
struct RequestBodyTimeout: Error {
    let limit: String
}

/// Times each request of one connection and answers the requests that never become one.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Where the connection is in reading its current request.
    private enum Reading {
        case waiting  // for the first byte of a request
        case head     // some bytes came; the head is not complete
        case body     // the head came; the body has not ended
        case broken   // refused or timed out: nothing more is read
    }

    private let limits: ServerLimits
    private var context: ChannelHandlerContext?
    private var reading = Reading.waiting
    /// When the current phase began: the connection's start, a request's first byte, its head,
    /// or the end of the last response (the client is not timed while the server owes it one).
    private var since = NIODeadline.now()
    private var requestsRead = 0
    private var responsesWritten = 0
    private var responding = false
    private var closeAfterResponse = false
    private var timer: Scheduled<Void>?

    init(limits: ServerLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        schedule()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    // MARK: Reading

    /// Bytes came in (RequestStartObserver sees them before the parser does).
    func bytesArrived() {
        guard reading == .waiting else { return }
        reading = .head
        since = .now()
        schedule()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            guard reading != .broken else { return }
            reading = .body
            since = .now()
            schedule()
        case .body:
            guard reading != .broken else { return }
        case .end:
            guard reading != .broken else { return }
            requestsRead += 1
            reading = .waiting
            since = .now()
            schedule()
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard error is HTTPParserError || error is HTTP1TypeConversionError else {
            return context.fireErrorCaught(error)
        }
        if reading == .broken {
            return  // already answered, or timed out
        } else if reading == .body {
            // A broken body (a bad chunk): the route reading it answers 400.
            reading = .broken
            closeAfterResponse = true
            context.fireErrorCaught(error)
        } else if owesResponse {
            context.close(promise: nil)
        } else {
            refuse(Self.refusal(for: error, limits: limits))
        }
    }

    // MARK: Writing

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            // "100 Continue" and the like come before the response proper.
            guard head.status.kind != .informational else { return context.write(data, promise: promise) }
            responding = true
            // Answered before its request was read to the end (a 413, a 404 with a body): the rest
            // of the body would have to be read and thrown away, so the connection ends instead.
            if requestsRead <= responsesWritten { closeAfterResponse = true }
            if closeAfterResponse { head.headerFields[.connection] = "close" }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            responding = false
            responsesWritten += 1
            since = .now()
            guard closeAfterResponse else {
                schedule()
                return context.write(data, promise: promise)
            }
            let stillSending = reading == .head || reading == .body
            finish(context, writing: data, promise: promise, linger: stillSending)
        }
    }

    /// Writes `last`, the end of a response, and ends the connection. A client that may still be
    /// sending (a body answered early, a head refused part way) first gets the end of our output
    /// and `lingerTimeout` to stop and read the answer: closing with unread input resets the
    /// connection, and the client may lose the answer.
    private func finish(_ context: ChannelHandlerContext, writing last: NIOAny, promise: EventLoopPromise<Void>?, linger: Bool) {
        reading = .broken
        timer?.cancel()
        let lingerTime = TimeAmount(limits.lingerTimeout)
        context.writeAndFlush(last).assumeIsolated().whenComplete { result in
            promise?.completeWith(result)
            guard linger else { return context.close(promise: nil) }
            context.close(mode: .output, promise: nil)
            context.eventLoop.assumeIsolated().scheduleTask(in: lingerTime) { context.close(promise: nil) }
        }
    }

    // MARK: Deadlines

    /// Whether the server is working on or writing a response: the client is not timed then.
    private var owesResponse: Bool { responding || requestsRead > responsesWritten }

    /// When the current phase runs out, if it can.
    private var deadline: NIODeadline? {
        guard !owesResponse else { return nil }
        switch reading {
        case .waiting: return since + TimeAmount(responsesWritten == 0 ? limits.headerTimeout : limits.idleTimeout)
        case .head: return since + TimeAmount(limits.headerTimeout)
        case .body: return since + TimeAmount(limits.bodyTimeout)
        case .broken: return nil
        }
    }

    private func schedule() {
        timer?.cancel()
        timer = nil
        guard let context, let deadline else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in timedOut() }
    }

    private func timedOut() {
        guard let context, let deadline, deadline <= .now() else { return schedule() }
        switch reading {
        case .waiting:
            // Idle, or never sent a byte: nobody is waiting for an answer.
            context.close(promise: nil)
        case .head:
            refuse(APIError(status: 408, "the request's head did not arrive within \(limits.headerTimeout.spoken)",
                            hint: "send the request line and headers at once"))
        case .body:
            // The route is reading the body: its read fails, and it answers 408.
            reading = .broken
            closeAfterResponse = true
            context.fireErrorCaught(RequestBodyTimeout(limit: limits.bodyTimeout.spoken))
        case .broken:
            break
        }
    }

    // MARK: Refusing

    /// Answers `error` in place of a request the routes will never see, then closes.
    private func refuse(_ error: APIError) {
        guard let context else { return }
        reading = .broken
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .init(error.status), headerFields: error.closingFields))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: error.json))), promise: nil)
        finish(context, writing: wrapOutboundOut(.end(nil)), promise: nil, linger: true)
    }

    /// The answer to a head the parser refused.
    static func refusal(for error: Error, limits: ServerLimits) -> APIError {
        if let parse = error as? HTTPParserError, parse == .headerOverflow {
            return APIError(status: 431, "the request's head is larger than \(limits.maxHeaderBytes) bytes "
                            + "or has more than \(limits.maxHeaderCount) header fields",
                            hint: "send fewer or shorter headers (cookies count too)")
        }
        return APIError(status: 400, "the request is not valid HTTP/1.1 (\(error))",
                        hint: #"send a request such as "GET / HTTP/1.1" with a Host header"#)
    }
}

/// Tells the connection's guard when bytes arrive, before the parser reads them, so that a request
/// whose head comes slowly is timed from its first byte.
final class RequestStartObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Found on the first read: the guard is added to the pipeline after this handler.
    private var connection: ConnectionGuard?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if connection == nil { connection = try? context.pipeline.syncOperations.handler(type: ConnectionGuard.self) }
        connection?.bytesArrived()
        context.fireChannelRead(data)
    }
}
