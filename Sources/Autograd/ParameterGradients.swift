// A speed-up of the backward pass for models: the same gradients as the plain rule, up to rounding
// (each weight's terms are added in another order, a fixed one, so results stay deterministic).
//
// A linear layer's weights get gradient g_t * x_t from every position t: walked node by node,
// each position loads and stores the whole weight matrix's gradient again. The weights are
// parameters, though (leaves, read by nobody during backward), so their gradient can wait: the
// dot-run rule records the run, and when the pass ends every matrix row adds up
// sum_t g_t * x_t over all positions in registers and touches its gradient once.
// Only nodes below `parametersEnd` are treated this way; any other dot node follows the plain rule.

extension Tape {
    /// True when the rows of a run read only parameters: when the newest node any row reads
    /// (which the dot-run rule tracks as it finds the run) is one.
    @inline(__always) func rowsAreParameters(newestInput: Int) -> Bool {
        newestInput < deferredGradientsEnd
    }

    /// sum += scale * g_j * row_j over the run: the part of the rows' backward that goes to x.
    /// Four rows per pass over the sum, skipping rows whose gradient is zero (common after relu).
    /// Per component k the rule is `sum[k] += (g0 * w0[k] + g1 * w1[k]) + (g2 * w2[k] + g3 * w3[k])`;
    /// the loops below do it for four components at once (see `load4`), with the same bits.
    @inline(__always) func sumRowsTimesGrads(_ start: Int, _ last: Int, _ n: Int, _ scale: Double,
                                             into sum: UnsafeMutablePointer<Double>) {
        let values = self.values, grads = self.grads
        var pending: (UnsafeMutablePointer<Double>, Double, UnsafeMutablePointer<Double>, Double,
                      UnsafeMutablePointer<Double>, Double) = (sum, 0, sum, 0, sum, 0)
        var waiting = 0
        for j in start...last {
            let g = grads[j] * scale
            if g == 0 { continue }
            let w = values + Int(first[j])
            switch waiting {
            case 0: pending.0 = w; pending.1 = g
            case 1: pending.2 = w; pending.3 = g
            case 2: pending.4 = w; pending.5 = g
            default:
                let (w0, g0, w1, g1, w2, g2) = pending
                forEachComponent(n, four: { k in
                    store4(load4(sum + k) + ((g0 * load4(w0 + k) + g1 * load4(w1 + k)) + (g2 * load4(w2 + k) + g * load4(w + k))), sum + k)
                }, one: { k in
                    sum[k] += (g0 * w0[k] + g1 * w1[k]) + (g2 * w2[k] + g * w[k])
                })
                waiting = 0
                continue
            }
            waiting += 1
        }
        let (w0, g0, w1, g1, w2, g2) = pending
        switch waiting {
        case 1:
            forEachComponent(n, four: { k in store4(load4(sum + k) + g0 * load4(w0 + k), sum + k) },
                             one: { k in sum[k] += g0 * w0[k] })
        case 2:
            forEachComponent(n, four: { k in store4(load4(sum + k) + (g0 * load4(w0 + k) + g1 * load4(w1 + k)), sum + k) },
                             one: { k in sum[k] += g0 * w0[k] + g1 * w1[k] })
        case 3:
            forEachComponent(n, four: { k in
                store4(load4(sum + k) + ((g0 * load4(w0 + k) + g1 * load4(w1 + k)) + g2 * load4(w2 + k)), sum + k)
            }, one: { k in sum[k] += (g0 * w0[k] + g1 * w1[k]) + g2 * w2[k] })
        default: break
        }
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
        var k = 0
        // Sixteen components at a time stay in registers while every position adds to them.
        while k + 16 <= n {
            var a = load4(gw + k), b = load4(gw + k + 4), c = load4(gw + k + 8), d = load4(gw + k + 12)
            for m in 0..<count {
                let g = SIMD4(repeating: factors[m]), x = inputs[m] + k
                a += g * load4(x)
                b += g * load4(x + 4)
                c += g * load4(x + 8)
                d += g * load4(x + 12)
            }
            store4(a, gw + k); store4(b, gw + k + 4); store4(c, gw + k + 8); store4(d, gw + k + 12)
            k += 16
        }
        while k + 4 <= n {
            var a = load4(gw + k)
            for m in 0..<count { a += SIMD4(repeating: factors[m]) * load4(inputs[m] + k) }
            store4(a, gw + k)
            k += 4
        }
        while k < n {
            var total = gw[k]
            for m in 0..<count { total += factors[m] * inputs[m][k] }
            gw[k] = total
            k += 1
        }
    }
}
