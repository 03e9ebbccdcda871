// Mistakes that would pass silently: Markdown that is valid but almost certainly not what the
// author meant. A fence whose info string is a near miss of a step (```stpe, ```Step, ```steps,
// ```swift-run) is shown as code and never run; raw HTML (<details>) is left out of the
// walkthrough and the terminal. Each is a warning at its file:line:column with the fix:
// `gpt check` prints it and passes, `gpt check --strict` fails on it.

import Foundation

enum ChapterWarnings {
    /// The warnings of a parsed document, in file order.
    static func of(_ document: MarkdownNode, file: String) -> [LessonError] {
        var warnings: [LessonError] = []
        var htmlLines: Set<Int> = []  // one warning per line, however many tags it holds
        walk(document, enclosing: (1, 1)) { node, position in
            let here = SourceLocation(file: file, line: position.line, column: position.column)
            switch node.type {
            case "code_block":
                if let warning = nearMissFence(node.fenceInfo, at: here) { warnings.append(warning) }
            case "html_block", "html_inline":
                guard !isComment(node.literal), htmlLines.insert(position.line).inserted else { return }
                warnings.append(LessonError(at: here, "raw HTML (\(VisibleText.line(preview(node.literal)))) is left out of the walkthrough and the terminal",
                                            hint: "write it in Markdown instead; an HTML comment (<!-- ... -->) is fine, as a note to yourself",
                                            severity: .warning))
            default:
                break
            }
        }
        return warnings
    }

    /// What a fence opens with that is close to a fence the parser runs: its first word (or its
    /// first two, for `swift run`) within a small edit distance of one of them, starting with the
    /// same letter, and not one itself.
    static func nearMissFence(_ info: String, at location: SourceLocation) -> LessonError? {
        let words = info.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let first = words.first, !ChapterParser.isStep(info) else { return nil }
        let twoWords = words.count >= 2 ? first + " " + words[1] : first
        let meant: String?
        if Suggestions.distance(first.lowercased(), "swift run") <= 1 || (twoWords != "swift run" && twoWords.lowercased() == "swift run") {
            meant = "swift run"
        } else {
            // Sharing the first letter keeps real languages out: ```tex is as near to `step` as ```stpe.
            meant = Suggestions.closest(to: first, among: ["step"] + ChapterParser.exerciseFences.sorted())
                .first { $0.first == first.lowercased().first }
        }
        guard let meant else { return nil }
        let example = meant == "step" ? "```step " + (words.dropFirst().first ?? "forward") : "```" + meant
        return LessonError(at: location, "this fence opens with '\(VisibleText.line(first))', so it is shown as code and never run",
                           hint: "did you mean \(example)? (the fence's first word must be exactly 'step', 'quiz' or 'exercise', "
                               + "or the first two 'swift run'); give a code block that is not a step another info string, as in ```text",
                           severity: .warning)
    }

    /// Visits every node with the nearest position it has: cmark gives some inline nodes none.
    private static func walk(_ node: MarkdownNode, enclosing: (line: Int, column: Int),
                             _ visit: (MarkdownNode, (line: Int, column: Int)) -> Void) {
        let position = node.start.line > 0 ? node.start : enclosing
        visit(node, position)
        for child in node.children { walk(child, enclosing: position, visit) }
    }

    private static func isComment(_ html: String) -> Bool {
        html.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("<!--")
    }

    /// The start of a tag, enough to find it: "<details>".
    private static func preview(_ html: String) -> String {
        let line = html.trimmingCharacters(in: .whitespacesAndNewlines).prefix { $0 != "\n" && $0 != "\r" }
        return line.count > 40 ? String(line.prefix(40)) + "..." : String(line)
    }
}
