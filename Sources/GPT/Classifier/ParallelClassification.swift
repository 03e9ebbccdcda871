// Classifying many lines on several cores. Each line's result depends on that line alone (the
// classifier keeps nothing from one line to the next), so the lines are cut into contiguous
// parts, each part is classified on its own thread by its own copy of the classifier (the
// inference pass reuses scratch space and may not be shared), and the parts are put back in order:
// the same results, bit for bit, whatever the number of threads.
import Foundation

extension LogClassifier {
    /// Every message's classification (or why it has none), in the order given, on `jobs` threads.
    public func classifyAll(_ messages: [String], jobs: Int = LogClassifier.defaultJobs) -> [Result<Classification, ClassificationError>] {
        let parts = max(1, min(jobs, messages.count / Self.linesPerJob))
        guard parts > 1 else { return messages.map { message in Result { () throws(ClassificationError) in try classify(message) } } }
        let bounds = (0...parts).map { $0 * messages.count / parts }
        let results = UnsafeMutableBufferPointer<Result<Classification, ClassificationError>?>.allocate(capacity: messages.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let classifiers = Unchecked([self] + (1..<parts).map { _ in copy() })
        let shared = Unchecked(results)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let classifier = classifiers.value[part]
            for index in bounds[part]..<bounds[part + 1] {
                shared.value[index] = Result { () throws(ClassificationError) in try classifier.classify(messages[index]) }
            }
        }
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
