// Where the lessons are: the folder given with --lessons, or the nearest `Lessons/` folder at or
// above the current directory.
import Foundation

/// Finds the lessons folder and describes the step registry for authors.
public enum LessonFolder {
    /// `explicit` when given (it must exist), else the first `Lessons/` at or above `start`.
    public static func locate(_ explicit: String?, from start: String = FileManager.default.currentDirectoryPath) throws(LessonError) -> String {
        var isDirectory: ObjCBool = false
        if let explicit {
            guard FileManager.default.fileExists(atPath: explicit, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw LessonError(at: SourceLocation(file: explicit, line: 1, column: 1), "no lessons folder at '\(explicit)'",
                                  hint: "pass a folder that holds NN-slug.md chapter files")
            }
            return explicit
        }
        let startDirectory = (start as NSString).standardizingPath
        var directory = startDirectory
        while true {
            let candidate = (directory as NSString).appendingPathComponent("Lessons")
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                // Relative when it is right here, so reports say "Lessons/02-backward.md:82:1"
                // wherever the package was checked out.
                return directory == startDirectory ? "Lessons" : candidate
            }
            let parent = (directory as NSString).deletingLastPathComponent
            if parent == directory || parent.isEmpty { break }
            directory = parent
        }
        throw LessonError(at: SourceLocation(file: start, line: 1, column: 1), "no Lessons/ folder here or above",
                          hint: "run from the package folder, or pass --lessons DIR")
    }

    /// Every step with its summary and parameters (type, default), for `gpt steps`.
    public static func catalog(_ registry: StepRegistry = .standard) -> String {
        registry.definitions.map { definition in
            var lines = ["\(definition.id)", "    \(definition.summary)"]
            for parameter in definition.parameters {
                let value = parameter.defaultValue.map { $0.isEmpty ? "default empty" : "default \($0)" } ?? "required"
                lines.append("    \(parameter.name): \(parameter.type.name) (\(value)) - \(parameter.summary)")
            }
            if definition.takesNamedInputs { lines.append("    <name>: number - an input of the expression, one line per name") }
            if !definition.needs.isEmpty {
                lines.append("    uses: the \(definition.needs.map(\.rawValue).joined(separator: ", ")) (built with defaults when no earlier step did)")
            }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n\n")
    }
}
