// `gpt check --update`: snapshot testing for chapters. A failed expectation gets the value the
// step observed, written into the chapter in place of the one it had, so a teacher never copies
// numbers out of a run by hand. Only the value's characters change: the `expect` keyword, the
// name, the spacing, the `±` or `+-` and the tolerance stay as written, and every other byte of
// the file, line breaks included, is left alone; a chapter whose expectations all pass is not
// written at all. A number is written to the digits its tolerance needs (`NumberFormat.shown`),
// an exact one in full, and the new text is read back to prove that the expectation now holds.
// A Swift cell's `expect(..., equals: LITERAL, ...)` has its literal replaced the same way when
// the literal stands on the call's own line; any other failed check is left as it is and named,
// with its file:line:column, for the teacher to edit. Exercise answers are the step's own checks
// (the teacher's answer against the engine's), not expectations, so they are never rewritten.
import Foundation
import GPT
import LessonOutput

/// What `gpt check --update` does to one chapter file.
public struct ExpectationUpdate: Sendable, Equatable {
    /// The chapter file.
    public var file: String
    /// The file's text after the update; equal to `original` when nothing changed.
    public var text: String
    public var original: String
    /// The lines it rewrote, in file order.
    public var changes: [Change]
    /// Failed checks it could not rewrite, each with why: a teacher edits them by hand.
    public var byHand: [ByHand]

    /// One rewritten line.
    public struct Change: Sendable, Equatable {
        /// The check's place: the `expect` word of the line or of the Swift call.
        public var location: SourceLocation
        public var name: String
        /// The value as written before and after, as they appear in the file.
        public var before: String
        public var after: String
    }

    /// A failed check left as it was.
    public struct ByHand: Sendable, Equatable {
        public var location: SourceLocation
        public var name: String
        public var reason: String
    }

    public var changed: Bool { text != original }
}

/// What `gpt check --update` did after a run: the files it rewrote, and which failures are gone.
public struct AppliedUpdate: Sendable {
    public var updates: [ExpectationUpdate]

    /// Every rewritten check, every one left for the teacher, and a diff per file; then a line
    /// that counts them.
    public var description: String {
        let changes = updates.map(\.changes.count).reduce(0, +)
        let files = updates.filter(\.changed).count
        let byHand = updates.map(\.byHand.count).reduce(0, +)
        let parts = updates.map(ExpectationUpdater.describe).filter { !$0.isEmpty }
        var last = changes == 0 ? "no expectation updated" : "updated \(changes) expectation\(changes == 1 ? "" : "s") in \(files) file\(files == 1 ? "" : "s")"
        if byHand > 0 { last += "; \(byHand) to edit by hand" }
        return (parts + [last]).joined(separator: "\n")
    }

    /// The errors of `step` that remain after the update: all but those of the checks it rewrote.
    public func remaining(_ step: StepRecord) -> [LessonError] {
        let fixed = updates.flatMap { $0.changes.map(\.location) }
        return step.errors.filter { !fixed.contains($0.location) }
    }

    /// True when the update leaves no step of `record` failing or skipped.
    public func fixesEverything(_ record: RunRecord) -> Bool {
        record.chapters.allSatisfy { chapter in chapter.error == nil && !chapter.diagnostics.contains { $0.severity == .error } }
            && record.steps.allSatisfy { $0.status == .passed || ($0.status == .failed && !$0.errors.isEmpty && remaining($0).isEmpty) }
    }
}

/// Rewrites the failed expectations of a run's chapters with the values the run observed.
public enum ExpectationUpdater {
    /// Plans, writes and describes the update of every chapter of `record` (`gpt check --update`).
    public static func apply(_ record: RunRecord) throws(LessonError) -> AppliedUpdate {
        let updates = plan(record)
        do {
            try write(updates)
        } catch let error as LessonError {
            throw error
        } catch {
            let file = updates.first(where: \.changed)?.file ?? record.lessons
            throw LessonError(at: SourceLocation(file: file, line: 1, column: 1), "cannot update the chapter: \(error)")
        }
        return AppliedUpdate(updates: updates)
    }

