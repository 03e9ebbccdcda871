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

    /// x^c with exact repeated multiplication for small whole exponents, so that (-2)^2 = 4 and
    /// x^2 is x * x bit for bit; other exponents go through exp and log (x must then be positive).
    @usableFromInline static func power(_ x: Double, _ c: Double) -> Double {
        if c == c.rounded(), abs(c) <= 64 {
            var result = 1.0
            var base = x
            var n = Int(abs(c))
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
