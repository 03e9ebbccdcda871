// Every differentiable op against central finite differences, micrograd's reference numbers,
// the accumulate-on-backward contract, and a million-node chain.
import Testing
import TestSupport
@testable import Autograd

/// Central difference of `f` at `x` in coordinate `i`.
private func numericGradient(_ f: ([Double]) -> Double, at x: [Double], _ i: Int, h: Double = 1e-6) -> Double {
    var plus = x, minus = x
    plus[i] += h
    minus[i] -= h
    return (f(plus) - f(minus)) / (2 * h)
}

/// Builds `expression` over fresh inputs `x` on a new tape, runs backward, and compares every
/// input's gradient with finite differences.
private func checkGradients(_ x: [Double], tolerance: Double = 1e-6, sourceLocation: SourceLocation = #_sourceLocation,
                            _ expression: (Tape, [NodeID]) -> NodeID) {
    func evaluate(_ point: [Double]) -> Double {
        let tape = Tape()
        let inputs = point.map { tape.input($0) }
        return tape.data(expression(tape, inputs))
    }
    let tape = Tape()
    let inputs = x.map { tape.input($0) }
    let output = expression(tape, inputs)
    tape.backward(from: output)
    var closeness = Closeness("backward against finite differences", tolerance: tolerance)
    for i in x.indices { closeness.check(tape.grad(inputs[i]), numericGradient(evaluate, at: x, i), at: "input \(i)") }
    closeness.report(sourceLocation: sourceLocation)
}

@Suite struct ScalarOpGradients {
    @Test func binaryOps() {
        checkGradients([1.5, -2.25]) { t, x in t.add(x[0], x[1]) }
        checkGradients([1.5, -2.25]) { t, x in t.sub(x[0], x[1]) }
        checkGradients([1.5, -2.25]) { t, x in t.mul(x[0], x[1]) }
        checkGradients([1.5, -2.25]) { t, x in t.div(x[0], x[1]) }
    }

    @Test func unaryOps() {
        checkGradients([0.7]) { t, x in t.neg(x[0]) }
        checkGradients([0.7]) { t, x in t.add(x[0], constant: 3) }
        checkGradients([0.7]) { t, x in t.mul(x[0], constant: -2.5) }
        checkGradients([0.7]) { t, x in t.exp(x[0]) }
        checkGradients([0.7]) { t, x in t.log(x[0]) }
        checkGradients([0.7]) { t, x in t.tanh(x[0]) }
        checkGradients([-0.003]) { t, x in t.tanh(x[0]) }
        checkGradients([0.7]) { t, x in t.relu(x[0]) }
        checkGradients([-0.7]) { t, x in t.relu(x[0]) }
        checkGradients([0.7]) { t, x in t.sigmoid(x[0]) }
        checkGradients([-3.5]) { t, x in t.sigmoid(x[0]) }
        checkGradients([2.25]) { t, x in t.sqrt(x[0]) }
        checkGradients([0.7]) { t, x in t.abs(x[0]) }
        checkGradients([-0.7]) { t, x in t.abs(x[0]) }
    }

    @Test func maximumAndMinimumAwayFromATie() {
        checkGradients([1.5, -2.25]) { t, x in t.maximum(x[0], x[1]) }
        checkGradients([-2.25, 1.5]) { t, x in t.maximum(x[0], x[1]) }
        checkGradients([1.5, -2.25]) { t, x in t.minimum(x[0], x[1]) }
        checkGradients([-2.25, 1.5]) { t, x in t.minimum(x[0], x[1]) }
        checkGradients([0.9, 0.4]) { t, x in t.maximum(t.mul(x[0], x[1]), t.sigmoid(x[0])) }
    }

    @Test func powers() {
        checkGradients([1.3]) { t, x in t.pow(x[0], 3) }
        checkGradients([-1.3]) { t, x in t.pow(x[0], 2) }
        checkGradients([1.3]) { t, x in t.pow(x[0], -1) }
        checkGradients([1.3]) { t, x in t.pow(x[0], 0.5) }
        checkGradients([1.3]) { t, x in t.pow(x[0], 2.7) }
    }

    @Test func aNodeUsedTwiceAddsBothPaths() {
        checkGradients([0.9]) { t, x in t.mul(x[0], x[0]) }
        checkGradients([0.9, 0.4]) { t, x in t.mul(t.add(x[0], x[1]), t.tanh(x[0])) }
    }
}

