// Classifiers for concurrent requests. A LogClassifier runs inference on its own copy of the
// weights and is not thread-safe, so each request borrows one for itself and gives it back; when
// every classifier is out, the pool copies another. The loaded model itself is only ever read.
import GPT
import Synchronization

/// A pool of classifiers over one trained model, lent to one request at a time.
final class ClassifierPool: Sendable {
    /// Classifiers kept when requests give them back; more are made (and dropped) under load.
    let idleLimit: Int
    private let template: Lent
    private let idle: Mutex<[Lent]>

    init(_ trained: TrainedModel, idleLimit: Int = 8) {
        self.idleLimit = idleLimit
        template = Lent(LogClassifier(trained))
        idle = Mutex([])
    }

    /// Runs `body` with a classifier nobody else is using until it returns.
    func withClassifier<Result, Failure: Error>(_ body: (LogClassifier) throws(Failure) -> Result) throws(Failure) -> Result {
        let lent = idle.withLock { idle in idle.popLast() ?? Lent(template.classifier.copy()) }
        defer {
            idle.withLock { idle in
                if idle.count < idleLimit { idle.append(lent) }
            }
        }
        return try body(lent.classifier)
    }

    /// How many classifiers are waiting to be borrowed (for tests).
    var idleCount: Int { idle.withLock { $0.count } }
}

/// One classifier and the promise that makes it safe to pass between tasks: the pool hands each
/// box to a single borrower and takes it back before lending it again. The template is only
/// copied, and copying reads the loaded weights, never the template's own scratch tape, under the
/// pool's lock.
private final class Lent: @unchecked Sendable {
    let classifier: LogClassifier
    init(_ classifier: LogClassifier) { self.classifier = classifier }
}
