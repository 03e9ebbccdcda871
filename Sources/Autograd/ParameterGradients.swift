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
        let runCount = deferredRuns.count / 2
        guard runCount > 0 else { return }
        var done = [Bool](repeating: false, count: runCount)
        var members: [Int] = []
        for r in 0..<runCount where !done[r] {
            let start = Int(deferredRuns[2 * r]), length = Int(deferredRuns[2 * r + 1]) - start
            members.removeAll(keepingCapacity: true)
            for other in r..<runCount where !done[other] {
                let otherStart = Int(deferredRuns[2 * other])
                if Int(deferredRuns[2 * other + 1]) - otherStart == length, sameRows(start, otherStart, length) {
                    members.append(otherStart)
                    done[other] = true
                }
            }
            for row in 0...length { addRowGradient(row: row, runStarts: members) }
        }
    }

    /// True when two runs read the same weight rows, in the same order, with the same count and scale.
    private func sameRows(_ a: Int, _ b: Int, _ length: Int) -> Bool {
        guard counts[a] == counts[b], constants[a] == constants[b] else { return false }
        for j in 0...length where first[a + j] != first[b + j] { return false }
        return true
    }

    /// grad(row) += sum over the runs of scale * g * x, for one row of the runs.
    private func addRowGradient(row: Int, runStarts: [Int]) {
        let first0 = runStarts[0] + row
        let n = Int(counts[first0]), scale = constants[first0]
        let gw = grads + Int(first[first0])
        // The positions that carry a gradient (after relu, often half), as two flat lists in
        // buffers the tape keeps (growing arrays here cost 6% of a training step).
        let (factors, inputs) = rowScratch(runStarts.count)
        var count = 0
        for start in runStarts {
            let g = grads[start + row] * scale
            if g == 0 { continue }
            factors[count] = g
            inputs[count] = values + Int(second[start])
            count += 1
        }
        guard count > 0 else { return }
        // For each component k: gw[k] += factors[0] * inputs[0][k] + factors[1] * inputs[1][k] + ...,
        // added in that order, in C (EngineKernels.c) for AVX2's four doubles at a time.
        kernelSet.row_gradient(gw, n, factors, UnsafePointer(OpaquePointer(inputs)), count)
    }
}
