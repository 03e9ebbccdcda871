// Writes a chapter back as lesson-format Markdown, the inverse of ChapterParser: the parser reads
// what it writes back as the same prose and the same steps (ids, parameters in order,
// expectations), or the writer throws and writes nothing. A step left as it was keeps its text
// from the original file (comments, spacing, `+-`, `0.50`), and so do the blank lines between
// steps, which the parser's segments do not hold, so an unedited chapter comes back byte for byte.
//
// What cannot come back byte for byte, and why: the parser keeps no line-break style (prose holds
// LF), so a file whose line breaks are mixed comes back with its first kind everywhere; and a step
// whose fence is never closed (it runs to the end of the file) is written again with a closing
// fence, as its text could not be followed by anything else.
import Foundation
import LessonOutput

/// Turns a chapter's segments back into the text of a chapter file.
public enum ChapterWriter {
    /// The lesson-format text of `segments`, in order, which `ChapterParser.parse` reads back as
    /// ``normalized(_:)`` of them: the same prose and the same steps, locations aside.
    ///
    /// A step equal to one of `original`'s steps in id, parameters, expectations and code is written
    /// as it was there; other steps are written as `key: value` and `expect name = value ± tolerance`
    /// lines in a ```` ```step ```` fence, and a Swift cell as its code in a ```` ```swift run ````
    /// fence. Line breaks are those of `original` (its first one), LF without it. `original` is the
    /// text the chapter was read from, when there is one; text that is not a chapter is ignored.
    ///
    /// - Throws: ``ChapterWriteError`` naming the segment, the step and the parameter, when the
    ///   parser would read anything back differently.
    public static func write(_ segments: [Chapter.Segment], original: String? = nil) throws(ChapterWriteError) -> String {
        let lineBreak = original.map(firstLineBreak) ?? "\n"
        var originals = original.flatMap(OriginalChapter.init)
        var lines: [String] = []
        var starts: [Int] = []  // the line each segment starts at, to place the parser's errors
        if case .step? = segments.first, let leading = originals?.leadingBlankLines { lines += leading }
        for (index, segment) in segments.enumerated() {
            starts.append(lines.count + 1)
            switch segment {
            case .prose(let text):
                try checkProse(text, at: index, in: segments)
                lines += text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            case .step(let step):
                var written = (lines: [String](), blankLinesAfter: [String]?.none)
                if let kept = originals?.take(step) { written = kept } else { written.lines = try fence(step, at: index) }
                lines += written.lines
                if index + 1 == segments.count || !isProse(segments[index + 1]) {
                    lines += written.blankLinesAfter ?? [""]  // a blank line between steps, a line break at the end
                }
            }
        }
        let text = lines.joined(separator: lineBreak)
        try verify(text, writes: segments, startingAt: starts)
        return text
    }

    /// What the parser reads back from ``write(_:original:)``'s text: `segments` with each run of
    /// consecutive prose joined into one, by a line break (the text between two steps is one segment).
    public static func normalized(_ segments: [Chapter.Segment]) -> [Chapter.Segment] {
        joiningProse(segments).segments
    }

    // MARK: Steps

    /// The canonical fence of `step`: its id, then one line per parameter and per expectation.
    private static func fence(_ step: StepInvocation, at index: Int) throws(ChapterWriteError) -> [String] {
        // A step read with errors is written only as the chapter had it: a fresh fence would drop the lines it could not read.
        if let unread = step.parseErrors.first {
            throw ChapterWriteError(segment: index, step: step.id, "the step has a line that could not be read, and writing it would drop it: \(unread.message)",
                                    hint: "fix \(unread.location) in the chapter file first")
        }
        if step.code != nil || step.id == ChapterParser.swiftCellID { return try swiftFence(step, at: index) }
        try checkID(step, at: index)
        // Exercises are written as their own fences (```quiz), as teachers write them.
        var lines = [ChapterParser.exerciseFences.contains(step.id) ? "```" + step.id : "```step " + step.id]
        var seen: Set<String> = []
        for parameter in step.parameters {
            try checkParameter(parameter, of: step, at: index)
            guard seen.insert(parameter.name).inserted else {
                throw ChapterWriteError(segment: index, step: step.id, name: parameter.name,
                                        "parameter '\(parameter.name)' is given twice",
                                        hint: "keep one '\(parameter.name): ...' line")
            }
            lines.append(parameter.value.isEmpty ? parameter.name + ":" : parameter.name + ": " + parameter.value)
        }
        for expectation in step.expectations {
            lines.append(try expectationLine(expectation, of: step, at: index))
        }
        return lines + ["```"]
    }

