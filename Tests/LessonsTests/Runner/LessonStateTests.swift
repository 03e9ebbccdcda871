// The files a lesson may read: `step code` only files really under Sources/, `step dataset` only
// files really in the package or its Dataset/, symbolic links followed. Each way out that used to
// work (a link inside Sources/, an absolute path, `..`, a link to a file outside) is refused here
// with the path it led to.
import Foundation
import Testing
@testable import Lessons

@Suite struct LessonStateTests {
    /// A package `root` with a real Sources/ folder, and a folder `outside` beside it; links
    /// inside the package lead out of it.
    struct Layout {
        let root: String
        let outside: String
    }

    static func layout() throws -> Layout {
        let temporary = FileManager.default.temporaryDirectory.path
        let root = temporary + "/files-test-\(UUID().uuidString)", outside = temporary + "/outside-\(UUID().uuidString)"
        let files = FileManager.default
        for folder in [root + "/Lessons", root + "/Sources", root + "/Dataset", outside] {
            try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        try "// swift-tools-version:6.0\n".write(toFile: root + "/Package.swift", atomically: true, encoding: .utf8)
        let region = { (name: String) in "// region: r\nlet \(name) = 1\n// endregion\n" }
        try region("inside").write(toFile: root + "/Sources/Inside.swift", atomically: true, encoding: .utf8)
        try region("secret").write(toFile: outside + "/Secret.swift", atomically: true, encoding: .utf8)
        let lines = (0..<30).map { "service \($0) on web-0\($0 % 10) -> \(["INFO", "WARNING", "ERROR"][$0 % 3])" }.joined(separator: "\n")
        try lines.write(toFile: root + "/data.txt", atomically: true, encoding: .utf8)
        try lines.write(toFile: outside + "/data.txt", atomically: true, encoding: .utf8)
        try files.createSymbolicLink(atPath: root + "/Sources/Link.swift", withDestinationPath: outside + "/Secret.swift")
        try files.createSymbolicLink(atPath: root + "/Sources/Folder", withDestinationPath: outside)
        try files.createSymbolicLink(atPath: root + "/leak.txt", withDestinationPath: outside + "/data.txt")
        return Layout(root: root, outside: outside)
    }

    /// The real path of a file, as the state resolves it (the temporary folder may be a link).
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The one step of a chapter with `fence`, run in `layout`'s package.
    func run(_ fence: String, in layout: Layout) throws -> StepRecord {
        try chapter(fence).write(toFile: layout.root + "/Lessons/01-files.md", atomically: true, encoding: .utf8)
        return try #require(try runLessons(layout.root + "/Lessons").steps.first)
    }

    @Test func codeShowsOnlyFilesReallyUnderSources() throws {
        let layout = try Self.layout()
        let inside = try run("code\nfile: Sources/Inside.swift\nregion: r\ncontains: let inside\n", in: layout)
        #expect(inside.status == .passed, "\(String(describing: inside.error))")
        let secret = try #require(Self.realPath(layout.outside + "/Secret.swift"))
        for file in ["Sources/Link.swift", "Sources/Folder/Secret.swift"] {
            let step = try run("code\nfile: \(file)\nregion: r\n", in: layout)
            let error = try #require(step.error)
            #expect(step.status == .failed && step.outputs.isEmpty)
            #expect(error.location.line == 6 && error.location.column == 7)
            #expect(error.message == "parameter 'file': cannot read \(file): '\(file)' leads outside Sources/ (looked at \(secret))")
            #expect(error.hint?.hasPrefix("name a file inside Sources/ (") == true)
        }
    }

    @Test func datasetReadsOnlyFilesReallyInThePackage() throws {
        let layout = try Self.layout()
        #expect(try run("dataset\npath: data.txt\nexpect lines = 30\n", in: layout).status == .passed)
        let data = try #require(Self.realPath(layout.outside + "/data.txt"))
        let outsideName = (layout.outside as NSString).lastPathComponent
        for path in [layout.outside + "/data.txt", "../\(outsideName)/data.txt", "leak.txt"] {
            let step = try run("dataset\npath: \(path)\n", in: layout)
            let error = try #require(step.error)
            #expect(error.location.line == 6 && error.location.column == 7)
            #expect(error.message == "parameter 'path': '\(path)' leads outside the package folder and Dataset/ (\(data))")
            #expect(error.hint?.contains("a dataset is a file inside the package folder (") == true)
        }
        let missing = try #require(try run("dataset\npath: nothing.txt\n", in: layout).error)
        #expect(missing.message.hasPrefix("parameter 'path': no such file (") && missing.message.hasSuffix("/nothing.txt)"))
    }
}
