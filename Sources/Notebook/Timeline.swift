// The notebook's reactive core: every step of every chapter, in chapter order, as one timeline of
// cells on one lesson state, the way `gpt run` runs them. An edit marks its cell dirty, and with
// it every later cell that reads a slot of the state a dirty cell writes (the steps' declared
// `needs` and `provides`, and what a run was seen to change). A sweep then re-runs exactly the
// dirty cells, in order, each on the state as it was before it: the slots the cells above left
// behind, saved after each run and restored here. Clean cells keep their outputs and are not run.
// Cells that train (`runsLong`) are not re-run on every edit: they are marked stale with a Run
// button, and so is every cell that would read what they have not yet rebuilt.
import Foundation
import GPT
import Lessons
import Synchronization

/// Whether a cell's output comes from its current parameters and inputs.
public enum Freshness: String, Sendable, Equatable, Encodable {
    /// Its output is what its current parameters give on the current state above it.
    case fresh
    /// Its parameters or the state it reads changed since its output was made; `staleReason` says how.
    case stale
    /// It is running now.
    case running
}

/// One step of a chapter in the notebook, with the values the learner gave it.
public struct NotebookCell: Sendable, Equatable {
    /// Stable for the life of the session; pages and requests name cells by it.
    public let id: Int
    /// The number of the chapter the cell is in.
    public var chapter: Int
    /// The step as it runs now: the chapter's, with the learner's edits.
    public var invocation: StepInvocation
    /// The step as the chapter file has it; nil for a cell the learner added.
    public var original: StepInvocation?
    /// The last run's record; nil before the cell first ran.
    public var record: StepRecord?
    public var freshness: Freshness
    /// Why a stale cell is stale, in words for the page.
    public var staleReason: String?
    /// True when the step trains, so that the notebook waits for Run (see `StepDefinition.runsLong`).
    public var runsLong: Bool
    /// Bumped whenever anything the page shows of the cell changes, so a page redraws only what did.
    public var revision = 0
    /// How long its last run took, in seconds.
    public var runSeconds: Double?
    /// Why its last run was stopped before its end, until it runs again or changes.
    var stopNote: String?
    /// The learner's last answer to the cell's exercise, and what the lesson said of it.
    public var answer: Answer?

    public struct Answer: Sendable, Equatable {
        public var given: String
        public var right: Bool
        public var message: String
    }

    /// The exercise the cell's output asks, if it asks one.
    public var exercise: Exercise? {
        record?.outputs.lazy.compactMap { output -> Exercise? in if case .exercise(let e) = output { e } else { nil } }.first
    }

    // Bookkeeping of the sweep.
    var dirty = true
    /// Bumped whenever the cell becomes dirty again: a run that began before is out of date.
    var epoch = 0
    /// Run even though it runs long: the learner pressed Run (or this is the first run).
    var requested = false
    /// Slots the last run changed, and their contents right after it.
    var changed: Set<StateSlot> = []
    var after: [StateSlot: SavedSlot] = [:]

    /// True when the learner changed something about the step.
    public var isEdited: Bool { original.map { !Timeline.sameStep($0, invocation) } ?? true }
}

/// A slot's saved contents. They are never changed after saving (restoring copies the model), so
/// sessions copied from one baseline may share them across threads.
struct SavedSlot: @unchecked Sendable, Equatable {
    let contents: SlotContents
    /// Unique in the process, so two sessions' saved slots never compare equal.
    let serial: Int

    init(_ contents: SlotContents) {
        self.contents = contents
        serial = Self.counter.add(1, ordering: .relaxed).newValue
    }

    private static let counter = Atomic<Int>(0)
    static func == (a: SavedSlot, b: SavedSlot) -> Bool { a.serial == b.serial }
}

/// A chapter as the notebook holds it: its file's prose, and cells in place of its steps.
public struct NotebookChapter: Sendable, Equatable {
    public var number: Int
    public var slug: String
    public var title: String
    public var file: String
    public var segments: [Segment]
    /// Set when the file could not be read or parsed: the chapter then has no segments.
    public var error: LessonError?

    public enum Segment: Sendable, Equatable {
        case prose(String)
        case cell(Int)
    }

    public var cellIDs: [Int] { segments.compactMap { if case .cell(let id) = $0 { id } else { nil } } }
}

