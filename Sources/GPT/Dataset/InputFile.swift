#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Reading what a command is given, once, and cutting it into lines the one way the project does.
//
// A path may name a regular file, but also a named pipe, /dev/stdin or a process substitution
// (`--data <(zcat logs.gz)`): those have no size and can be read only once. So every input is read
// exactly once, start to end, into one buffer that everything later works from; a regular file's
// size only sets the first guess of the buffer's capacity.
//
// `TextLines.stream` is the one exception: `gpt import` reads raw logs of any size in pieces, and
// only the lines of the current piece are in memory.
//
// Lines: LF, CRLF and a lone CR each end a line (old Mac files and some log shippers use a lone CR),
// so a file means the same lines to `gpt train`, `gpt eval` and `gpt classify --file`. The last
// line needs no line ending.

/// Every byte of one file or stream, read once and kept in memory.
public final class InputBytes: @unchecked Sendable {  // never changed after init
    private let base: UnsafeMutablePointer<UInt8>
    public let count: Int

    /// The bytes.
    public var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    private init(base: UnsafeMutablePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    /// A copy of `bytes`.
    public convenience init(copying bytes: some Collection<UInt8>) {
        let base = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, bytes.count))
        _ = UnsafeMutableBufferPointer(start: base, count: bytes.count).initialize(from: bytes)
        self.init(base: base, count: bytes.count)
    }

    deinit { base.deallocate() }

    /// Why an input could not be read, in words.
    public struct Failure: Error, Equatable {
        public enum Kind: Sendable { case missing, directory, tooLarge, other }
        public let kind: Kind
        public let reason: String

        init(_ kind: Kind, _ reason: String) {
            self.kind = kind
            self.reason = reason
        }
    }

    /// Reads all of `path`: a regular file, a named pipe, a device such as /dev/stdin, or "-" for
    /// standard input. At most `limit` bytes: a longer input is an error (so /dev/zero cannot
    /// fill the memory).
    public static func read(path: String, limit: Int = .max) throws(Failure) -> InputBytes {
        if path == "-" { return try read(descriptor: STDIN_FILENO, sizeHint: 0, limit: limit) }
        let (descriptor, size) = try openForReading(path)
        defer { _ = close(descriptor) }
        if size > limit { throw tooLarge(limit) }
        return try read(descriptor: descriptor, sizeHint: size, limit: limit)
    }

    /// Opens `path` (not "-") for reading: its descriptor, which the caller closes, and a regular
    /// file's size (0 for a pipe or a device).
    static func openForReading(_ path: String) throws(Failure) -> (descriptor: Int32, size: Int) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let failure = errno
            if failure == ENOENT { throw Failure(.missing, "no such file") }
            if failure == EACCES { throw Failure(.other, "permission denied: this user may not read it") }
            throw Failure(.other, "cannot open it: \(String(cString: strerror(failure)))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = "cannot look at it: \(systemError())"
            _ = close(descriptor)
            throw Failure(.other, reason)
        }
        guard status.st_mode & S_IFMT != S_IFDIR else {
            _ = close(descriptor)
            throw Failure(.directory, "this is a directory, not a file")
        }
        // Only a regular file's size means anything; a pipe or a device reports 0 or junk.
        return (descriptor, status.st_mode & S_IFMT == S_IFREG ? Int(status.st_size) : 0)
    }

    /// Reads `descriptor` to its end, growing the buffer as needed.
    private static func read(descriptor: Int32, sizeHint: Int, limit: Int) throws(Failure) -> InputBytes {
        // One byte more than a regular file's size, so its end is seen without growing the buffer.
        var capacity = max(sizeHint + 1, 1 << 16)
        var base = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        var count = 0
        while true {
            if count == capacity {
                let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                grown.moveInitialize(from: base, count: count)
                base.deallocate()
                base = grown
                capacity *= 2
            }
            let result = readSome(descriptor, base + count, capacity - count)
            if result == 0 { break }
            if result < 0 {
                if errno == EINTR { continue }
                let reason = "cannot read it: \(systemError())"
                base.deallocate()
                throw Failure(.other, reason)
            }
            count += result
            if count > limit {
                base.deallocate()
                throw tooLarge(limit)
            }
        }
        return InputBytes(base: base, count: count)
    }

    private static func tooLarge(_ limit: Int) -> Failure {
        Failure(.tooLarge, "it is larger than \(limit) bytes, the most this command reads")
    }
}

