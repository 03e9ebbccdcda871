// Classifying many lines on several cores. Each line's result depends on that line alone (what
// the classifier keeps from one line to the next is only work it need not repeat, never a
// different answer), so the lines, sorted, are cut into contiguous parts, each thread takes the
// next part not yet taken and classifies it with its own copy of the classifier (the inference
// pass reuses scratch space and may not be shared), and the results are put back in the order
// given: the same results, bit for bit, whatever the number of threads.
import Foundation
import Synchronization

extension LogClassifier {
    /// Every message's classification (or why it has none), in the order given, on `jobs` threads.
    /// The messages are classified in sorted order, so each follows the one that shares most of its
    /// start, whose keys and values the inference pass reuses (see `InferencePass`); the results
    /// go back to the order given.
    public func classifyAll(_ messages: [String], jobs: Int = LogClassifier.defaultJobs) -> [Result<Classification, ClassificationError>] {
        let order = messages.indices.sorted { messages[$0].unicodeScalars.lexicographicallyPrecedes(messages[$1].unicodeScalars) }
        let threads = max(1, min(jobs, messages.count / Self.linesPerJob))
        // Several parts per thread rather than one: lines cost what their new characters cost, so
        // equal halves can take unequal times, and a thread that finishes early takes another
        // part. Each part's first line reuses nothing from the line before, a small price.
        let parts = threads == 1 ? 1 : threads * Self.partsPerThread
        let bounds = (0...parts).map { $0 * messages.count / parts }
        let results = UnsafeMutableBufferPointer<Result<Classification, ClassificationError>?>.allocate(capacity: messages.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let classifiers = Unchecked([self] + (1..<threads).map { _ in copy() })
        let shared = Unchecked(results)
        let nextPart = PartCounter()
        let classifyParts: @Sendable (Int) -> Void = { thread in
            let classifier = classifiers.value[thread]
            while let part = nextPart.take(below: parts) {
                for index in order[bounds[part]..<bounds[part + 1]] {
                    shared.value[index] = Result { () throws(ClassificationError) in try classifier.classify(messages[index]) }
                }
            }
        }
        if threads == 1 { classifyParts(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: classifyParts) }
        return results.map { $0! }
    }

    /// One thread per core this process may use.
    public static var defaultJobs: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Below this many lines per thread, starting threads costs more than it saves.
    static let linesPerJob = 64

    /// How many parts each thread's share of the lines is cut into.
    static let partsPerThread = 8
}

/// The next part of the work, for threads that take one part after another.
private final class PartCounter: Sendable {
    private let next = Mutex(0)

    /// The next part not yet taken, or nil once all `count` are.
    func take(below count: Int) -> Int? {
        next.withLock { next in
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }
}

/// What the threads share without Swift being able to see that it is safe: each thread uses its
/// own classifier, and writes the results buffer at its own indices only.
private struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