/// What a learner can do to a cell, and why it can be refused.
public struct NotebookError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status that says what kind of problem it is (404: no such cell, 422: a bad value).
    public var status: Int
    public var message: String
    /// The parameter the problem is in, so a page can show it next to that field.
    public var parameter: String?
    public var hint: String?

    public init(status: Int, _ message: String, parameter: String? = nil, hint: String? = nil) {
        self.status = status
        self.message = message
        self.parameter = parameter
        self.hint = hint
    }

    public var description: String { hint.map { "\(message)\nHINT: \($0)" } ?? message }
}

/// Every cell of every chapter, and what each one's last run left. A value: a session keeps one
/// behind a lock, and a new session starts from a copy of the first run's.
struct Timeline: Sendable {
    let runner: LessonRunner
    private(set) var chapters: [NotebookChapter] = []
    private(set) var cells: [Int: NotebookCell] = [:]
    private var nextID = 1
    /// Where the contents of a slot come from at some point of the timeline.
    enum SlotSource: Equatable {
        /// A fresh state's: nothing built yet.
        case initial
        /// Saved after the run of a cell.
        case cell(Int, SavedSlot)
        /// A stale cell above would rebuild it: unknown until it runs.
        case unavailable(Int)
    }

    init(runner: LessonRunner, sources: [ChapterSource]) {
        self.runner = runner
        chapters = sources.map { makeChapter($0) }
        for id in cells.keys { cells[id]?.requested = true }  // the first sweep runs everything, as `gpt run` does
    }

    /// Every cell id in the order the cells run.
    var order: [Int] { chapters.flatMap(\.cellIDs) }

    func cell(_ id: Int) throws(NotebookError) -> NotebookCell {
        guard let cell = cells[id] else {
            throw NotebookError(status: 404, "there is no cell \(id) in this notebook", hint: "reload the page: the chapter may have changed")
        }
        return cell
    }

    /// The chapter with `number`.
    func chapter(_ number: Int) throws(NotebookError) -> NotebookChapter {
        guard let chapter = chapters.first(where: { $0.number == number }) else {
            throw NotebookError(status: 404, "there is no chapter \(number)", hint: "chapters: " + chapters.map { "\($0.number)" }.joined(separator: ", "))
        }
        return chapter
    }

    private mutating func makeChapter(_ source: ChapterSource) -> NotebookChapter {
        switch source.parsed {
        case .failure(let error):
            return NotebookChapter(number: source.number, slug: source.slug, title: source.slug, file: source.file, segments: [], error: error)
        case .success(let chapter):
            let segments: [NotebookChapter.Segment] = chapter.segments.map { segment in
                switch segment {
                case .prose(let markdown): return .prose(markdown)
                case .step(let invocation): return .cell(newCell(invocation, original: invocation, chapter: chapter.number))
                }
            }
            return NotebookChapter(number: chapter.number, slug: chapter.slug, title: chapter.title, file: chapter.file,
                                   segments: segments, error: nil)
        }
    }

    private mutating func newCell(_ invocation: StepInvocation, original: StepInvocation?, chapter: Int) -> Int {
        let id = nextID
        nextID += 1
        let definition = runner.registry[invocation.id]
        cells[id] = NotebookCell(id: id, chapter: chapter, invocation: invocation, original: original, record: nil,
                                 freshness: .stale, staleReason: "not run yet", runsLong: definition?.runsLong ?? false)
        return id
    }

    // MARK: Edits

    /// Gives cell `id` these parameter values (name to text; a name left out takes its default).
    /// Values are checked first, with the message `gpt check` gives; a refused edit changes nothing.
    mutating func setParameters(_ id: Int, _ values: [(name: String, value: String)]) throws(NotebookError) {
        var cell = try cell(id)
        let edited = Self.invocation(cell.invocation, original: cell.original, with: values)
        if let problem = runner.problem(with: edited) {
            throw NotebookError(status: 422, problem.message, parameter: Self.parameterNamed(in: problem, of: edited), hint: problem.hint)
        }
        guard !Self.sameStep(edited, cell.invocation) else { return }
        cell.invocation = edited
        cells[id] = cell
        markDirty(id, reason: "its parameters changed")
    }

