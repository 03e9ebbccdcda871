// The backward pass: the chain rule applied node by node from the output back to the inputs.
// Recording order is a topological order (a node only reads older nodes), so walking the tape
// backwards visits every node after all the nodes that read it: its gradient is complete when its
// turn comes, and it passes that gradient on to its inputs through its local derivatives.
//
// For speed, the loop takes some nodes together: a run of consecutive nodes of one kind (a vector
// add or relu, a linear layer's rows, a head's scores or its weighted sums) or a group made by one
// op (a softmax's or an rmsnorm's outputs, a matmul's rows at every position), and passes all their gradients on at once when it
// reaches the newest of them. Every such rule relies on one invariant:
//
//     no node of a run reads another node of the same run.
//
// Then nothing inside the run is still waiting for gradient from inside it, so every gradient in
// the run is complete when the loop reaches its newest node, just as it would be node by node.
// A group has it by construction (its outputs read only inputs recorded before it). A run is found
// by scanning down from its newest node, and each scan (`backAddRun`, `backReluRun`,
// `backDotRun`, `backSharedFirstRun`, `backWeightedSumRun`) stops before the first node that a
// node of the run reads: in relu(relu(a)) the two relus are taken one at a time.
//
// The one other shortcut, parameter gradients added up at the end of the pass
// (ParameterGradients.swift), relies on parameters being leaves that nothing reads gradients from
// during the pass; `parametersEnd` refuses to cover any other node.

extension Tape {
    /// Adds d(root)/d(node) to the grad of every node the root depends on.
    ///
    /// Gradients accumulate, as in micrograd and PyTorch: calling `backward` twice from the same
    /// root adds the same gradients twice, so call `zeroGrad()` between independent passes.
    /// Nodes the root does not depend on keep their grads.
    public func backward(from root: NodeID) {
        let n = Int(root) + 1
        require(root >= 0 && n <= count, "node \(root) is not on this tape")
        if gradsAreZero {
            grads[Int(root)] = 1
            propagate(from: Int(root))
        } else {
            // Run the pass on zeroed grads, then add back what was there, so a stale gradient left
            // on some node by an earlier pass is not pushed through the graph a second time.
            // (All of them, above the root too: group rules read every output of their group.)
            let earlier = Array(UnsafeBufferPointer(start: grads, count: count))
            grads.update(repeating: 0, count: count)
            grads[Int(root)] = 1
            propagate(from: Int(root))
            for i in 0..<count { grads[i] += earlier[i] }
        }
        gradsAreZero = false
    }

    // region: backward-loop
    /// One loop, newest node first; each case is the `back...` rule written beside its op.
    /// Nodes made together (a softmax's outputs, a linear layer's rows) are handled together when
    /// the loop reaches the newest of them, and the loop then skips to below the oldest.
    private func propagate(from root: Int) {
        deferredRuns.removeAll(keepingCapacity: true)
        matmulCursor = matmulLayers.count / 3 - 1
        defer { addDeferredParameterGradients() }
        var i = root
        // Parameters, below parametersEnd, are leaves: nothing to pass on, so the loop stops there.
        while i >= deferredGradientsEnd {
            let g = grads[i]
            switch ops[i] {
            case .input: break
            case .add: i = backAddRun(i)
            case .sub: backSub(i, g)
            case .mul: backMul(i, g)
            case .div: backDiv(i, g)
            case .neg: backNeg(i, g)
            case .addConstant: backAddConstant(i, g)
            case .mulConstant: backMulConstant(i, g)
            case .pow: backPow(i, g)
            case .exp: backExp(i, g)
            case .log: backLog(i, g)
            case .relu: i = backReluRun(i)
            case .tanh: backTanh(i, g)
            case .sigmoid: backSigmoid(i, g)
            case .sqrt: backSqrt(i, g)
            case .abs: backAbs(i, g)
            case .max: backMaxMin(i, g, largerWins: true)
            case .min: backMaxMin(i, g, largerWins: false)
            case .sum: backSum(i, g)
            case .sumOf: backSumOf(i, g)
            case .dot: i = backDotRun(i)
            case .weightedSum: i = backWeightedSumRun(i)
            case .softmax: i = backSoftmax(i)
            case .rmsnorm: i = backRmsnorm(i)
            case .crossEntropy: backCrossEntropy(i, g)
            }
            i -= 1
        }
    }
    // endregion
}
