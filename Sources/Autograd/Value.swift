// `Value`: the micrograd-style face of the engine. A Value is a handle to one node of a tape, so
// `let c = a * b + 1` reads like maths while every operation records onto the same tape that
// trains the model. Learners build expressions with it; the model uses the tape's vector ops,
// which record the very same kind of nodes.

/// A scalar that remembers how it was computed, so its gradient can flow back to its inputs.
public struct Value: CustomStringConvertible {
    /// The tape this value's node lives on.
    public let tape: Tape
    /// The node's index on the tape.
    public let id: NodeID

    /// A new leaf on `tape`.
    public init(_ data: Double, on tape: Tape, label: String? = nil) {
        self.tape = tape
        self.id = tape.input(data, label: label)
    }

    /// A handle to an existing node.
    public init(node id: NodeID, on tape: Tape) {
        require(id >= 0 && Int(id) < tape.count, "node \(id) is not on this tape, which holds \(tape.count) nodes")
        self.tape = tape
        self.id = id
    }

    /// The forward value.
    public var data: Double { tape.data(id) }
    /// d(output)/d(self) after `backward()` on some output.
    public var grad: Double { tape.grad(id) }
    /// The operation that produced this value.
    public var op: Op { tape.op(id) }
    /// The values this one was computed from.
    public var inputs: [Value] { tape.inputs(of: id).map { Value(node: $0, on: tape) } }
    /// The name given with `label:` or `named(_:)`, if any.
    public var label: String? { tape.labels[id] }

    /// Names this value in printed tables and drawn graphs, and returns it.
    @discardableResult public func named(_ label: String) -> Value {
        tape.setLabel(label, for: id)
        return self
    }

    /// Fills in every grad of the expression: d(self)/d(node). Gradients accumulate; see `Tape.backward`.
    public func backward() { tape.backward(from: id) }

    public var description: String { "Value(data: \(data), grad: \(grad))" }

    public func pow(_ exponent: Double) -> Value { wrap(tape.pow(id, exponent)) }
    public func exp() -> Value { wrap(tape.exp(id)) }
    public func log() -> Value { wrap(tape.log(id)) }
    public func relu() -> Value { wrap(tape.relu(id)) }
    public func tanh() -> Value { wrap(tape.tanh(id)) }
    public func sigmoid() -> Value { wrap(tape.sigmoid(id)) }
    public func sqrt() -> Value { wrap(tape.sqrt(id)) }
    public func abs() -> Value { wrap(tape.abs(id)) }
    /// The larger of the two; at a tie the gradient is split equally between them.
    public func max(_ other: Value) -> Value { sameTape(other); return wrap(tape.maximum(id, other.id)) }
    /// The smaller of the two; at a tie the gradient is split equally between them.
    public func min(_ other: Value) -> Value { sameTape(other); return wrap(tape.minimum(id, other.id)) }

    func wrap(_ node: NodeID) -> Value { Value(node: node, on: tape) }

    /// A constant on the same tape, so `a + 1` can be recorded as one `+c` node.
    func constant(_ c: Double) -> Value { Value(c, on: tape) }
}

// Arithmetic, mixing Values and Doubles so that `2 * a + 1` reads naturally.
// Both operands must live on the same tape.
extension Value {
    public static func + (a: Value, b: Value) -> Value { a.sameTape(b); return a.wrap(a.tape.add(a.id, b.id)) }
    public static func - (a: Value, b: Value) -> Value { a.sameTape(b); return a.wrap(a.tape.sub(a.id, b.id)) }
    public static func * (a: Value, b: Value) -> Value { a.sameTape(b); return a.wrap(a.tape.mul(a.id, b.id)) }
    public static func / (a: Value, b: Value) -> Value { a.sameTape(b); return a.wrap(a.tape.div(a.id, b.id)) }
    public static prefix func - (a: Value) -> Value { a.wrap(a.tape.neg(a.id)) }

    public static func + (a: Value, c: Double) -> Value { a.wrap(a.tape.add(a.id, constant: c)) }
    public static func + (c: Double, a: Value) -> Value { a + c }
    public static func - (a: Value, c: Double) -> Value { a + (-c) }
    public static func - (c: Double, a: Value) -> Value { -a + c }
    public static func * (a: Value, c: Double) -> Value { a.wrap(a.tape.mul(a.id, constant: c)) }
    public static func * (c: Double, a: Value) -> Value { a * c }
    public static func / (a: Value, c: Double) -> Value { a * (1 / c) }
    public static func / (c: Double, a: Value) -> Value { a.constant(c) / a }

    public static func += (a: inout Value, b: Value) { a = a + b }
    public static func += (a: inout Value, c: Double) { a = a + c }
    public static func *= (a: inout Value, b: Value) { a = a * b }
    public static func -= (a: inout Value, b: Value) { a = a - b }

    private func sameTape(_ other: Value) {
        require(tape === other.tape, "Values from two different tapes cannot be combined")
    }
}

extension Tape {
    /// The sum of many values as one node (0 for none).
    public func sum(_ values: [Value]) -> Value {
        Value(node: sum(values.map(\.id)), on: self)
    }
}
