// Hummingbird's HTTP/1.1 connection, with the server's limits: NIO's parser bounded by the header
// limits, a ConnectionGuard timing every request, and a cap on open connections. A connection
// past the cap is answered 503 and closed at once, so a flood of clients is refused rather than
// left to exhaust the process's open files.
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The child channel of every connection the server accepts.
struct GuardedHTTP1Channel: ServerChildChannel {
    enum Value: ServerChildChannelValue {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case refused(any Channel)

        var channel: any Channel {
            switch self {
            case .http(let http): http.channel
            case .refused(let channel): channel
            }
        }
    }

    private let http1: HTTP1Channel
    private let connections: ConnectionCount
    private let limits: ServerLimits

    init(responder: @escaping HTTPChannelHandler.Responder, limits: ServerLimits, connections: ConnectionCount) {
        let decoder = HTTP1Channel.Configuration.DecoderConfiguration(
            maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes,
            maxHeaderFieldCount: limits.maxHeaderCount)
        // The guard keeps the time, so Hummingbird's own idle timeout stays off.
        http1 = HTTP1Channel(responder: responder,
                             configuration: .init(additionalChannelHandlers: [ConnectionGuard(limits: limits)],
                                                  idleTimeout: nil, httpDecoderConfiguration: decoder))
        self.connections = connections
        self.limits = limits
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard connections.open() else {
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(RefuseConnection(limit: connections.limit,
                                                                                linger: limits.lingerTimeout))
                return .refused(channel)
            }
        }
        channel.closeFuture.whenComplete { [connections] _ in connections.close() }
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(RequestStartObserver())
        }.flatMap {
            http1.setup(channel: channel, logger: logger).map(Value.http)
        }
    }

    func handle(value: Value, logger: Logger) async {
        guard case .http(let http) = value else { return }  // RefuseConnection answers on its own
        await http1.handle(value: http, logger: logger)
    }
}

/// Connections open now, against the most the server takes at once.
final class ConnectionCount: Sendable {
    let limit: Int
    private let count = Atomic(0)

    init(limit: Int) { self.limit = limit }

    /// Counts one more connection, unless that would pass the limit.
    func open() -> Bool {
        if count.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue <= limit { return true }
        count.wrappingSubtract(1, ordering: .acquiringAndReleasing)
        return false
    }

    func close() { count.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
}

/// Answers a connection past the cap with 503 and closes it. Its output ends after the answer;
/// what the client sent is read and dropped until it closes too (or `lingerTimeout` passes), so
/// that closing with unread input does not reset the connection before the client reads the 503.
final class RefuseConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let limit: Int
    private let linger: TimeAmount

    init(limit: Int, linger: Duration) {
        self.limit = limit
        self.linger = TimeAmount(linger)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The end of our own output changes nothing; the client closing its side, or the server
        // stopping, ends the connection.
        if let event = event as? ChannelEvent, event == .outputClosed { return }
        context.close(promise: nil)
    }

    private func answer(_ context: ChannelHandlerContext) {
        let error = APIError(status: 503, "the server is serving \(limit) connections, as many as it takes at once",
                             hint: "try again in a moment; close connections you are not using")
        var fields = error.closingFields
        fields[.retryAfter] = "1"
        var text = "HTTP/1.1 503 Service Unavailable\r\n"
        for field in fields { text += "\(field.name.rawName): \(field.value)\r\n" }
        var buffer = ByteBuffer(string: text + "\r\n")
        buffer.writeBytes(error.json)
        context.writeAndFlush(NIOAny(buffer)).assumeIsolated().whenComplete { _ in
            context.close(mode: .output, promise: nil)
        }
        context.eventLoop.assumeIsolated().scheduleTask(in: linger) { context.close(promise: nil) }
        context.read()
    }
}