    /// Gives Swift cell `id` this code, its line breaks made LF as a chapter's are (a browser posts
    /// a text box's as CRLF). Code of more than `maxBytes` is refused and changes nothing.
    mutating func setCode(_ id: Int, _ code: String, maxBytes: Int) throws(NotebookError) {
        var cell = try cell(id)
        guard cell.invocation.code != nil else {
            throw NotebookError(status: 422, "cell \(id) is a '\(cell.invocation.id)' step, which has parameters, not code",
                                hint: "code goes to Swift cells (```swift run); a step's values go to its fields")
        }
        let code = code.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        guard code.utf8.count <= maxBytes else {
            throw NotebookError(status: 422, "this code is \(code.utf8.count) bytes, and a Swift cell's code may be at most "
                                    + "\(maxBytes) bytes (\(maxBytes / 1024) KB)", parameter: "code",
                                hint: "split it into several Swift cells: each one sees what the cells above it defined")
        }
        guard code != cell.invocation.code else { return }
        cell.invocation.code = code
        cells[id] = cell
        markDirty(id, reason: "its code changed")
    }

    /// Puts back the chapter's own values of cell `id`.
    mutating func reset(_ id: Int) throws(NotebookError) {
        var cell = try cell(id)
        guard let original = cell.original else {
            throw NotebookError(status: 422, "this cell was added in the notebook: it has no values of the chapter's to go back to",
                                hint: "remove it instead")
        }
        guard !Self.sameStep(original, cell.invocation) else { return }
        cell.invocation = original
        cells[id] = cell
        markDirty(id, reason: original.code == nil ? "its parameters were reset to the chapter's" : "its code was reset to the chapter's")
    }

    /// Adds a cell of step `stepID` after cell `after` (at the start of chapter `chapter` when nil),
    /// with the step's default values and `values`; returns its id.
    mutating func addCell(step stepID: String, chapter number: Int, after: Int?, values: [(name: String, value: String)]) throws(NotebookError) -> Int {
        guard let definition = runner.registry[stepID] else {
            throw NotebookError(status: 422, "there is no step '\(stepID)'",
                                hint: "steps: " + runner.registry.definitions.map(\.id).joined(separator: ", "))
        }
        guard let chapterIndex = chapters.firstIndex(where: { $0.number == number }), chapters[chapterIndex].error == nil else {
            throw NotebookError(status: 404, "there is no chapter \(number) that cells can be added to")
        }
        var position = 0
        if let after {
            guard let index = chapters[chapterIndex].segments.firstIndex(of: .cell(after)) else {
                throw NotebookError(status: 404, "there is no cell \(after) in chapter \(number)")
            }
            position = index + 1
        }
        // A new Swift cell has no place in the file: it is compiled as "new Swift cell", from line 1.
        let isSwift = stepID == ChapterParser.swiftCellID
        let location = isSwift ? .nowhere : SourceLocation(file: chapters[chapterIndex].file, line: 0, column: 0)
        var invocation = StepInvocation(id: stepID, location: location, idLocation: location, parameters: [], expectations: [])
        if isSwift { invocation.code = "" }
        // A required parameter starts as the empty text, which the cell shows as a field to fill in.
        let required = definition.parameters.filter { $0.defaultValue == nil }.map { (name: $0.name, value: "") }
        invocation = Self.invocation(invocation, original: nil, with: required + values)
        let id = newCell(invocation, original: nil, chapter: number)
        chapters[chapterIndex].segments.insert(.cell(id), at: position)
        markDirty(id, reason: "it is new")
        return id
    }

    /// Removes cell `id`; the cells below that read what it wrote re-run without it.
    mutating func removeCell(_ id: Int) throws(NotebookError) {
        let cell = try cell(id)
        let next = nextCell(after: id)
        for index in chapters.indices { chapters[index].segments.removeAll { $0 == .cell(id) } }
        cells[id] = nil
        if let next { propagate(injecting: [next: cell.writes(runner)]) }
    }

    /// Asks for cell `id` to run, even if it runs long, with every stale cell above it that builds
    /// what it reads (and what those read, and so on).
    mutating func requestRun(_ id: Int) throws(NotebookError) {
        let target = try cell(id)
        if !target.dirty { markDirty(id, reason: "it was asked to run again") }
        cells[id]?.requested = true
        var wanted = target.reads(runner)
        for other in order.prefix(while: { $0 != id }).reversed() {
            guard let cell = cells[other], !wanted.isEmpty else { continue }
            let writes = cell.writes(runner)
            guard !writes.isDisjoint(with: wanted) else { continue }
            wanted.subtract(writes)
            if cell.dirty {
                cells[other]?.requested = true
                wanted.formUnion(cell.reads(runner))
            }
        }
    }

