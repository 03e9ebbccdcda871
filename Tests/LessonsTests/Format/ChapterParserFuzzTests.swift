// The chapter parser on the real chapters, mutated: deep nesting, huge numbers, odd Unicode, NUL
// bytes, CR/LF mixes, unterminated fences, steps of many lines. Whatever the text, parsing must
// end, and either give a chapter whose steps' parameters are checked and whose recorded problems
// point inside the file, or an error at a file:line:column inside the file. See Fuzzing.swift for the seed and the time budget.
import Foundation
import Testing
import TestSupport
@testable import Lessons

@Suite struct ChapterParserFuzzTests {
    /// The chapters of Lessons/, the seeds every case starts from.
    static let chapters: [String] = {
        let directory = packageRoot + "/Lessons"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { ChapterParser.chapterName($0) != nil }.sorted()
            .compactMap { try? String(contentsOfFile: directory + "/" + $0, encoding: .utf8) }
    }()

    /// Pieces a mutation inserts: Markdown and step syntax, and what breaks naive text code.
    static let pieces = [
        "\0", "\r", "\r\n", "\n", "\n\n", "\t", "```", "```step forward\n", "```step ", "```step backward\nexpr: ", "~~~",
        "\n```\n", "> ", "- ", "1. ", "* ", "*", "**", "_", "[", "](", "<", ">", "&", "#", "# ", "|", "|---|\n", "\\",
        "expect ", "expect out = ", "= ", "±", " ± ", "+-", ":", "key: value\n", "a: 1\n", "expr: a\n",
        "1e308", "1e309", "-0", "nan", "inf", "0x10", String(repeating: "9", count: 400),
        "\u{1B}[31m", "\u{1B}]0;title\u{7}", "\u{202E}", "\u{200D}", "\u{FEFF}", "\u{FFFD}", "\u{85}", "\u{2028}",
        "e\u{301}", "👩‍👩‍👧", "ǅ", "٣", "½", "\u{10FFFF}", "\u{E000}",
    ]

    /// One text derived from a real chapter by a few random mutations.
    static func mutated(_ random: inout SplitMix64) -> String {
        var scalars = Array(random.pick(chapters).unicodeScalars)
        for _ in 0..<(1 + random.below(4)) {
            let at = random.below(scalars.count + 1)
            switch random.below(12) {
            case 0, 1:
                scalars.insert(contentsOf: random.pick(pieces).unicodeScalars, at: at)
            case 2:  // delete a range
                scalars.removeSubrange(at..<min(scalars.count, at + random.size(upTo: 2000)))
            case 3:  // duplicate a range
                let piece = scalars[at..<min(scalars.count, at + random.size(upTo: 4000))]
                scalars.insert(contentsOf: Array(piece), at: at)
            case 4:  // line endings: every LF becomes CRLF, a lone CR, or stays, at random
                let ending = random.below(3)
                var changed: [Unicode.Scalar] = []
                for scalar in scalars {
                    guard scalar == "\n" else { changed.append(scalar); continue }
                    switch ending {
                    case 0: changed += ["\r", "\n"]
                    case 1: changed.append("\r")
                    default: changed += random.chance(0.5) ? ["\r"] : ["\r", "\n"]
                    }
                }
                scalars = changed
            case 5:  // cut the text anywhere, fences included
                scalars.removeSubrange(at...)
            case 6:  // deep nesting of blocks or inlines
                let unit = random.pick(["> ", "- ", "* ", "*", "_", "[", "> - ", "1. ", "("])
                let count = random.size(upTo: 30_000)
                let open = Array(String(repeating: unit, count: count).unicodeScalars)
                let close: [Unicode.Scalar] = unit == "*" || unit == "_" ? open : []
                scalars.insert(contentsOf: open + Array("deep".unicodeScalars) + close, at: at)
            case 7:  // a step with many lines
                let lines = (0..<random.size(upTo: 20_000)).map { i in random.chance(0.1) ? "expect v\(i) = \(i)" : "p\(i % (1 + random.below(50_000))): \(i)" }
                scalars.insert(contentsOf: ("\n```step \(random.pick(["forward", "code", "dataset", "nosuch"]))\n" + lines.joined(separator: "\n") + "\n```\n").unicodeScalars, at: at)
            case 8:  // any scalar at all
                for _ in 0..<random.size(upTo: 200) {
                    let value = UInt32(random.below(0x11_0000))
                    if let scalar = Unicode.Scalar(value) { scalars.insert(scalar, at: random.below(scalars.count + 1)) }
                }
            case 9:  // a huge number where a value goes
                let number = (random.chance(0.5) ? "-" : "") + String(repeating: "9", count: random.size(upTo: 5000)) + random.pick(["", "e999", ".5", "e-999"])
                scalars.insert(contentsOf: "\nexpect out = \(number)\nx: \(number)\n".unicodeScalars, at: at)
            case 10:  // a deep or long expression in a step
                let expression = random.pick([String(repeating: "(", count: random.size(upTo: 5000)) + "a",
                                              Array(repeating: "a", count: random.size(upTo: 5000)).joined(separator: "+"),
                                              String(repeating: "-", count: random.size(upTo: 5000)) + "a"])
                scalars.insert(contentsOf: "\n```step forward\nexpr: \(expression)\na: 1\n```\n".unicodeScalars, at: at)
            default:  // swap two lines
                var lines = String(String.UnicodeScalarView(scalars)).split(separator: "\n", omittingEmptySubsequences: false)
                if lines.count > 1 { lines.swapAt(random.below(lines.count), random.below(lines.count)) }
                scalars = Array(lines.joined(separator: "\n").unicodeScalars)
            }
        }
        return String(String.UnicodeScalarView(scalars))
    }

