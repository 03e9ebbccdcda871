// Reads chapter files. cmark-gfm finds the headings and the fenced blocks with their positions;
// this file turns `step` fences into invocations, line by line, keeping a column for every key,
// value and expectation so every later error can point at the exact spot. A line it cannot read
// is recorded on its step and the parsing goes on, so one check reports every problem of a
// chapter, as a compiler does; only a chapter with no heading or nested too deep stops here.
// Lines end where cmark ends them (LF, CRLF or CR), so its line numbers and ours agree; parsing
// is linear in the size of the chapter, whatever it holds.
import Foundation
import LessonOutput

/// Finds and parses the chapters of a lessons folder.
public enum ChapterParser {
    /// The chapter files of `directory`, sorted by their number; two files with one number are an error.
    static func chapterFiles(in directory: String) throws(LessonError) -> [(path: String, number: Int, slug: String)] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw LessonError(at: SourceLocation(file: directory, line: 1, column: 1), "cannot list the lessons folder",
                              hint: "pass the folder that holds the NN-slug.md chapters with --lessons DIR")
        }
        var found: [(path: String, number: Int, slug: String)] = []
        for name in names.sorted() {
            guard let (number, slug) = chapterName(name) else { continue }
            let path = (directory as NSString).appendingPathComponent(name)
            if let clash = found.first(where: { $0.number == number }) {
                throw LessonError(at: SourceLocation(file: path, line: 1, column: 1),
                                  "chapter number \(number) is also used by \(clash.path)",
                                  hint: "give every chapter its own NN prefix")
            }
            found.append((path, number, slug))
        }
        return found.sorted { $0.number < $1.number }
    }

    /// ("01-values.md") -> (1, "values"); nil for names that are not chapters, such as README.md.
    static func chapterName(_ name: String) -> (Int, String)? {
        guard name.hasSuffix(".md") else { return nil }
        let stem = name.dropLast(3)
        guard let dash = stem.firstIndex(of: "-"), let number = Int(stem[..<dash]),
              stem[..<dash].allSatisfy(\.isNumber) else { return nil }
        let slug = String(stem[stem.index(after: dash)...])
        return slug.isEmpty ? nil : (number, slug)
    }

    /// Parses the text of one chapter.
    public static func parse(_ text: String, file: String, number: Int, slug: String) throws(LessonError) -> Chapter {
        let document: MarkdownNode
        do {
            document = try CMark.parse(text)
        } catch {
            throw LessonError(at: SourceLocation(file: file, line: error.line, column: error.column),
                              "the Markdown here nests more than \(CMark.maximumDepth) levels deep",
                              hint: "quotes, lists, emphasis and links may nest at most \(CMark.maximumDepth) levels "
                                  + "(each is a level); write the prose flatter")
        }
        let lines = lines(text)
        guard let title = firstHeading(document) else {
            throw LessonError(at: SourceLocation(file: file, line: 1, column: 1), "the chapter has no heading",
                              hint: "start the chapter with its title, as in '# Values and operations'")
        }
        var segments: [Chapter.Segment] = []
        var nextProseLine = 1
        for block in document.children where block.type == "code_block" && isStep(block.fenceInfo) {
            appendProse(lines, from: nextProseLine, to: block.start.line - 1, into: &segments)
            segments.append(.step(step(block, lines: lines, file: file)))
            nextProseLine = block.end.line + 1
        }
        appendProse(lines, from: nextProseLine, to: lines.count, into: &segments)
        var chapter = Chapter(number: number, slug: slug, title: title, file: file, segments: segments)
        chapter.diagnostics = (nestedSteps(document.children, file: file) + ChapterWarnings.of(document, file: file))
            .sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
        return chapter
    }

    /// Whether a fence with this info string is run: ```step ID, ```quiz, ```exercise, ```swift run.
    static func isStep(_ info: String) -> Bool {
        let words = info.split(separator: " ", omittingEmptySubsequences: true)
        return words.first == "step" || words.first.map { exerciseFences.contains(String($0)) } == true || isSwiftCell(words)
    }

    /// ```swift run opens a Swift cell; a plain ```swift block is code to read, and is not run.
    private static func isSwiftCell(_ words: [Substring]) -> Bool { words.count >= 2 && words[0] == "swift" && words[1] == "run" }

    /// The id of the step every Swift cell is.
    public static let swiftCellID = "swift"

    /// Fences that are steps of their own name: ```quiz and ```exercise are ```step quiz and
    /// ```step exercise, written the way a teacher thinks of them.
    public static let exerciseFences: Set<String> = ["quiz", "exercise"]

    /// The text of the first heading, its control characters written out: a title is shown
    /// wherever the chapter is listed.
    private static func firstHeading(_ node: MarkdownNode) -> String? {
        if node.type == "heading" { return VisibleText.line(node.plainText.trimmingCharacters(in: .whitespaces)) }
        for child in node.children {
            if let found = firstHeading(child) { return found }
        }
        return nil
    }

    /// A step inside a list or quote would be shown as code and never run: an error at each.
    private static func nestedSteps(_ blocks: [MarkdownNode], file: String) -> [LessonError] {
        blocks.flatMap { block in
            let container = block.type == "item" ? "list" : block.type.replacingOccurrences(of: "_", with: " ")
            return steps(in: block.children, container: container, file: file)
        }
    }

    private static func steps(in nodes: [MarkdownNode], container: String, file: String) -> [LessonError] {
        nodes.flatMap { node in
            let here = node.type == "code_block" && isStep(node.fenceInfo)
                ? [LessonError(at: SourceLocation(file: file, line: node.start.line, column: node.start.column),
                               "a step fence inside a \(container) is not run",
                               hint: "write ```step fences at the top level of the chapter, not indented in a list or quote")]
                : []
            return here + steps(in: node.children, container: container, file: file)
        }
    }

    private static func appendProse(_ lines: [String], from first: Int, to last: Int, into segments: inout [Chapter.Segment]) {
        guard first >= 1, first <= min(last, lines.count) else { return }
        let text = lines[(first - 1)..<min(last, lines.count)].joined(separator: "\n")
        if !text.allSatisfy(\.isWhitespace) { segments.append(.prose(text)) }
    }

    // MARK: The body of a step

    /// The invocation of one `step` fence. Columns come from the file's own lines, so they are
    /// right even when the fence is indented. What cannot be read is kept in its `parseErrors`.
    private static func step(_ block: MarkdownNode, lines: [String], file: String) -> StepInvocation {
        let fenceLine = block.start.line
        let fence = fenceLine >= 1 && fenceLine <= lines.count ? lines[fenceLine - 1] : ""
        let location = SourceLocation(file: file, line: fenceLine, column: block.start.column)
        var words = block.fenceInfo.split(separator: " ", omittingEmptySubsequences: true)
        if isSwiftCell(words) { return swiftCell(block, words: words, lines: lines, file: file) }
        let exerciseFence = words.first.map { exerciseFences.contains(String($0)) } == true
        if exerciseFence { words.insert("step", at: 0) }
        guard words.count >= 2 else {
            var nameless = StepInvocation(id: "", location: location, idLocation: location, parameters: [], expectations: [])
            nameless.parseErrors = [LessonError(at: location, "the step fence names no step",
                                                hint: "write the step's id after 'step', as in ```step forward; `gpt steps` lists them")]
            return nameless
        }
        let id = String(words[1])
        let idColumn = (exerciseFence ? column(of: id, in: fence) : column(of: id, in: fence, after: "step")) ?? block.start.column
        var invocation = StepInvocation(id: id, location: location,
                                        idLocation: SourceLocation(file: file, line: fenceLine, column: idColumn),
                                        parameters: [], expectations: [])
        if words.count > 2 {
            invocation.parseErrors.append(LessonError(at: location, step: id, "unexpected text after the step id in the fence",
                                                      hint: "write parameters on their own lines inside the block, as 'key: value'"))
        }
        var bodyLines = Self.lines(block.literal)
        if bodyLines.last == "" { bodyLines.removeLast() }  // the line break that ends the last line
        // Where each name was first given: a dictionary, so a step of n lines parses in O(n).
        var given: [String: SourceLocation] = [:]
        for (offset, raw) in bodyLines.enumerated() {
            let lineNumber = fenceLine + 1 + offset
            let source = lineNumber <= lines.count ? lines[lineNumber - 1] : raw
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let startColumn = column(of: trimmed, in: source) ?? 1
            let here = SourceLocation(file: file, line: lineNumber, column: startColumn)
            do throws(LessonError) {
                if trimmed.hasPrefix("expect ") || trimmed == "expect" {
                    invocation.expectations.append(try expectation(trimmed, at: here, step: id))
                } else {
                    let parameter = try parameter(trimmed, at: here, step: id)
                    if let first = given.updateValue(here, forKey: parameter.name) {
                        throw LessonError(at: here, step: id, "parameter '\(parameter.name)' is given twice",
                                          hint: "keep one '\(parameter.name): ...' line (the other is at line \(first.line))")
                    }
                    invocation.parameters.append(parameter)
                }
            } catch {
                invocation.parseErrors.append(error)
            }
        }
        return invocation
    }

    /// A ```swift run fence: its code is the file's own lines, indentation and all, so that the
    /// compiler's columns are the file's columns.
    private static func swiftCell(_ block: MarkdownNode, words: [Substring], lines: [String], file: String) -> StepInvocation {
        let fenceLine = block.start.line
        let location = SourceLocation(file: file, line: fenceLine, column: block.start.column)
        var bodyLines = Self.lines(block.literal)
        if bodyLines.last == "" { bodyLines.removeLast() }
        let code = bodyLines.indices.map { offset in
            let lineNumber = fenceLine + 1 + offset
            return lineNumber <= lines.count ? lines[lineNumber - 1] : bodyLines[offset]
        }
        var invocation = StepInvocation(id: swiftCellID, location: location, idLocation: location, parameters: [], expectations: [])
        invocation.code = code.joined(separator: "\n")
        if words.count != 2 {
            invocation.parseErrors = [LessonError(at: location, step: swiftCellID, "unexpected text after 'swift run' in the fence",
                                                  hint: "a Swift cell's fence is just ```swift run; its code goes inside the block")]
        }
        return invocation
    }

    /// "key: value" with the positions of both parts.
    private static func parameter(_ line: String, at location: SourceLocation, step: String) throws(LessonError) -> Parameter {
        guard let colon = line.firstIndex(of: ":") else {
            throw LessonError(at: location, step: step, "expected 'key: value' or 'expect name = value', found '\(line)'",
                              hint: "parameters are 'key: value' lines; checks are 'expect name = value' lines")
        }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces)
        guard isParameterName(name) else {
            throw LessonError(at: location, step: step, "'\(line[..<colon])' is not a parameter name",
                              hint: "parameter names are letters, digits, '_' and '-', as in 'n_embd: 24'")
        }
        let afterColon = line[line.index(after: colon)...]
        let leading = afterColon.prefix { $0 == " " || $0 == "\t" }.count
        let value = afterColon.trimmingCharacters(in: .whitespaces)
        let valueColumn = location.column + line.distance(from: line.startIndex, to: colon) + 1 + leading
        var valueLocation = location
        valueLocation.column = valueColumn
        return Parameter(name: name, value: value, location: location, valueLocation: valueLocation)
    }

    /// Letters, digits, '_' and '-': what may stand before the colon of a `key: value` line.
    static func isParameterName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
    }

    /// "expect name = value", "expect name = value ± tolerance" or "... +- tolerance".
    static func expectation(_ line: String, at location: SourceLocation, step: String) throws(LessonError) -> Expectation {
        let body = line.dropFirst("expect".count)
        guard let equals = body.firstIndex(of: "=") else {
            throw LessonError(at: location, step: step, "an expectation needs '=' between the name and the value",
                              hint: "write 'expect out = 0.7071 ± 0.0001' or 'expect label = ERROR'")
        }
        let name = body[..<equals].trimmingCharacters(in: .whitespaces)
        let rest = body[body.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, !name.contains(" ") else {
            throw LessonError(at: location, step: step, "the expectation names no single value",
                              hint: "write 'expect <name> = <value>'; a step's reported names appear in `gpt run --json`")
        }
        guard !rest.isEmpty else {
            throw LessonError(at: location, step: step, "expectation '\(name)' has no value after '='",
                              hint: "write 'expect \(name) = <value>'")
        }
        try rejectLookalikeOperators(rest, in: line, at: location, name: name, step: step)
        return Expectation(name: name, expected: try expectedValue(rest, at: location, step: step), location: location)
    }

    /// `expect out == 6` and `expect out = 6 +/- 0.1` would read as the text "= 6" and
    /// "6 +/- 0.1", which no number equals: an error at the operator instead. Quoted text is text.
    private static func rejectLookalikeOperators(_ value: String, in line: String, at location: SourceLocation,
                                                 name: String, step: String) throws(LessonError) {
        guard !(value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"")) else { return }
        func at(_ mark: String) -> SourceLocation {
            var here = location
            if let range = line.range(of: mark) { here.column += line.distance(from: line.startIndex, to: range.lowerBound) }
            return here
        }
        let written = value.dropFirst().trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("=") {
            throw LessonError(at: at("=="), step: step, "an expectation takes one '=', not '=='",
                              hint: "write 'expect \(name) = \(written)'; to expect text that starts with '=', quote it: "
                                  + "'expect \(name) = \"=\(written)\"'")
        }
        if let range = value.range(of: "+/-") {
            let number = value[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            let tolerance = value[range.upperBound...].trimmingCharacters(in: .whitespaces)
            throw LessonError(at: at("+/-"), step: step, "'+/-' is not a tolerance: this would expect the text '\(value)'",
                              hint: "write 'expect \(name) = \(number) ± \(tolerance)' (or '+-' for '±')")
        }
    }

    private static func expectedValue(_ text: String, at location: SourceLocation, step: String) throws(LessonError) -> ExpectedValue {
        for marker in ["±", "+-"] {
            guard let range = text.range(of: marker) else { continue }
            let valueText = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            let toleranceText = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
            guard let value = Double(valueText), let tolerance = Double(toleranceText), tolerance >= 0 else {
                throw LessonError(at: location, step: step, "'\(text)' is not 'number ± tolerance'",
                                  hint: "both sides must be numbers and the tolerance not negative, as in '0.7071 ± 1e-4'")
            }
            return .number(value, tolerance: tolerance)
        }
        if let value = Double(text) { return .number(value, tolerance: 0) }
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { return .text(String(text.dropFirst().dropLast())) }
        return .text(text)
    }

    /// The lines of `text`, ended as cmark ends them: by LF, CRLF or a lone CR. The last line
    /// is empty when the text ends with a line break.
    static func lines(_ text: String) -> [String] {
        var lines: [String] = []
        let bytes = text.utf8
        var start = bytes.startIndex, index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else {
                index = bytes.index(after: index)
                continue
            }
            lines.append(String(text[start..<index]))
            index = bytes.index(after: index)
            if byte == UInt8(ascii: "\r"), index != bytes.endIndex, bytes[index] == UInt8(ascii: "\n") {
                index = bytes.index(after: index)
            }
            start = index
        }
        lines.append(String(text[start..<bytes.endIndex]))
        return lines
    }

    /// 1-based column where `needle` starts in `line` (after `prefix`, when given).
    private static func column(of needle: String, in line: String, after prefix: String? = nil) -> Int? {
        var searchStart = line.startIndex
        if let prefix, let found = line.range(of: prefix) { searchStart = found.upperBound }
        guard let range = line.range(of: needle, range: searchStart..<line.endIndex) else { return nil }
        return line.distance(from: line.startIndex, to: range.lowerBound) + 1
    }
}