    /// Checks the learner's `response` to cell `id`'s exercise and keeps it with the verdict.
    mutating func answer(_ id: Int, _ response: String) throws(NotebookError) -> (right: Bool, message: String) {
        let cell = try cell(id)
        guard let exercise = cell.exercise else {
            throw NotebookError(status: 422, "this cell asks no question", hint: "answers go to quiz and exercise cells")
        }
        let verdict = exercise.check(response)
        cells[id]?.answer = NotebookCell.Answer(given: response, right: verdict.right, message: verdict.message)
        cells[id]?.revision += 1
        return verdict
    }

    /// Asks every stale cell to run.
    mutating func requestAll() {
        for id in order where cells[id]?.dirty == true { cells[id]?.requested = true }
    }

    /// Replaces chapter `source.number` with what its file holds now, keeping the learner's edits
    /// for steps that are still there (matched by step id and by how many of that id came before),
    /// the cells the learner added (after the step they followed), and the outputs of steps that
    /// did not change. Whatever changed runs again, with every cell below that reads from it.
    mutating func reload(_ source: ChapterSource) {
        let old = chapters.first { $0.number == source.number }
        let oldSegments = old?.segments ?? []
        let oldCells = old?.cellIDs.compactMap { cells[$0] } ?? []
        var fresh = makeChapter(source)
        var seen: [String: Int] = [:]
        var replacement: [Int: Int] = [:]  // old cell id -> new cell id
        var changed: [Int: String] = [:]
        for id in fresh.cellIDs {
            guard var cell = cells[id], let original = cell.original else { continue }
            let occurrence = seen[original.id, default: 0]
            seen[original.id] = occurrence + 1
            guard let match = oldCells.filter({ $0.original?.id == original.id }).dropFirst(occurrence).first,
                  let oldOriginal = match.original else {
                changed[id] = "the chapter file has a new step here"
                continue
            }
            replacement[match.id] = id
            cell.invocation = Self.invocation(original, original: original, with: Self.edits(from: oldOriginal, to: match.invocation))
            if match.invocation.code != oldOriginal.code { cell.invocation.code = match.invocation.code }  // the learner's code stays
            cell.record = match.record
            cell.revision = match.revision + 1
            if Self.sameStep(cell.invocation, match.invocation), oldOriginal.expectations == original.expectations,
               match.freshness == .fresh, var record = match.record {
                record.location = original.location
                cell.record = record
                cell.freshness = .fresh
                cell.staleReason = nil
                cell.dirty = false
                cell.changed = match.changed
                cell.after = match.after
            } else {
                changed[id] = "the chapter file changed this step"
            }
            cells[id] = cell
        }
        // Cells the learner added stay, after the cell that now stands for the one they followed.
        var previous: Int?
        for segment in oldSegments {
            guard case .cell(let oldID) = segment, let cell = cells[oldID] else { continue }
            if cell.original == nil {
                let position = previous.flatMap { fresh.segments.firstIndex(of: .cell($0)) }.map { $0 + 1 } ?? 0
                fresh.segments.insert(.cell(oldID), at: position)
                previous = oldID
            } else {
                previous = replacement[oldID] ?? previous
            }
        }
        // What the removed cells wrote is gone: the cells below that read it run again.
        var removedWrites = Set<StateSlot>()
        for cell in oldCells where cell.original != nil {
            if replacement[cell.id] == nil { removedWrites.formUnion(cell.writes(runner)) }
            cells[cell.id] = nil
        }
        if let index = chapters.firstIndex(where: { $0.number == source.number }) {
            chapters[index] = fresh
        } else {
            chapters.append(fresh)
            chapters.sort { $0.number < $1.number }
        }
        for (id, reason) in changed {
            cells[id]?.dirty = true
            cells[id]?.staleReason = reason
            if cells[id]?.record == nil { cells[id]?.requested = true }  // a new step runs once, even a long one
        }
        let firstCell = fresh.cellIDs.first ?? order.first { (cells[$0]?.chapter ?? 0) > source.number }
        propagate(injecting: firstCell.map { [$0: removedWrites] } ?? [:])
    }

