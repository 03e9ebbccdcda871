// Runs chapters in order on one shared state. Each step: look it up, check its parameters, make
// sure what it needs exists, run it, check its expectations. A failure is recorded in place and
// the run goes on; steps that need what a failed step should have built are skipped. Every step
// that uses or changes the model ends its output with the model's name, and says so when it
// built, trained or replaced the model the steps below it will use.
import Foundation
import LessonOutput

/// Runs the chapters of a lessons folder.
public struct LessonRunner: Sendable {
    public let lessonsDirectory: String
    /// Where the lessons' paths start (`LessonState.packageRoot`).
    public let packageRoot: String
    public let registry: StepRegistry
    public var defaults: LessonDefaults
    /// Where trained models are kept between runs (ModelCache); nil trains every time.
    public var modelCache: ModelCache?

    /// A runner for `lessonsDirectory`; `packageRoot` defaults to the package found for it. With
    /// no `modelCache` every run trains afresh, and a record is the same from run to run; the
    /// commands (`gpt run`, `check`, `report`, `notebook`) pass `ModelCache.fromEnvironment()`.
    public init(lessonsDirectory: String, packageRoot: String? = nil, registry: StepRegistry = .standard,
                defaults: LessonDefaults = LessonDefaults(), modelCache: ModelCache? = nil) {
        self.lessonsDirectory = lessonsDirectory
        self.packageRoot = packageRoot ?? PackageRoot.find(for: lessonsDirectory).path
        self.registry = registry
        self.defaults = defaults
        self.modelCache = modelCache
    }

    /// A fresh state for a run of these lessons.
    public func makeState() -> LessonState {
        LessonState(lessonsDirectory: lessonsDirectory, packageRoot: packageRoot, defaults: defaults, modelCache: modelCache)
    }

    /// The chapter files of the folder, each parsed or with the error that stopped its parsing.
    public func chapters() throws(LessonError) -> [ChapterSource] {
        try ChapterParser.chapterFiles(in: lessonsDirectory).map { file in
            ChapterSource(number: file.number, slug: file.slug, file: file.path,
                          parsed: Result { () throws(LessonError) in try ChapterParser.parse(file: file) })
        }
    }

    /// The chapter a command line names by number ("3", "03") or slug ("attention").
    public func chapter(named name: String, in chapters: [ChapterSource]) throws(LessonError) -> ChapterSource {
        if let number = Int(name), let found = chapters.first(where: { $0.number == number }) { return found }
        if let found = chapters.first(where: { $0.slug == name }) { return found }
        let names = chapters.map { "\($0.number) (\($0.slug))" }
        let hint = Suggestions.closest(to: name, among: chapters.map(\.slug)).first.map { "did you mean '\($0)'? " } ?? ""
        throw LessonError(at: SourceLocation(file: lessonsDirectory, line: 1, column: 1), "no chapter '\(name)'",
                          hint: hint + "chapters: " + names.joined(separator: ", "))
    }

    /// Runs `chapters` in order on a fresh state. `observe` sees each segment as soon as it is
    /// done, with its chapter, so a terminal can show a run as it happens. `willRun` hears of
    /// each step (with its 1-based place in its chapter) before it runs, after the prose that
    /// introduces it was observed; answering false stops the run there, and the record then ends
    /// with the last segment observed.
    public func run(_ chapters: [ChapterSource],
                    willRun: (ChapterSource, StepInvocation, Int) -> Bool = { _, _, _ in true },
                    observe: (ChapterSource, SegmentRecord) -> Void = { _, _ in }) -> RunRecord {
        let state = makeState()
        var record = RunRecord(lessons: lessonsDirectory, chapters: [])
        for source in chapters {
            var stopped = false
            record.chapters.append(run(source, state: state, willRun: { step, index in
                stopped = !willRun(source, step, index)
                return !stopped
            }, observe: observe))
            if stopped { break }
        }
        return record
    }

    private func run(_ source: ChapterSource, state: LessonState, willRun: (StepInvocation, Int) -> Bool,
                     observe: (ChapterSource, SegmentRecord) -> Void) -> ChapterRecord {
        let chapter: Chapter
        switch source.parsed {
        case .failure(let error):
            return ChapterRecord(number: source.number, slug: source.slug, title: source.slug, file: source.file,
                                 segments: [], error: error)
        case .success(let parsed):
            chapter = parsed
        }
        var record = ChapterRecord(number: chapter.number, slug: chapter.slug, title: chapter.title, file: chapter.file,
                                   segments: [], error: nil, diagnostics: chapter.diagnostics)
        var index = 0
        for segment in chapter.segments {
            let done: SegmentRecord
            switch segment {
            case .prose(let markdown):
                done = .prose(markdown)
            case .step(let invocation):
                index += 1
                guard willRun(invocation, index) else { return record }
                done = .step(run(invocation, chapter: chapter.number, index: index, state: state))
            }
            record.segments.append(done)
            observe(source, done)
        }
        return record
    }

