// FlyingFox writes a response's head and its body in two writes. With Nagle's algorithm on, the
// body waits until the client acknowledges the head, and clients delay that acknowledgement by up
// to 40 ms, so every answer on a kept-alive connection took 40 ms more than its work. This pool
// turns Nagle off (TCP_NODELAY) on each socket before waiting on it: the listener, and every
// connection before its first request is read, so before its first response.
import FlyingSocks
import Foundation

/// FlyingFox's socket pool, with TCP_NODELAY set on the sockets it waits for.
struct NoDelayPool<Base: AsyncSocketPool>: AsyncSocketPool {
    let base: Base

    func prepare() async throws { try await base.prepare() }

    func run() async throws { try await base.run() }

    func suspendSocket(_ socket: Socket, untilReadyFor events: Socket.Events) async throws {
        // One cheap system call next to the poll it precedes; not a TCP socket (Unix) is fine too.
        try? socket.setValue(true, for: BoolSocketOption(level: Int32(IPPROTO_TCP), name: Int32(TCP_NODELAY)))
        try await base.suspendSocket(socket, untilReadyFor: events)
    }
}
