// The tape: every scalar computed in a forward pass is appended here as one node, with the
// operation that made it and the nodes it read. Because a node can only read nodes that already
// exist, the recording order is a topological order, and the backward pass is one loop from the
// last node to the first: no recursion, no sorting, no object per node.
//
// Storage is a struct of arrays (op, inputs, data, grad), held in manually grown buffers so the
// hot loops run without bounds checks or reference counting. Training reuses the same buffers
// every step: `truncate(to:)` forgets the previous step's nodes but keeps the parameters.

package import EngineKernels

/// The index of a node on its tape.
public typealias NodeID = Int32

/// Stops the program with `message` when `condition` is false: for a call that would otherwise
/// read memory outside the tape. Unlike `precondition`, which drops its message in optimised
/// builds (and the engine is always optimised), the message is printed.
@inline(__always) func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { requirementFailed(message()) }
}

@inline(never) func requirementFailed(_ message: String) -> Never { fatalError(message) }

/// A record of a computation, one scalar node per entry, that can run the chain rule backwards.
public final class Tape {
    // `@exclusivity(unchecked)`: Swift would otherwise check at run time, on every access to these
    // class properties, that no two accesses overlap; that bookkeeping took over half the time of a
    // training step. The tape is used from one thread at a time and never hands out inout access.
    //
    // One entry per node. `first`, `second` and `count` mean what the node's `Op` says they mean:
    // input ids, the start of a run of consecutive inputs, or an offset into `links`.
    @exclusivity(unchecked) @usableFromInline var ops: UnsafeMutablePointer<Op>
    @exclusivity(unchecked) @usableFromInline var first: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) @usableFromInline var second: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) @usableFromInline var counts: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) @usableFromInline var constants: UnsafeMutablePointer<Double>
    @exclusivity(unchecked) @usableFromInline var values: UnsafeMutablePointer<Double>
    @exclusivity(unchecked) @usableFromInline var grads: UnsafeMutablePointer<Double>
    @exclusivity(unchecked) @usableFromInline var capacity: Int
    /// How many nodes the tape holds.
    @exclusivity(unchecked) public private(set) var count: Int = 0

    /// Node ids that some nodes read from a list rather than from a run of consecutive nodes: the
    /// inputs of sums over scattered nodes, and where each cached value vector starts for
    /// attention's weighted sums (the value vectors of earlier positions lie apart on the tape).
    @exclusivity(unchecked) @usableFromInline var links: [Int32] = []

    /// Nodes below this index are parameters: leaves whose grads are read only after a backward
    /// pass has finished. Their share of a linear layer's gradient is then added up over every
    /// position at once (ParameterGradients.swift). 0, the default, defers nothing.
    /// Only leaves can be parameters: a node computed from others must pass its gradient on during
    /// the pass, so setting this past any such node stops with a message.
    public var parametersEnd: Int {
        get { deferredGradientsEnd }
        set {
            require(newValue >= 0 && newValue <= count,
                         "parametersEnd \(newValue) is outside the tape's 0...\(count) nodes")
            for i in 0..<newValue where ops[i] != .input {
                fatalError("parametersEnd \(newValue) would make node \(i), a '\(ops[i].symbol)' node, a parameter; only leaves can be")
            }
            deferredGradientsEnd = newValue
        }
    }
    @exclusivity(unchecked) @usableFromInline var deferredGradientsEnd = 0

    /// (start, rows, positions) of the dot runs whose parameter gradients wait for the pass's
    /// end: `positions` runs of `rows` nodes from `start`, one after another.
    @exclusivity(unchecked) var deferredRuns: [Int32] = []

    /// (start, rows, positions) of every `matmul` recorded, oldest first: a linear layer over a
    /// sequence, whose nodes backward takes together. `matmulCursor` walks down it during a pass.
    @exclusivity(unchecked) var matmulLayers: [Int32] = []
    @exclusivity(unchecked) var matmulCursor = -1

    /// Working memory for backward rules that sum a vector before adding it to grads.
    @exclusivity(unchecked) var scratchBuffer = UnsafeMutablePointer<Double>.allocate(capacity: 256)
    @exclusivity(unchecked) var scratchCapacity = 256

    /// The version of the C kernels (EngineKernels.c) this tape's linear layers run: the one for
    /// this CPU unless told otherwise. Both give the same bits, so this changes only the speed;
    /// a test trains with each and compares the model files.
    public var kernels: KernelVersion = .fastest {
        didSet { kernelSet = kernels.set }
    }
    @exclusivity(unchecked) var kernelSet: EngineKernelSet = KernelVersion.fastest.set

    /// Optional names for nodes, for printing and drawing graphs. Never used on the training path.
    public internal(set) var labels: [NodeID: String] = [:]

    /// True while every gradient is known to be zero, so `backward` may accumulate in place.
    @exclusivity(unchecked) @usableFromInline var gradsAreZero = true

    /// When false, operations compute values but record nothing to differentiate: inference mode.
    /// Nodes still get ids and values, so the same model code runs in both modes.
    /// Turn it off with `withoutRecording`, which turns it back to what it was.
    @exclusivity(unchecked) public private(set) var isRecording = true

    /// Runs `body` in inference mode and then puts recording back the way it found it (so scopes
    /// can nest).
    public func withoutRecording<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        let wasRecording = isRecording
        isRecording = false
        defer { isRecording = wasRecording }
        return try body()
    }

    public init(capacity: Int = 1024) {
        self.capacity = max(capacity, 16)
        ops = .allocate(capacity: self.capacity)
        first = .allocate(capacity: self.capacity)
        second = .allocate(capacity: self.capacity)
        counts = .allocate(capacity: self.capacity)
        constants = .allocate(capacity: self.capacity)
        values = .allocate(capacity: self.capacity)
        grads = .allocate(capacity: self.capacity)
    }

    deinit {
        ops.deallocate()
        first.deallocate()
        second.deallocate()
        counts.deallocate()
        constants.deallocate()
        values.deallocate()
        grads.deallocate()
        scratchBuffer.deallocate()
        pointerBuffer.deallocate()
    }

    /// Room for `n` pointers to doubles, valid until the next call: the rows and inputs a C
    /// kernel reads (ParameterGradients.swift).
    @inline(__always) func pointerScratch(_ n: Int) -> UnsafeMutablePointer<UnsafeMutablePointer<Double>> {
        if n > pointerCapacity {
            pointerBuffer.deallocate()
            pointerCapacity = max(n, 2 * pointerCapacity)
            pointerBuffer = .allocate(capacity: pointerCapacity)
        }
        return pointerBuffer
    }
    @exclusivity(unchecked) var pointerBuffer = UnsafeMutablePointer<UnsafeMutablePointer<Double>>.allocate(capacity: 256)
    @exclusivity(unchecked) var pointerCapacity = 256

    /// At least `n` doubles of working memory, valid until the next call.
    @inline(__always) func scratch(_ n: Int) -> UnsafeMutablePointer<Double> {
        if n > scratchCapacity {
            scratchBuffer.deallocate()
            scratchCapacity = max(n, 2 * scratchCapacity)
            scratchBuffer = .allocate(capacity: scratchCapacity)
        }
        return scratchBuffer
    }

    // MARK: Reading nodes

    /// The value a node computed in the forward pass.
    @inlinable public func data(_ id: NodeID) -> Double { values[Int(id)] }

    /// d(output)/d(node), accumulated by `backward(from:)`.
    @inlinable public func grad(_ id: NodeID) -> Double { grads[Int(id)] }

    /// Overwrites a node's value; used for parameters (the optimizer) and inputs.
    @inlinable public func setData(_ id: NodeID, _ value: Double) { values[Int(id)] = value }

    /// Overwrites a node's gradient.
    @inlinable public func setGrad(_ id: NodeID, _ value: Double) {
        grads[Int(id)] = value
        if value != 0 { gradsAreZero = false }
    }

    /// The operation that made a node.
    public func op(_ id: NodeID) -> Op { ops[Int(id)] }

    /// The constant a node carries (the exponent of `pow`, the scale of a dot product, ...).
    public func constant(_ id: NodeID) -> Double { constants[Int(id)] }

    /// Gives a node a name to show in tables and graphs.
    public func setLabel(_ label: String, for id: NodeID) { labels[id] = label }

    /// The value and gradient buffers of a run of consecutive nodes, for optimizers and inference.
    @inlinable public func dataPointer(_ start: NodeID) -> UnsafeMutablePointer<Double> { values + Int(start) }
    @inlinable public func gradPointer(_ start: NodeID) -> UnsafeMutablePointer<Double> { grads + Int(start) }

    // MARK: Checking operands

    /// Stops with a message unless `id` is a node of this tape: an id from another tape, or one
    /// forgotten by `truncate`, would read memory that belongs to nothing or to another node.
    @inline(__always) func requireNode(_ id: NodeID, _ op: Op) {
        require(id >= 0 && Int(id) < count, "\(op.symbol): node \(id) is not on this tape, which holds \(count) nodes")
    }

    /// Stops with a message unless all of `v` lies on this tape.
    @inline(__always) func requireVector(_ v: Vector, _ op: Op) {
        require(v.start >= 0 && v.count >= 0 && Int(v.start) + v.count <= count,
                     "\(op.symbol): nodes \(v.start)..<\(Int(v.start) + v.count) are not all on this tape, which holds \(count) nodes")
    }

    // MARK: Recording

    /// Appends a node and returns its id: the one-node case of `reserve` and `record`.
    @inline(__always)
    func append(_ op: Op, _ value: Double, first a: Int32 = -1, second b: Int32 = -1,
                count n: Int32 = 0, constant c: Double = 0) -> NodeID {
        let id = reserve(1)
        values[Int(id)] = value
        record(Int(id), count: 1, op) { _ in (a, b, n, c) }
        return id
    }

    /// How one node of a run reads its inputs: what `first`, `second`, `count` and `constant` hold
    /// for it (their meaning depends on the op; see Op.swift).
    typealias Inputs = (first: Int32, second: Int32, count: Int32, constant: Double)

    /// Writes down how the nodes `start ..< start + n` were made, all by `op`, node j reading
    /// `inputs(j)`, and clears their grads; while not recording, writes that they are constants
    /// instead, since backward must pass nothing through them. Every node on the tape is described
    /// through here, a whole run at a time, so the loops stay tight enough to vectorise.
    @inline(__always)
    func record(_ start: Int, count n: Int, _ op: Op, _ inputs: (Int) -> Inputs) {
        grads.advanced(by: start).update(repeating: 0, count: n)
        guard isRecording else {
            ops.advanced(by: start).update(repeating: .input, count: n)
            return
        }
        ops.advanced(by: start).update(repeating: op, count: n)
        let first = self.first + start, second = self.second + start  // locals: the stores below cannot move them
        let counts = self.counts + start, constants = self.constants + start
        for j in 0..<n {
            let node = inputs(j)
            first[j] = node.first
            second[j] = node.second
            counts[j] = node.count
            constants[j] = node.constant
        }
    }

    /// Reserves `n` consecutive nodes for a vector operation to fill, and returns the first id.
    @inline(__always) func reserve(_ n: Int) -> NodeID {
        while count + n > capacity { grow() }
        let start = count
        count += n
        return NodeID(start)
    }

    func grow() {
        let newCapacity = capacity * 2
        func moved<T>(_ old: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> {
            let new = UnsafeMutablePointer<T>.allocate(capacity: newCapacity)
            new.moveInitialize(from: old, count: count)
            old.deallocate()
            return new
        }
        ops = moved(ops)
        first = moved(first)
        second = moved(second)
        counts = moved(counts)
        constants = moved(constants)
        values = moved(values)
        grads = moved(grads)
        capacity = newCapacity
    }

    /// A point on the tape to come back to with `truncate(to:)`.
    public struct Mark: Sendable, Equatable {
        public let nodes: Int
        let links: Int
        let matmulLayers: Int
    }

    /// The tape's current end.
    public func mark() -> Mark { Mark(nodes: count, links: links.count, matmulLayers: matmulLayers.count) }

    /// Forgets every node recorded after `mark`; the nodes before it (parameters) keep their
    /// values and grads. Training does this once per step, so buffers are allocated only once.
    public func truncate(to mark: Mark) {
        require(mark.nodes <= count && mark.links <= links.count, "mark is past the tape's end")
        count = mark.nodes
        // Nodes recorded here next may be computed ones, which cannot be parameters.
        deferredGradientsEnd = min(deferredGradientsEnd, count)
        links.removeSubrange(mark.links...)
        matmulLayers.removeSubrange(min(mark.matmulLayers, matmulLayers.count)...)
        if !labels.isEmpty { labels = labels.filter { Int($0.key) < mark.nodes } }
    }

    /// Sets every gradient on the tape to zero.
    public func zeroGrad() {
        grads.update(repeating: 0, count: count)
        gradsAreZero = true
    }
}

