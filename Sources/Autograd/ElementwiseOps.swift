// Componentwise vector ops: x + y and relu(x) over whole vectors, written as the same scalar `add`
// and `relu` nodes one would record by hand, filled in one loop. Their backward takes a whole run
// of such nodes at once.

extension Tape {
    // MARK: Elementwise

    // Elementwise vector ops write scalar `add` and `relu` nodes, exactly as adding or clamping
    // each component by hand would, but fill them in one loop. Their backward (in the same
    // spirit) handles a whole run of such nodes at once; see `backAddRun` and `backReluRun`.

    /// x + y, componentwise: one `add` node per component.
    public func add(_ x: Vector, _ y: Vector) -> Vector {
        require(x.count == y.count, "adding vectors of lengths \(x.count) and \(y.count)")
        requireVector(x, .add); requireVector(y, .add)
        let n = x.count
        let start = reserve(n)
        let values = self.values, xs = values + Int(x.start), ys = values + Int(y.start), out = values + Int(start)
        for k in 0..<n { out[k] = xs[k] + ys[k] }
        recordElementwise(.add, start, n, first: x.start, second: y.start)
        return Vector(start: start, count: n)
    }

    /// max(0, x), componentwise: one `relu` node per component.
    public func relu(_ x: Vector) -> Vector {
        requireVector(x, .relu)
        let n = x.count
        let start = reserve(n)
        let values = self.values, xs = values + Int(x.start), out = values + Int(start)
        for k in 0..<n { out[k] = max(0, xs[k]) }
        recordElementwise(.relu, start, n, first: x.start, second: -1)
        return Vector(start: start, count: n)
    }

    /// Node j of the n reserved at `start` reads first + j (and second + j when second >= 0).
    @inline(__always) private func recordElementwise(_ op: Op, _ start: NodeID, _ n: Int, first a: NodeID, second b: NodeID) {
        record(Int(start), count: n, op) { j in (a + NodeID(j), b < 0 ? -1 : b + NodeID(j), 0, 0) }
    }

    // Backward of a run of add nodes over consecutive inputs (a vector add): each input gets g.
    // The run stops before a node that the run itself reads (as in (a + a) + (a + a), where the
    // second add reads the first): the inputs of node k are first + k and second + k, so the
    // last node's are the newest, and they must lie below the run. Returns the run's first node.
    @inline(__always) func backAddRun(_ last: Int) -> Int {
        let newestInput = Int(max(first[last], second[last]))
        var start = last
        while start - 1 > newestInput, ops[start - 1] == .add, first[start - 1] == first[start] - 1,
              second[start - 1] == second[start] - 1 {
            start -= 1
        }
        let grads = self.grads, g = grads + start
        let ga = grads + Int(first[start]), gb = grads + Int(second[start])
        for k in 0...(last - start) {
            ga[k] += g[k]
            gb[k] += g[k]
        }
        return start
    }

    // Backward of a run of relu nodes over consecutive inputs: g passes where the output is > 0.
    // As for adds, the run stops before a node it reads itself (relu(relu(a))).
    @inline(__always) func backReluRun(_ last: Int) -> Int {
        let newestInput = Int(first[last])
        var start = last
        while start - 1 > newestInput, ops[start - 1] == .relu, first[start - 1] == first[start] - 1 {
            start -= 1
        }
        let values = self.values, grads = self.grads, g = grads + start, y = values + start
        let gx = grads + Int(first[start])
        // gx[k] += y[k] > 0 ? g[k] : 0, four units at a time (see load4) and without a branch
        // (adding 0 where the unit is off): which units are off is as good as random, and a
        // branch per unit guessed wrong half the time.
        let off = SIMD4<Double>()
        forEachComponent(last - start + 1, four: { k in
            let passes = off.replacing(with: load4(g + k), where: load4(y + k) .> off)
            store4(load4(gx + k) + passes, gx + k)
        }, one: { k in
            gx[k] += y[k] > 0 ? g[k] : 0
        })
        return start
    }
}
