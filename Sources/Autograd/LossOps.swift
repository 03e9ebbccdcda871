// The loss: cross-entropy of logits against a target as one node, and the log-probability that
// scoring reads without recording anything.

extension Tape {
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
        // gx[k] += g * e^(x_k - lse), four at a time (each lane as one at a time).
        forEachComponent(n, four: { k in
            store4(load4(gx + k) + g * DeterministicMath.exp(load4(x + k) - lse), gx + k)
        }, one: { k in gx[k] += g * DeterministicMath.exp(x[k] - lse) })
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
        // Four exponentials at a time (the same bits as one at a time), added in order of k.
        forEachComponent(n, four: { k in
            let e = DeterministicMath.exp(load4(x + k) - maxValue)
            total = total + e[0] + e[1] + e[2] + e[3]
        }, one: { k in total += DeterministicMath.exp(x[k] - maxValue) })
        return maxValue + DeterministicMath.log(total)
    }
}