    /// The update of every chapter of `record` that has a failed expectation or Swift cell check,
    /// read from the chapter files as they are now. Nothing is written.
    public static func plan(_ record: RunRecord) -> [ExpectationUpdate] {
        record.chapters.compactMap { chapter in
            let failed = failedChecks(chapter)
            guard !failed.isEmpty else { return nil }
            guard let text = try? String(contentsOfFile: chapter.file, encoding: .utf8) else {
                return ExpectationUpdate(file: chapter.file, text: "", original: "", changes: [], byHand: failed.map {
                    .init(location: $0.check.location, name: $0.check.name, reason: "the chapter file cannot be read as UTF-8 text")
                })
            }
            return plan(chapter.file, text: text, failed: failed)
        }
    }

    /// Writes every update that changes its file, atomically (a crash leaves the old file or the
    /// new one, never half of each). A file another program changed since the run is not written.
    public static func write(_ updates: [ExpectationUpdate]) throws {
        for update in updates where update.changed {
            let now = try? String(contentsOfFile: update.file, encoding: .utf8)
            guard now == update.original else {
                throw LessonError(at: SourceLocation(file: update.file, line: 1, column: 1),
                                  "the chapter changed while it was being checked; it was not updated",
                                  hint: "run `gpt check --update` again")
            }
            try AtomicFile.write(update.text, to: update.file)
        }
    }

    /// The failed checks `--update` may rewrite: a chapter's `expect` lines and a Swift cell's
    /// `expect(...)` calls (never a step's check of itself, such as an exercise's answer), each
    /// with its step.
    static func failedChecks(_ chapter: ChapterRecord) -> [(check: CheckRecord, step: StepRecord)] {
        chapter.steps.flatMap { step in
            step.checks.filter { !$0.passed && $0.kind == .expectation && $0.location.file == chapter.file }.map { ($0, step) }
        }
    }

    // MARK: One file