/// Values and slopes checked against numbers computed apart from the engine (Python's math
/// module, as torch.sigmoid and torch.sqrt give them), and the conventions where a slope jumps.
@Suite struct NewScalarOpsAgainstReferences {
    @Test func sigmoidAndSqrtMatchReferenceNumbers() {
        let tape = Tape()
        let a = Value(0.7, on: tape), b = Value(2.25, on: tape)
        let s = a.sigmoid(), r = b.sqrt()
        (s + r).backward()
        #expect(abs(s.data - 0.6681877721681662) < 1e-15)
        #expect(abs(a.grad - 0.22171287329310904) < 1e-15)
        #expect(r.data == 1.5)
        #expect(abs(b.grad - 1.0 / 3) < 1e-15)
    }

    /// Far from 0 the sigmoid neither overflows nor loses its tiny values: 1 / (1 + e^40) is 4.2e-18,
    /// not 0, and sigmoid(-800) is 0 rather than NaN.
    @Test func sigmoidStaysFiniteFarOut() {
        let tape = Tape()
        #expect(abs(tape.data(tape.sigmoid(tape.input(-40))) / 4.248354255291589e-18 - 1) < 1e-13)
        #expect(tape.data(tape.sigmoid(tape.input(-800))) == 0)
        #expect(tape.data(tape.sigmoid(tape.input(800))) == 1)
    }

    /// abs has slope 0 at 0, as relu does and as torch.abs does.
    @Test func absAtItsKinkHasSlopeZero() {
        let tape = Tape()
        let a = Value(0, on: tape)
        a.abs().backward()
        #expect(a.grad == 0)
    }

    /// At a tie max and min give each input half the gradient, as torch.maximum and torch.minimum
    /// do; the central difference at a tie measures the same half. max(a, a) is a, slope 1.
    @Test func maxAndMinSplitTheGradientAtATie() {
        for op in [Value.max, Value.min] {
            let tape = Tape()
            let a = Value(1.5, on: tape), b = Value(1.5, on: tape)
            let out = op(a)(b) * 4
            out.backward()
            #expect(out.data == 6)
            #expect(a.grad == 2)
            #expect(b.grad == 2)
            let c = Value(-0.5, on: tape)
            op(c)(c).backward()
            #expect(c.grad == 1)
        }
        let h = 1e-6
        #expect(abs((max(1.5 + h, 1.5) - max(1.5 - h, 1.5)) / (2 * h) - 0.5) < 1e-9)
    }

    @Test func graphsNameTheNewOps() {
        let tape = Tape()
        let a = Value(2, on: tape), b = Value(-1, on: tape)
        let m = a.max(b)
        #expect(m.op == .max && m.op.symbol == "max")
        #expect(m.inputs.map(\.id) == [a.id, b.id])
        #expect(a.min(b).op.symbol == "min")
        #expect(a.sqrt().inputs.map(\.id) == [a.id])
        #expect([a.sigmoid().op, a.abs().op] == [.sigmoid, .abs])
    }
}

@Suite struct VectorOpGradients {
    let x = [0.3, -1.2, 2.0, 0.5, -0.7, 1.1]

    @Test func sumsAndDots() {
        checkGradients(x) { t, v in t.sum(Vector(start: v[0], count: 6)) }
        checkGradients(x) { t, v in t.sum([v[5], v[0], v[2], v[0]]) }
        checkGradients(x) { t, v in t.dot(Vector(start: v[0], count: 3), Vector(start: v[3], count: 3), scale: 0.5) }
        checkGradients(x) { t, v in t.dot(Vector(start: v[0], count: 6), Vector(start: v[0], count: 6)) }
    }

    @Test func matvecIsOneDotPerRow() {
        // W [3, 2] from the first six inputs, x from two more.
        checkGradients(x + [0.8, -0.4]) { t, v in
            let y = t.matvec(v[0], rows: 3, Vector(start: v[6], count: 2))
            return t.sum(t.relu(t.add(y, Vector(start: v[0], count: 3))).ids.map { t.mul($0, $0) })
        }
    }

