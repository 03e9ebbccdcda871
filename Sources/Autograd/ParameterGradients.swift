// A speed-up of the backward pass for models: the same gradients as the plain rule, up to rounding
// (each weight's terms are added in another order, a fixed one, so results stay deterministic).
//
// A linear layer's weights get gradient g_t * x_t from every position t: walked node by node,
// each position loads and stores the whole weight matrix's gradient again. The weights are
// parameters, though (leaves, read by nobody during backward), so their gradient can wait: the
// dot-run rule records the run, and when the pass ends every matrix row adds up
// sum_t g_t * x_t over all positions in registers and touches its gradient once.
// Only nodes below `parametersEnd` are treated this way; any other dot node follows the plain rule.

internal import EngineKernels

extension Tape {
    /// True when the rows of a run read only parameters: when the newest node any row reads
    /// (which the dot-run rule tracks as it finds the run) is one.
    @inline(__always) func rowsAreParameters(newestInput: Int) -> Bool {
        newestInput < deferredGradientsEnd
    }

    /// The waiting gradients: runs that read the same rows (one matrix at every position) are
    /// taken together, and each row adds sum_t g_t * x_t to its gradient in one sweep.
    func addDeferredParameterGradients() {
        let entries = deferredRuns.count / 3
        guard entries > 0 else { return }
        var done = [Bool](repeating: false, count: entries)
        var runStarts: [Int] = []
        for e in 0..<entries where !done[e] {
            let start = Int(deferredRuns[3 * e]), rows = Int(deferredRuns[3 * e + 1])
            runStarts.removeAll(keepingCapacity: true)
            for other in e..<entries where !done[other] {
                let otherStart = Int(deferredRuns[3 * other])
                guard Int(deferredRuns[3 * other + 1]) == rows, sameRows(start, otherStart, rows - 1) else { continue }
                for t in 0..<Int(deferredRuns[3 * other + 2]) { runStarts.append(otherStart + t * rows) }
                done[other] = true
            }
            addWeightGradients(rows: rows, runStarts: runStarts)
        }
    }

    /// True when two runs read the same weight rows, in the same order, with the same count and scale.
    private func sameRows(_ a: Int, _ b: Int, _ length: Int) -> Bool {
        guard counts[a] == counts[b], constants[a] == constants[b] else { return false }
        for j in 0...length where first[a + j] != first[b + j] { return false }
        return true
    }

    /// grad(row_r) += sum over the runs of scale * g_{run, r} * x_run, for every row r of the runs,
    /// the runs' terms added in the order of `runStarts` (a zero gradient adds nothing and is
    /// skipped). In C (EngineKernels.c): four rows at a time share each load of an input.
    private func addWeightGradients(rows: Int, runStarts: [Int]) {
        let first0 = runStarts[0]
        let n = Int(counts[first0]), scale = constants[first0], positions = runStarts.count
        let pointers = pointerScratch(rows + 2 * positions)
        let gradRows = pointers, g = pointers + rows, x = g + positions
        for r in 0..<rows { gradRows[r] = grads + Int(first[first0 + r]) }
        let scaled = scale == 1 ? nil : scratch(rows * positions)  // a linear layer's scale is 1
        for (t, start) in runStarts.enumerated() {
            x[t] = values + Int(second[start])
            if let scaled {
                for r in 0..<rows { scaled[t * rows + r] = grads[start + r] * scale }
                g[t] = scaled + t * rows
            } else {
                g[t] = grads + start
            }
        }
        // The lists as C sees them (const double *const *).
        let gradientList = UnsafePointer<UnsafePointer<Double>?>(OpaquePointer(g))
        let inputList = UnsafePointer<UnsafePointer<Double>?>(OpaquePointer(x))
        // The kernel keeps four rows' sums in registers, which is right only for rows that do not
        // overlap (a linear layer's). Runs made by hand may read one row twice: then one at a time.
        var apart = true
        for r in 1..<max(rows, 1) where Int(first[first0 + r]) < Int(first[first0 + r - 1]) + n { apart = false }
        if apart {
            kernelSet.weight_gradient(UnsafePointer(OpaquePointer(gradRows)), rows, n, gradientList, inputList, positions)
        } else {
            for r in 0..<rows {
                for t in 0..<positions { g[t] = g[t] + r }  // row r's gradient first in each list
                kernelSet.weight_gradient(UnsafePointer(OpaquePointer(gradRows + r)), 1, n, gradientList, inputList, positions)
                for t in 0..<positions { g[t] = g[t] - r }
            }
        }
    }
}