    /// Takes chapter `number` out (its file went away); the cells below that read what it wrote run again.
    mutating func removeChapter(_ number: Int) {
        guard let index = chapters.firstIndex(where: { $0.number == number }) else { return }
        let removed = chapters[index].cellIDs.compactMap { cells[$0] }
        chapters.remove(at: index)
        for cell in removed { cells[cell.id] = nil }
        let next = chapters.dropFirst(index).flatMap(\.cellIDs).first
        if let next { propagate(injecting: [next: Set(removed.flatMap { $0.writes(runner) })]) }
    }

    /// A copy for a new session: a cell the baseline is running now runs again in the session.
    func forNewSession() -> Timeline {
        var copy = self
        for (id, cell) in copy.cells where cell.freshness == .running {
            copy.cells[id]?.freshness = .stale
            copy.cells[id]?.staleReason = "not run yet"
        }
        return copy
    }

    /// What the learner changed of `original` to make `edited`, as values to apply (a parameter
    /// they removed comes back as its default).
    static func edits(from original: StepInvocation, to edited: StepInvocation, registry: StepRegistry = .standard) -> [(name: String, value: String)] {
        var edits = edited.parameters.filter { original.parameter($0.name)?.value != $0.value }.map { (name: $0.name, value: $0.value) }
        for parameter in original.parameters where edited.parameter(parameter.name) == nil {
            if let fallback = registry[original.id]?.parameter(parameter.name)?.defaultValue { edits.append((parameter.name, fallback)) }
        }
        return edits
    }

    /// Marks `id` dirty, and with it every later cell that reads a slot some dirty cell writes.
    private mutating func markDirty(_ id: Int, reason: String) {
        guard var cell = cells[id] else { return }
        cell.epoch += 1
        cell.stopNote = nil
        if !cell.dirty || cell.freshness == .fresh {
            cell.dirty = true
            cell.freshness = .stale
            cell.revision += 1
        }
        cell.staleReason = reason
        cells[id] = cell
        propagate()
    }

    /// Marks dirty every cell that reads a slot a dirty cell above it writes (or a slot of
    /// `injecting`, taken as dirty from just before the cell it is keyed by).
    private mutating func propagate(injecting: [Int: Set<StateSlot>] = [:]) {
        var dirtySlots = Set<StateSlot>()
        for id in order {
            guard var cell = cells[id] else { continue }
            dirtySlots.formUnion(injecting[id] ?? [])
            let reads = cell.reads(runner), writes = cell.writes(runner)
            if cell.dirty || !reads.isDisjoint(with: dirtySlots) {
                if !reads.isDisjoint(with: dirtySlots) { cell.epoch += 1 }
                if !cell.dirty {
                    cell.dirty = true
                    cell.staleReason = "a step above it that it reads from changed"
                }
                if cell.freshness == .fresh {
                    cell.freshness = .stale
                    cell.revision += 1
                }
                dirtySlots.formUnion(writes)
            } else {
                // A clean cell that writes a slot without reading it rebuilds that slot from scratch.
                dirtySlots.subtract(writes.subtracting(reads))
            }
            cells[id] = cell
        }
    }

    // MARK: Running

    /// A cell chosen to run, with the state it must run on. Taken by `nextRun()`, run by a
    /// `CellRunner` outside any lock, and handed back to `complete(_:_:)`.
    struct RunPlan: Sendable {
        let cell: NotebookCell
        /// 1-based place among its chapter's steps.
        let index: Int
        /// Where each slot's contents come from, just before the cell.
        let source: [StateSlot: SlotSource]
    }

