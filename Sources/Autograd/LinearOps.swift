// Sums, dot products and linear layers: the ops that read a whole run of inputs as one node. A
// dot product of 24 numbers is one node with its own gradient rule instead of 47 scalar nodes,
// and a linear layer is one dot node per output row. Each op's forward rule is followed by its
// local derivative; the batched backward of a layer's rows is here too, and the deferred sum of
// the weights' gradients is in ParameterGradients.swift.

extension Tape {
    // MARK: Sums and dot products

    // sum(x):  d/dx_k = 1
    public func sum(_ x: Vector) -> NodeID {
        requireVector(x, .sum)
        let p = values + Int(x.start)
        var total = 0.0
        for k in 0..<x.count { total += p[k] }
        return append(.sum, total, first: x.start, count: Int32(x.count))
    }
    @inline(__always) func backSum(_ i: Int, _ g: Double) {
        let gx = grads + Int(first[i])
        for k in 0..<Int(counts[i]) { gx[k] += g }
    }

    // sum of nodes anywhere on the tape:  d/dx_k = 1
    public func sum(_ ids: [NodeID]) -> NodeID {
        for id in ids { requireNode(id, .sumOf) }
        let offset = Int32(links.count)
        var total = 0.0
        for id in ids { total += values[Int(id)] }
        links.append(contentsOf: ids)
        return append(.sumOf, total, first: offset, count: Int32(ids.count))
    }
    @inline(__always) func backSumOf(_ i: Int, _ g: Double) {
        let offset = Int(first[i])
        links.withUnsafeBufferPointer { list in
            for k in 0..<Int(counts[i]) { grads[Int(list[offset + k])] += g }
        }
    }

    // scale * (a . b):  d/da_k = scale b_k, d/db_k = scale a_k
    public func dot(_ a: Vector, _ b: Vector, scale: Double = 1) -> NodeID {
        require(a.count == b.count, "dot of vectors of lengths \(a.count) and \(b.count)")
        requireVector(a, .dot); requireVector(b, .dot)
        let value = Tape.dot(values + Int(a.start), values + Int(b.start), a.count) * scale
        return append(.dot, value, first: a.start, second: b.start, count: Int32(a.count), constant: scale)
    }
    // Backward of a run of dot nodes that share their second input and scale: the rows of a linear
    // layer (or of two stacked ones, such as the key and value projections of one x). Each row adds
    // g * x to its weights' grads; the rows' contributions to x's grad are summed in a scratch
    // buffer first, so that grad is loaded and stored once per run instead of once per row.
    // The run stops before a row that reads a node of the run (x lies below every row that reads
    // it, so only the rows' own inputs can reach into the run). Returns the run's first node: the
    // backward loop continues below it.
    @inline(__always) func backDotRun(_ last: Int) -> Int {
        let x = second[last], n = Int(counts[last]), scale = constants[last]
        let values = self.values, grads = self.grads  // locals: stores to grads cannot move them
        var start = last
        var newestInput = Int(first[last]) + n - 1  // over the run so far
        while start > 0, ops[start - 1] == .dot, second[start - 1] == x, Int(counts[start - 1]) == n,
              constants[start - 1] == scale {
            newestInput = max(newestInput, Int(first[start - 1]) + n - 1)
            guard newestInput < start - 1 else { break }
            start -= 1
        }
        if start == last, let sharedFirstStart = backSharedFirstRun(last) { return sharedFirstStart }
        let sum = scratch(n)
        sum.update(repeating: 0, count: n)
        let xs = values + Int(x)
        if rowsAreParameters(newestInput: newestInput) {
            // The rows' own gradients wait for the end of the pass (see ParameterGradients.swift).
            sumRowsTimesGrads(start, last, n, scale, into: sum)
            deferredRuns.append(Int32(start))
            deferredRuns.append(Int32(last))
            let gx = grads + Int(x)
            for k in 0..<n { gx[k] += sum[k] }
            return start
        }
        var j = start
        while j <= last {
            // Two rows at a time when both carry a gradient: one pass over x and the sum for both.
            let g = grads[j] * scale
            let g2 = j < last ? grads[j + 1] * scale : 0
            let w = values + Int(first[j]), gw = grads + Int(first[j])
            if g != 0 && g2 != 0 {
                let w2 = values + Int(first[j + 1]), gw2 = grads + Int(first[j + 1])
                for k in 0..<n {
                    gw[k] += g * xs[k]
                    gw2[k] += g2 * xs[k]
                    sum[k] += g * w[k] + g2 * w2[k]
                }
                j += 2
                continue
            }
            if g != 0 {  // zero is common after relu; adding zeros would change nothing
                for k in 0..<n {
                    gw[k] += g * xs[k]
                    sum[k] += g * w[k]
                }
            }
            j += 1
        }
        let gx = grads + Int(x)
        for k in 0..<n { gx[k] += sum[k] }
        return start
    }

