// A seeded generator of our own for the test targets, so that a seed means the same cases on
// every machine and every Swift version (the standard library's generators and `random(in:)`
// promise neither).

/// SplitMix64 (Steele, Lea and Flood 2014): one 64-bit state, a Weyl step and a mix.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A whole number in 0..<n (n > 0). The tiny bias of the modulo does not matter here, and
    /// unlike the standard library's `random(in:using:)` this stays the same across releases.
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    public mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }

    /// Mostly small sizes, sometimes large ones: the cases that used to crash were huge.
    public mutating func size(upTo large: Int) -> Int { chance(0.05) ? 1 + below(large) : 1 + below(8) }
}
