// Scalar operations. Each one records a node with its forward value; beside it, `back...` says
// how the node's gradient g flows to its inputs: the chain rule with the op's local derivative.

extension Tape {
    /// A new leaf holding `value`: an input of an expression or a parameter of a model.
    public func input(_ value: Double, label: String? = nil) -> NodeID {
        let id = append(.input, value)
        if let label { labels[id] = label }
        return id
    }

    // a + b:  d/da = 1, d/db = 1
    // (Backward is `backAddRun` in ElementwiseOps.swift, which also takes a whole vector add at once.)
    public func add(_ a: NodeID, _ b: NodeID) -> NodeID {
        requireNode(a, .add); requireNode(b, .add)
        return append(.add, values[Int(a)] + values[Int(b)], first: a, second: b)
    }

    // a - b:  d/da = 1, d/db = -1
    public func sub(_ a: NodeID, _ b: NodeID) -> NodeID {
        requireNode(a, .sub); requireNode(b, .sub)
        return append(.sub, values[Int(a)] - values[Int(b)], first: a, second: b)
    }
    @inline(__always) func backSub(_ i: Int, _ g: Double) {
        grads[Int(first[i])] += g
        grads[Int(second[i])] -= g
    }

    // region: mul
    // a * b:  d/da = b, d/db = a
    public func mul(_ a: NodeID, _ b: NodeID) -> NodeID {
        requireNode(a, .mul); requireNode(b, .mul)
        return append(.mul, values[Int(a)] * values[Int(b)], first: a, second: b)
    }
    @inline(__always) func backMul(_ i: Int, _ g: Double) {
        let a = Int(first[i]), b = Int(second[i])
        grads[a] += g * values[b]
        grads[b] += g * values[a]
    }
    // endregion

    // a / b:  d/da = 1 / b, d/db = -a / b^2
    public func div(_ a: NodeID, _ b: NodeID) -> NodeID {
        requireNode(a, .div); requireNode(b, .div)
        return append(.div, values[Int(a)] / values[Int(b)], first: a, second: b)
    }
    @inline(__always) func backDiv(_ i: Int, _ g: Double) {
        let a = Int(first[i]), b = Int(second[i])
        grads[a] += g / values[b]
        grads[b] -= g * values[a] / (values[b] * values[b])
    }

    // -a:  d/da = -1
    public func neg(_ a: NodeID) -> NodeID {
        requireNode(a, .neg)
        return append(.neg, -values[Int(a)], first: a)
    }
    @inline(__always) func backNeg(_ i: Int, _ g: Double) {
        grads[Int(first[i])] -= g
    }

    // a + c for a constant c:  d/da = 1
    public func add(_ a: NodeID, constant c: Double) -> NodeID {
        requireNode(a, .addConstant)
        return append(.addConstant, values[Int(a)] + c, first: a, constant: c)
    }
    @inline(__always) func backAddConstant(_ i: Int, _ g: Double) {
        grads[Int(first[i])] += g
    }

    // a * c for a constant c:  d/da = c
    public func mul(_ a: NodeID, constant c: Double) -> NodeID {
        requireNode(a, .mulConstant)
        return append(.mulConstant, values[Int(a)] * c, first: a, constant: c)
    }
    @inline(__always) func backMulConstant(_ i: Int, _ g: Double) {
        grads[Int(first[i])] += g * constants[i]
    }

    // a^c for a constant c:  d/da = c a^(c-1)
    public func pow(_ a: NodeID, _ c: Double) -> NodeID {
        requireNode(a, .pow)
        return append(.pow, Tape.power(values[Int(a)], c), first: a, constant: c)
    }
    @inline(__always) func backPow(_ i: Int, _ g: Double) {
        let a = Int(first[i]), c = constants[i]
        grads[a] += g * c * Tape.power(values[a], c - 1)
    }

    // e^a:  d/da = e^a, the node's own value
    public func exp(_ a: NodeID) -> NodeID {
        requireNode(a, .exp)
        return append(.exp, DeterministicMath.exp(values[Int(a)]), first: a)
    }
    @inline(__always) func backExp(_ i: Int, _ g: Double) {
        grads[Int(first[i])] += g * values[i]
    }

    // ln a:  d/da = 1 / a
    public func log(_ a: NodeID) -> NodeID {
        requireNode(a, .log)
        return append(.log, DeterministicMath.log(values[Int(a)]), first: a)
    }
    @inline(__always) func backLog(_ i: Int, _ g: Double) {
        let a = Int(first[i])
        grads[a] += g / values[a]
    }

