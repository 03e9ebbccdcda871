// Which package a lessons folder belongs to. The package root is where a lesson's paths start:
// `step code` reads its `Sources/`, `step dataset` its `Dataset/`, Swift cells run there. It is
// found on purpose, never guessed from where the lessons happen to be, and every command can say
// which one it uses and why.
import Foundation

/// The folder a lesson's paths are relative to, and how it was chosen.
public struct PackageRoot: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: Reason

    public enum Reason: Sendable, Equatable {
        /// Given with `--root`.
        case given
        /// The nearest package at or above the lessons folder.
        case aboveLessons
        /// The nearest package at or above the current directory (none holds the lessons folder).
        case aboveCurrentDirectory
        /// No package anywhere: the folder above the lessons, so relative paths still mean something.
        case lessonsParent
    }

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    /// "package root: /src/gpt (the package that holds the lessons folder)", for one line on stderr.
    public var description: String {
        let why = switch reason {
        case .given: "given with --root"
        case .aboveLessons: "the package that holds the lessons folder"
        case .aboveCurrentDirectory: "the current directory's package; none holds the lessons folder"
        case .lessonsParent: "no Package.swift with Sources/ and Dataset/ above the lessons folder or here; pass --root DIR"
        }
        return "package root: \(path) (\(why))"
    }

    /// `explicit` when given (it must be a folder); else the nearest package at or above
    /// `lessons`, else at or above `current`, else the folder above `lessons`.
    public static func locate(_ explicit: String? = nil, lessons: String,
                              current: String = FileManager.default.currentDirectoryPath) throws(LessonError) -> PackageRoot {
        if let explicit {
            guard isFolder(explicit) else {
                throw LessonError(at: SourceLocation(file: explicit, line: 1, column: 1), "no folder at '\(explicit)' for --root",
                                  hint: "pass the folder that holds Package.swift, Sources/ and Dataset/")
            }
            return PackageRoot(path: explicit, reason: .given)
        }
        return find(for: lessons, current: current)
    }

    /// The root without `--root`: it cannot fail, so a state made from a lessons folder alone has one.
    static func find(for lessons: String, current: String = FileManager.default.currentDirectoryPath) -> PackageRoot {
        let absolute = absolutePath(lessons, from: current)
        if let found = nearestPackage(from: absolute) {
            // Relative when the lessons folder was, so reports stay "Lessons/..." wherever the package is checked out.
            return PackageRoot(path: relative(found, from: current, like: lessons), reason: .aboveLessons)
        }
        if let found = nearestPackage(from: absolutePath(".", from: current)) {
            return PackageRoot(path: relative(found, from: current, like: lessons), reason: .aboveCurrentDirectory)
        }
        let parent = URL(fileURLWithPath: absolute).deletingLastPathComponent().path
        return PackageRoot(path: relative(parent, from: current, like: lessons), reason: .lessonsParent)
    }

    /// A package root holds Package.swift, Sources/ and Dataset/.
    static func isPackage(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("Package.swift"))
            && isFolder((folder as NSString).appendingPathComponent("Sources"))
            && isFolder((folder as NSString).appendingPathComponent("Dataset"))
    }

    private static func nearestPackage(from start: String) -> String? {
        var folder = start
        while true {
            if isPackage(folder) { return folder }
            let parent = (folder as NSString).deletingLastPathComponent
            if parent == folder || parent.isEmpty { return nil }
            folder = parent
        }
    }

    private static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    private static func absolutePath(_ path: String, from current: String) -> String {
        let joined = path.hasPrefix("/") ? path : (current as NSString).appendingPathComponent(path)
        return (joined as NSString).standardizingPath
    }

    /// `found` as "." or a path below the current directory when `lessons` was given relative.
    private static func relative(_ found: String, from current: String, like lessons: String) -> String {
        guard !lessons.hasPrefix("/") else { return found }
        let here = absolutePath(".", from: current)
        if found == here { return "." }
        return found.hasPrefix(here + "/") ? String(found.dropFirst(here.count + 1)) : found
    }
}