/// Which compiled version of the engine's C kernels runs.
public enum KernelVersion: Sendable, Equatable {
    /// Built for any x86-64 CPU (SSE2: two doubles to a register).
    case portable
    /// The fastest this CPU can run: AVX-512 (32 registers of four doubles) where it has it, else
    /// AVX2 (16 of four), else portable. `GPT_KERNELS=portable` or `GPT_KERNELS=avx2` in the
    /// environment caps it; every version gives the same bits.
    case fastest

    /// The versions by speed, as `engine_kernels_level()` counts them.
    private static let byLevel: [(name: String, set: EngineKernelSet)] =
        [("portable", engine_kernels_portable), ("avx2", engine_kernels_avx2), ("avx512", engine_kernels_avx512)]

    private static let fastestLevel = Int(engine_kernels_level())

    /// The version `fastest` stands for on this machine, by name: "avx512", "avx2" or "portable".
    public static var fastestName: String { byLevel[fastestLevel].name }

    /// Every version this machine can run, slowest first, by name (for tests that compare them).
    package static var runnable: [(name: String, set: EngineKernelSet)] { Array(byLevel[...fastestLevel]) }

    /// The kernels themselves, for this package's own optimizer (Adam.swift).
    package var set: EngineKernelSet {
        self == .fastest ? KernelVersion.byLevel[KernelVersion.fastestLevel].set : engine_kernels_portable
    }
}
