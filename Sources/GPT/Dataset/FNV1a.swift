// The 64-bit FNV-1a hash (Fowler, Noll and Vo): one xor and one multiply per byte, and the same
// value on every machine and in every run, which Swift's Hasher (seeded afresh by each process)
// never gives. Used where a hash is kept or must come out the same twice: a dataset's fingerprint
// in a model file, the generator's memory of the lines it has written, and the key a compiled
// Swift cell is kept under (Sources/SwiftCells).

/// An FNV-1a hash being computed: start from `FNV1a()`, add bytes, read `value`.
package struct FNV1a {
    package private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325  // the offset basis

    package init() {}

    package mutating func add(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3  // the FNV prime
    }

    package mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { add(byte) }
    }

    /// The hash of `bytes` alone.
    package static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash = FNV1a()
        hash.add(bytes)
        return hash.value
    }
}