    /// Parameter gradients batched at the end of the pass equal the plain rule's.
    @Test func deferredParameterGradientsMatchThePlainRule() {
        func gradients(deferring: Bool) -> [Double] {
            let t = Tape()
            var random: UInt64 = 12345
            func next() -> Double {  // a small fixed generator, enough for test data
                random = random &* 6364136223846793005 &+ 1442695040888963407
                return Double(random >> 11) / Double(1 << 53) - 0.5
            }
            let w1 = t.inputs((0..<(12 * 10)).map { _ in next() })   // [12, 10]
            let w2 = t.inputs((0..<(3 * 12)).map { _ in next() })    // [3, 12]
            t.parametersEnd = deferring ? t.count : 0
            var losses: [NodeID] = []
            for _ in 0..<5 {  // five "positions" reuse the same weights
                let x = t.inputs((0..<10).map { _ in next() })
                let h = t.relu(t.matvec(w1.start, rows: 12, t.rmsnorm(x)))
                losses.append(t.crossEntropy(t.matvec(w2.start, rows: 3, h), target: 1))
            }
            t.backward(from: t.sum(losses))
            return t.grad(w1) + t.grad(w2)
        }
        let plain = gradients(deferring: false), deferred = gradients(deferring: true)
        #expect(plain.contains { $0 != 0 })
        expectClose(deferred, plain, tolerance: 1e-14, "deferred parameter gradients")
    }

    @Test func softmaxRmsnormAndLoss() {
        // Weight the outputs so every output's gradient differs.
        func weighted(_ t: Tape, _ y: Vector) -> NodeID {
            t.sum((0..<y.count).map { t.mul(y[$0], constant: Double($0 + 1)) })
        }
        checkGradients(x) { t, v in weighted(t, t.softmax(Vector(start: v[0], count: 6))) }
        checkGradients(x) { t, v in weighted(t, t.rmsnorm(Vector(start: v[0], count: 6))) }
        checkGradients(x) { t, v in t.crossEntropy(Vector(start: v[0], count: 6), target: 2) }
    }

    @Test func weightedSumGathersRows() {
        // Two "value" rows of 3 at inputs 0 and 3, weights at inputs 6 and 7; column 1.
        checkGradients(x + [0.25, 0.75]) { t, v in
            let rows = t.rowList([v[0], v[3]])
            let a = t.weightedSum(Vector(start: v[6], count: 2), rows: rows, column: 1)
            let b = t.weightedSum(Vector(start: v[6], count: 2), rows: rows, column: 2)
            return t.mul(a, b)
        }
    }

    @Test func attentionScoresAndHeadOutputs() {
        // Keys/values: two rows of 4 at inputs 0 and 4; query at 8...9 reads columns 2...3.
        let x = [0.3, -1.2, 2.0, 0.5, -0.7, 1.1, 0.4, -0.9, 0.6, -0.25]
        checkGradients(x) { t, v in
            let scores = t.scores(Vector(start: v[8], count: 2), keys: [v[0], v[4]], offset: 2, scale: 0.7)
            let weights = t.softmax(scores)
            let head = t.weightedSums(weights, rows: t.rowList([v[0], v[4]]), columns: 1..<3)
            return t.add(t.mul(head[0], head[1]), t.mul(head[1], constant: 3))
        }
    }

    @Test func batchedAttentionOpsMatchTheOneNodeOps() {
        let t = Tape()
        let v = t.inputs([0.3, -1.2, 2.0, 0.5, -0.7, 1.1, 0.4, -0.9, 0.6, -0.25, 0.15, 0.85])
        let q = v.slice(8, 2)
        let scores = t.scores(q, keys: [v[0], v[4]], offset: 2, scale: 0.7)
        #expect(t.data(scores[1]) == t.data(t.dot(q, Vector(start: v[4] + 2, count: 2), scale: 0.7)))
        let w = v.slice(10, 2)
        let rows = t.rowList([v[0], v[4]])
        let head = t.weightedSums(w, rows: rows, columns: 1..<4)
        for j in 0..<3 {
            #expect(t.data(head[j]) == t.data(t.weightedSum(w, rows: rows, column: 1 + j)))
        }
    }

    @Test func softmaxValuesAndLossValue() {
        let t = Tape()
        let logits = t.inputs([1, 2, 3])
        let y = t.data(t.softmax(logits))
        let total = 1 + 2.718281828459045 + 7.38905609893065
        #expect(abs(y[0] - 1 / total) < 1e-15)
        #expect(abs(y[2] - 7.38905609893065 / total) < 1e-15)
        let loss = t.data(t.crossEntropy(logits, target: 0))
        #expect(abs(loss - (3.4076059644443806 - 1)) < 1e-14)  // logsumexp(1,2,3) - 1
    }
}