    static func plan(_ file: String, text: String, failed: [(check: CheckRecord, step: StepRecord)]) -> ExpectationUpdate {
        var lines = FileLines(text)
        var changes: [ExpectationUpdate.Change] = []
        var byHand: [ExpectationUpdate.ByHand] = []
        // Right to left within a line, so that an edit leaves the columns of the checks before it.
        for (check, step) in failed.sorted(by: { ($0.check.location.line, $1.check.location.column) < ($1.check.location.line, $0.check.location.column) }) {
            let location = check.location
            guard let actual = check.actual else {
                byHand.append(.init(location: location, name: check.name, reason: "the step reports no value '\(check.name)', so there is nothing to write"))
                continue
            }
            if case .number(let x) = actual, !x.isFinite {
                byHand.append(.init(location: location, name: check.name,
                                    reason: "the step gives \(NumberFormat.full(x)), which no expectation holds; fix the step's inputs"))
                continue
            }
            guard let line = lines.line(location.line) else {
                byHand.append(.init(location: location, name: check.name, reason: "line \(location.line) is not in the file"))
                continue
            }
            let edit = step.id == ChapterParser.swiftCellID
                ? swiftEdit(line, column: location.column, check: check, actual: actual)
                : expectationEdit(line, column: location.column, check: check, actual: actual, step: step.id)
            switch edit {
            case .success(let edit):
                lines.replace(location.line, with: edit.line)
                changes.append(.init(location: location, name: check.name, before: edit.before, after: edit.after))
            case .failure(let why):
                byHand.append(.init(location: location, name: check.name, reason: why.reason))
            }
        }
        changes.sort { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
        byHand.sort { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
        return ExpectationUpdate(file: file, text: lines.text, original: text, changes: changes, byHand: byHand)
    }

    struct Edit {
        var line: String
        var before: String
        var after: String
    }

    struct Refusal: Error {
        var reason: String
    }

    // MARK: `expect name = value` lines

    /// The line with the value of its expectation replaced by `actual`: the characters between
    /// the '=' (and its spaces) and the tolerance marker (or the end of the line, spaces aside).
    static func expectationEdit(_ line: String, column: Int, check: CheckRecord, actual: CheckValue, step: String) -> Result<Edit, Refusal> {
        let characters = Array(line)
        let start = column - 1
        guard start >= 0, start < characters.count, String(characters[start...]).hasPrefix("expect"),
              let equals = characters[start...].firstIndex(of: "=") else {
            return .failure(Refusal(reason: "line \(check.location.line) does not read 'expect \(check.name) = ...' at column \(column)"))
        }
        let body = String(characters[start...]).trimmingCharacters(in: .whitespaces)
        guard let written = try? ChapterParser.expectation(body, at: check.location, step: step), written.name == check.name else {
            return .failure(Refusal(reason: "the expectation on line \(check.location.line) does not read back as '\(check.name)'"))
        }
        var valueStart = equals + 1
        while valueStart < characters.count, characters[valueStart] == " " || characters[valueStart] == "\t" { valueStart += 1 }
        var end = characters.count
        while end > valueStart, characters[end - 1].isWhitespace { end -= 1 }
        let rest = String(characters[valueStart..<end])
        // The parser looks for '±' first and then '+-': the tolerance starts at the first it finds.
        let marker = ["±", "+-"].lazy.compactMap { rest.range(of: $0) }.first
        var valueEnd = marker.map { valueStart + rest.distance(from: rest.startIndex, to: $0.lowerBound) } ?? end
        while valueEnd > valueStart, characters[valueEnd - 1] == " " || characters[valueEnd - 1] == "\t" { valueEnd -= 1 }
        let before = String(characters[valueStart..<valueEnd])
        let candidates: [String]
        switch (written.expected, actual) {
        case (.number(_, let tolerance), .number(let x)):
            // To the tolerance's digits; in full when those would not hold (or it is exact).
            candidates = [NumberFormat.shown(x, within: tolerance), NumberFormat.full(x)]
        case (.text(let old), .text(let new)):
            let quoted = "\"" + new + "\""
            candidates = before.hasPrefix("\"") && old == String(before.dropFirst().dropLast()) ? [quoted, new] : [new, quoted]
        case (.text, .number(let x)):
            candidates = [NumberFormat.full(x)]
        case (.number, .text(let new)):
            // A number expected and a text seen: the tolerance goes with the number.
            valueEnd = end
            candidates = [new, "\"" + new + "\""]
        }
        var report = StepReport()
        report.checks = [(check.name, actual)]
        for candidate in candidates {
            let newLine = String(characters[..<valueStart]) + candidate + String(characters[valueEnd...])
            let newBody = String(Array(newLine)[start...]).trimmingCharacters(in: .whitespaces)
            guard let back = try? ChapterParser.expectation(newBody, at: check.location, step: step), back.name == check.name,
                  LessonRunner.check(back, against: report).passed else { continue }
            return .success(Edit(line: newLine, before: before, after: candidate))
        }
        return .failure(Refusal(reason: "no way of writing \(actual) on this line reads back as a value that holds"))
    }

    // MARK: Swift cells' expect(...) calls

    /// The line with the literal after `equals:` of the `expect(` call at `column` replaced: a
    /// number or a plain string literal on the call's own line. Anything else (a variable, an
    /// expression, an array, a call over several lines) is the teacher's to edit.
    static func swiftEdit(_ line: String, column: Int, check: CheckRecord, actual: CheckValue) -> Result<Edit, Refusal> {
        let characters = Array(line)
        let start = column - 1
        let place = "\(check.location.line):\(column)"
        guard start >= 0, start < characters.count, String(characters[start...]).hasPrefix("expect") else {
            return .failure(Refusal(reason: "no expect( call at \(place) (a call split over lines?); edit its 'equals:' by hand"))
        }
        let tail = String(characters[start...])
        guard let label = tail.range(of: "equals:") else {
            return .failure(Refusal(reason: "the expect( call at \(place) has no 'equals:' on its line; edit the Swift code by hand"))
        }
        var literalStart = start + tail.distance(from: tail.startIndex, to: label.upperBound)
        while literalStart < characters.count, characters[literalStart] == " " { literalStart += 1 }
        var literalEnd = literalStart
        let replacement: String
        switch actual {
        case .number(let x):
            if literalEnd < characters.count, characters[literalEnd] == "-" { literalEnd += 1 }
            while literalEnd < characters.count, characters[literalEnd].isNumber || "._".contains(characters[literalEnd])
                    || ((characters[literalEnd] == "e" || characters[literalEnd] == "E") && literalEnd > literalStart)
                    || ((characters[literalEnd] == "-" || characters[literalEnd] == "+") && "eE".contains(characters[literalEnd - 1])) {
                literalEnd += 1
            }
            let literal = String(characters[literalStart..<literalEnd]).replacingOccurrences(of: "_", with: "")
            let next = literalEnd < characters.count ? characters[literalEnd] : ","
            guard Double(literal) != nil, next == "," || next == ")" || next == " " else {
                return .failure(Refusal(reason: "the 'equals:' of the expect( call at \(place) is not a number literal; "
                                            + "edit it by hand to \(NumberFormat.shown(x, within: check.tolerance))"))
            }
            let shown = NumberFormat.shown(x, within: check.tolerance)
            replacement = (Double(shown).map { Swift.abs($0 - x) <= check.tolerance } ?? false) ? shown : NumberFormat.full(x)
        case .text(let text):
            guard literalStart < characters.count, characters[literalStart] == "\"",
                  let close = characters[(literalStart + 1)...].firstIndex(of: "\""),
                  !characters[(literalStart + 1)..<close].contains("\\") else {
                return .failure(Refusal(reason: "the 'equals:' of the expect( call at \(place) is not a plain string literal; edit it by hand"))
            }
            guard !text.contains("\""), !text.contains("\\"), !text.contains(where: \.isNewline) else {
                return .failure(Refusal(reason: "the observed text \(actual) needs escapes in Swift; edit the call at \(place) by hand"))
            }
            literalEnd = close + 1
            replacement = "\"" + text + "\""
        }
        let before = String(characters[literalStart..<literalEnd])
        let newLine = String(characters[..<literalStart]) + replacement + String(characters[literalEnd...])
        return .success(Edit(line: newLine, before: before, after: replacement))
    }

    // MARK: Showing an update

    /// What the update did, for the terminal: one line per rewritten check with its
    /// file:line:column, the checks to edit by hand, and a unified diff of the file.
    public static func describe(_ update: ExpectationUpdate) -> String {
        var out: [String] = []
        for change in update.changes {
            out.append("\(change.location): updated \(change.name): \(change.before) -> \(change.after)")
        }
        for left in update.byHand {
            out.append("\(left.location): not updated, edit by hand: \(left.name): \(left.reason)")
        }
        let diff = unifiedDiff(update)
        if !diff.isEmpty { out.append(diff) }
        return out.joined(separator: "\n")
    }

    /// The changed lines as a unified diff without context, consecutive lines in one hunk.
    public static func unifiedDiff(_ update: ExpectationUpdate) -> String {
        let old = FileLines(update.original), new = FileLines(update.text)
        let changed = Set(update.changes.map(\.location.line)).sorted()
        guard !changed.isEmpty else { return "" }
        var out = ["--- \(update.file)", "+++ \(update.file)"]
        var i = 0
        while i < changed.count {
            var j = i
            while j + 1 < changed.count, changed[j + 1] == changed[j] + 1 { j += 1 }
            let first = changed[i], count = j - i + 1
            out.append("@@ -\(first),\(count) +\(first),\(count) @@")
            for n in first...(first + count - 1) { out.append("-" + (old.line(n) ?? "")) }
            for n in first...(first + count - 1) { out.append("+" + (new.line(n) ?? "")) }
            i = j + 1
        }
        return out.joined(separator: "\n")
    }
}

/// A file's text cut into lines, each kept with its own line break (LF, CRLF or CR, as cmark
/// reads them), so that replacing one line leaves every other byte as it was.
struct FileLines {
    private var contents: [String]
    private var breaks: [String]

    init(_ text: String) {
        contents = []
        breaks = []
        let bytes = Array(text.utf8)
        var start = 0, index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else {
                index += 1
                continue
            }
            contents.append(String(decoding: bytes[start..<index], as: UTF8.self))
            let crlf = byte == UInt8(ascii: "\r") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n")
            breaks.append(crlf ? "\r\n" : byte == UInt8(ascii: "\r") ? "\r" : "\n")
            index += crlf ? 2 : 1
            start = index
        }
        contents.append(String(decoding: bytes[start...], as: UTF8.self))
        breaks.append("")
    }

    /// Line `number` (1-based) without its line break.
    func line(_ number: Int) -> String? { number >= 1 && number <= contents.count ? contents[number - 1] : nil }

    mutating func replace(_ number: Int, with line: String) { contents[number - 1] = line }

    var text: String { zip(contents, breaks).map { $0 + $1 }.joined() }
}
