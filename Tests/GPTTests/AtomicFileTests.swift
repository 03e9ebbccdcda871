import Foundation
@testable import GPT
import Testing

// Whole-file writes: a file is replaced whole or not at all; only a regular file is ever replaced;
// the output is never one of the inputs; the temporary file has an unpredictable name, is created
// exclusively, and is gone after an error or a signal. (The signal itself is sent to the real
// `gpt` in CLITests; here the cleanup it runs is called directly.)

@Suite struct AtomicFileTests {
    let folder = TemporaryFolder()

    private func contents(_ name: String) -> String? {
        FileManager.default.contents(atPath: folder.file(name)).map { String(decoding: $0, as: UTF8.self) }
    }

    private func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    /// What kind of node `name` is, without following a link: S_IFREG, S_IFIFO, S_IFLNK, ...
    private func fileType(_ name: String) -> mode_t? {
        var status = stat()
        return lstat(folder.file(name), &status) == 0 ? status.st_mode & S_IFMT : nil
    }

    @Test func replacesAnExistingFileWhole() throws {
        let path = folder.file("report.txt")
        try AtomicFile.write([UInt8](repeating: UInt8(ascii: "a"), count: 10_000), to: path)
        try AtomicFile.write("short ✓\n", to: path)
        #expect(contents("report.txt") == "short ✓\n")
        #expect(try listing() == ["report.txt"])
    }

    @Test func writingNothingMakesAnEmptyFile() throws {
        try AtomicFile.write([], to: folder.file("empty"))
        #expect(contents("empty") == "")
    }

