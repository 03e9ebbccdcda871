// Classifying many lines on several cores. Each line's result depends on that line alone (what
// the classifier keeps from one line to the next is only work it need not repeat, never a
// different answer), so the lines, sorted, are cut into contiguous parts, each part is classified
// on its own thread by its own copy of the classifier (the inference pass reuses scratch space and
// may not be shared), and the results are put back in the order given: the same results, bit for
// bit, whatever the number of threads.
import Foundation

extension LogClassifier {
    /// Every message's classification (or why it has none), in the order given, on `jobs` threads.
    /// The messages are classified in sorted order, so each follows the one that shares most of its
    /// start, whose keys and values the inference pass reuses (see `InferencePass`); the results
    /// go back to the order given.
    public func classifyAll(_ messages: [String], jobs: Int = LogClassifier.defaultJobs) -> [Result<Classification, ClassificationError>] {
        let order = messages.indices.sorted { messages[$0].unicodeScalars.lexicographicallyPrecedes(messages[$1].unicodeScalars) }
        let parts = max(1, min(jobs, messages.count / Self.linesPerJob))
        let bounds = (0...parts).map { $0 * messages.count / parts }
        let results = UnsafeMutableBufferPointer<Result<Classification, ClassificationError>?>.allocate(capacity: messages.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let classifiers = Unchecked([self] + (1..<parts).map { _ in copy() })
        let shared = Unchecked(results)
        let classifyPart: @Sendable (Int) -> Void = { part in
            let classifier = classifiers.value[part]
            for index in order[bounds[part]..<bounds[part + 1]] {
                shared.value[index] = Result { () throws(ClassificationError) in try classifier.classify(messages[index]) }
            }
        }
        if parts == 1 { classifyPart(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: classifyPart) }
        return results.map { $0! }
    }

    /// One thread per core this process may use.
    public static var defaultJobs: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Below this many lines per thread, starting threads costs more than it saves.
    static let linesPerJob = 64
}

/// What the threads share without Swift being able to see that it is safe: each thread uses its
/// own classifier, and writes the results buffer at its own indices only.
private struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