    // max(0, a):  d/da = 1 where a > 0, else 0
    // (Backward is `backReluRun` in ElementwiseOps.swift, which also takes a whole vector at once.)
    public func relu(_ a: NodeID) -> NodeID {
        requireNode(a, .relu)
        return append(.relu, max(0, values[Int(a)]), first: a)
    }

    // region: tanh
    // tanh a:  d/da = 1 - tanh(a)^2, from the node's own value
    public func tanh(_ a: NodeID) -> NodeID {
        requireNode(a, .tanh)
        return append(.tanh, DeterministicMath.tanh(values[Int(a)]), first: a)
    }
    @inline(__always) func backTanh(_ i: Int, _ g: Double) {
        let t = values[i]
        grads[Int(first[i])] += g * (1 - t * t)
    }
    // endregion

    // 1 / (1 + e^-a):  d/da = s (1 - s), from the node's own value s
    public func sigmoid(_ a: NodeID) -> NodeID {
        requireNode(a, .sigmoid)
        return append(.sigmoid, DeterministicMath.sigmoid(values[Int(a)]), first: a)
    }
    @inline(__always) func backSigmoid(_ i: Int, _ g: Double) {
        let s = values[i]
        grads[Int(first[i])] += g * s * (1 - s)
    }

    // sqrt a:  d/da = 1 / (2 sqrt a), from the node's own value (infinite at a = 0; NaN below 0,
    // where the forward value is NaN already)
    public func sqrt(_ a: NodeID) -> NodeID {
        requireNode(a, .sqrt)
        return append(.sqrt, values[Int(a)].squareRoot(), first: a)
    }
    @inline(__always) func backSqrt(_ i: Int, _ g: Double) {
        grads[Int(first[i])] += g * 0.5 / values[i]
    }

    // |a|:  d/da = 1 where a > 0, -1 where a < 0, and 0 at the kink a = 0 (as relu, and PyTorch)
    public func abs(_ a: NodeID) -> NodeID {
        requireNode(a, .abs)
        return append(.abs, Swift.abs(values[Int(a)]), first: a)
    }
    @inline(__always) func backAbs(_ i: Int, _ g: Double) {
        let a = Int(first[i]), x = values[a]
        grads[a] += x > 0 ? g : x < 0 ? -g : 0
    }

    // region: max-min
    // max(a, b):  d/da = 1 where a > b, d/db = 1 where b > a; at a tie each gets half (g / 2), as
    // torch.maximum does: the two sides' slopes averaged, which is also what a central finite
    // difference measures there. min(a, b) is the same with the comparison turned round.
    // (Named as torch.maximum and torch.minimum: a method `max` would hide Swift's max(_:_:) from
    // every other rule written in an extension of Tape.)
    public func maximum(_ a: NodeID, _ b: NodeID) -> NodeID {
        requireNode(a, .max); requireNode(b, .max)
        return append(.max, Swift.max(values[Int(a)], values[Int(b)]), first: a, second: b)
    }
    public func minimum(_ a: NodeID, _ b: NodeID) -> NodeID {
        requireNode(a, .min); requireNode(b, .min)
        return append(.min, Swift.min(values[Int(a)], values[Int(b)]), first: a, second: b)
    }
    /// Both rules: the gradient goes to the input that won (the larger for max, the smaller for
    /// min), split equally at a tie.
    @inline(__always) func backMaxMin(_ i: Int, _ g: Double, largerWins: Bool) {
        let a = Int(first[i]), b = Int(second[i])
        let x = values[a], y = values[b]
        if x == y || x.isNaN || y.isNaN {
            grads[a] += g / 2
            grads[b] += g / 2
        } else if (x > y) == largerWins {
            grads[a] += g
        } else {
            grads[b] += g
        }
    }
    // endregion

    /// x^c with exact repeated multiplication for small whole exponents, so that (-2)^2 = 4 and
    /// x^2 is x * x bit for bit; other exponents go through exp and log (x must then be positive).
    @usableFromInline static func power(_ x: Double, _ c: Double) -> Double {
        if c == c.rounded(), Swift.abs(c) <= 64 {
            var result = 1.0
            var base = x
            var n = Int(Swift.abs(c))
            while n > 0 {
                if n & 1 == 1 { result *= base }
                base *= base
                n >>= 1
            }
            return c < 0 ? 1 / result : result
        }
        if c == 0.5 { return x.squareRoot() }
        if x == 0 { return c > 0 ? 0 : .infinity }
        return DeterministicMath.exp(c * DeterministicMath.log(x))
    }
}
