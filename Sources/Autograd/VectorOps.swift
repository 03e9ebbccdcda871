// Operations over many inputs at once. Each output is still one scalar node, but the node reads a
// whole run of inputs and knows its own local gradients, so a dot product of 24 numbers is one
// node instead of 47, and a softmax needs no exp / sum / divide nodes. That is what makes the
// scalar engine fast enough to train a transformer in milliseconds per step.
//
// A `Vector` is a run of consecutive nodes; vector operations write their outputs consecutively,
// so their results are vectors again and loops over them touch contiguous memory.

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
        for (k, v) in values.enumerated() {
            self.values[Int(start) + k] = v
            record(Int(start) + k, .input)
        }
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
        if rowsAreParameters(start, last, n) {
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

    // Backward of a run of dot nodes that share their first input and scale but not their second:
    // one attention head's scores, a query against every cached key. Each key gets g_t * q; the
    // query's gradient sums g_t * key_t in a scratch buffer and is written once.
    // As for rows, the run stops before a score whose key reaches into the run (q lies below it).
    // Returns the run's first node, or nil when the node before cannot join: another first input,
    // or a key the last node reads.
    @inline(__always) func backSharedFirstRun(_ last: Int) -> Int? {
        let q = first[last], n = Int(counts[last]), scale = constants[last]
        var newestInput = Int(second[last]) + n - 1  // over the run so far
        func joins(_ j: Int) -> Bool {
            guard ops[j] == .dot, first[j] == q, Int(counts[j]) == n, constants[j] == scale else { return false }
            newestInput = max(newestInput, Int(second[j]) + n - 1)
            return newestInput < j
        }
        guard last > 0, joins(last - 1) else { return nil }
        var start = last - 1
        while start > 0, joins(start - 1) {
            start -= 1
        }
        let values = self.values, grads = self.grads  // locals: stores to grads cannot move them
        let sum = scratch(n)
        sum.update(repeating: 0, count: n)
        let qs = values + Int(q)
        for j in start...last {
            let g = grads[j] * scale
            if g == 0 { continue }
            let key = values + Int(second[j]), gk = grads + Int(second[j])
            for k in 0..<n {
                sum[k] += g * key[k]
                gk[k] += g * qs[k]
            }
        }
        let gq = grads + Int(q)
        for k in 0..<n { gq[k] += sum[k] }
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
        for j in 0..<rows {
            record(Int(start) + j, .dot, first: weights + NodeID(j * n), second: x.start, count: Int32(n), constant: 1)
        }
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

    // MARK: Attention's weighted sum

    /// Saves the starts of some vectors (the value vectors of earlier positions) for `weightedSum`.
    /// The newest start is saved after the list, so checks forward and backward need not scan it.
    public func rowList(_ starts: [NodeID]) -> RowList {
        for start in starts { requireNode(start, .weightedSum) }
        let offset = Int32(links.count)
        let newest = starts.max() ?? -1
        links.append(contentsOf: starts)
        links.append(newest)
        return RowList(offset: offset, count: starts.count, newestStart: newest)
    }

    /// Stops with a message unless `rows` was made on this tape, gathering from `weights`, and
    /// column `newestColumn` of every row lies below `end`.
    @inline(__always) private func requireRows(_ rows: RowList, _ weights: Vector, newestColumn: Int, below end: Int) {
        require(weights.count == rows.count, "\(weights.count) weights for \(rows.count) rows")
        requireVector(weights, .weightedSum)
        require(rows.offset >= 0 && Int(rows.offset) + rows.count < links.count
                     && links[Int(rows.offset) + rows.count] == rows.newestStart,
                     "weighted sum: this row list was not made on this tape (or was forgotten by truncate)")
        require(Int(rows.newestStart) + newestColumn < end,
                     "weighted sum: column \(newestColumn) of row \(rows.newestStart) is not on the tape before this node")
    }

    // sum_t w_t v_t[column]:  d/dw_t = v_t[column], d/dv_t[column] = w_t
    public func weightedSum(_ weights: Vector, rows: RowList, column: Int) -> NodeID {
        require(column >= 0, "weighted sum of column \(column)")
        requireRows(rows, weights, newestColumn: column, below: count)
        let w = values + Int(weights.start)
        var total = 0.0
        links.withUnsafeBufferPointer { list in
            for t in 0..<weights.count { total += w[t] * values[Int(list[Int(rows.offset) + t]) + column] }
        }
        return append(.weightedSum, total, first: weights.start, second: rows.offset,
                      count: Int32(weights.count), constant: Double(column))
    }
    // Backward of a run of weighted sums over the same weights and rows, for consecutive columns
    // (one head's output): each row is visited once for all of the run's columns.
    // The run stops before a node that the run reads: node j reads row_t + column_j for every t,
    // so the newest node read is the newest row plus the last node's column, and it must lie below
    // the run (the weights do: every node of the run reads them).
    // Returns the run's first node: the backward loop continues below it.
    @inline(__always) func backWeightedSumRun(_ last: Int) -> Int {
        let w = first[last], offset = second[last], positions = Int(counts[last])
        let values = self.values, grads = self.grads  // locals: stores to grads cannot move them
        let newestInput = Int(links[Int(offset) + positions]) + Int(constants[last])  // see rowList
        var start = last
        while start - 1 > newestInput, ops[start - 1] == .weightedSum, first[start - 1] == w,
              second[start - 1] == offset, Int(counts[start - 1]) == positions,
              constants[start - 1] == constants[start] - 1 {
            start -= 1
        }
        let n = last - start + 1, column = Int(constants[start])
        let g = grads + start
        links.withUnsafeBufferPointer { list in
            for t in 0..<positions {
                let weight = values[Int(w) + t]
                let row = Int(list[Int(offset) + t]) + column
                let v = values + row, gv = grads + row
                var gw = 0.0
                for j in 0..<n {
                    gw += g[j] * v[j]
                    gv[j] += g[j] * weight
                }
                grads[Int(w) + t] += gw
            }
        }
        return start
    }

    /// scale * (q . key) for each key, reading each key's components `offset ..< offset + q.count`:
    /// attention's scores of one head against every cached position, one dot node each, in a row.
    public func scores(_ q: Vector, keys: [NodeID], offset: Int, scale: Double) -> Vector {
        let n = q.count
        requireVector(q, .dot)
        for key in keys { requireVector(Vector(start: key + NodeID(offset), count: n), .dot) }
        let start = reserve(keys.count)
        let values = self.values
        for (t, key) in keys.enumerated() {
            let i = Int(start) + t
            let k = key + NodeID(offset)
            values[i] = Tape.dot(values + Int(q.start), values + Int(k), n) * scale
            record(i, .dot, first: q.start, second: k, count: Int32(n), constant: scale)
        }
        return Vector(start: start, count: keys.count)
    }

    /// `weightedSum` for the consecutive columns `columns`, as consecutive nodes: one head's whole
    /// output. Walks each row once for all columns, with each column summed in the same order as
    /// `weightedSum`, so the bits match it.
    public func weightedSums(_ weights: Vector, rows: RowList, columns: Range<Int>) -> Vector {
        require(columns.lowerBound >= 0, "weighted sums of columns \(columns)")
        requireRows(rows, weights, newestColumn: columns.upperBound - 1, below: count)
        let n = columns.count
        let start = reserve(n)
        let values = self.values, out = values + Int(start)
        out.update(repeating: 0, count: n)
        links.withUnsafeBufferPointer { list in
            for t in 0..<weights.count {
                let w = values[Int(weights.start) + t]
                let row = values + Int(list[Int(rows.offset) + t]) + columns.lowerBound
                for j in 0..<n { out[j] += w * row[j] }
            }
        }
        for j in 0..<n {
            record(Int(start) + j, .weightedSum, first: weights.start, second: rows.offset,
                   count: Int32(weights.count), constant: Double(columns.lowerBound + j))
        }
        return Vector(start: start, count: n)
    }

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
        for k in 0..<n {
            ys[k] = DeterministicMath.exp(xs[k] - maxValue)
            total += ys[k]
        }
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
        for j in Int(start)..<(Int(start) + x.count) {
            record(j, op, first: x.start, second: start, count: Int32(x.count), constant: c)
        }
    }

    // MARK: The loss

    // -log softmax(logits)[target] = logsumexp(logits) - logits[target]
    //   d/dlogit_k = softmax_k - (1 if k is the target)
    public func crossEntropy(_ logits: Vector, target: Int) -> NodeID {
        require(target >= 0 && target < logits.count, "target \(target) outside 0..<\(logits.count)")
        requireVector(logits, .crossEntropy)
        let lse = Tape.logSumExp(values + Int(logits.start), logits.count)
        return append(.crossEntropy, lse - values[Int(logits.start) + target], first: logits.start,
                      second: Int32(target), count: Int32(logits.count), constant: lse)
    }
    @inline(__always) func backCrossEntropy(_ i: Int, _ g: Double) {
        let n = Int(counts[i]), target = Int(second[i]), lse = constants[i]
        let x = values + Int(first[i]), gx = grads + Int(first[i])
        for k in 0..<n { gx[k] += g * DeterministicMath.exp(x[k] - lse) }
        gx[target] -= g
    }

    /// log softmax(logits)[index], read off the values without recording a node: for scoring.
    public func logProbability(_ logits: Vector, of index: Int) -> Double {
        require(index >= 0 && index < logits.count, "index \(index) outside 0..<\(logits.count)")
        requireVector(logits, .crossEntropy)
        return values[Int(logits.start) + index] - Tape.logSumExp(values + Int(logits.start), logits.count)
    }

    /// log(sum_k e^(x_k)), shifted by the maximum so no term overflows.
    static func logSumExp(_ x: UnsafeMutablePointer<Double>, _ n: Int) -> Double {
        var maxValue = -Double.infinity
        for k in 0..<n { maxValue = max(maxValue, x[k]) }
        var total = 0.0
        for k in 0..<n { total += DeterministicMath.exp(x[k] - maxValue) }
        return maxValue + DeterministicMath.log(total)
    }

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
        for j in 0..<n {
            record(Int(start) + j, op, first: a + NodeID(j), second: b < 0 ? -1 : b + NodeID(j))
        }
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
        for k in 0...(last - start) where y[k] > 0 { gx[k] += g[k] }
        return start
    }
}