    /// Runs one step on `state` and checks its expectations; `index` is its 1-based place among
    /// the chapter's steps. The notebook runs steps one at a time through this.
    public func run(_ invocation: StepInvocation, chapter: Int, index: Int, state: LessonState) -> StepRecord {
        var record = StepRecord(id: invocation.id, chapter: chapter, index: index, location: invocation.location,
                                status: .failed, outputs: [], values: [], checks: [], error: nil)
        guard invocation.parseErrors.isEmpty else {
            // What it would have built is missing, so the steps that need it say so instead of running on defaults.
            for resource in registry[invocation.id]?.provides ?? [] { state.failed[resource] = invocation.location }
            record.errors = invocation.parseErrors
            return record
        }
        guard let definition = registry[invocation.id] else {
            record.error = LessonError(at: invocation.idLocation, step: invocation.id, "unknown step '\(invocation.id)'",
                                       hint: Suggestions.hint(for: invocation.id, among: registry.definitions.map(\.id), kind: "step")
                                           + "; `gpt steps` describes each")
            return record
        }
        if let failure = definition.needs.flatMap(\.withPrerequisites).lazy.compactMap({ need in state.failed[need].map { (need, $0) } }).first {
            record.status = .skipped
            record.error = LessonError(at: invocation.location, step: invocation.id,
                                       "skipped: it needs the \(failure.0.rawValue), which the step at \(failure.1) failed to build",
                                       hint: "fix the error reported there; this step then runs again")
            return record
        }
        let problems = StepContext.problems(invocation, against: definition)
        guard problems.isEmpty else {
            for resource in definition.provides { state.failed[resource] = invocation.location }
            record.errors = problems
            return record
        }
        let report: StepReport
        let modelBefore = state.modelIdentity
        state.modelNotes = []
        do {
            for need in definition.needs { try state.ensure(need, for: invocation) }
            var context = StepContext(invocation: invocation, definition: definition, state: state)
            context.chapter = chapter
            report = try definition.run(context)
        } catch {
            for resource in definition.provides { state.failed[resource] = invocation.location }
            record.error = error as? LessonError
                ?? LessonError(at: invocation.location, step: invocation.id, "\(error)")
            // A step that failed after it changed the model still says what the steps below get.
            if state.modelIdentity != modelBefore, let named = Self.modelNote(definition, before: modelBefore, state: state) {
                record.outputs = [named]
            }
            return record
        }
        for resource in definition.provides { state.failed[resource] = nil }
        record.outputs = report.outputs
        if let named = Self.modelNote(definition, before: modelBefore, state: state) { record.outputs.append(named) }
        record.cost = report.cost
        if let failure = report.failure {
            record.error = failure  // it failed alone: what it provides stays usable below
            return record
        }
        record.values = report.checks.map { NamedValue(name: $0.name, value: $0.value) }
        let verifications = report.verifications + Self.finiteValues(report)
        let expectations = invocation.expectations.map { Self.check($0, against: report) } + report.statedChecks
        record.checks = verifications.map { verification in
            CheckRecord(name: verification.name, location: invocation.location, expected: verification.expected,
                        actual: verification.actual, passed: verification.passed, kind: .selfCheck,
                        tolerance: verification.tolerance)
        } + expectations
        // Every check that failed is reported, each at its own line: the step's own first, then the chapter's.
        record.errors = verifications.filter { !$0.passed }.map {
            LessonError(at: invocation.location, step: invocation.id, $0.message, hint: $0.hint)
        } + expectations.filter { !$0.passed }.map { Self.error(for: $0, step: invocation.id, report: report) }
        if record.errors.isEmpty { record.status = .passed }
        return record
    }

