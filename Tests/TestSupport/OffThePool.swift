// Long blocking work in a test (a child process, a compile, a chapter run) on a thread of its
// own. A synchronous test blocks one of the concurrency pool's threads, of which there are as many
// as cores: two here. Two long ones at once left no thread for the servers that other suites start
// and await, which then timed out waiting to listen.
import Dispatch

/// `body`'s result, computed on a dispatch thread while the calling task waits without a thread.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
