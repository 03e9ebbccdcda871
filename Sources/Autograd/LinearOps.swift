// Sums, dot products and linear layers: the ops that read a whole run of inputs as one node. A
// dot product of 24 numbers is one node with its own gradient rule instead of 47 scalar nodes,
// and a linear layer is one dot node per output row. Each op's forward rule is followed by its
// local derivative; the batched backward of a layer's rows is here too, and the deferred sum of
// the weights' gradients is in ParameterGradients.swift.

internal import EngineKernels

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
        if let layer = matmulEnding(at: last) { return backMatmul(layer) }
        return backDotRunOfRows(last)
    }

    /// `backDotRun` for dot nodes that are not a whole matmul.
    @inline(__always) func backDotRunOfRows(_ last: Int) -> Int {
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
        if rowsAreParameters(newestInput: newestInput) {
            // The rows' own gradients wait for the end of the pass (see ParameterGradients.swift).
            deferredRuns.append(contentsOf: [Int32(start), Int32(last - start + 1), 1])
            passGradientToInputs(start, rows: last - start + 1, positions: 1, n, scale)
            return start
        }
        let sum = scratch(n)
        sum.update(repeating: 0, count: n)
        let xs = values + Int(x)
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

    /// The matmul whose newest node is `i`, if it is one: `matmulLayers` lists them oldest first,
    /// and the backward loop comes down the tape, so a cursor walks down the list once per pass.
    @inline(__always) func matmulEnding(at i: Int) -> (start: Int, rows: Int, positions: Int)? {
        while matmulCursor >= 0 && Int(matmulLayers[3 * matmulCursor]) > i { matmulCursor -= 1 }
        guard matmulCursor >= 0 else { return nil }
        let start = Int(matmulLayers[3 * matmulCursor]), rows = Int(matmulLayers[3 * matmulCursor + 1])
        let positions = Int(matmulLayers[3 * matmulCursor + 2])
        return start + rows * positions - 1 == i ? (start, rows, positions) : nil
    }

    // Backward of a whole matmul (a linear layer over a sequence), which is a group: its nodes
    // read only the weights and the inputs, all recorded before it. When the weights are
    // parameters, their gradient waits for the end of the pass (ParameterGradients.swift) and
    // the inputs get W^T g_t for every position in one sweep, each row loaded once for four
    // positions. Otherwise it is taken run by run, position by position, as any dot nodes.
    @inline(__always) func backMatmul(_ layer: (start: Int, rows: Int, positions: Int)) -> Int {
        let (start, rows, positions) = layer
        let n = Int(counts[start]), newestWeight = Int(first[start + rows - 1]) + n - 1
        guard rowsAreParameters(newestInput: newestWeight) else {
            // A run can reach below the matmul (rows of another reading the same x): go on below it.
            var lowest = start + rows * positions
            while lowest > start { lowest = backDotRunOfRows(lowest - 1) }
            return lowest
        }
        deferredRuns.append(contentsOf: [Int32(start), Int32(rows), Int32(positions)])
        passGradientToInputs(start, rows: rows, positions: positions, n, constants[start])
        return start
    }

    /// x_t's grad += scale * sum_r g_{t,r} * row_r for the `positions` runs of `rows` dot nodes
    /// from `stackStart` (position t's run reads x_t, the vectors one after another): the part of
    /// a linear layer's backward that goes to its inputs, W^T g_t. Each component adds its rows'
    /// terms in the order of the rows into a running sum, then adds that to the grad; four
    /// positions at a time share each load of a row, and rows whose gradients are all zero
    /// (common after relu) are skipped, which adds nothing. With finite weights a position's bits
    /// do not depend on how many positions share the pass.
    @inline(__always) func passGradientToInputs(_ stackStart: Int, rows: Int, positions: Int, _ n: Int, _ scale: Double) {
        let values = self.values, grads = self.grads
        let rowStarts = pointerScratch(rows)
        for r in 0..<rows { rowStarts[r] = values + Int(first[stackStart + r]) }
        var g = grads + stackStart  // g[t * rows + r]: the nodes' gradients, scaled if need be
        if scale != 1 {  // a linear layer's scale is 1
            let scaled = scratch(rows * positions)
            for j in 0..<(rows * positions) { scaled[j] = g[j] * scale }
            g = scaled
        }
        // For each position t and component k: grads[x_t + k] += sum over r of g_{t,r} row_r[k]
        // (a row's zero gradients add nothing and are skipped), in C: see EngineKernels.h.
        kernelSet.inputs_gradient(UnsafePointer(OpaquePointer(rowStarts)), rows, g, positions, n,
                                  grads + Int(second[stackStart]))
    }

    /// W x for W stored row by row at `weights` ([rows, x.count]): one dot node per row.
    /// This is a linear layer; its outputs form a new vector.
    public func matvec(_ weights: NodeID, rows: Int, _ x: Vector) -> Vector {
        matmul(weights, rows: rows, x, positions: 1)
    }

    /// W x_t for each of `positions` input vectors lying one after another in `xs` (the whole
    /// sequence of a layer's inputs, [positions, n]): one dot node per row and position, position
    /// by position, exactly the nodes `matvec` would record for x_0, x_1, ... in turn.
    ///
    /// Why a whole sequence at once: each weight row is then loaded once for two positions here,
    /// and backward takes the whole matmul as one group (`backMatmul`; the tape notes where each
    /// matmul lies), passing the gradient to every x_t in one sweep over the weights. Every
    /// node's value is still `Tape.dot(row, x_t)`, with the same bits (EngineKernelTests checks it).
    public func matmul(_ weights: NodeID, rows: Int, _ xs: Vector, positions: Int) -> Vector {
        require(positions >= 1 && xs.count % positions == 0,
                "matmul: \(xs.count) inputs do not split into \(positions) vectors")
        let n = xs.count / positions
        requireVector(xs, .dot)
        require(rows >= 0, "matmul: \(rows) rows")
        requireVector(Vector(start: weights, count: rows * n), .dot)
        let start = reserve(rows * positions)
        if isRecording && rows > 0 { matmulLayers.append(contentsOf: [start, Int32(rows), Int32(positions)]) }
        // For every position t and row r: values[start + t * rows + r] = Tape.dot(row r, x_t),
        // in C (EngineKernels.c) so that CPUs with AVX2 take four doubles at a time; the sums run
        // in `dot`'s order, so the bits are the same on every CPU.
        kernelSet.matmul(values + Int(weights), rows, n, values + Int(xs.start), positions, values + Int(start))
        for t in 0..<positions {  // position by position: no division per node
            let x = xs.start + NodeID(t * n)
            record(Int(start) + t * rows, count: rows, .dot) { r in (weights + NodeID(r * n), x, Int32(n), 1) }
        }
        return Vector(start: start, count: rows * positions)
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
}
