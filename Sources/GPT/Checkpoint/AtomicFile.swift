#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Whole-file writes that a crash cannot tear: the bytes go to a temporary file beside the target,
// reach the disk (fsync), and only then rename() puts them in place. rename() within one directory
// is atomic in POSIX, so the path holds the old file or the new one, never a partial one.
//
// The path comes from the command line, so it is checked before anything is written:
// - only a regular file is ever replaced: a rename over /dev/full or a named pipe would replace the
//   device node or the pipe with a plain file (as root, /dev/null too);
// - the output is never one of the command's inputs, compared by device and inode, so neither
//   `-o logs.txt --data ./logs.txt` nor a hard link can overwrite the data with the model;
// - a symbolic link is written through: the file it names is replaced, and the link stays.
// The temporary file gets a random name and is created with O_EXCL | O_NOFOLLOW, so a file or a
// link planted at a name we might pick is never opened; and a SIGINT, SIGTERM or SIGHUP during the
// write removes it (TemporaryFileCleanup.swift).

/// Writes files atomically. Used for every file the project writes that a later run reads.
public enum AtomicFile {
    /// A file the command reads, which it must therefore never write.
    public struct Input: Sendable, Equatable {
        public let path: String
        /// How the command knows it, for the message: "--data", "chapter 3".
        public let role: String

        public init(_ path: String, role: String) {
            self.path = path
            self.role = role
        }
    }

    /// Writes `bytes` to `path`, replacing any regular file there.
    ///
    /// The bytes go to a new file with a random name in the same directory, which is fsynced and
    /// then renamed over `path`. On failure the temporary file is removed and `path` is untouched.
    ///
    /// - Throws: `CheckpointError` naming the step that failed and the system's reason, or why
    ///   `path` may not be written (see `checkDestination`).
    public static func write(_ bytes: [UInt8], to path: String, inputs: [Input] = []) throws {
        try write(to: path, inputs: inputs) { output in try output.write(bytes) }
    }

    /// Writes `text` as UTF-8 to `path`, atomically as `write(_:to:inputs:)` does.
    public static func write(_ text: String, to path: String, inputs: [Input] = []) throws {
        try write(Array(text.utf8), to: path, inputs: inputs)
    }

    /// Writes whatever `produce` gives `Output` to `path`, atomically: a file that is made as it is
    /// written need never be held in memory whole. An error thrown by `produce` leaves `path` as
    /// it was and removes the temporary file.
    public static func write(to path: String, inputs: [Input] = [], _ produce: (Output) throws -> Void) throws {
        let destination = try checkDestination(path, inputs: inputs)
        let (descriptor, temporary, cleanup) = try createTemporaryFile(for: destination, requested: path)
        defer { TemporaryFileCleanup.unregister(cleanup) }
        if let mode = destination.existingMode { _ = fchmod(descriptor, mode) }  // a replaced file keeps its permissions
        let output = Output(descriptor: descriptor, name: temporary, requested: path)
        do {
            try produce(output)
            try output.finish()
            // The folder may have changed while we wrote: check again just before the rename.
            let current = try checkDestination(path, inputs: inputs)
            guard rename(temporary, current.path) == 0 else {
                throw CheckpointError(path: path, reason: "cannot replace the file: \(systemError())", hint: nil)
            }
        } catch {
            output.abandon()
            unlink(temporary)
            throw error
        }
        syncDirectory(destination.directory)
    }

    /// Checks that `path` may be written, without writing: it names a regular file or nothing yet,
    /// in a folder that exists, and no input. Commands call it before long work, so a bad `-o`
    /// fails at once rather than after training.
    ///
    /// - Throws: `CheckpointError` saying what `path` is and why it cannot be written.
    @discardableResult
    public static func checkDestination(_ path: String, inputs: [Input] = []) throws -> Destination {
        let destination = try Destination(path)
        if let identity = destination.identity {
            for input in inputs where FileIdentity(path: input.path) == identity {
                let same = input.path == path ? "" : " (\(input.path))"
                throw CheckpointError(path: path, reason: "this is the \(input.role) file\(same), which this command reads; "
                                      + "writing here would replace it",
                                      hint: "choose another output path")
            }
        }
        return destination
    }

    /// The file a write replaces or creates, resolved: symbolic links followed, the folder real.
    public struct Destination: Sendable {
        /// The resolved path that the rename targets.
        public let path: String
        /// Its folder, where the temporary file goes.
        let directory: String
        /// The file there now, if any.
        let identity: FileIdentity?
        /// Its permission bits, kept by the file that replaces it.
        let existingMode: mode_t?

        init(_ path: String) throws {
            func refuse(_ reason: String, _ hint: String? = nil) -> CheckpointError {
                CheckpointError(path: path, reason: reason, hint: hint)
            }
            guard !path.isEmpty else { throw refuse("the output path is empty", "name a file to write") }
            guard !path.hasSuffix("/") else {
                throw refuse("names a folder, not a file", "add a file name after the last '/'")
            }
            var status = stat()
            if lstat(path, &status) != 0 {
                guard errno == ENOENT || errno == ENOTDIR else { throw refuse("cannot look at the path: \(systemError())") }
                // Nothing there yet: the folder must exist; it is resolved so the rename stays in it.
                let (folder, name) = split(path)
                guard let real = realPath(folder) else {
                    let problem = errno == ENOTDIR ? "is not a folder" : "does not exist"
                    throw refuse("cannot create the file: the folder \(folder) \(problem)",
                                 "create the folder first, or choose another path")
                }
                self.path = real + "/" + name
                directory = real
                identity = nil
                existingMode = nil
                return
            }
            if fileType(status) == S_IFLNK {
                let link = readLink(path) ?? "?"
                guard stat(path, &status) == 0 else {
                    throw refuse("is a symbolic link to \(link), which does not exist",
                                 "remove the link, or write to another path")
                }
            }
            guard fileType(status) == S_IFREG else {
                throw refuse("\(describeFileType(status)); only a regular file is replaced, by writing a new file and renaming it",
                             "write to a regular file (one that does not exist yet, or one to replace whole)")
            }
            guard let real = realPath(path) else { throw refuse("cannot resolve the path: \(systemError())") }
            self.path = real
            directory = split(real).folder
            identity = FileIdentity(status)
            existingMode = status.st_mode & 0o777  // read, write and execute bits; never set-user-ID
        }
    }

