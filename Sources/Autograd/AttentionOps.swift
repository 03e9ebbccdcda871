// Attention's ops: a head's scores (one dot node per earlier position, all sharing the query) and
// its weighted sums of the cached value vectors, which lie apart on the tape and are found through
// a row list. Each op's forward rule is followed by its local derivative.

extension Tape {
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
            // sum[k] += g * key[k] and gk[k] += g * q[k], four components at a time (see load4).
            forEachComponent(n, four: { k in
                store4(load4(sum + k) + g * load4(key + k), sum + k)
                store4(load4(gk + k) + g * load4(qs + k), gk + k)
            }, one: { k in
                sum[k] += g * key[k]
                gk[k] += g * qs[k]
            })
        }
        let gq = grads + Int(q)
        for k in 0..<n { gq[k] += sum[k] }
        return start
    }

    // MARK: Attention's weighted sum

    /// Saves the starts of some vectors (the value vectors of earlier positions) for `weightedSum`.
    /// The newest start is saved after the list, so checks forward and backward need not scan it.
    public func rowList(_ starts: [NodeID]) -> RowList { rowList(starts[...]) }

    /// `rowList` of a slice of a cache (the positions up to a query's own).
    public func rowList(_ starts: ArraySlice<NodeID>) -> RowList {
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
                // For each j: gw += g[j] * v[j] and gv[j] += g[j] * weight. Four j at a time (see
                // load4); gw still adds its terms one after the other, in the order of j.
                var gw = 0.0
                forEachComponent(n, four: { j in
                    let gj = load4(g + j)
                    let terms = gj * load4(v + j)
                    gw = gw + terms[0] + terms[1] + terms[2] + terms[3]
                    store4(load4(gv + j) + gj * weight, gv + j)
                }, one: { j in
                    gw += g[j] * v[j]
                    gv[j] += g[j] * weight
                })
                grads[Int(w) + t] += gw
            }
        }
        return start
    }

    /// scale * (q . key) for each key, reading each key's components `offset ..< offset + q.count`:
    /// attention's scores of one head against every cached position, one dot node each, in a row.
    public func scores(_ q: Vector, keys: [NodeID], offset: Int, scale: Double) -> Vector {
        scores(q, keys: keys[...], offset: offset, scale: scale)
    }

    /// `scores` against the keys of a slice of a cache (the positions up to a query's own).
    public func scores(_ q: Vector, keys: ArraySlice<NodeID>, offset: Int, scale: Double) -> Vector {
        let n = q.count
        requireVector(q, .dot)
        let end = count  // every key must lie on the tape before the scores
        let start = reserve(keys.count)
        let values = self.values
        for (t, key) in keys.enumerated() {
            let i = Int(start) + t
            let k = key + NodeID(offset)
            // Checked here rather than in a loop of its own: attention calls this for every head at
            // every position, and a second pass over the keys cost 2% of a training step.
            require(k >= 0 && Int(k) + n <= end, "dot: key nodes \(k)..<\(Int(k) + n) are not all on this tape, which holds \(end) nodes")
            values[i] = Tape.dot(values + Int(q.start), values + Int(k), n) * scale
        }
        keys.withUnsafeBufferPointer { keys in
            record(Int(start), count: keys.count, .dot) { t in (q.start, keys[t] + NodeID(offset), Int32(n), scale) }
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
        let values = self.values, out = values + Int(start), w = values + Int(weights.start)
        // For each column j: out[j] = sum over t of w_t * row_t[j], added up in the order of t.
        // Four columns at a time stay in a register while every row adds to them (see load4).
        links.withUnsafeBufferPointer { list in
            let rowStarts = list.baseAddress! + Int(rows.offset)
            forEachComponent(n, four: { j in
                var total = SIMD4<Double>()
                for t in 0..<weights.count { total += w[t] * load4(values + Int(rowStarts[t]) + columns.lowerBound + j) }
                store4(total, out + j)
            }, one: { j in
                var total = 0.0
                for t in 0..<weights.count { total += w[t] * values[Int(rowStarts[t]) + columns.lowerBound + j] }
                out[j] = total
            })
        }
        record(Int(start), count: n, .weightedSum) { j in
            (weights.start, rows.offset, Int32(weights.count), Double(columns.lowerBound + j))
        }
        return Vector(start: start, count: n)
    }
}
