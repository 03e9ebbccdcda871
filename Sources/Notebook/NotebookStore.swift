// Every session of one notebook server, the first run they all start from, and the watch on the
// chapter files. The chapters run once when the server starts (the baseline, exactly a `gpt run`);
// each new tab gets a copy of it, so opening the notebook costs no training. When a chapter file
// changes on disk, every session (and the baseline) takes the new text and its pages redraw.
import Foundation
import Lessons
import Synchronization

/// The sessions of a notebook server.
public final class NotebookStore: Sendable {
    public let runner: LessonRunner
    public let limits: NotebookLimits
    /// The first run, which new sessions copy; it is never served itself.
    let baseline: NotebookSession
    private let sessions = Mutex<[String: NotebookSession]>([:])
    private let watched = Mutex<[String: FileStamp]>([:])
    /// The lessons folder's problem, when it cannot be listed (its chapters are then empty).
    private let folderProblem = Mutex<LessonError?>(nil)

    public init(runner: LessonRunner, limits: NotebookLimits = NotebookLimits()) {
        self.runner = runner
        self.limits = limits
        var sources: [ChapterSource] = []
        do {
            sources = try runner.chapters()
        } catch {
            folderProblem.withLock { $0 = error }
        }
        baseline = NotebookSession(id: "baseline", timeline: Timeline(runner: runner, sources: sources), limits: limits)
        watched.withLock { $0 = Self.stamps(runner.lessonsDirectory) }
    }

    private let started = Mutex(false)

    /// Starts the first run of every chapter in the background.
    public func start() {
        started.withLock { $0 = true }
        try? baseline.apply { _ throws(NotebookError) in }
    }

    /// True once the first run has done all it can (a cell it had to stop stays stale): new
    /// sessions then copy it instead of running the chapters again.
    public var isReady: Bool { started.withLock { $0 } && !baseline.isWorking }

    /// How far the first run is: cells done of all cells.
    public var baselineProgress: (done: Int, total: Int) {
        baseline.read { timeline in
            (timeline.cells.values.count { $0.freshness == .fresh || ($0.record != nil && $0.freshness != .running) }, timeline.cells.count)
        }
    }

    /// The problem with the lessons folder itself, if it has one.
    public var problem: LessonError? { folderProblem.withLock { $0 } }

    // MARK: Sessions

    /// A new session, copied from the first run. The session used longest ago ends when there
    /// are already `limits.maxSessions`; sessions unused past `limits.idleExpiry` end here too.
    public func newSession() -> NotebookSession {
        endIdleSessions()
        let session = NotebookSession(id: Self.newID(), timeline: baseline.read { $0.forNewSession() }, limits: limits)
        let evicted = sessions.withLock { sessions -> NotebookSession? in
            var oldest: NotebookSession?
            if sessions.count >= limits.maxSessions {
                oldest = sessions.values.min { $0.lastUsed < $1.lastUsed }
                if let oldest { sessions[oldest.id] = nil }
            }
            sessions[session.id] = session
            return oldest
        }
        evicted?.end("the notebook keeps \(limits.maxSessions) sessions at once, and a newer tab needed this one's place")
        try? session.apply { _ throws(NotebookError) in }  // runs what the baseline had not finished
        return session
    }

    public func session(_ id: String) -> NotebookSession? { sessions.withLock { $0[id] } }

    public var sessionCount: Int { sessions.withLock { $0.count } }

    private func endIdleSessions() {
        let now = ContinuousClock.now
        let idle = sessions.withLock { sessions -> [NotebookSession] in
            let idle = sessions.values.filter { !$0.hasStreams && now - $0.lastUsed > limits.idleExpiry }
            for session in idle { sessions[session.id] = nil }
            return idle
        }
        for session in idle { session.end("nobody used it for \(limits.idleExpiry.spokenMinutes)") }
    }

    /// Ends every session (the server is stopping).
    public func endAll(_ reason: String) {
        let all = sessions.withLock { sessions in
            defer { sessions = [:] }
            return Array(sessions.values)
        }
        for session in all { session.end(reason) }
        baseline.end(reason)
    }

    /// 128 random bits as hex: a session id nobody can guess.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(generator.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
    }

    // MARK: Watching the chapter files

    /// A file's modification time and size: when either moves, the file changed.
    struct FileStamp: Equatable, Sendable {
        var modified: Date
        var size: Int
    }

    private static func stamps(_ directory: String) -> [String: FileStamp] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var stamps: [String: FileStamp] = [:]
        for name in names where name.hasSuffix(".md") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { continue }
            stamps[name] = FileStamp(modified: attributes[.modificationDate] as? Date ?? .distantPast,
                                     size: (attributes[.size] as? NSNumber)?.intValue ?? 0)
        }
        return stamps
    }

    /// Looks at the chapter files once; every chapter that changed, appeared or went away is
    /// reloaded in every session. Returns the numbers of the chapters that changed.
    @discardableResult
    public func checkFiles() -> [Int] {
        let now = Self.stamps(runner.lessonsDirectory)
        let before = watched.withLock { watched in
            defer { watched = now }
            return watched
        }
        guard now != before else { return [] }
        let sources: [ChapterSource]
        do {
            sources = try runner.chapters()
            folderProblem.withLock { $0 = nil }
        } catch {
            folderProblem.withLock { $0 = error }
            return []
        }
        let changedNames = Set(now.keys.filter { now[$0] != before[$0] }).union(before.keys.filter { now[$0] == nil })
        let changed = sources.filter { changedNames.contains(($0.file as NSString).lastPathComponent) }
        let removed = baseline.read { timeline in
            timeline.chapters.filter { chapter in !sources.contains { $0.number == chapter.number } }.map(\.number)
        }
        guard !changed.isEmpty || !removed.isEmpty else { return [] }
        let everyone = sessions.withLock { Array($0.values) } + [baseline]
        for session in everyone {
            try? session.apply { timeline throws(NotebookError) in
                for number in removed { timeline.removeChapter(number) }
                for source in changed { timeline.reload(source) }
                if session === baseline { timeline.requestAll() }
            }
        }
        return changed.map(\.number) + removed
    }

    /// Checks the chapter files every `interval` until the task is cancelled.
    public func watchFiles(every interval: Duration = .milliseconds(500)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            checkFiles()
        }
    }
}

extension String {
    func leftPadded(to length: Int) -> String { String(repeating: "0", count: max(0, length - count)) + self }
}
