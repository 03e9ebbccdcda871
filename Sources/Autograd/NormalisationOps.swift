// softmax and rmsnorm: ops whose outputs form a group, every output reading the whole input
// vector. The group's backward runs once, when the loop reaches its newest output, and uses
// the closed form of the Jacobian instead of one node per exp, sum and division.

extension Tape {
    // MARK: Normalising groups

    // softmax(x)_j = e^(x_j - max) / sum_k e^(x_k - max)
    // Backward, done once for the whole group:
    //   d/dx_k = y_k (g_k - sum_j g_j y_j)
    public func softmax(_ x: Vector) -> Vector {
        requireVector(x, .softmax)
        let n = x.count
        let start = reserve(n)
        let xs = values + Int(x.start), ys = values + Int(start)
        var maxValue = -Double.infinity
        for k in 0..<n { maxValue = max(maxValue, xs[k]) }
        var total = 0.0
        // e^(x_k - max) four at a time (the same bits as one at a time), the total in order of k.
        forEachComponent(n, four: { k in
            let e = DeterministicMath.exp(load4(xs + k) - maxValue)
            store4(e, ys + k)
            total = total + e[0] + e[1] + e[2] + e[3]
        }, one: { k in
            ys[k] = DeterministicMath.exp(xs[k] - maxValue)
            total += ys[k]
        })
        let inverse = 1 / total  // one division, then multiplications: divisions are slow
        for k in 0..<n { ys[k] *= inverse }
        recordGroup(.softmax, start, input: x, constant: 0)
        return Vector(start: start, count: n)
    }
    // (Visited at the group's highest node, when every output's grad is final; returns the
    // group's first node, where the backward loop continues.)
    @inline(__always) func backSoftmax(_ last: Int) -> Int {
        let i = Int(second[last]), n = Int(counts[last])
        let y = values + i, gy = grads + i, gx = grads + Int(first[last])
        var weighted = 0.0
        for j in 0..<n { weighted += gy[j] * y[j] }
        for k in 0..<n { gx[k] += y[k] * (gy[k] - weighted) }
        return i
    }

    // rmsnorm(x)_j = x_j r with r = 1 / sqrt(mean(x^2) + 1e-5)
    // Backward, once for the whole group (dr/dx_k = -r^3 x_k / n):
    //   d/dx_k = g_k r - (r^3 / n) x_k sum_j g_j x_j
    public func rmsnorm(_ x: Vector) -> Vector {
        requireVector(x, .rmsnorm)
        let n = x.count
        let start = reserve(n)
        let xs = values + Int(x.start), ys = values + Int(start)
        let meanSquare = Tape.dot(xs, xs, n) / Double(n)
        let r = 1 / (meanSquare + 1e-5).squareRoot()
        for k in 0..<n { ys[k] = xs[k] * r }
        recordGroup(.rmsnorm, start, input: x, constant: r)
        return Vector(start: start, count: n)
    }
    @inline(__always) func backRmsnorm(_ last: Int) -> Int {
        let i = Int(second[last]), n = Int(counts[last]), r = constants[last]
        let x = values + Int(first[last]), gy = grads + i, gx = grads + Int(first[last])
        let gyDotX = Tape.dot(gy, x, n)
        let c = r * r * r / Double(n) * gyDotX
        for k in 0..<n { gx[k] += gy[k] * r - c * x[k] }
        return i
    }

    /// Fills in the bookkeeping of the `n` outputs of a group that a vector op reserved.
    @inline(__always) private func recordGroup(_ op: Op, _ start: NodeID, input x: Vector, constant c: Double) {
        record(Int(start), count: x.count, op) { _ in (x.start, start, Int32(x.count), c) }
    }
}
