// A TCP connection to a test server on 127.0.0.1 that sends exactly the bytes it is given: the
// requests no HTTP client sends (half a head, huge headers, a slow body, garbage), and plain ones
// whose every header the test chooses (cookies, Origin). It never blocks a thread: the socket is
// non-blocking and waits are short sleeps, bounded by a deadline. The server and notebook tests share it.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class RawConnection: @unchecked Sendable {  // used by one test task at a time
    private let fd: Int32
    private var unread = Data()

    /// A reply as it came over the wire.
    public struct Reply: Sendable {
        public let status: Int
        public let headers: [String: String]  // names lowercased
        public let body: Data

        public var text: String { String(decoding: body, as: UTF8.self) }

        /// The "error" of a JSON error body.
        public var error: String {
            let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
            return object?["error"] as? String ?? "(no JSON error in \(text))"
        }
    }

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConnectionError(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw ConnectionError(description: "connect to 127.0.0.1:\(port): errno \(code)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(fd) }

    /// Sends `bytes`; false when the server closed the connection first.
    @discardableResult
    public func send(_ bytes: Data, timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        var sent = 0
        while sent < bytes.count && ContinuousClock.now < deadline {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            guard n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return sent == bytes.count
    }

    @discardableResult
    public func send(_ text: String) async -> Bool { await send(Data(text.utf8)) }

    /// Waits for the server to close the connection: whether it did within `timeout`, and what it sent.
    public func waitForClose(timeout: Duration) async -> (closed: Bool, data: Data) {
        let closed = await read(timeout: timeout) { _ in false }
        defer { unread = Data() }
        return (closed, unread)
    }

    /// The next response, or nil when none came complete within `timeout`.
    public func reply(timeout: Duration = .seconds(10)) async -> Reply? {
        _ = await read(timeout: timeout) { Self.parse($0) != nil }
        guard let (reply, length) = Self.parse(unread) else { return nil }
        unread.removeFirst(length)
        return reply
    }

    /// Reads until `text` appears in what came so far, or `timeout` passes; what came, either way
    /// (for a stream that never ends, such as server-sent events).
    public func read(until text: String, timeout: Duration) async -> String {
        let wanted = Data(text.utf8)
        _ = await read(timeout: timeout) { $0.range(of: wanted) != nil }
        return String(decoding: unread, as: UTF8.self)
    }

    /// Reads until `enough` says so or the server closes (true) or `timeout` passes (false).
    private func read(timeout: Duration, until enough: (Data) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !enough(unread) && ContinuousClock.now < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { unread.append(buffer, count: n); continue }
            if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { return true }  // closed, or reset
            try? await Task.sleep(for: .milliseconds(2))
        }
        return false
    }

    /// A whole response at the start of `data` and its length in bytes, if one is there.
    private static func parse(_ data: Data) -> (Reply, Int)? {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: data[data.startIndex..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = head[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = end.upperBound - data.startIndex
        guard data.count >= bodyStart + length else { return nil }
        let body = data.subdata(in: (data.startIndex + bodyStart)..<(data.startIndex + bodyStart + length))
        return (Reply(status: status, headers: headers, body: body), bodyStart + length)
    }
}

public struct ConnectionError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}
