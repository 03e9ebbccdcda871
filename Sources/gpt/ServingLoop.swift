// How `gpt serve` and `gpt notebook` run their servers: on Swift's concurrency threads and NIO's
// while the main thread waits for the server to end; SIGINT and SIGTERM stop it, letting open
// requests finish, never killing the process mid-response.
import ArgumentParser
import Dispatch
import Foundation
import Synchronization

enum ServingLoop {
    /// Blocks SIGINT and SIGTERM. Call it before the server starts its threads, which inherit the
    /// mask, so that each signal waits for its dispatch source (a signalfd) below instead of
    /// landing on a thread that drops it.
    static func blockStopSignals() {
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        for signalNumber in [SIGINT, SIGTERM] { sigaddset(&stopSignals, signalNumber) }
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
    }

    /// Runs `run` until it returns, calling `stop` on SIGINT or SIGTERM (saying so as `stopping`),
    /// and `listening` once, as soon as it can, in a task of its own. A failure is printed and
    /// ends the command with status 1.
    static func serve(run: @escaping @Sendable () async throws -> Void, stop: @escaping @Sendable () async -> Void,
                      stopping: String, listening: @escaping @Sendable () async -> Void) throws {
        let stoppers = [SIGINT, SIGTERM].map { signalNumber in
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                Terminal.warn("\n" + stopping)
                Task { await stop() }
            }
            source.resume()
            return source
        }
        let failure = Mutex<String?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Task {
            do { try await run() } catch { failure.withLock { $0 = "\(error)" } }
            finished.signal()
        }
        Task { await listening() }
        finished.wait()
        stoppers.forEach { $0.cancel() }
        if let failure = failure.withLock({ $0 }) {
            Terminal.warn("error: \(failure)")
            throw ExitCode.failure
        }
    }
}
