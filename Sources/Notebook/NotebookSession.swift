// One browser tab's notebook: a timeline behind a lock, and a worker that runs its dirty cells one
// at a time on a thread of its own, so a training run never holds up a request. Edits apply at
// once (the cells they reach turn stale in the page straight away); the worker then re-runs what
// can run, and every change of a cell, and every training step's progress, goes to the pages
// that follow the session's events.
import Dispatch
import Foundation
import GPT
import Lessons
import Synchronization

/// Bounds on what the notebook keeps and runs. README.md lists them; each has a loopback test.
public struct NotebookLimits: Sendable, Equatable {
    /// Sessions (browser tabs) kept at once. One more ends the one used longest ago.
    public var maxSessions = 8
    /// A session nobody has used (no request, no open page) for this long is ended.
    public var idleExpiry: Duration = .seconds(2 * 3600)
    /// Longest one cell may run (a training run); then it is stopped and marked stale.
    public var maxRunTime: Duration = .seconds(600)
    /// How long a request that changed something waits for the cells it reached before it
    /// answers; what is still running then reaches the page as events.
    public var answerWithin: Duration = .milliseconds(2000)
    /// Cells a learner may add to one session.
    public var maxAddedCells = 200
    /// The longest code a Swift cell may be given, in bytes of UTF-8: the compiler takes every
    /// byte, and the cells below compile it again as part of their own programs.
    public var maxCodeBytes = 64 * 1024
    /// Event streams open at once on one session (pages of one tab, reloaded).
    public var maxStreamsPerSession = 8
    /// How often an event stream sends a heartbeat, well inside the HTTP server's idle timeout.
    public var heartbeat: Duration = .seconds(10)

    public init() {}

    /// The limits in words, for the README, `--help` and the page.
    public var summary: String {
        "\(maxSessions) sessions at once (the one used longest ago ends to make room), a session ends after "
            + "\(Int(idleExpiry.components.seconds / 60)) minutes unused, a cell runs for at most "
            + "\(Int(maxRunTime.components.seconds / 60)) minutes, \(maxAddedCells) added cells per session, "
            + "\(maxCodeBytes / 1024) KB of code per Swift cell"
    }
}

/// How a running training step is doing.
public struct RunProgress: Sendable, Equatable, Encodable {
    public var cell: Int
    public var step: Int
    public var steps: Int
    public var loss: Double
    public var elapsedSeconds: Double
    /// Seconds left at the pace so far.
    public var remainingSeconds: Double
}

/// What a page following a session hears.
public enum NotebookEvent: Sendable, Equatable {
    /// These cells changed (status, outputs, values or stale mark).
    case cells([NotebookCell])
    /// The running cell's training progress.
    case progress(RunProgress)
    /// Chapter `number` gained, lost or reordered cells, or its file changed: redraw it.
    case chapter(Int)
    /// The session ended; the reason is for the page.
    case ended(String)
    case heartbeat
}

/// One tab's notebook.
public final class NotebookSession: Sendable {
    public let id: String
    let limits: NotebookLimits
    private let cellRunner: CellRunner
    private let queue: DispatchQueue
    private let shared: Mutex<Shared>
    private let stopReason = Mutex<String?>(nil)
    /// Each cell's HTML as last drawn, by what it depends on: every page that follows the session
    /// gets a changed cell from one drawing (a heatmap takes tens of milliseconds).
    private let drawn = Mutex<[Int: (key: [Int], html: String)]>([:])

    private struct Shared {
        var timeline: Timeline
        var working = false
        var progress: RunProgress?
        var lastProgressSent = 0.0
        var sentRevisions: [Int: Int] = [:]
        var streams: [Int: AsyncStream<NotebookEvent>.Continuation] = [:]
        var nextStream = 0
        var lastUsed = ContinuousClock.now
        var addedCells = 0
        var ended: String?
    }