    /// Buffered output to the temporary file of a write in progress.
    public final class Output {
        /// Nil once the file is closed.
        private var descriptor: Int32?
        /// The temporary file's path, and the path the caller asked for (named in errors).
        private let name: String, requested: String
        private var buffer: [UInt8] = []
        private static let flushSize = 1 << 16

        init(descriptor: Int32, name: String, requested: String) {
            self.descriptor = descriptor
            self.name = name
            self.requested = requested
            buffer.reserveCapacity(Self.flushSize)
        }

        public func write(_ bytes: [UInt8]) throws {
            if buffer.count + bytes.count > Self.flushSize { try flush() }
            if bytes.count >= Self.flushSize {
                try bytes.withUnsafeBytes { try writeAll($0) }
            } else {
                buffer.append(contentsOf: bytes)
            }
        }

        public func write(_ text: String) throws {
            try write(Array(text.utf8))
        }

        private func flush() throws {
            try buffer.withUnsafeBytes { try writeAll($0) }
            buffer.removeAll(keepingCapacity: true)
        }

        private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
            guard let descriptor else { throw failure("\(name) is already closed") }
            if let problem = writeFully(descriptor, bytes) { throw failure("cannot write \(name): \(problem)") }
        }

        /// Writes what is buffered, waits for the disk (fsync) and closes the file.
        func finish() throws {
            try flush()
            guard let descriptor else { return }
            guard fsync(descriptor) == 0 else { throw failure("cannot flush \(name) to disk: \(systemError())") }
            self.descriptor = nil
            guard close(descriptor) == 0 else { throw failure("cannot close \(name): \(systemError())") }
        }

        /// Closes the file if it is still open, after a failure.
        func abandon() {
            if let descriptor { _ = close(descriptor) }
            descriptor = nil
        }

        private func failure(_ reason: String) -> CheckpointError {
            CheckpointError(path: requested, reason: reason, hint: "is the disk full?")
        }
    }
}

/// Which file a path names: its device and inode, the same for every path that reaches it
/// (relative or absolute, through symbolic links or hard links).
struct FileIdentity: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64

    init(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }

    /// The identity of the file `path` reaches, or nil when there is none.
    init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        self.init(status)
    }
}

/// Creates a new, empty file with a random name beside `destination` and opens it for writing.
/// O_EXCL | O_NOFOLLOW: whatever already has the name, a file or a symbolic link, is never opened.
/// The name is registered for cleanup before the file exists, so no signal can come between.
private func createTemporaryFile(for destination: AtomicFile.Destination, requested: String) throws
    -> (descriptor: Int32, path: String, cleanup: Int?) {
    let name = split(destination.path).name
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<100 {
        let suffix = String(generator.next() & 0xFFFF_FFFF_FFFF, radix: 16)
        let path = destination.directory + "/." + name + "." + suffix + ".tmp"
        let cleanup = TemporaryFileCleanup.register(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if descriptor >= 0 { return (descriptor, path, cleanup) }
        let failure = errno
        TemporaryFileCleanup.unregister(cleanup)
        errno = failure
        if errno != EEXIST {
            throw CheckpointError(path: requested, reason: "cannot create a temporary file in \(destination.directory): \(systemError())",
                                  hint: "check that the folder is writable")
        }
    }
    throw CheckpointError(path: requested, reason: "cannot create a temporary file in \(destination.directory): "
                          + "100 random names were all taken", hint: nil)
}

/// Writes all of `bytes` to `descriptor`, retrying after a signal; the system's reason when it cannot.
func writeFully(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> String? {
    var written = 0
    while written < bytes.count {
        let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
        if result < 0 {
            if errno == EINTR { continue }
            return systemError()
        }
        written += result
    }
    return nil
}

/// Makes the rename itself durable. Best effort: some file systems refuse to fsync a directory,
/// and the file is already complete either way.
private func syncDirectory(_ directory: String) {
    let descriptor = open(directory, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    _ = fsync(descriptor)
    _ = close(descriptor)
}

/// The folder and the name of a path: "a/b/c" is ("a/b", "c"), "c" is (".", "c"), "/c" is ("/", "c").
private func split(_ path: String) -> (folder: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let folder = String(path[..<slash])
    return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
}

private func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}

private func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink(path, &buffer, buffer.count - 1)
    guard count >= 0 else { return nil }
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func fileType(_ status: stat) -> mode_t {
    status.st_mode & S_IFMT
}

/// What a path that is not a regular file is, in words.
func describeFileType(_ status: stat) -> String {
    switch fileType(status) {
    case S_IFDIR: "is a directory"
    case S_IFCHR: "is a character device (such as /dev/null, /dev/full or a terminal)"
    case S_IFBLK: "is a block device (a disk)"
    case S_IFIFO: "is a named pipe (FIFO)"
    case S_IFSOCK: "is a socket"
    default: "is not a regular file"
    }
}

/// The current `errno` as the system describes it.
func systemError() -> String {
    String(cString: strerror(errno))
}
