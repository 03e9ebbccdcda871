// A deliberately naive autograd to check the engine against: micrograd's design, one object per
// node, each node holding its parents and its local derivative with respect to each, and a
// backward pass that sorts the graph by a recursive depth-first walk. It shares no code with the
// engine: its math is the platform's (Foundation), and every op the engine does as one n-ary node
// (dot, softmax, rmsnorm, cross-entropy, attention) is built here from + * pow exp log, so its
// gradient comes from the chain rule alone, not from a derivation someone could get wrong twice.
import Foundation

final class ReferenceNode {
    let data: Double
    var grad = 0.0
    /// The gradient with every local derivative and every path taken by its absolute value: how
    /// large the terms are that add up to `grad`. Rounding errs in proportion to this, not to
    /// `grad`, which can be small where large terms cancel.
    var gradMagnitude = 0.0
    /// The nodes this one was computed from, and d(self)/d(parent) for each.
    let parents: [(node: ReferenceNode, local: Double)]

    init(_ data: Double, parents: [(node: ReferenceNode, local: Double)] = []) {
        self.data = data
        self.parents = parents
    }

    /// d(self)/d(node) into every node's grad, micrograd's way: order the graph so that every node
    /// comes after its parents, then walk it backwards applying the chain rule.
    func backward() {
        var order: [ReferenceNode] = []
        var seen = Set<ObjectIdentifier>()
        func visit(_ node: ReferenceNode) {
            guard seen.insert(ObjectIdentifier(node)).inserted else { return }
            for parent in node.parents { visit(parent.node) }
            order.append(node)
        }
        visit(self)
        grad = 1
        gradMagnitude = 1
        for node in order.reversed() {
            for parent in node.parents {
                parent.node.grad += parent.local * node.grad
                parent.node.gradMagnitude += abs(parent.local) * node.gradMagnitude
            }
        }
    }
}

/// The reference's operations: a handful of primitives, and the engine's n-ary ops composed of them.
enum Reference {
    static func constant(_ c: Double) -> ReferenceNode { ReferenceNode(c) }

    static func add(_ a: ReferenceNode, _ b: ReferenceNode) -> ReferenceNode {
        ReferenceNode(a.data + b.data, parents: [(a, 1), (b, 1)])
    }
    static func mul(_ a: ReferenceNode, _ b: ReferenceNode) -> ReferenceNode {
        ReferenceNode(a.data * b.data, parents: [(a, b.data), (b, a.data)])
    }
    static func pow(_ a: ReferenceNode, _ c: Double) -> ReferenceNode {
        ReferenceNode(Foundation.pow(a.data, c), parents: [(a, c * Foundation.pow(a.data, c - 1))])
    }
    static func exp(_ a: ReferenceNode) -> ReferenceNode {
        let e = Foundation.exp(a.data)
        return ReferenceNode(e, parents: [(a, e)])
    }
    static func log(_ a: ReferenceNode) -> ReferenceNode {
        ReferenceNode(Foundation.log(a.data), parents: [(a, 1 / a.data)])
    }
    static func relu(_ a: ReferenceNode) -> ReferenceNode {
        ReferenceNode(Swift.max(0, a.data), parents: [(a, a.data > 0 ? 1 : 0)])
    }
    static func tanh(_ a: ReferenceNode) -> ReferenceNode {
        let t = Foundation.tanh(a.data)
        return ReferenceNode(t, parents: [(a, 1 - t * t)])
    }

    /// |a|, with slope 0 at a = 0 (the engine's convention, and PyTorch's).
    static func abs(_ a: ReferenceNode) -> ReferenceNode {
        ReferenceNode(Swift.abs(a.data), parents: [(a, a.data > 0 ? 1 : a.data < 0 ? -1 : 0)])
    }

    /// The larger of a and b, with the slope of (a + b + |a - b|) / 2: 1 to the larger, and at a
    /// tie, where |a - b| has slope 0, a half to each. The value is the exact maximum, not that
    /// formula's rounded one, so that a tie the engine sees (max(x, y) is x, read again by a
    /// later min) is a tie here too.
    static func max(_ a: ReferenceNode, _ b: ReferenceNode) -> ReferenceNode {
        let slope = a.data > b.data ? 1.0 : a.data < b.data ? 0 : 0.5
        return ReferenceNode(Swift.max(a.data, b.data), parents: [(a, slope), (b, 1 - slope)])
    }
    /// The smaller, with the slope of (a + b - |a - b|) / 2.
    static func min(_ a: ReferenceNode, _ b: ReferenceNode) -> ReferenceNode {
        let slope = a.data < b.data ? 1.0 : a.data > b.data ? 0 : 0.5
        return ReferenceNode(Swift.min(a.data, b.data), parents: [(a, slope), (b, 1 - slope)])
    }

    // Composites: exactly what a learner would write by hand.
    static func neg(_ a: ReferenceNode) -> ReferenceNode { mul(a, constant(-1)) }
    /// 1 / (1 + e^-a).
    static func sigmoid(_ a: ReferenceNode) -> ReferenceNode { pow(add(exp(neg(a)), constant(1)), -1) }
    static func sqrt(_ a: ReferenceNode) -> ReferenceNode { pow(a, 0.5) }
    static func sub(_ a: ReferenceNode, _ b: ReferenceNode) -> ReferenceNode { add(a, neg(b)) }
    static func div(_ a: ReferenceNode, _ b: ReferenceNode) -> ReferenceNode { mul(a, pow(b, -1)) }

    /// Always a new node, even for one term: a sum of one is still a node of its own.
    static func sum(_ xs: [ReferenceNode]) -> ReferenceNode {
        xs.reduce(constant(0)) { add($0, $1) }
    }
    static func dot(_ a: [ReferenceNode], _ b: [ReferenceNode], scale: Double) -> ReferenceNode {
        mul(sum(zip(a, b).map { mul($0, $1) }), constant(scale))
    }
    /// e^(x_j - m) / sum_k e^(x_k - m), with the maximum m a constant (it cancels out).
    static func softmax(_ x: [ReferenceNode]) -> [ReferenceNode] {
        let m = constant(-(x.map(\.data).max() ?? 0))
        let e = x.map { exp(add($0, m)) }
        let inverse = pow(sum(e), -1)
        return e.map { mul($0, inverse) }
    }
    static func rmsnorm(_ x: [ReferenceNode]) -> [ReferenceNode] {
        let meanSquare = mul(sum(x.map { mul($0, $0) }), constant(1 / Double(x.count)))
        let r = pow(add(meanSquare, constant(1e-5)), -0.5)
        return x.map { mul($0, r) }
    }
    /// log(sum_k e^(x_k)) - x_target.
    static func crossEntropy(_ x: [ReferenceNode], target: Int) -> ReferenceNode {
        let m = x.map(\.data).max() ?? 0
        let logSumExp = add(log(sum(x.map { exp(add($0, constant(-m))) })), constant(m))
        return sub(logSumExp, x[target])
    }
}