    /// Nil when `text` parses into a chapter whose steps check, or fails with an error that
    /// points inside it; otherwise what is wrong.
    static func problem(with text: String) -> String? {
        let lineCount = ChapterParser.lines(text).count
        func misplaced(_ error: LessonError) -> String? {
            let place = error.location
            let prefix = "fuzz.md:\(place.line):\(place.column): \(error.severity.rawValue): "
            guard place.file == "fuzz.md", place.line >= 1, place.line <= lineCount + 1, place.column >= 1,
                  error.description.hasPrefix(prefix), !error.message.isEmpty else {
                return "error at \(place) outside the file's \(lineCount) lines, or badly formed: \(shown(error.description))"
            }
            return nil
        }
        let chapter: Chapter
        do {
            chapter = try ChapterParser.parse(text, file: "fuzz.md", number: 1, slug: "fuzz")
        } catch {
            return misplaced(error)
        }
        // What the parser recorded and read past must point inside the file too.
        for recorded in chapter.diagnostics + chapter.steps.flatMap(\.parseErrors) {
            if let wrong = misplaced(recorded) { return wrong }
        }
        for step in chapter.steps {
            guard step.location.line >= 1, step.location.line <= lineCount else { return "step at \(step.location)" }
            if let definition = StepRegistry.standard[step.id] {
                do { try StepContext.validate(step, against: definition) } catch { if let wrong = misplaced(error) { return wrong } }
            }
            if let expression = step.parameter("expr")?.value {
                do {
                    _ = try ExpressionParser.parse(expression).text
                } catch {
                    guard error.offset >= 0, error.offset <= expression.count else { return "expression error at offset \(error.offset)" }
                }
            }
        }
        return nil
    }

    @Test func realChaptersAreHere() {
        #expect(Self.chapters.count >= 6)
        for text in Self.chapters { #expect(Self.problem(with: text) == nil) }
    }

    @Test func mutatedChaptersParseOrFailInPlace() {
        Fuzz.run("chapter parser") { random in
            let text = Self.mutated(&random)
            return Self.problem(with: text).map { "\($0)\n  input: \(shown(text))" }
        }
    }
}