    /// W x for W stored row by row at `weights` ([rows, x.count]): one dot node per row.
    /// This is a linear layer; its outputs form a new vector. Rows are computed four at a time so
    /// each load of x serves four (the values are exactly those of `dot` row by row).
    public func matvec(_ weights: NodeID, rows: Int, _ x: Vector) -> Vector {
        let n = x.count
        requireVector(x, .dot)
        require(rows >= 0, "matvec: \(rows) rows")
        requireVector(Vector(start: weights, count: rows * n), .dot)
        let start = reserve(rows)
        let xs = values + Int(x.start), out = values + Int(start)
        let w = values + Int(weights)
        var r = 0
        while r + 4 <= rows {
            Tape.dot4(w + r * n, n, xs, out + r)
            r += 4
        }
        while r < rows {
            out[r] = Tape.dot(w + r * n, xs, n)
            r += 1
        }
        record(Int(start), count: rows, .dot) { j in (weights + NodeID(j * n), x.start, Int32(n), 1) }
        return Vector(start: start, count: rows)
    }

    /// The dot product with four running sums (lane k collects the terms k, k+4, k+8, ...), added
    /// up in a fixed order at the end: the four sums run in parallel on SIMD registers, and the
    /// result has the same bits on every machine because the order is written out, not left to
    /// the compiler.
    @inline(__always) static func dot(_ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>, _ n: Int) -> Double {
        var sums = SIMD4<Double>()
        var k = 0
        while k + 4 <= n {
            let x = UnsafeRawPointer(a + k).loadUnaligned(as: SIMD4<Double>.self)
            let y = UnsafeRawPointer(b + k).loadUnaligned(as: SIMD4<Double>.self)
            sums += x * y
            k += 4
        }
        while k < n {
            sums[0] += a[k] * b[k]
            k += 1
        }
        return (sums[0] + sums[1]) + (sums[2] + sums[3])
    }

    /// Four consecutive rows (stride n) dotted with one x into out[0...3]: each load of x serves
    /// four rows. Every row is summed in the same order as `dot`, so the bits match it.
    @inline(__always) static func dot4(_ w: UnsafeMutablePointer<Double>, _ n: Int,
                                       _ x: UnsafeMutablePointer<Double>, _ out: UnsafeMutablePointer<Double>) {
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>(), s2 = SIMD4<Double>(), s3 = SIMD4<Double>()
        let w0 = w, w1 = w + n, w2 = w + 2 * n, w3 = w + 3 * n
        var k = 0
        while k + 4 <= n {
            let xk = UnsafeRawPointer(x + k).loadUnaligned(as: SIMD4<Double>.self)
            s0 += UnsafeRawPointer(w0 + k).loadUnaligned(as: SIMD4<Double>.self) * xk
            s1 += UnsafeRawPointer(w1 + k).loadUnaligned(as: SIMD4<Double>.self) * xk
            s2 += UnsafeRawPointer(w2 + k).loadUnaligned(as: SIMD4<Double>.self) * xk
            s3 += UnsafeRawPointer(w3 + k).loadUnaligned(as: SIMD4<Double>.self) * xk
            k += 4
        }
        while k < n {
            s0[0] += w0[k] * x[k]
            s1[0] += w1[k] * x[k]
            s2[0] += w2[k] * x[k]
            s3[0] += w3[k] * x[k]
            k += 1
        }
        out[0] = (s0[0] + s0[1]) + (s0[2] + s0[3])
        out[1] = (s1[0] + s1[1]) + (s1[2] + s1[3])
        out[2] = (s2[0] + s2[1]) + (s2[2] + s2[3])
        out[3] = (s3[0] + s3[1]) + (s3[2] + s3[3])
    }
}
