// What each node on a tape is: the operation that produced it, and how to find its inputs.
// The forward and backward rules of every operation live side by side in ScalarOps.swift and in
// the files of vector ops (listed in Vector.swift); this file only names them, so a graph can be
// printed or drawn.

/// The operation that produced a node.
public enum Op: UInt8, Sendable, CaseIterable {
    /// A leaf: an input, a parameter, or a value computed without recording.
    case input
    // Scalar operations, one or two inputs in `first` / `second`, a constant in `constant`.
    case add, sub, mul, div, neg, addConstant, mulConstant, pow, exp, log, relu, tanh
    case sigmoid, sqrt, abs, max, min
    /// Sum of `count` consecutive nodes starting at `first`.
    case sum
    /// `constant` * (run at `first`) . (run at `second`), both `count` long: one linear-layer output.
    case dot
    /// Sum of `count` nodes listed in `links` from offset `first`.
    case sumOf
    /// Sum over t < `count` of (node `first` + t) * (node links[`second` + t] + column), column in
    /// `constant`: attention's weighted sum of one value component over the earlier positions,
    /// whose value vectors lie apart on the tape, so `links` lists where each one starts.
    case weightedSum
    /// One output of a softmax over the `count` inputs at `first`; `second` is the group's first output.
    case softmax
    /// One output of x / sqrt(mean(x^2) + 1e-5) over the `count` inputs at `first`; `second` as softmax.
    case rmsnorm
    /// -log(softmax(logits)[target]) over the `count` logits at `first`, target index in `second`.
    case crossEntropy

    /// The short name shown in tables and graphs.
    public var symbol: String {
        switch self {
        case .input: return "input"
        case .add: return "+"
        case .sub: return "-"
        case .mul: return "*"
        case .div: return "/"
        case .neg: return "neg"
        case .addConstant: return "+c"
        case .mulConstant: return "*c"
        case .pow: return "pow"
        case .exp: return "exp"
        case .log: return "log"
        case .relu: return "relu"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .sqrt: return "sqrt"
        case .abs: return "abs"
        case .max: return "max"
        case .min: return "min"
        case .sum: return "sum"
        case .dot: return "dot"
        case .sumOf: return "sum"
        case .weightedSum: return "weighted sum"
        case .softmax: return "softmax"
        case .rmsnorm: return "rmsnorm"
        case .crossEntropy: return "cross-entropy"
        }
    }

}

extension Tape {
    /// The ids of the nodes a node read, in order. For inspection; the backward pass does not use it.
    public func inputs(of id: NodeID) -> [NodeID] {
        requireNode(id, .input)
        let i = Int(id)
        let a = first[i], b = second[i], n = Int(counts[i])
        switch ops[i] {
        case .input:
            return []
        case .neg, .addConstant, .mulConstant, .pow, .exp, .log, .relu, .tanh, .sigmoid, .sqrt, .abs:
            return [a]
        case .add, .sub, .mul, .div, .max, .min:
            return [a, b]
        case .sum, .softmax, .rmsnorm, .crossEntropy:
            return (0..<n).map { a + NodeID($0) }
        case .dot:
            return (0..<n).flatMap { [a + NodeID($0), b + NodeID($0)] }
        case .sumOf:
            return Array(links[Int(a)..<(Int(a) + n)])
        case .weightedSum:
            let column = NodeID(constants[i])
            return (0..<n).flatMap { t in [a + NodeID(t), links[Int(b) + t] + column] }
        }
    }
}