    init(id: String, timeline: Timeline, limits: NotebookLimits) {
        self.id = id
        self.limits = limits
        cellRunner = CellRunner(runner: timeline.runner)
        queue = DispatchQueue(label: "notebook.session.\(id)")
        var revisions: [Int: Int] = [:]
        for (id, cell) in timeline.cells { revisions[id] = cell.revision }
        shared = Mutex(Shared(timeline: timeline, sentRevisions: revisions))
    }

    // MARK: Reading

    /// `body` of the timeline as it is now (it may be running).
    func read<T, Failure: Error>(_ body: (Timeline) throws(Failure) -> T) throws(Failure) -> T {
        try shared.withLock { shared throws(Failure) -> T in
            shared.lastUsed = .now
            return try body(shared.timeline)
        }
    }

    /// The running cell's progress, if a training step is running.
    public var progress: RunProgress? { shared.withLock { $0.progress } }

    /// True while the worker runs cells.
    public var isWorking: Bool { shared.withLock { $0.working } }

    /// Why the session ended, once it has.
    public var endReason: String? { shared.withLock { $0.ended } }

    var lastUsed: ContinuousClock.Instant { shared.withLock { $0.lastUsed } }
    var hasStreams: Bool { shared.withLock { !$0.streams.isEmpty } }

    // MARK: Changing

    /// Applies `change` to the timeline, starts the worker on what it made dirty, and waits (up to
    /// `limits.answerWithin`) for the worker to finish. A refused change throws and changes nothing.
    @discardableResult
    func change<T>(addsCell: Bool = false, _ change: (inout Timeline) throws(NotebookError) -> T) async throws(NotebookError) -> T {
        let result = try apply(addsCell: addsCell, change)
        await waitUntilIdle(limits.answerWithin)
        return result
    }

    /// `change` without waiting for the cells it reached.
    func apply<T>(addsCell: Bool = false, _ change: (inout Timeline) throws(NotebookError) -> T) throws(NotebookError) -> T {
        let result = try shared.withLock { shared throws(NotebookError) -> T in
            if let ended = shared.ended { throw NotebookError(status: 410, "this notebook session has ended: \(ended)", hint: "open the notebook's address again for a new one") }
            if addsCell {
                guard shared.addedCells < limits.maxAddedCells else {
                    throw NotebookError(status: 422, "this session already has the \(limits.maxAddedCells) added cells a session may have",
                                        hint: "remove some, or save the chapter and open it again")
                }
            }
            shared.lastUsed = .now
            let layout = shared.timeline.chapters.map(\.segments)
            let result = try change(&shared.timeline)
            if addsCell { shared.addedCells += 1 }
            for (old, chapter) in zip(layout, shared.timeline.chapters) where old != chapter.segments {
                Self.send(.chapter(chapter.number), in: &shared)
            }
            Self.sendChangedCells(in: &shared)
            return result
        }
        startWorker()
        return result
    }

    /// Stops the running training step, which then shows as stale with a Run button.
    public func cancelRun() {
        stopReason.withLock { $0 = "its run was cancelled: press Run to train again" }
    }

