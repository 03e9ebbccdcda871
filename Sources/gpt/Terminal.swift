// How the command line shows things: a live progress bar on a terminal, plain periodic lines
// when the output goes to a file or a pipe, and colour only on a terminal.
import Foundation
import GPT

enum Terminal {
    static let isInteractive = isatty(STDOUT_FILENO) == 1
    static let inputIsInteractive = isatty(STDIN_FILENO) == 1

    /// Seconds on a monotonic clock.
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Writes to standard error (warnings, errors) without mixing into the results on stdout.
    static func warn(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

/// Shows training progress: step, loss, steps/s and ETA.
struct ProgressReporter {
    private var lastDraw = 0.0
    private var smoothedLoss: Double?
    private var barIsOpen = false  // a bar drawn without its newline (the run has not reached its last step)

    mutating func show(_ progress: TrainingProgress) {
        smoothedLoss = smoothedLoss.map { 0.95 * $0 + 0.05 * progress.loss } ?? progress.loss
        let rate = Double(progress.step) / max(progress.elapsedSeconds, 1e-9)
        let remaining = Double(progress.steps - progress.step) / max(rate, 1e-9)
        let done = progress.step == progress.steps
        if Terminal.isInteractive {
            guard done || progress.elapsedSeconds - lastDraw >= 0.1 else { return }
            lastDraw = progress.elapsedSeconds
            let width = 30
            let filled = width * progress.step / progress.steps
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            print("\r[\(bar)] step \(progress.step)/\(progress.steps)  loss \(format(smoothedLoss!, 4))  "
                  + "\(Int(rate)) steps/s  ETA \(format(remaining, 1))s ", terminator: done ? "\n" : "")
            barIsOpen = !done
            fflush(nil)  // all output streams: the bar has no newline to flush it
        } else {
            let every = max(1, progress.steps / 10)
            guard progress.step % every == 0 || done else { return }
            print("step \(progress.step)/\(progress.steps)  loss \(format(smoothedLoss!, 4))  \(Int(rate)) steps/s  ETA \(format(remaining, 1))s")
        }
    }

    /// Ends the bar's line when training stopped before its last step, so what follows starts a line.
    mutating func finish() {
        if barIsOpen { print("") }
        barIsOpen = false
    }
}

/// A number with a fixed count of decimals.
func format(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
}
