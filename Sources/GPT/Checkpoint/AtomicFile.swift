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

/// Writes files atomically. Used for every file the project writes that a later run reads.
public enum AtomicFile {
    /// Writes `bytes` to `path`, replacing any file there.
    ///
    /// The bytes go to `<path>.tmp-<pid>` in the same directory, which is fsynced and then
    /// renamed over `path`. On failure the temporary file is removed and `path` is untouched.
    ///
    /// - Throws: `CheckpointError` naming the step that failed and the system's reason.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let temporary = "\(path).tmp-\(getpid())"
        do {
            try writeAndSync(bytes, to: temporary, for: path)
            guard rename(temporary, path) == 0 else {
                throw CheckpointError(path: path, reason: "cannot replace the file: \(systemError())",
                                      hint: isDirectory(path) ? "the path names a directory" : nil)
            }
        } catch {
            unlink(temporary)
            throw error
        }
        syncDirectory(of: path)
    }

    /// Writes `text` as UTF-8 to `path`, atomically as `write(_:to:)` does.
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }
}

/// Creates `temporary`, writes all of `bytes` and fsyncs it. Errors name `path`, the file the
/// caller asked for.
private func writeAndSync(_ bytes: [UInt8], to temporary: String, for path: String) throws {
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
        throw CheckpointError(path: path, reason: "cannot create \(temporary): \(systemError())",
                              hint: "check that the directory exists and is writable")
    }
    var failure: String?
    bytes.withUnsafeBytes { buffer in
        var written = 0
        while written < buffer.count {
            let result = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                failure = "cannot write \(temporary): \(systemError())"
                return
            }
            written += result
        }
    }
    if failure == nil, fsync(descriptor) != 0 { failure = "cannot flush \(temporary) to disk: \(systemError())" }
    if close(descriptor) != 0, failure == nil { failure = "cannot close \(temporary): \(systemError())" }
    if let failure {
        throw CheckpointError(path: path, reason: failure, hint: "is the disk full?")
    }
}

/// Makes the rename itself durable. Best effort: some file systems refuse to fsync a directory,
/// and the file is already complete either way.
private func syncDirectory(of path: String) {
    let directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? "."
    let descriptor = open(directory, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    _ = fsync(descriptor)
    _ = close(descriptor)
}

private func isDirectory(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
}

/// The current `errno` as the system describes it.
private func systemError() -> String {
    String(cString: strerror(errno))
}