    /// Why `invocation` cannot run as written (an unknown step, an unknown parameter, a value of
    /// the wrong type, a missing one), with the message `gpt check` gives; nil when it can.
    public func problem(with invocation: StepInvocation) -> LessonError? {
        if let unreadable = invocation.parseErrors.first { return unreadable }
        guard let definition = registry[invocation.id] else {
            return LessonError(at: invocation.idLocation, step: invocation.id, "unknown step '\(invocation.id)'",
                               hint: Suggestions.hint(for: invocation.id, among: registry.definitions.map(\.id), kind: "step"))
        }
        do {
            try StepContext.validate(invocation, against: definition)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Which model a step ran on

    /// The lines that end the output of a step that uses or changes the model: which model it
    /// ran on (or left), whether it built, trained or replaced it for the steps below, and what
    /// training did (trained now, or loaded from the model cache). Nil for a step that has
    /// nothing to do with the model.
    static func modelNote(_ definition: StepDefinition, before: ModelIdentity?, state: LessonState) -> StepOutput? {
        let modelResources: [Resource] = [.model, .trainedModel]
        let uses = (definition.needs + definition.provides).contains(where: modelResources.contains)
        let builds = definition.provides.contains(where: modelResources.contains)
        let after = state.modelIdentity
        let notes = state.modelNotes
        state.modelNotes = []
        guard uses || after != before || !notes.isEmpty else { return nil }
        var lines: [String] = []
        switch (before, after) {
        case (_, nil):
            if let before {
                lines.append("Model: none now. This step dropped the model above (\(before.brief)); "
                             + "a step below that needs one builds the lessons' default.")
            } else if uses {
                lines.append("Model: none.")
            }
        case (let before?, let after?) where before == after:
            lines.append("Model: \(after.description)." + (builds ? " This step built it again, the same as the one above; the steps below use it." : ""))
        case (nil, let after?):
            lines.append(builds ? "Model: \(after.description). This step built it; the steps below use it."
                                : "Model: \(after.description). No step above built a model, so this step built the lessons' default; "
                                    + "the steps below use it too.")
        case (let before?, let after?):
            let furtherTrained = after.origin == before.origin && after.trainings.starts(with: before.trainings)
                && after.trainings.count > before.trainings.count
            if furtherTrained && builds {
                lines.append("Model: \(after.description). This step trained the model above further; the steps below use it.")
            } else if builds {
                lines.append("Model: \(after.description). This step built it in place of the model above "
                             + "(\(before.brief)); the steps below use it.")
            } else if definition.needs.contains(.trainedModel) && before.trainings.isEmpty {
                lines.append("Model: \(after.description). This step needs a trained model and the one above "
                             + "(\(before.brief)) was never trained, so it trained the lessons' default in its place: "
                             + "the steps below use this one, not the one above.")
            } else {
                lines.append("Model: \(after.description). This step replaced the model above (\(before.brief)); "
                             + "the steps below use this one.")
            }
        }
        lines += notes
        return lines.isEmpty ? nil : .text(lines)
    }

    // MARK: Self-checks every step gets

    /// Every number a step reports must be finite: a NaN or an infinity fails the step whatever
    /// the chapter expects, so a computation with no answer never passes as one.
    static func finiteValues(_ report: StepReport) -> [Verification] {
        report.checks.compactMap { name, value in
            guard case .number(let x) = value, !x.isFinite else { return nil }
            return Verification(name: name, expected: "a finite number", actual: value, passed: false,
                                message: "\(name) is \(NumberFormat.full(x)), not a finite number",
                                hint: "NaN and infinity come from an operation with no finite answer (log of a negative number, "
                                    + "division by zero, a result too large for a Double); the step's output shows where")
        }
    }

    // MARK: Expectations

    /// A number expectation holds when the reported number is finite and within the tolerance:
    /// NaN and infinity never hold, not even against `nan` or `inf` written in the chapter.
    static func check(_ expectation: Expectation, against report: StepReport) -> CheckRecord {
        let actual = report.value(expectation.name)
        var passed = false
        switch (expectation.expected, actual) {
        case (.number(let expected, let tolerance), .number(let value)?):
            passed = value.isFinite && expected.isFinite && abs(value - expected) <= tolerance
        case (.text(let expected), .text(let value)?):
            passed = value == expected
        case (.text(let expected), .number(let value)?):
            passed = value.isFinite && NumberFormat.full(value) == expected
        default:
            passed = false
        }
        var tolerance = 0.0
        if case .number(_, let within) = expectation.expected { tolerance = within }
        return CheckRecord(name: expectation.name, location: expectation.location,
                           expected: describe(expectation.expected), actual: actual, passed: passed, tolerance: tolerance)
    }

    static func describe(_ expected: ExpectedValue) -> String {
        switch expected {
        case .number(let value, let tolerance):
            return tolerance == 0 ? NumberFormat.full(value) : "\(NumberFormat.full(value)) ± \(NumberFormat.full(tolerance))"
        case .text(let text):
            return "\"\(text)\""
        }
    }

    static func error(for check: CheckRecord, step: String, report: StepReport) -> LessonError {
        guard let actual = check.actual else {
            return LessonError(at: check.location, step: step, "the step reports no value '\(check.name)'",
                               hint: Suggestions.hint(for: check.name, among: report.checks.map(\.name), kind: "value"))
        }
        var message = "expected \(check.name) = \(check.expected), got \(actual)"
        if case .number(let value) = actual, let expected = Double(check.expected.split(separator: " ").first ?? ""), expected.isFinite {
            message += " (off by \(NumberFormat.short(abs(value - expected))))"
        }
        return LessonError(at: check.location, step: step, message,
                           hint: "if the engine changed on purpose, update the expectation; otherwise the engine no longer computes what this chapter teaches")
    }
}

/// A chapter file and the result of parsing it.
public struct ChapterSource: Sendable {
    public var number: Int
    public var slug: String
    public var file: String
    public var parsed: Result<Chapter, LessonError>
}

extension ChapterParser {
    /// Reads and parses one chapter file.
    static func parse(file: (path: String, number: Int, slug: String)) throws(LessonError) -> Chapter {
        let text: String
        do {
            text = try String(contentsOfFile: file.path, encoding: .utf8)
        } catch {
            throw LessonError(at: SourceLocation(file: file.path, line: 1, column: 1), "cannot read the chapter as UTF-8 text",
                              hint: "save chapters as UTF-8 text")
        }
        return try parse(text, file: file.path, number: file.number, slug: file.slug)
    }
}
