// Vectors: runs of consecutive nodes. The ops over many inputs at once read and write vectors:
// each output is still one scalar node, but it reads a whole run of inputs and knows its own
// local gradients, so a dot product of 24 numbers is one node instead of 47, and a softmax needs
// no exp / sum / divide nodes. That is what makes the scalar engine fast enough to train a
// transformer in milliseconds per step. They are, by concern: LinearOps.swift (sums, dots, linear
// layers), AttentionOps.swift (scores and weighted sums), NormalisationOps.swift (softmax,
// rmsnorm), LossOps.swift (cross-entropy) and ElementwiseOps.swift (vector add and relu).
//
// Vector operations write their outputs consecutively, so their results are vectors again and
// loops over them touch contiguous memory.

/// `count` consecutive nodes starting at `start`.
public struct Vector: Sendable, Equatable {
    public let start: NodeID
    public let count: Int

    public init(start: NodeID, count: Int) {
        self.start = start
        self.count = count
    }

    /// The id of component `i`.
    @inlinable public subscript(i: Int) -> NodeID { start + NodeID(i) }

    /// Components `offset ..< offset + count`, such as one attention head's slice of a query.
    @inlinable public func slice(_ offset: Int, _ count: Int) -> Vector {
        Vector(start: start + NodeID(offset), count: count)
    }

    /// Every component's id, for code that wants an array.
    public var ids: [NodeID] { (0..<count).map { start + NodeID($0) } }
}

/// A list of vector starts saved on the tape, for `weightedSum` to gather from.
public struct RowList: Sendable {
    let offset: Int32
    public let count: Int
    /// The largest start: with a column, the newest node the rows can read.
    let newestStart: NodeID
}

extension Tape {
    /// A new vector of leaves.
    public func inputs(_ values: [Double]) -> Vector {
        let start = reserve(values.count)
        for (k, v) in values.enumerated() { self.values[Int(start) + k] = v }
        record(Int(start), count: values.count, .input) { _ in (-1, -1, 0, 0) }
        return Vector(start: start, count: values.count)
    }

    /// The values of a vector, copied out.
    public func data(_ v: Vector) -> [Double] {
        requireVector(v, .input)
        return Array(UnsafeBufferPointer(start: values + Int(v.start), count: v.count))
    }

    /// The gradients of a vector, copied out.
    public func grad(_ v: Vector) -> [Double] {
        requireVector(v, .input)
        return Array(UnsafeBufferPointer(start: grads + Int(v.start), count: v.count))
    }
}

// Four doubles at a time, for the loops that the compiler does not vectorise by itself (it cannot
// prove that a gradient buffer and the values it reads do not overlap). Every lane does exactly
// what the scalar loop beside each use does for its component, in the same order, so the bits are
// the same as one component at a time.
@inline(__always) func load4(_ p: UnsafeMutablePointer<Double>) -> SIMD4<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
}

@inline(__always) func store4(_ v: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Double>.self)
}

/// Runs `four(k)` for k = 0, 4, 8, ... while four components remain, then `one(k)` for the rest.
@inline(__always) func forEachComponent(_ n: Int, four: (Int) -> Void, one: (Int) -> Void) {
    var k = 0
    while k + 4 <= n {
        four(k)
        k += 4
    }
    while k < n {
        one(k)
        k += 1
    }
}