    /// A Swift cell: ```swift run, its code's lines as they are, and a closing fence. A fence ends
    /// at a line of as many backticks or more, so when a line of the code starts with backticks
    /// the fence is one backtick longer than the longest such run.
    private static func swiftFence(_ step: StepInvocation, at index: Int) throws(ChapterWriteError) -> [String] {
        let id = ChapterParser.swiftCellID
        guard step.id == id, let code = step.code else {
            throw ChapterWriteError(segment: index, step: step.id,
                                    step.id == id ? "the Swift cell has no code" : "the step '\(step.id)' holds Swift code, which only a Swift cell can",
                                    hint: "a Swift cell is a ```swift run fence with its code inside")
        }
        guard step.parameters.isEmpty, step.expectations.isEmpty else {
            let name = step.parameters.first?.name ?? step.expectations.first?.name
            throw ChapterWriteError(segment: index, step: id, name: name,
                                    "a Swift cell has no 'key: value' parameters or 'expect' lines: its fence holds only code",
                                    hint: "state a check inside the code, as in expect(\"grad.a\", a.grad, equals: 0.5, within: 1e-9)")
        }
        if code.unicodeScalars.contains("\r") {
            throw ChapterWriteError(segment: index, step: id, "the Swift cell's code holds a carriage return (\\r), which the chapter reads as a line break of its own",
                                    hint: "end its lines with a line feed (\\n) alone")
        }
        if code.unicodeScalars.contains("\0") {
            throw ChapterWriteError(segment: index, step: id, "the Swift cell's code holds a NUL character, which Markdown reads as U+FFFD",
                                    hint: "remove the NUL character")
        }
        let lines = code.isEmpty ? [] : code.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let longest = lines.map { $0.drop { $0 == " " || $0 == "\t" }.prefix { $0 == "`" }.count }.max() ?? 0
        let marks = String(repeating: "`", count: max(3, longest + 1))
        return [marks + "swift run"] + lines + [marks]
    }

    /// An id is the second word of the fence's info string: one word, no backtick (it would end the
    /// info string), no backslash or '&' (Markdown reads escapes and entities there).
    private static func checkID(_ step: StepInvocation, at index: Int) throws(ChapterWriteError) {
        let hint = "step ids are single words, as in 'forward' or 'train-classifier'; `gpt steps` lists them"
        guard !step.id.isEmpty else {
            throw ChapterWriteError(segment: index, step: step.id, "the step has no id", hint: hint)
        }
        let unwritable = step.id.unicodeScalars.first { scalar in
            scalar.properties.isWhitespace || scalar.properties.generalCategory == .control || "`\\&".unicodeScalars.contains(scalar)
        }
        if let unwritable {
            throw ChapterWriteError(segment: index, step: step.id,
                                    "the step id '\(step.id)' holds \(describe(unwritable)), which cannot stand in a step fence",
                                    hint: hint)
        }
    }

    private static func checkParameter(_ parameter: Parameter, of step: StepInvocation, at index: Int) throws(ChapterWriteError) {
        let name = parameter.name
        guard ChapterParser.isParameterName(name) else {
            throw ChapterWriteError(segment: index, step: step.id, name: name, "'\(name)' is not a parameter name",
                                    hint: "parameter names are letters, digits, '_' and '-', as in 'n_embd: 24'")
        }
        try checkOneLine(parameter.value, "the value of parameter '\(name)'", of: step, name: name, at: index)
        guard parameter.value.trimmingCharacters(in: .whitespaces) == parameter.value else {
            throw ChapterWriteError(segment: index, step: step.id, name: name,
                                    "the value of parameter '\(name)' begins or ends with a space, "
                                        + "and the chapter reads values without the spaces at their ends",
                                    hint: "remove the spaces before and after '\(parameter.value.trimmingCharacters(in: .whitespaces))'")
        }
    }

