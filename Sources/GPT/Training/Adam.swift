// Adam with bias correction and a learning rate that falls linearly to zero over the run.
// Works directly on the weights' value and grad buffers on the tape.
import Autograd

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
    public mutating func update(values: UnsafeMutablePointer<Double>, grads: UnsafeMutablePointer<Double>,
                                learningRateScale: Double) {
        let s = settings
        step += 1
        beta1Power *= s.beta1
        beta2Power *= s.beta2
        let lr = s.learningRate * learningRateScale
        let correction1 = 1 / (1 - beta1Power), correction2 = 1 / (1 - beta2Power)
        let count = m.count
        m.withUnsafeMutableBufferPointer { m in
            v.withUnsafeMutableBufferPointer { v in
                let m = m.baseAddress!, v = v.baseAddress!
                // The rule for one weight i, which every lane of the loop below applies to its own
                // weight in the same order (so the bits are those of one weight at a time):
                //   m[i] = beta1 m[i] + (1 - beta1) g;  v[i] = beta2 v[i] + (1 - beta2) g^2
                //   values[i] -= lr (m[i] / (1 - beta1^t)) / (sqrt(v[i] / (1 - beta2^t)) + epsilon)
                // Four weights at a time (the compiler cannot tell that the four buffers do not
                // overlap); the last few go through the same code with the lanes past the end left 0.
                var i = 0
                while i < count {
                    let live = min(4, count - i)
                    func load(_ p: UnsafeMutablePointer<Double>) -> SIMD4<Double> {
                        if live == 4 { return UnsafeRawPointer(p + i).loadUnaligned(as: SIMD4<Double>.self) }
                        var lanes = SIMD4<Double>()
                        for lane in 0..<live { lanes[lane] = p[i + lane] }
                        return lanes
                    }
                    func store(_ x: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>) {
                        if live == 4 { return UnsafeMutableRawPointer(p + i).storeBytes(of: x, as: SIMD4<Double>.self) }
                        for lane in 0..<live { p[i + lane] = x[lane] }
                    }
                    let g = load(grads)
                    let newM = s.beta1 * load(m) + (1 - s.beta1) * g
                    let newV = s.beta2 * load(v) + (1 - s.beta2) * g * g
                    let mHat = newM * correction1
                    let vHat = newV * correction2
                    store(newM, m)
                    store(newV, v)
                    store(load(values) - lr * mHat / (vHat.squareRoot() + s.epsilon), values)
                    i += 4
                }
            }
        }
    }
}
