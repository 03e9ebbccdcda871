// How a cell's outputs reach the runner: a line on standard output, after the run's marker (see
// `CellMessage`). Standard output is line-buffered from the cell's first line, so what the cell
// printed before a crash is not lost in a buffer, and printed text and shown outputs arrive in the
// order the cell made them.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LessonOutput

enum CellChannel {
    /// The marker the runner chose, or a readable one when the program runs on its own.
    static let marker: String = getenv(CellMessage.markerVariable).map { String(cString: $0) } ?? "cell-message"

    static func send(_ message: CellMessage) {
        fflush(stdout)
        print("\u{1E}\(marker) \(message.line())")
        fflush(stdout)
    }
}

/// What the runner's generated program calls around the cells (not for cells themselves): the
/// cells above the one being run are run again first, so that it sees what they defined, with
/// their output silenced; then the cell's own output is let through.
public enum CellProgram {
    nonisolated(unsafe) private static var savedOutput: Int32 = -1
    nonisolated(unsafe) private static var savedErrors: Int32 = -1

    /// Called first: the runner's folder, line-buffered output, and silence for the cells above.
    public static func start(silencingCellsAbove: Bool) {
        if let directory = getenv(CellMessage.directoryVariable) { _ = chdir(directory) }
        setvbuf(stdout, nil, _IOLBF, 0)
        guard silencingCellsAbove else { return }
        let null = open("/dev/null", O_WRONLY)
        guard null >= 0 else { return }
        savedOutput = dup(1)
        savedErrors = dup(2)
        dup2(null, 1)
        dup2(null, 2)
        close(null)
    }

    /// Called just before the cell being run: its output and errors are shown again.
    public static func beginCell() {
        fflush(stdout)
        fflush(stderr)
        if savedOutput >= 0 { dup2(savedOutput, 1); close(savedOutput); savedOutput = -1 }
        if savedErrors >= 0 { dup2(savedErrors, 2); close(savedErrors); savedErrors = -1 }
    }

    /// Called after the cell: what it printed last is written out before the process ends.
    public static func end() {
        fflush(stdout)
    }
}