    /// Waits until the worker has nothing left to run, or `timeout` passes; true when it finished.
    @discardableResult
    func waitUntilIdle(_ timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isWorking {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    // MARK: The worker

    private func startWorker() {
        let start = shared.withLock { shared -> Bool in
            guard !shared.working, shared.ended == nil else { return false }
            shared.working = true
            return true
        }
        if start { queue.async { self.work() } }
    }

    /// Runs cells until none can run.
    private func work() {
        while true {
            let plan = shared.withLock { shared -> Timeline.RunPlan? in
                let plan = shared.ended == nil ? shared.timeline.nextRun() : nil
                Self.sendChangedCells(in: &shared)
                if plan == nil { shared.working = false }
                return plan
            }
            guard let plan else { return }
            stopReason.withLock { $0 = nil }
            let started = ContinuousClock.now
            let limit = limits.maxRunTime
            var outcome = cellRunner.run(plan) { progress in
                self.report(progress, cell: plan.cell.id, since: started)
                if ContinuousClock.now - started > limit {
                    self.stopReason.withLock { $0 = $0 ?? "it ran past the notebook's limit of \(limit.spokenMinutes) a run, and was stopped" }
                }
                return self.stopReason.withLock { $0 == nil }
            }
            if outcome.stopped != nil { outcome.stopped = stopReason.withLock { $0 } ?? outcome.stopped }
            shared.withLock { shared in
                shared.timeline.complete(plan, outcome)
                shared.progress = nil
                Self.sendChangedCells(in: &shared)
            }
        }
    }

    private func report(_ training: TrainingProgress, cell: Int, since start: ContinuousClock.Instant) {
        let elapsed = (ContinuousClock.now - start).seconds
        let progress = RunProgress(cell: cell, step: training.step, steps: training.steps, loss: training.loss, elapsedSeconds: elapsed,
                                   remainingSeconds: elapsed / Double(training.step) * Double(training.steps - training.step))
        shared.withLock { shared in
            shared.progress = progress
            // A few updates a second are enough for a page, and cheap for the training loop.
            guard elapsed - shared.lastProgressSent >= 0.1 || training.step == training.steps else { return }
            shared.lastProgressSent = elapsed
            Self.send(.progress(progress), in: &shared)
        }
    }

    /// The HTML of `cell` at its place (`index` of `count`), drawn by `draw` unless it already was.
    func html(of cell: NotebookCell, index: Int, count: Int, draw: () -> String) -> String {
        let key = [cell.revision, index, count]
        if let known = drawn.withLock({ $0[cell.id] }), known.key == key { return known.html }
        let html = draw()
        drawn.withLock { $0[cell.id] = (key, html) }
        return html
    }

    // MARK: Events

    /// A stream of the session's events, with a heartbeat every `limits.heartbeat`; nil when the
    /// session already has `limits.maxStreamsPerSession` open.
    func events() -> AsyncStream<NotebookEvent>? {
        let (stream, continuation) = AsyncStream.makeStream(of: NotebookEvent.self, bufferingPolicy: .bufferingNewest(256))
        let key = shared.withLock { shared -> Int? in
            guard shared.streams.count < limits.maxStreamsPerSession, shared.ended == nil else { return nil }
            let key = shared.nextStream
            shared.nextStream += 1
            shared.streams[key] = continuation
            shared.lastUsed = .now
            return key
        }
        guard let key else { return nil }
        let heartbeat = limits.heartbeat
        let beat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: heartbeat)
                continuation.yield(.heartbeat)
            }
        }
        continuation.onTermination = { [weak self] _ in
            beat.cancel()
            self?.shared.withLock { shared in
                shared.streams[key] = nil
                shared.lastUsed = .now
            }
        }
        return stream
    }

    /// Ends the session: its pages hear why, its streams close, and it runs nothing more.
    func end(_ reason: String) {
        stopReason.withLock { $0 = "the session ended" }
        let streams = shared.withLock { shared -> [AsyncStream<NotebookEvent>.Continuation] in
            shared.ended = reason
            return Array(shared.streams.values)
        }
        for stream in streams {
            stream.yield(.ended(reason))
            stream.finish()
        }
    }

    private static func send(_ event: NotebookEvent, in shared: inout Shared) {
        for stream in shared.streams.values { stream.yield(event) }
    }

    private static func sendChangedCells(in shared: inout Shared) {
        let changed = shared.timeline.order.compactMap { id -> NotebookCell? in
            guard let cell = shared.timeline.cells[id], shared.sentRevisions[id] != cell.revision else { return nil }
            return cell
        }
        guard !changed.isEmpty else { return }
        for cell in changed { shared.sentRevisions[cell.id] = cell.revision }
        send(.cells(changed), in: &shared)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var spokenMinutes: String {
        let minutes = seconds / 60
        return minutes >= 1 && minutes == minutes.rounded() ? "\(Int(minutes)) minute\(minutes == 1 ? "" : "s")" : "\(Int(seconds)) s"
    }
}
