// Showing the engine's real code: a step names a region of a file under Sources/, marked with
// `// region: name` and `// endregion`, and the lesson prints it as it is on disk today. The file
// must really be under Sources/, symbolic links followed: a link there cannot show another file.
import Foundation
import LessonOutput

enum SourceSteps {
    static let all = [code]

    static let code = StepDefinition(
        id: "code",
        summary: "Shows a marked region (// region: NAME ... // endregion) of a file under Sources/, as it is today.",
        parameters: [
            ParameterSpec("file", .text, default: nil, "path from the package root, as in Sources/Autograd/Backward.swift"),
            ParameterSpec("region", .text, default: nil, "the NAME of a '// region: NAME' marker in the file"),
            ParameterSpec("contains", .text, default: "", "text the region must contain, so the prose cannot drift from the code"),
        ]
    ) { context in
        let region = try CodeRegions.read(file: context.text("file"), region: context.text("region"), context: context)
        let needle = context.text("contains")
        if !needle.isEmpty && !region.lines.contains(where: { $0.contains(needle) }) {
            throw context.error(in: "contains", "region '\(region.region)' of \(region.file) no longer contains '\(needle)'",
                                hint: "the code changed: update the prose around this step and the 'contains' text")
        }
        var report = StepReport()
        report.add(.code(region))
        report.check("lines", region.lines.count)
        return report
    }
}

/// Reads `// region:` blocks from source files.
enum CodeRegions {
    static func read(file: String, region name: String, context: StepContext) throws(LessonError) -> CodeRegion {
        let parts = file.split(separator: "/")
        guard parts.first == "Sources", !parts.contains(".."), !file.hasPrefix("/") else {
            throw context.error(in: "file", "'\(file)' is not a file under Sources/",
                                hint: "name a source file by its path from the package root, as in Sources/Autograd/Backward.swift")
        }
        let path: String
        switch context.state.confined(file, to: ["Sources"]) {
        case .success(let real): path = real
        case .failure(let problem):
            throw context.error(in: "file", "cannot read \(file): \(problem.reason) (looked at \(problem.resolved))",
                                hint: "name a file inside \(problem.allowed), links followed, by its path from the package root "
                                    + "(\(context.state.packageRoot); `gpt lessons` says how it was found, --root DIR sets it)")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw context.error(in: "file", "cannot read \(file) as UTF-8 text (looked at \(path))",
                                hint: "name a Swift source file, as in Sources/Autograd/Backward.swift")
        }
        let lines = ChapterParser.lines(text)
        let regions = regionsIn(lines)
        guard let found = regions.first(where: { $0.name == name }) else {
            throw context.error(in: "region", "\(file) has no region '\(name)'",
                                hint: Suggestions.hint(for: name, among: regions.map(\.name), kind: "region")
                                    + " (mark one with '// region: \(name)' and '// endregion')")
        }
        return CodeRegion(file: file, region: name, firstLine: found.first + 1,
                          lines: dedented(Array(lines[found.first..<found.end])))
    }

    /// Every region: its name and the 0-based range of its lines, markers excluded.
    static func regionsIn(_ lines: [String]) -> [(name: String, first: Int, end: Int)] {
        var found: [(name: String, first: Int, end: Int)] = []
        var open: [(String, Int)] = []
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("// region:") {
                open.append((trimmed.dropFirst("// region:".count).trimmingCharacters(in: .whitespaces), index + 1))
            } else if trimmed == "// endregion", let (name, first) = open.popLast() {
                found.append((name, first, index))
            }
        }
        return found
    }

    /// The lines without the indentation they all share.
    static func dedented(_ lines: [String]) -> [String] {
        let indent = lines.filter { !$0.allSatisfy(\.isWhitespace) }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        return lines.map { $0.allSatisfy(\.isWhitespace) ? "" : String($0.dropFirst(indent)) }
    }
}