    @Test func aMissingFolderIsNamed() throws {
        let error = #expect(throws: CheckpointError.self) {
            try AtomicFile.write("x", to: folder.file("missing/report.txt"))
        }
        #expect(error?.reason == "cannot create the file: the folder \(folder.file("missing")) does not exist")
        #expect(error?.hint == "create the folder first, or choose another path")
        #expect(try listing().isEmpty)
    }

    @Test func aDirectoryIsNotReplaced() throws {
        let target = folder.file("taken")
        try FileManager.default.createDirectory(atPath: target + "/inside", withIntermediateDirectories: true)
        let error = #expect(throws: CheckpointError.self) { try AtomicFile.write("x", to: target) }
        #expect(error?.reason.hasPrefix("is a directory; only a regular file is replaced") == true)
        #expect(try listing() == ["taken"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: target) == ["inside"])
    }

    /// A rename over a device node or a named pipe would replace it with a plain file (as root,
    /// /dev/full or /dev/null themselves): refused, and the node stays what it was.
    @Test func aNamedPipeOrADeviceIsNotReplaced() throws {
        let pipe = folder.file("pipe")
        try #require(mkfifo(pipe, 0o600) == 0)
        let error = #expect(throws: CheckpointError.self) { try AtomicFile.write("x", to: pipe) }
        #expect(error?.reason == "is a named pipe (FIFO); only a regular file is replaced, by writing a new file and renaming it")
        #expect(error?.hint == "write to a regular file (one that does not exist yet, or one to replace whole)")
        #expect(fileType("pipe") == S_IFIFO)

        // Through a symbolic link, too.
        try FileManager.default.createSymbolicLink(atPath: folder.file("link"), withDestinationPath: pipe)
        #expect(throws: CheckpointError.self) { try AtomicFile.write("x", to: folder.file("link")) }
        #expect(fileType("pipe") == S_IFIFO)

        // A character device of our own, the same device as /dev/full (1, 7); only root may make one.
        let device = folder.file("full")
        if mknod(device, S_IFCHR | 0o600, dev_t((1 << 8) | 7)) == 0 {
            let error = #expect(throws: CheckpointError.self) { try AtomicFile.write("x", to: device) }
            #expect(error?.reason.hasPrefix("is a character device (such as /dev/null, /dev/full or a terminal)") == true)
            #expect(fileType("full") == S_IFCHR)
        }
        let left = try listing()
        #expect(left.allSatisfy { !$0.hasSuffix(".tmp") }, "\(left)")
    }

    @Test func aSymbolicLinkIsWrittenThroughAndStays() throws {
        let target = folder.file("real.txt")
        try AtomicFile.write("old", to: target)
        try FileManager.default.createSymbolicLink(atPath: folder.file("link.txt"), withDestinationPath: "real.txt")
        try AtomicFile.write("new", to: folder.file("link.txt"))
        #expect(contents("real.txt") == "new")
        #expect(fileType("link.txt") == S_IFLNK)
        #expect(try listing() == ["link.txt", "real.txt"])

        try FileManager.default.createSymbolicLink(atPath: folder.file("dangling"), withDestinationPath: "nowhere")
        let error = #expect(throws: CheckpointError.self) { try AtomicFile.write("x", to: folder.file("dangling")) }
        #expect(error?.reason == "is a symbolic link to nowhere, which does not exist")
    }

    /// Compared by device and inode, so no spelling of the path gets past it.
    @Test func anInputIsNeverTheOutput() throws {
        let data = folder.file("logs.txt")
        try AtomicFile.write("the data", to: data)
        try FileManager.default.linkItem(atPath: data, toPath: folder.file("hard.txt"))
        try FileManager.default.createSymbolicLink(atPath: folder.file("soft.txt"), withDestinationPath: data)
        let inputs = [AtomicFile.Input(data, role: "--data")]
        for output in [data, folder.path + "/./logs.txt", folder.file("hard.txt"), folder.file("soft.txt")] {
            let error = #expect(throws: CheckpointError.self) { try AtomicFile.write("the model", to: output, inputs: inputs) }
            let named = output == data ? "" : " (\(data))"
            #expect(error?.reason == "this is the --data file\(named), which this command reads; writing here would replace it")
            #expect(error?.hint == "choose another output path")
            #expect(throws: CheckpointError.self) { try AtomicFile.checkDestination(output, inputs: inputs) }
        }
        #expect(contents("logs.txt") == "the data")
        try AtomicFile.write("the model", to: folder.file("model"), inputs: inputs)
        #expect(contents("model") == "the model")
    }

    @Test func theTemporaryFileHasARandomNameAndIsCreatedExclusively() throws {
        // The old name was "<path>.tmp-<pid>"; a link planted there once sent the bytes to its target.
        let victim = folder.file("victim")
        try AtomicFile.write("keep me", to: victim)
        let path = folder.file("out.txt")
        try FileManager.default.createSymbolicLink(atPath: "\(path).tmp-\(getpid())", withDestinationPath: victim)

        var seen: [String] = []
        for text in ["one", "two"] {
            try AtomicFile.write(to: path) { output in
                try output.write(text)
                let names = try listing()
                let temporary = names.filter { $0.hasPrefix(".out.txt.") && $0.hasSuffix(".tmp") }
                #expect(temporary.count == 1, "\(names)")
                if let name = temporary.first {
                    seen.append(name)
                    #expect(fileType(name) == S_IFREG)
                }
            }
            #expect(contents("out.txt") == text)
        }
        #expect(seen.count == 2 && seen[0] != seen[1], "\(seen)")
        #expect(contents("victim") == "keep me")
        #expect(try listing() == ["out.txt", "out.txt.tmp-\(getpid())", "victim"])
    }

    @Test func anErrorWhileWritingLeavesTheOldFileAndNoTemporaryFile() throws {
        struct Stop: Error {}
        let path = folder.file("model")
        try AtomicFile.write("old", to: path)
        #expect(throws: Stop.self) {
            try AtomicFile.write(to: path) { output in
                try output.write([UInt8](repeating: 1, count: 200_000))  // more than the buffer: on disk already
                throw Stop()
            }
        }
        #expect(contents("model") == "old")
        #expect(try listing() == ["model"])
    }

    @Test func aReplacedFileKeepsItsPermissions() throws {
        let path = folder.file("private")
        try AtomicFile.write("old", to: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        try AtomicFile.write("new", to: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func largeWritesArriveWhole() throws {
        let path = folder.file("big")
        let pieces = (0..<300).map { [UInt8](repeating: UInt8($0 % 251), count: 1000 + $0) }
        try AtomicFile.write(to: path) { output in
            for piece in pieces { try output.write(piece) }
        }
        #expect(FileManager.default.contents(atPath: path) == Data(pieces.joined()))
    }

    // MARK: Cleanup after a signal

    @Test func theSignalCleanupRemovesExactlyTheRegisteredFiles() throws {
        // A table of its own: the process-wide one belongs to writes other tests may be making.
        let table = TemporaryFileCleanup.Table(slots: 2)
        let paths = ["a.tmp", "b.tmp", "c.tmp"].map(folder.file)
        for path in paths { try AtomicFile.write("x", to: path) }
        let a = try #require(table.register(paths[0]))
        let b = try #require(table.register(paths[1]))
        #expect(table.register(paths[2]) == nil, "only two slots")
        #expect(table.registeredPaths.sorted() == [paths[0], paths[1]])
        table.unregister(a)
        table.removeRegisteredFiles()
        #expect(try listing() == ["a.tmp", "c.tmp"])
        table.unregister(b)
        #expect(table.registeredPaths.isEmpty)
        #expect(table.register(paths[2]) != nil, "a freed slot is used again")
    }

    @Test func aWriteIsRegisteredForCleanupOnlyWhileItRuns() throws {
        let path = folder.file("model")
        try AtomicFile.write(to: path) { _ in
            let registered = TemporaryFileCleanup.shared.registeredPaths.filter { $0.hasPrefix(folder.path) }
            #expect(registered.count == 1)
            #expect(registered.first.map { $0.hasPrefix(folder.path + "/.model.") && $0.hasSuffix(".tmp") } == true)
        }
        #expect(!TemporaryFileCleanup.shared.registeredPaths.contains { $0.hasPrefix(folder.path) })
    }
}