/// read(2), by a name the methods called `read` above do not hide.
private func readSome(_ descriptor: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

// MARK: - Lines

/// The rule for where lines end, in one place: LF, CRLF and a lone CR.
public enum TextLines {
    /// Calls `body` with the byte range of each line of `bytes` (without its line ending) and its
    /// 1-based number. A UTF-8 byte order mark at the start is skipped.
    static func forEach<E: Error>(in bytes: UnsafeBufferPointer<UInt8>,
                                  _ body: (Range<Int>, Int) throws(E) -> Void) throws(E) {
        _ = try forEach(in: bytes, after: 0, skippingByteOrderMark: true, body)
    }

    /// `forEach(in:_:)` for one piece of a longer input: lines are numbered on from `after`, and
    /// the byte order mark is looked for only when asked (at the start of the input). Returns the
    /// number of the last line.
    private static func forEach<E: Error>(in bytes: UnsafeBufferPointer<UInt8>, after firstNumber: Int,
                                          skippingByteOrderMark: Bool,
                                          _ body: (Range<Int>, Int) throws(E) -> Void) throws(E) -> Int {
        guard let base = bytes.baseAddress else { return firstNumber }
        let end = bytes.count
        var start = skippingByteOrderMark && bytes.starts(with: byteOrderMark) ? byteOrderMark.count : 0
        var number = firstNumber
        var nextLineFeed = -1  // the first LF at or after `start` (or `end`), found again only once passed
        while start < end {
            number += 1
            // memchr for the next LF, then for a CR before it: memchr is far faster than a loop
            // over bytes, and each search covers new bytes only, even in a file of lone CRs.
            if nextLineFeed < start {
                nextLineFeed = memchr(base + start, lineFeed, end - start).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? end
            }
            var lineEnd = nextLineFeed
            var next = lineEnd + 1
            if let cr = memchr(base + start, carriageReturn, lineEnd - start) {
                lineEnd = UnsafeRawPointer(cr) - UnsafeRawPointer(base)
                next = lineEnd + 1 == nextLineFeed ? lineEnd + 2 : lineEnd + 1  // CRLF is one ending
            }
            try body(start..<lineEnd, number)
            start = next
        }
        return number
    }

    /// The number of lines of `bytes`, counted by memchr without reading them, to size arrays once:
    /// one per LF, one per CR that no LF follows, and one for a last line without an ending.
    static func count(in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        var count = 1
        for ending in [lineFeed, carriageReturn] {
            var start = 0
            while start < bytes.count, let found = memchr(base + start, ending, bytes.count - start) {
                let position = UnsafeRawPointer(found) - UnsafeRawPointer(base)
                if ending == lineFeed || position + 1 == bytes.count || base[position + 1] != UInt8(lineFeed) { count += 1 }
                start = position + 1
            }
        }
        return count
    }

    /// The non-blank lines of `path` ("-" for standard input) as text, in order.
    ///
    /// - Throws: `DatasetError` naming the file, and the line when one is not valid UTF-8.
    public static func read(path: String) throws(DatasetError) -> [String] {
        let input: InputBytes
        do {
            input = try InputBytes.read(path: path)
        } catch {
            throw DatasetError(file: path == "-" ? "standard input" : path, line: nil, reason: error.reason, hint: nil)
        }
        var lines: [String] = []
        try forEach(in: input.buffer) { (range, number) throws(DatasetError) in
            let line = UnsafeBufferPointer(rebasing: input.buffer[range])
            guard let text = String(validating: line, as: UTF8.self) else {
                throw DatasetError(file: path == "-" ? "standard input" : path, line: number,
                                   reason: "the line is not valid UTF-8", hint: "save the file as UTF-8 text")
            }
            if !text.allSatisfy(\.isWhitespace) { lines.append(text) }
        }
        return lines
    }

    /// Calls `body` with each line of `path` ("-" for standard input) and its 1-based number,
    /// reading the input in pieces of about `chunkSize` bytes: for inputs too large to hold whole,
    /// which `gpt import` reads once, start to end. The lines are those `forEach(in:_:)` finds in
    /// the same bytes; a line longer than a piece grows the buffer until it ends.
    ///
    /// - Throws: `InputBytes.Failure` when the input cannot be opened or read, or what `body` throws.
    public static func stream(path: String, chunkSize: Int = 1 << 20,
                              _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        let descriptor: Int32
        if path == "-" {
            descriptor = STDIN_FILENO
        } else {
            descriptor = try InputBytes.openForReading(path).descriptor
        }
        defer { if path != "-" { _ = close(descriptor) } }
        var buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(chunkSize, 1))
        defer { buffer.deallocate() }
        var filled = 0, number = 0, atStart = true, ended = false
        while !ended {
            if filled == buffer.count {
                let grown = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: buffer.count * 2)
                _ = grown.initialize(from: buffer)
                buffer.deallocate()
                buffer = grown
            }
            let result = readSome(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            if result < 0 {
                if errno == EINTR { continue }
                throw InputBytes.Failure(.other, "cannot read it: \(systemError())")
            }
            ended = result == 0
            filled += result
            let complete = ended ? filled : completeLinesEnd(UnsafeBufferPointer(rebasing: buffer[..<filled]))
            guard complete > 0 else { continue }
            let piece = UnsafeBufferPointer(rebasing: buffer[..<complete])
            number = try forEach(in: piece, after: number, skippingByteOrderMark: atStart) { range, line in
                try body(UnsafeBufferPointer(rebasing: piece[range]), line)
            }
            atStart = false
            memmove(buffer.baseAddress!, buffer.baseAddress! + complete, filled - complete)  // the unfinished line
            filled -= complete
        }
    }

    /// Where the last whole line of `bytes` ends, after its line ending; 0 when no line is whole
    /// yet. A CR in the last byte does not count: an LF may follow in the next piece (CRLF).
    private static func completeLinesEnd(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let last = bytes.last else { return 0 }
        if last == UInt8(lineFeed) { return bytes.count }
        var index = bytes.count - 2
        while index >= 0 {
            let byte = bytes[index]
            if byte == UInt8(lineFeed) || byte == UInt8(carriageReturn) { return index + 1 }
            index -= 1
        }
        return 0
    }

    private static let lineFeed = Int32(UInt8(ascii: "\n"))
    private static let carriageReturn = Int32(UInt8(ascii: "\r"))
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
}