    /// The first dirty cell that can run now, marked running; nil when none can. On the way it
    /// marks stale the dirty cells that cannot: long ones nobody asked to run, and cells that read
    /// what such a cell would rebuild.
    mutating func nextRun() -> RunPlan? {
        var source: [StateSlot: SlotSource] = [.data: .initial, .model: .initial, .swift: .initial]
        for chapter in chapters {
            var index = 0
            for id in chapter.cellIDs {
                index += 1
                guard var cell = cells[id] else { continue }
                let reads = cell.reads(runner), writes = cell.writes(runner)
                if !cell.dirty {
                    for slot in cell.changed { if let saved = cell.after[slot] { source[slot] = .cell(id, saved) } }
                    continue
                }
                if cell.freshness == .running { return nil }  // one cell at a time
                if let waiting = reads.lazy.compactMap({ slot -> Int? in
                    if case .unavailable(let above) = source[slot] { above } else { nil }
                }).first {
                    setStale(&cell, "it reads what step \(stepName(waiting)) above builds, which is stale: run that one first")
                    for slot in writes { source[slot] = .unavailable(id) }
                    continue
                }
                if cell.runsLong && !cell.requested {
                    setStale(&cell, cell.stopNote ?? (cell.record == nil ? "not run yet: it trains a model, so it waits for Run"
                                                                         : "its inputs changed: it trains a model, so it waits for Run"))
                    for slot in writes { source[slot] = .unavailable(id) }
                    continue
                }
                cell.freshness = .running
                cell.revision += 1
                cells[id] = cell
                return RunPlan(cell: cell, index: index, source: source)
            }
        }
        return nil
    }

    /// Takes the outcome of `plan`'s run. It is kept only if nothing the cell depends on changed
    /// while it ran (its `epoch` is the same); otherwise the cell stays dirty and runs again.
    mutating func complete(_ plan: RunPlan, _ outcome: RunOutcome) {
        guard var cell = cells[plan.cell.id] else { return }
        let writesBefore = cell.writes(runner)
        guard cell.epoch == plan.cell.epoch else {
            cell.freshness = .stale
            cell.revision += 1
            cells[cell.id] = cell
            return
        }
        if let stopped = outcome.stopped {
            cell.freshness = .stale
            cell.staleReason = stopped
            cell.stopNote = stopped
            cell.requested = false
            cell.changed.formUnion(outcome.changed)
            cell.revision += 1
            cells[cell.id] = cell
            return
        }
        cell.record = outcome.record
        cell.runSeconds = outcome.seconds
        cell.stopNote = nil
        cell.changed = outcome.changed
        cell.after = outcome.after
        cell.freshness = .fresh
        cell.staleReason = nil
        cell.dirty = false
        cell.requested = false
        cell.revision += 1
        cells[cell.id] = cell
        if !outcome.changed.isSubset(of: writesBefore), let next = nextCell(after: cell.id) {
            // It built a default no one expected it to: what reads that below must run on it.
            propagate(injecting: [next: outcome.changed.subtracting(writesBefore)])
        }
    }

    private mutating func setStale(_ cell: inout NotebookCell, _ reason: String) {
        if cell.freshness != .stale || cell.staleReason != reason {
            cell.freshness = .stale
            cell.staleReason = reason
            cell.revision += 1
        }
        cells[cell.id] = cell
    }

    private func nextCell(after id: Int) -> Int? {
        let all = order
        return all.firstIndex(of: id).flatMap { $0 + 1 < all.count ? all[$0 + 1] : nil }
    }

    private func stepName(_ id: Int) -> String {
        guard let cell = cells[id] else { return "#\(id)" }
        let index = (chapters.first { $0.number == cell.chapter }?.cellIDs.firstIndex(of: id)).map { $0 + 1 } ?? 0
        return "'\(cell.invocation.id)' (chapter \(cell.chapter), step \(index))"
    }

    // MARK: Invocations

    /// `base` with `values`: each known name's value replaced (keeping where the chapter wrote it),
    /// new names added after the others, a value equal to the step's default left out when the
    /// chapter did not write it (so that saving writes only what the learner changed), and an
    /// expression's input given as empty taken out.
    static func invocation(_ base: StepInvocation, original: StepInvocation?, with values: [(name: String, value: String)],
                           registry: StepRegistry = .standard) -> StepInvocation {
        var result = base
        let definition = registry[base.id]
        for (name, value) in values {
            let inOriginal = original?.parameter(name) != nil
            if definition?.parameter(name) == nil, definition?.takesNamedInputs == true, value.trimmingCharacters(in: .whitespaces).isEmpty {
                result.parameters.removeAll { $0.name == name }  // an input left empty is taken out
                continue
            }
            let isDefault = definition?.parameter(name)?.defaultValue == value
            if let index = result.parameters.firstIndex(where: { $0.name == name }) {
                if isDefault && !inOriginal {
                    result.parameters.remove(at: index)
                } else {
                    result.parameters[index].value = value
                }
            } else if !(isDefault && !inOriginal) {
                let location = original?.parameter(name)?.location ?? base.location
                result.parameters.append(Parameter(name: name, value: value, location: location,
                                                   valueLocation: original?.parameter(name)?.valueLocation ?? location))
            }
        }
        return result
    }

