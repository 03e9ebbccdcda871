// The record of a run: every chapter, its prose, and every step's id, position, status, outputs
// and checks. `gpt run --json` prints it; the terminal and the HTML walkthrough render it.
import Foundation
import LessonOutput

/// Everything one run produced.
public struct RunRecord: Sendable, Equatable, Encodable {
    /// The lessons folder that was run.
    public var lessons: String
    public var chapters: [ChapterRecord]

    public init(lessons: String, chapters: [ChapterRecord]) {
        self.lessons = lessons
        self.chapters = chapters
    }

    public var steps: [StepRecord] { chapters.flatMap(\.steps) }
    public var passed: Int { steps.count { $0.status == .passed } }
    /// Failed steps, chapters that could not be read, and errors a chapter has outside its steps.
    public var failed: Int {
        steps.count { $0.status == .failed } + chapters.count { $0.error != nil }
            + chapters.map { $0.diagnostics.count { $0.severity == .error } }.reduce(0, +)
    }
    public var skipped: Int { steps.count { $0.status == .skipped } }
    /// Warnings of the chapters: they do not fail a run (`gpt check --strict` makes them).
    public var warnings: Int { chapters.map { $0.diagnostics.count { $0.severity == .warning } }.reduce(0, +) }
    /// True when every chapter parsed and no step failed or was skipped.
    public var succeeded: Bool { failed == 0 && skipped == 0 }

    /// "12 steps passed, 1 failed, 2 skipped in 5 chapters, 1 warning".
    public var summary: String {
        var parts = ["\(passed) step\(passed == 1 ? "" : "s") passed"]
        if failed > 0 { parts.append("\(failed) failed") }
        if skipped > 0 { parts.append("\(skipped) skipped") }
        let warned = warnings == 0 ? "" : ", \(warnings) warning\(warnings == 1 ? "" : "s")"
        return parts.joined(separator: ", ") + " in \(chapters.count) chapter\(chapters.count == 1 ? "" : "s")" + warned
    }

    enum CodingKeys: String, CodingKey { case lessons, chapters, passed, failed, skipped, warnings, succeeded }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(lessons, forKey: .lessons)
        try container.encode(chapters, forKey: .chapters)
        try container.encode(passed, forKey: .passed)
        try container.encode(failed, forKey: .failed)
        try container.encode(skipped, forKey: .skipped)
        try container.encode(warnings, forKey: .warnings)
        try container.encode(succeeded, forKey: .succeeded)
    }
}

/// One chapter of a run.
public struct ChapterRecord: Sendable, Equatable, Encodable {
    public var number: Int
    public var slug: String
    public var title: String
    public var file: String
    public var segments: [SegmentRecord]
    /// Set when the chapter could not be parsed; it then has no segments.
    public var error: LessonError?
    /// The parser's errors and warnings outside the chapter's steps (`Chapter.diagnostics`).
    public var diagnostics: [LessonError]

    public init(number: Int, slug: String, title: String, file: String, segments: [SegmentRecord], error: LessonError?,
                diagnostics: [LessonError] = []) {
        self.number = number
        self.slug = slug
        self.title = title
        self.file = file
        self.segments = segments
        self.error = error
        self.diagnostics = diagnostics
    }

    public var steps: [StepRecord] {
        segments.compactMap { if case .step(let step) = $0 { step } else { nil } }
    }

    /// The chapter's own problems, outside its steps: why it could not be read, then the parser's
    /// errors and warnings.
    public var problems: [LessonError] { (error.map { [$0] } ?? []) + diagnostics }
}

/// Prose or a step, in the order the chapter has them.
public enum SegmentRecord: Sendable, Equatable, Encodable {
    case prose(String)
    case step(StepRecord)

    enum CodingKeys: String, CodingKey { case kind, markdown, step }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .prose(let markdown):
            try container.encode("prose", forKey: .kind)
            try container.encode(markdown, forKey: .markdown)
        case .step(let step):
            try container.encode("step", forKey: .kind)
            try container.encode(step, forKey: .step)
        }
    }
}

/// How a step ended.
public enum StepStatus: String, Sendable, Equatable, Encodable {
    /// It ran and every expectation held.
    case passed
    /// It could not run, or an expectation did not hold.
    case failed
    /// It was not run because a step it depends on failed.
    case skipped
}

