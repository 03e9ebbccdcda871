// Adam with bias correction and a learning rate that falls linearly to zero over the run.
// Works directly on the weights' value and grad buffers on the tape.
import Autograd
internal import EngineKernels

/// Settings of the optimizer; defaults are the original project's.
public struct AdamSettings: Sendable, Equatable, Codable {
    public var learningRate = 0.01
    public var beta1 = 0.85   // how much of the past gradient the first moment keeps per step
    public var beta2 = 0.99   // the same for the squared gradient (second moment)
    public var epsilon = 1e-8 // keeps the update finite where the second moment is ~0

    public init(learningRate: Double = 0.01, beta1: Double = 0.85, beta2: Double = 0.99, epsilon: Double = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }
}

/// The optimizer's state: one first and second moment per weight.
public struct Adam {
    public let settings: AdamSettings
    public private(set) var step = 0
    private var m: [Double]
    private var v: [Double]
    // beta^t kept as running products rather than pow(), so the bits are the same everywhere.
    private var beta1Power = 1.0
    private var beta2Power = 1.0

    public init(parameterCount: Int, settings: AdamSettings) {
        self.settings = settings
        m = Array(repeating: 0, count: parameterCount)
        v = Array(repeating: 0, count: parameterCount)
    }

    /// Applies one update to `count` weights whose values and grads start at `values` / `grads`,
    /// with the learning rate scaled by `learningRateScale` (the schedule). Grads are left as they are.
    /// `kernels` is the version of the engine's C kernels to run (the tape's: both give the same bits).
    public mutating func update(values: UnsafeMutablePointer<Double>, grads: UnsafeMutablePointer<Double>,
                                learningRateScale: Double, kernels: KernelVersion = .fastest) {
        let s = settings
        step += 1
        beta1Power *= s.beta1
        beta2Power *= s.beta2
        let lr = s.learningRate * learningRateScale
        let correction1 = 1 / (1 - beta1Power), correction2 = 1 / (1 - beta2Power)
        let settings = [s.beta1, s.beta2, s.epsilon, lr, correction1, correction2]
        // For each weight i, in this order (the C kernel takes four weights at a time, each lane
        // with the bits of one weight at a time):
        //   m[i] = beta1 m[i] + (1 - beta1) g;  v[i] = beta2 v[i] + (1 - beta2) g g
        //   values[i] -= lr (m[i] / (1 - beta1^t)) / (sqrt(v[i] / (1 - beta2^t)) + epsilon)
        let count = m.count
        kernels.set.adam(values, grads, &m, &v, count, settings)
    }
}