    /// Whether two invocations run the same step with the same values and code (wherever they were written).
    static func sameStep(_ a: StepInvocation, _ b: StepInvocation) -> Bool {
        a.id == b.id && a.code == b.code && a.parameters.map { [$0.name, $0.value] } == b.parameters.map { [$0.name, $0.value] }
    }

    /// The parameter a validation error is about: the one written where it points.
    static func parameterNamed(in error: LessonError, of invocation: StepInvocation) -> String? {
        if let quoted = error.message.split(separator: "'").dropFirst().first,
           error.message.hasPrefix("parameter '") || error.message.hasPrefix("input '") || error.message.hasPrefix("missing parameter '")
            || error.message.hasPrefix("unknown parameter '") {
            return String(quoted)
        }
        return invocation.parameters.first { $0.valueLocation == error.location || $0.location == error.location }?.name
    }
}

extension NotebookCell {
    /// The slots the cell reads: what it needs, and what that is built from.
    func reads(_ runner: LessonRunner) -> Set<StateSlot> {
        Set((runner.registry[invocation.id]?.needs ?? []).flatMap(\.withPrerequisites).map(\.slot))
    }

    /// The slots the cell writes: what it provides, and what its last run was seen to change
    /// (a step that needs something no step above built builds the default).
    func writes(_ runner: LessonRunner) -> Set<StateSlot> {
        Set((runner.registry[invocation.id]?.provides ?? []).map(\.slot)).union(changed)
    }
}

// MARK: Running a cell

/// What one run of a cell gave.
struct RunOutcome: Sendable {
    var record: StepRecord?
    /// Slots the run changed, and their contents after it.
    var changed: Set<StateSlot> = []
    var after: [StateSlot: SavedSlot] = [:]
    /// Why the run stopped before its end (it was cancelled); nil when it ran to the end.
    var stopped: String?
    /// How long the run took.
    var seconds = 0.0
}

/// The live lesson state cells run on, and which saved contents it holds, slot by slot. A
/// session's worker owns one and uses it from one thread at a time.
final class CellRunner: @unchecked Sendable {
    let runner: LessonRunner
    private let state: LessonState
    /// Missing for a slot whose contents are unknown (a run stopped half-way through changing it).
    private var loaded: [StateSlot: Timeline.SlotSource] = [.data: .initial, .model: .initial, .swift: .initial]

    init(runner: LessonRunner) {
        self.runner = runner
        state = runner.makeState()
    }

    /// Runs `plan`'s cell on the state its plan describes; `observe` hears each training step and
    /// answers false to stop the run.
    func run(_ plan: Timeline.RunPlan, observe: @escaping (TrainingProgress) -> Bool) -> RunOutcome {
        for slot in StateSlot.allCases where loaded[slot] != plan.source[slot] {
            switch plan.source[slot] {
            case .cell(_, let saved): state.restore(saved.contents)
            default: state.restore(.empty(slot))
            }
            loaded[slot] = plan.source[slot]
        }
        let before = state.versions
        let started = ContinuousClock.now
        state.trainingObserver = observe
        defer { state.trainingObserver = nil }
        var record = runner.run(plan.cell.invocation, chapter: plan.cell.chapter, index: plan.index, state: state)
        let changed = Set(StateSlot.allCases.filter { state.versions[$0] != before[$0] })
        if record.error?.message.hasPrefix("training was stopped") == true {
            // The model is half-trained: what the cell builds is unknown until it runs again.
            for slot in changed { loaded[slot] = nil }
            return RunOutcome(record: nil, changed: changed, stopped: "its run was cancelled: press Run to train again")
        }
        record.index = plan.index
        let took = ContinuousClock.now - started
        var outcome = RunOutcome(record: record, changed: changed,
                                 seconds: Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
        for slot in changed {
            let saved = SavedSlot(state.save(slot))
            outcome.after[slot] = saved
            loaded[slot] = .cell(plan.cell.id, saved)
        }
        return outcome
    }
}