    /// "expect name = value": the parser's own reading decides whether a text needs quotes, and
    /// proves that the line reads back as `expectation`.
    private static func expectationLine(_ expectation: Expectation, of step: StepInvocation, at index: Int) throws(ChapterWriteError) -> String {
        let name = expectation.name
        try checkOneLine(name, "the expectation name '\(name)'", of: step, name: name, at: index)
        guard !name.isEmpty, !name.contains(where: \.isWhitespace), !name.contains("=") else {
            throw ChapterWriteError(segment: index, step: step.id, name: name,
                                    "'\(name)' cannot be the name of an expectation: a name is one word without '='",
                                    hint: "expect a value the step reports; `gpt run --json` lists them under values")
        }
        let candidates: [String]
        switch expectation.expected {
        case .number(let value, let tolerance):
            guard tolerance >= 0 else {
                throw ChapterWriteError(segment: index, step: step.id, name: name,
                                        "the tolerance of expectation '\(name)' is \(number(tolerance)); a tolerance is a number, 0 or more",
                                        hint: "write a tolerance such as 1e-9, or 0 for an exact value")
            }
            candidates = [tolerance == 0 ? number(value) : number(value) + " ± " + number(tolerance)]
        case .text(let text):
            try checkOneLine(text, "the expected text of '\(name)'", of: step, name: name, at: index)
            guard !text.contains("±"), !text.contains("+-") else {
                throw ChapterWriteError(segment: index, step: step.id, name: name,
                                        "the expected text of '\(name)' holds '±' or '+-', which the chapter reads as a number and its tolerance",
                                        hint: "expect a text without '±' and '+-'")
            }
            candidates = [text, "\"" + text + "\""]
        }
        for candidate in candidates {
            let line = "expect \(name) = \(candidate)"
            if let back = try? ChapterParser.expectation(line, at: .nowhere, step: step.id),
               back.name == name, sameExpected(back.expected, expectation.expected) { return line }
        }
        throw ChapterWriteError(segment: index, step: step.id, name: name,
                                "expectation '\(name)' cannot be written so that it reads back the same",
                                hint: "expect a number, or a text of one line")
    }

    /// The shortest text that reads back as `x` (Swift's description), without a trailing ".0" or
    /// zeros in front of an exponent, as the chapters write numbers: 21, 0.5, 1e-9, 1e+20, inf.
    /// Every NaN is "nan": its payload would be written "snan(0x...)", which no parser reads.
    static func number(_ x: Double) -> String {
        guard !x.isNaN else { return "nan" }
        var text = "\(x)"
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text.replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+0", with: "e+")
    }