@Suite struct ValueAPI {
    /// micrograd's test_more_ops, with its reference numbers (computed there by PyTorch).
    @Test func microgradMoreOps() {
        let tape = Tape()
        let a = Value(-4.0, on: tape)
        let b = Value(2.0, on: tape)
        var c = a + b
        var d = a * b + b.pow(3)
        c += c + 1
        c += 1 + c + (-a)
        d += d * 2 + (b + a).relu()
        d += 3 * d + (b - a).relu()
        let e = c - d
        let f = e.pow(2)
        var g = f / 2.0
        g += 10.0 / f
        g.backward()
        #expect(abs(g.data - 24.70408163265306) < 1e-12)
        #expect(abs(a.grad - 138.83381924198252) < 1e-9)
        #expect(abs(b.grad - 645.5772594752186) < 1e-9)
    }

    @Test func graphIsInspectable() {
        let tape = Tape()
        let a = Value(2, on: tape, label: "a")
        let b = Value(-3, on: tape, label: "b")
        let c = (a * b + 1).tanh().named("out")
        #expect(c.op == .tanh)
        #expect(c.label == "out")
        let plusOne = c.inputs[0]
        #expect(plusOne.op == .addConstant)
        #expect(tape.constant(plusOne.id) == 1)
        #expect(plusOne.inputs[0].inputs.map(\.label) == ["a", "b"])
        #expect(a.inputs.isEmpty && a.op == .input)
    }

    @Test func backwardTwiceAccumulates() {
        let tape = Tape()
        let a = Value(3, on: tape)
        let y = a * a
        y.backward()
        #expect(a.grad == 6)
        y.backward()
        #expect(a.grad == 12)
        tape.zeroGrad()
        y.backward()
        #expect(a.grad == 6)
    }

    @Test func backwardFromANewRootDoesNotRepropagateOldGrads() {
        let tape = Tape()
        let a = Value(3, on: tape)
        let y = a * a       // dy/da = 6
        let z = a * 5       // dz/da = 5
        y.backward()
        z.backward()
        #expect(a.grad == 11)
        #expect(y.grad == 1)  // y keeps its grad; it is not pushed into a a second time
    }

    @Test func truncateForgetsNodesButKeepsEarlierOnes() {
        let tape = Tape()
        let w = Value(1.5, on: tape)
        let mark = tape.mark()
        for _ in 0..<3 {
            let loss = (w * 2).pow(2)
            loss.backward()
            tape.truncate(to: mark)
        }
        #expect(tape.count == 1)
        #expect(w.grad == 3 * 12)  // d(4w^2)/dw = 8w = 12, three times
    }
}

@Suite struct DeepGraphs {
    /// A chain of a million nodes: backward is a loop, so depth cannot overflow the stack.
    @Test func millionNodeChain() {
        let tape = Tape()
        var x = tape.input(1.0)
        let start = x
        for _ in 0..<1_000_000 {
            x = tape.mul(x, constant: 1.0000001)
        }
        tape.backward(from: x)
        let expected = DeterministicMath.exp(1_000_000 * DeterministicMath.log(1.0000001))
        #expect(abs(tape.grad(start) - expected) < 1e-6 * expected)
        #expect(tape.count == 1_000_001)
    }
}

@Suite struct InferenceMode {
    @Test func notRecordingGivesSameValuesAndNoGradients() {
        func run(recording: Bool) -> (Double, Double) {
            let tape = Tape()
            let x = tape.inputs([0.5, -1, 2])
            let forward = { tape.crossEntropy(tape.rmsnorm(tape.softmax(x)), target: 1) }
            let y = recording ? forward() : tape.withoutRecording(forward)
            #expect(tape.isRecording)  // put back as it was
            tape.backward(from: y)
            return (tape.data(y), tape.grad(x[0]))
        }
        let recorded = run(recording: true)
        let unrecorded = run(recording: false)
        #expect(recorded.0 == unrecorded.0)
        #expect(recorded.1 != 0)
        #expect(unrecorded.1 == 0)
    }
}
