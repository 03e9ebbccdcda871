import Autograd

// The project's own random number generator: the same seed gives the same stream of numbers on
// every machine and every Swift version, which Swift's SystemRandomNumberGenerator never promises.
// Weight initialisation, the dataset split, shuffling, sampling and the dataset generator all draw
// from it, so a seed fully determines a run.

/// xoshiro256** seeded through SplitMix64 (Blackman and Vigna): fast, small state, good statistics.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Expands one 64-bit seed into the four state words with SplitMix64, as the authors recommend.
    public init(seed: UInt64) {
        var mixer = seed
        func splitMix() -> UInt64 {
            mixer &+= 0x9E37_79B9_7F4A_7C15
            var z = mixer
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    /// A uniform Double in [0, 1) built from the top 53 bits, so every value is exactly representable.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in 0..<bound, without modulo bias (Lemire's method).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        // Written out rather than using the standard library's `next(upperBound:)`, whose
        // algorithm is not promised to stay the same across Swift versions.
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// A normal sample by the Box-Muller transform, computed with `DeterministicMath` so that
    /// the bits do not depend on the platform's math library.
    public mutating func nextGaussian(mean: Double = 0, standardDeviation: Double = 1) -> Double {
        let u1 = 1.0 - nextUnit()  // in (0, 1], so the logarithm is finite
        let u2 = nextUnit()
        let radius = (-2.0 * DeterministicMath.log(u1)).squareRoot()
        return mean + standardDeviation * radius * DeterministicMath.cos(2.0 * Double.pi * u2)
    }

    /// Fisher-Yates shuffle driven by this generator (Swift's `shuffle(using:)` may change its algorithm).
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            items.swapAt(i, j)
        }
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}