    /// A line of a step ends at a line break, and Markdown reads a NUL as U+FFFD.
    private static func checkOneLine(_ text: String, _ what: String, of step: StepInvocation, name: String, at index: Int) throws(ChapterWriteError) {
        if text.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) {
            throw ChapterWriteError(segment: index, step: step.id, name: name,
                                    "\(what) holds a line break, and each line of a step is a parameter or an expectation of its own",
                                    hint: "join it into one line")
        }
        if text.unicodeScalars.contains("\0") {
            throw ChapterWriteError(segment: index, step: step.id, name: name,
                                    "\(what) holds a NUL character, which Markdown reads as U+FFFD", hint: "remove the NUL character")
        }
    }

    // MARK: Prose

    private static func checkProse(_ text: String, at index: Int, in segments: [Chapter.Segment]) throws(ChapterWriteError) {
        if text.allSatisfy(\.isWhitespace) {
            throw ChapterWriteError(segment: index, "\(proseName(at: index, in: segments)) is empty (only spaces and line breaks), "
                                        + "and the chapter does not keep empty prose",
                                    hint: "remove the empty prose, or write something in it")
        }
        if text.unicodeScalars.contains("\r") {
            throw ChapterWriteError(segment: index, "\(proseName(at: index, in: segments)) holds a carriage return (\\r), "
                                        + "which the chapter reads as a line break of its own",
                                    hint: "end its lines with a line feed (\\n) alone")
        }
    }

    /// "the prose before step 'forward'": a learner finds prose by the step next to it.
    private static func proseName(at index: Int, in segments: [Chapter.Segment]) -> String {
        if let next = segments[(index + 1)...].lazy.compactMap(stepID).first { return "the prose before step '\(next)'" }
        if let previous = segments[..<index].reversed().lazy.compactMap(stepID).first { return "the prose after step '\(previous)'" }
        return "the prose"
    }

    // MARK: Reading back

    /// Parses `text` as the parser will and throws at the first segment it reads differently from
    /// `segments`: whatever the checks above missed, such as prose that holds a step fence or
    /// leaves a code fence open and so swallows the next step.
    private static func verify(_ text: String, writes segments: [Chapter.Segment], startingAt starts: [Int]) throws(ChapterWriteError) {
        func unreadable(_ error: LessonError) -> ChapterWriteError {
            let index = starts.lastIndex { $0 <= error.location.line } ?? 0
            let step = segments.indices.contains(index) ? stepID(segments[index]) : nil
            return ChapterWriteError(segment: index, step: step, "the chapter would not read back: \(error.message)", hint: error.hint)
        }
        let back: Chapter
        do {
            back = try ChapterParser.parse(text, file: "", number: 0, slug: "")
        } catch {
            throw unreadable(error)
        }
        // The parser reads past a broken step; an error the segments did not already carry (a
        // step kept as the chapter had it keeps its own) is one this text would add.
        let carried = Set(segments.flatMap { segment -> [String] in
            if case .step(let step) = segment { step.parseErrors.map(\.message) } else { [] }
        })
        let added = back.diagnostics.filter { $0.severity == .error } + back.steps.flatMap(\.parseErrors)
        if let new = added.first(where: { !carried.contains($0.message) }) { throw unreadable(new) }
        let (expected, firstIndex) = joiningProse(segments)
        let differs = { (i: Int) in i >= back.segments.count || !sameSegment(back.segments[i], expected[i]) }
        // More segments read back than written, all written ones equal: the last one made them.
        guard let mismatch = expected.indices.first(where: differs)
                ?? (back.segments.count > expected.count ? expected.count - 1 : nil) else { return }
        let index = firstIndex[mismatch]
        guard case .step(let step) = segments[index] else {
            let name = proseName(at: index, in: segments)
            if back.steps.count > expected.filter({ stepID($0) != nil }).count {
                throw ChapterWriteError(segment: index, "\(name) holds a ```step fence, which would run as a step",
                                        hint: "give the step a cell of its own; to show a fence as code, give it another info string, such as ```text")
            }
            throw ChapterWriteError(segment: index, "\(name) does not end where it should: it opens a block that runs on into "
                                        + "what follows (a ``` or ~~~ fence left open, or an HTML block with no blank line after it)",
                                    hint: "close every code fence in the prose, and end an HTML block with a blank line")
        }
        throw ChapterWriteError(segment: index, step: step.id, "the step would read back differently, as it stands in the chapter",
                                hint: "check the prose before it: an open code fence or HTML block there runs into the step")
    }

    /// Consecutive prose joined, and for each resulting segment the index of the first it came from.
    private static func joiningProse(_ segments: [Chapter.Segment]) -> (segments: [Chapter.Segment], firstIndex: [Int]) {
        var joined: [Chapter.Segment] = []
        var firstIndex: [Int] = []
        for (index, segment) in segments.enumerated() {
            if case .prose(let next) = segment, case .prose(let previous)? = joined.last {
                joined[joined.count - 1] = .prose(previous + "\n" + next)
            } else {
                joined.append(segment)
                firstIndex.append(index)
            }
        }
        return (joined, firstIndex)
    }

    /// Equal as the parser reads them: locations aside, and a NaN expected equal to a NaN.
    private static func sameSegment(_ a: Chapter.Segment, _ b: Chapter.Segment) -> Bool {
        switch (a, b) {
        case (.prose(let x), .prose(let y)): x == y
        case (.step(let x), .step(let y)): sameStep(x, y)
        default: false
        }
    }

    private static func sameStep(_ a: StepInvocation, _ b: StepInvocation) -> Bool {
        a.id == b.id && a.code == b.code
            && a.parameters.map(\.name) == b.parameters.map(\.name) && a.parameters.map(\.value) == b.parameters.map(\.value)
            && a.expectations.count == b.expectations.count
            && zip(a.expectations, b.expectations).allSatisfy { $0.name == $1.name && sameExpected($0.expected, $1.expected) }
    }

    private static func sameExpected(_ a: ExpectedValue, _ b: ExpectedValue) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        switch (a, b) {
        case (.number(let x, let s), .number(let y, let t)): return same(x, y) && same(s, t)
        case (.text(let x), .text(let y)): return x == y
        default: return false
        }
    }

    // MARK: The original text

    /// The first line break of `text`, LF when it has none.
    private static func firstLineBreak(_ text: String) -> String {
        guard let index = text.utf8.firstIndex(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) else { return "\n" }
        guard text.utf8[index] == UInt8(ascii: "\r") else { return "\n" }
        let next = text.utf8.index(after: index)
        return next != text.utf8.endIndex && text.utf8[next] == UInt8(ascii: "\n") ? "\r\n" : "\r"
    }

    /// The chapter a notebook was opened on, cut into the exact lines of each step's fence and the
    /// blank lines around steps, which the parser's segments do not keep.
    private struct OriginalChapter {
        struct Step {
            var step: StepInvocation
            var lines: [String]
            /// The blank lines after the fence, when a step or the end of the file came next; nil
            /// when prose did (the prose holds its own blank lines).
            var blankLinesAfter: [String]?
        }
        var steps: [Step] = []
        var used: [Bool] = []
        /// The blank lines before the first segment, when it is a step.
        var leadingBlankLines: [String]?

        /// Where each segment starts follows from the steps' fence lines and the prose's line
        /// counts; a fence ends at the last line before the next segment that is not blank.
        init?(_ text: String) {
            guard let chapter = try? ChapterParser.parse(text, file: "", number: 0, slug: "") else { return nil }
            let lines = ChapterParser.lines(text), segments = chapter.segments
            var starts = [Int](repeating: 0, count: segments.count)
            for index in segments.indices.reversed() {
                switch segments[index] {
                case .step(let step): starts[index] = step.location.line
                case .prose(let prose):
                    let end = index + 1 < segments.count ? starts[index + 1] - 1 : lines.count
                    starts[index] = end - prose.utf8.count { $0 == UInt8(ascii: "\n") }
                }
            }
            for (index, segment) in segments.enumerated() {
                guard case .step(let step) = segment else { continue }
                let next = index + 1 < segments.count ? starts[index + 1] : lines.count + 1
                let region = lines[(starts[index] - 1)..<(next - 1)]
                let last = region.lastIndex { !$0.allSatisfy(\.isWhitespace) } ?? region.startIndex
                let fence = Array(region[...last])
                guard ChapterWriter.isClosed(fence) else { continue }  // written again, closed
                let followedByProse = index + 1 < segments.count && isProse(segments[index + 1])
                steps.append(Step(step: step, lines: fence, blankLinesAfter: followedByProse ? nil : Array(region[(last + 1)...])))
            }
            used = steps.map { _ in false }
            if case .step(let first)? = segments.first { leadingBlankLines = Array(lines[..<(first.location.line - 1)]) }
        }

        /// The original text of a step equal to `step`: the first not yet written, in file order.
        mutating func take(_ step: StepInvocation) -> (lines: [String], blankLinesAfter: [String]?)? {
            let equal = steps.indices.filter { ChapterWriter.sameStep(steps[$0].step, step) }
            guard let index = equal.first(where: { !used[$0] }) ?? equal.first else { return nil }
            used[index] = true
            return (steps[index].lines, steps[index].blankLinesAfter)
        }
    }

    /// Whether a fence's last line closes it: as many backticks or tildes as it opened with, or
    /// more, indented at most three spaces, and nothing after them.
    private static func isClosed(_ fence: [String]) -> Bool {
        guard fence.count >= 2, let open = fenceRun(fence[0]), let close = fenceRun(fence[fence.count - 1]) else { return false }
        return close.mark == open.mark && close.length >= open.length && close.rest.allSatisfy { $0 == " " || $0 == "\t" }
    }

    private static func fenceRun(_ line: String) -> (mark: Character, length: Int, rest: Substring)? {
        let body = line.drop { $0 == " " }
        guard line.count - body.count <= 3, let mark = body.first, mark == "`" || mark == "~" else { return nil }
        let length = body.prefix { $0 == mark }.count
        return length >= 3 ? (mark, length, body.dropFirst(length)) : nil
    }

    // MARK: Small things

    private static func isProse(_ segment: Chapter.Segment) -> Bool { stepID(segment) == nil }

    private static func stepID(_ segment: Chapter.Segment) -> String? {
        if case .step(let step) = segment { step.id } else { nil }
    }

    /// "a line break", "a space", "U+0007": a character a learner cannot see, named.
    private static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n", "\r": "a line break"
        case " ": "a space"
        case "\t": "a tab"
        case "`": "a backtick"
        case "\\": "a backslash"
        case "&": "'&'"
        default: "the character U+" + String(scalar.value, radix: 16, uppercase: true)
        }
    }
}

/// A chapter that cannot be written so that it reads back the same: which segment, which step and
/// which parameter or expectation, what is wrong, and a hint.
public struct ChapterWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The index of the segment in those given to the writer.
    public var segment: Int
    /// The id of the step, when the segment is one.
    public var step: String?
    /// The parameter or expectation, when the problem is in one.
    public var name: String?
    public var message: String
    public var hint: String?

    public init(segment: Int, step: String? = nil, name: String? = nil, _ message: String, hint: String? = nil) {
        self.segment = segment
        self.step = step
        self.name = name
        self.message = message
        self.hint = hint
    }

    /// "cannot save the chapter: in step 'x': message", then "HINT: ..." on its own line, control
    /// characters written out.
    public var description: String {
        let inStep = step.map { "in step '\($0)': " } ?? ""
        return VisibleText.lines("cannot save the chapter: \(inStep)\(message)" + (hint.map { "\nHINT: \($0)" } ?? ""))
    }
}
