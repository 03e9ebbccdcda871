#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

// Removes the temporary files of writes in progress (AtomicFile) when SIGINT (Ctrl-C), SIGTERM or
// SIGHUP stops the process, then lets the signal end the process as it would have, so the exit
// status still names the signal.
//
// A signal handler runs on any thread at any moment and may only call async-signal-safe functions:
// unlink, signal and raise, but no malloc and no lock. So the paths wait in memory allocated once,
// before the handler is installed: a fixed number of slots, each a state word and a buffer for a C
// string. A write claims a free slot (state 0 -> 1), copies its path in and publishes it (1 -> 2,
// release ordering); the handler unlinks every published path (read with acquire ordering); the
// write frees its slot (-> 0) once the file is renamed or removed. The handler reads the shared
// table through a `static let` that is initialised before the handler is installed, so the read is
// one atomic load, never the initialisation itself. Buffers are never freed, so a slot freed and
// reused while the handler runs can at worst unlink a temporary name that no longer exists.

/// Which temporary files a signal must not leave behind.
enum TemporaryFileCleanup {
    /// The table the signal handler reads.
    static let shared = Table(slots: 16)

    /// Registers `path` to be removed if a signal stops the process before `unregister`.
    /// Nil when every slot is taken (the file is then only removed on errors, as before).
    static func register(_ path: String) -> Int? {
        installHandlers()
        return shared.register(path)
    }

    static func unregister(_ slot: Int?) {
        if let slot { shared.unregister(slot) }
    }

    /// Paths in fixed slots that a signal handler can read and unlink without allocating.
    final class Table: @unchecked Sendable {  // shared by design: every access goes through `states`
        let slots: Int
        private let pathCapacity = Int(PATH_MAX) + 1
        private let states: UnsafeMutablePointer<Atomic<Int>>  // 0 free, 1 being filled, 2 registered
        private let paths: UnsafeMutablePointer<CChar>

        init(slots: Int) {
            self.slots = slots
            states = .allocate(capacity: slots)
            for slot in 0..<slots { (states + slot).initialize(to: Atomic(0)) }
            paths = .allocate(capacity: slots * pathCapacity)
        }

        func register(_ path: String) -> Int? {
            let bytes = path.utf8CString
            guard bytes.count <= pathCapacity else { return nil }
            for slot in 0..<slots where states[slot].compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged {
                bytes.withUnsafeBufferPointer { (paths + slot * pathCapacity).update(from: $0.baseAddress!, count: $0.count) }
                states[slot].store(2, ordering: .releasing)
                return slot
            }
            return nil
        }

        func unregister(_ slot: Int) {
            states[slot].store(0, ordering: .releasing)
        }

        /// Unlinks every registered path. Async-signal-safe: atomic loads and unlink, nothing else.
        func removeRegisteredFiles() {
            var slot = 0
            while slot < slots {
                if states[slot].load(ordering: .acquiring) == 2 { unlink(paths + slot * pathCapacity) }
                slot += 1
            }
        }

        /// The registered paths, for tests.
        var registeredPaths: [String] {
            (0..<slots).filter { states[$0].load(ordering: .acquiring) == 2 }.map { String(cString: paths + $0 * pathCapacity) }
        }
    }

    /// The signals that end the process by default and after which cleaning up is worth it.
    static let signals = [SIGINT, SIGTERM, SIGHUP]

    private static let installed = Mutex(false)

    /// Installs the handler once, for each signal whose disposition is still the default: a signal
    /// the process ignores (as `nohup` or a background job sets up) or handles itself (`gpt serve`)
    /// is left alone.
    private static func installHandlers() {
        _ = shared  // initialised before any handler can read it
        installed.withLock { installed in
            guard !installed else { return }
            installed = true
            for signalNumber in signals {
                var current = sigaction()
                guard sigaction(signalNumber, nil, &current) == 0, isDefault(current) else { continue }
                var action = sigaction()
                setHandler(&action, removeTemporaryFilesAndStop)
                sigemptyset(&action.sa_mask)
                action.sa_flags = 0
                _ = sigaction(signalNumber, &action, nil)
            }
        }
    }
}

/// The signal handler: removes the registered temporary files, restores the default action and
/// raises the signal again, which ends the process once the handler returns (the signal is
/// blocked while its handler runs).
private func removeTemporaryFilesAndStop(_ signalNumber: Int32) {
    TemporaryFileCleanup.shared.removeRegisteredFiles()
    signal(signalNumber, SIG_DFL)
    raise(signalNumber)
}

#if os(Linux)
private func isDefault(_ action: sigaction) -> Bool { action.__sigaction_handler.sa_handler == nil }
private func setHandler(_ action: inout sigaction, _ handler: @escaping @convention(c) (Int32) -> Void) {
    action.__sigaction_handler.sa_handler = handler
}
#else
private func isDefault(_ action: sigaction) -> Bool { action.__sigaction_u.__sa_handler == nil }
private func setHandler(_ action: inout sigaction, _ handler: @escaping @convention(c) (Int32) -> Void) {
    action.__sigaction_u.__sa_handler = handler
}
#endif
