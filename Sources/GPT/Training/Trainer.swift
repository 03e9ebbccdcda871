// The training loop: one document per step, forward, backward, Adam, forget the step's nodes.
// It reports progress through a callback and never prints: the caller decides how progress looks.
import Autograd

/// How to train.
public struct TrainingOptions: Sendable, Equatable {
    /// Optimizer steps; each trains on one document.
    public var steps: Int
    /// Seeds the order in which training documents are visited.
    public var seed: UInt64
    public var adam: AdamSettings
    /// Weight of the message's characters in the loss, relative to the label's (1 = plain language
    /// modelling as in the original; smaller spends the model's capacity on the label).
    public var messageWeight: Double

    public init(steps: Int, seed: UInt64 = 42, adam: AdamSettings = AdamSettings(), messageWeight: Double = 1) {
        self.steps = steps
        self.seed = seed
        self.adam = adam
        self.messageWeight = messageWeight
    }
}

/// What the loop reports after each step.
public struct TrainingProgress: Sendable {
    public let step: Int        // 1-based
    public let steps: Int
    public let loss: Double
    public let nodes: Int       // nodes this step recorded
    public let elapsedSeconds: Double
}

/// Why training stopped early.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case nonFiniteLoss(step: Int, loss: Double)
    case noDocuments
    /// `shouldStop` asked the loop to stop after `step` steps (the model keeps what they did).
    case stopped(step: Int)

    public var description: String {
        switch self {
        case .nonFiniteLoss(let step, let loss):
            return "training stopped at step \(step): the loss is \(loss)\nHINT: lower the learning rate (--lr) and train again; nothing was written"
        case .noDocuments:
            return "there is nothing to train on: the training part of the data is empty"
        case .stopped(let step):
            return "training was stopped after step \(step)"
        }
    }
}

/// Trains `model` in place on `documents`, calling `progress` after every step, and stopping
/// (with `TrainingError.stopped`) before any step for which `shouldStop` says so.
/// The i-th step trains on the i-th document of a seeded shuffle, cycling when the list ends.
/// `documents` may make each document when it is read (as `gpt train` does, for large files).
/// `afterBackward` sees the model after each step's backward pass, before Adam moves the weights:
/// it may read the weights' gradients (the lessons chart their norms), and must change nothing.
public func train<Documents: RandomAccessCollection<Document>>(
    _ model: GPT, on documents: Documents, options: TrainingOptions,
    clock: () -> Double, progress: (TrainingProgress) -> Void = { _ in }, shouldStop: () -> Bool = { false },
    afterBackward: (GPT) -> Void = { _ in }
) throws(TrainingError) where Documents.Index == Int {
    guard !documents.isEmpty else { throw .noDocuments }
    var order = Array(documents.indices)
    var random = SeededRandom(seed: options.seed)
    random.shuffle(&order)
    var adam = Adam(parameterCount: model.parameterCount, settings: options.adam)
    let tape = model.tape
    let start = clock()
    tape.zeroGrad()
    for step in 0..<options.steps {
        if shouldStop() { throw .stopped(step: step) }
        let document = documents[order[step % order.count]]
        let loss = model.loss(of: document, messageWeight: options.messageWeight)
        let lossValue = tape.data(loss)
        guard lossValue.isFinite else { throw .nonFiniteLoss(step: step + 1, loss: lossValue) }
        let nodes = tape.count - model.weightsEnd.nodes
        tape.backward(from: loss)
        afterBackward(model)
        let schedule = 1 - Double(step) / Double(options.steps)  // linear decay to 0
        adam.update(values: tape.dataPointer(0), grads: tape.gradPointer(0), learningRateScale: schedule, kernels: tape.kernels)
        tape.truncate(to: model.weightsEnd)
        tape.zeroGrad()
        progress(TrainingProgress(step: step + 1, steps: options.steps, loss: lossValue, nodes: nodes,
                                  elapsedSeconds: clock() - start))
    }
}

extension GPT {
    /// Mean per-token loss (unweighted) over `documents`, computed without recording a graph.
    public func meanLoss(_ documents: some Collection<Document>) -> Double {
        guard !documents.isEmpty else { return .nan }
        let total = tape.withoutRecording {
            var total = 0.0
            for document in documents {
                total += tape.data(loss(of: document))
                tape.truncate(to: weightsEnd)
            }
            return total
        }
        return total / Double(documents.count)
    }
}