/// One step of a run.
public struct StepRecord: Sendable, Equatable, Encodable {
    public var id: String
    /// The chapter's number.
    public var chapter: Int
    /// 1-based position among the chapter's steps.
    public var index: Int
    public var location: SourceLocation
    public var status: StepStatus
    public var outputs: [StepOutput]
    /// Every value the step reported, by name, in the order it reported them.
    public var values: [NamedValue]
    public var checks: [CheckRecord]
    /// Why the step failed or was skipped (the first failed check, when it ran).
    public var error: LessonError?
    /// The step's other problems after `error`, in order: every failed check, every line that
    /// could not be read, each at its own place.
    public var furtherErrors: [LessonError] = []
    /// What the step cost, when it says (a Swift cell: its compile and its run).
    public var cost: StepCost?

    public init(id: String, chapter: Int, index: Int, location: SourceLocation, status: StepStatus, outputs: [StepOutput],
                values: [NamedValue], checks: [CheckRecord], error: LessonError?) {
        self.id = id
        self.chapter = chapter
        self.index = index
        self.location = location
        self.status = status
        self.outputs = outputs
        self.values = values
        self.checks = checks
        self.error = error
    }
}

extension StepRecord {
    /// Every problem of the step, `error` first: what a compiler would list.
    public var errors: [LessonError] {
        get { (error.map { [$0] } ?? []) + furtherErrors }
        set {
            error = newValue.first
            furtherErrors = Array(newValue.dropFirst())
        }
    }
}

/// What one step cost: the seconds of a Swift cell's compile (none when its compiled program was
/// reused from the cache) and of its run. It changes from run to run, unlike the rest of the record.
public struct StepCost: Sendable, Equatable, Encodable {
    public var compileSeconds: Double
    /// True when the compiled cell came from the cache.
    public var cached: Bool
    public var runSeconds: Double

    public init(compileSeconds: Double, cached: Bool, runSeconds: Double) {
        self.compileSeconds = compileSeconds
        self.cached = cached
        self.runSeconds = runSeconds
    }
}

/// A value a step reported.
public struct NamedValue: Sendable, Equatable, Encodable {
    public var name: String
    public var value: CheckValue
}

/// One expectation, or one check the step made of itself, and how it went.
public struct CheckRecord: Sendable, Equatable, Encodable {
    public var name: String
    /// The expectation's line; the step's fence for a self-check.
    public var location: SourceLocation
    /// The expectation as written: "0.7071 ± 0.0001" or "ERROR"; for a self-check, what the
    /// step required ("-3 ± 3.0e-4, its finite difference").
    public var expected: String
    /// What the step reported, or nil when it reported no value of that name.
    public var actual: CheckValue?
    public var passed: Bool
    public var kind: CheckKind = .expectation
    /// The tolerance a number was judged within (0 when exactly), for showing `actual` to the
    /// digits it needs; the JSON record keeps `actual` whole and leaves this out.
    public var tolerance: Double = 0

    enum CodingKeys: String, CodingKey { case name, location, expected, actual, passed, kind }
}

/// Who asked for a check.
public enum CheckKind: String, Sendable, Equatable, Encodable {
    /// An `expect` line of the chapter.
    case expectation
    /// The step itself, whatever the chapter expects (`Verification`).
    case selfCheck = "self-check"
}

extension RunRecord {
    /// The record as pretty-printed JSON with sorted keys, identical for identical runs. JSON has
    /// no NaN or infinity (and `JSONEncoder` throws on them by default), so every number that is
    /// not finite, anywhere in the record, is written as the string "NaN", "Infinity" or
    /// "-Infinity": the record stays valid and says what the number was, never null.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

extension ChapterSource {
    /// A record with the chapter's heading fields and no segments yet, for headers shown live.
    public var header: ChapterRecord {
        let title = (try? parsed.get())?.title ?? slug
        let error: LessonError? = if case .failure(let e) = parsed { e } else { nil }
        return ChapterRecord(number: number, slug: slug, title: title, file: file, segments: [], error: error,
                             diagnostics: (try? parsed.get())?.diagnostics ?? [])
    }
}
