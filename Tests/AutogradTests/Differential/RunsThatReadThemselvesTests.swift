// The smallest graphs on which the backward pass's batched rules once went wrong, each found by the
// random differential tests: a run of nodes of one kind in which a node reads another node of the
// same run. The gradients here are worked out by hand.
import Autograd
import Testing

@Suite struct RunsThatReadThemselves {
    /// relu(relu(a)): the second relu reads the first. Once gave 0.
    @Test func reluOfRelu() {
        let tape = Tape()
        let a = Value(2, on: tape)
        let out = a.relu().relu()
        out.backward()
        #expect(a.grad == 1)
    }

    /// (a + a) + (a + a) = 4a: the second add reads the first. Once gave 0.
    @Test func sumOfSums() {
        let tape = Tape()
        let a = Value(0.5, on: tape)
        let b = a + a
        let c = b + b
        c.backward()
        #expect(a.grad == 4)
        #expect(b.grad == 2)
    }

    /// Two dot products against the same x, the second of which reads the first as a weight:
    /// out = x0 x1 + (x0^2 + x1^2) x1, so d/dx0 = x1 + 2 x0 x1 and d/dx1 = x0 + x0^2 + 3 x1^2.
    @Test func linearRowsReadingAnEarlierRow() {
        let tape = Tape()
        let x = tape.inputs([0.5, -1.5])
        let squares = tape.dot(x, x)                                    // x0^2 + x1^2
        #expect(squares == x.start + 2)
        let out = tape.dot(Vector(start: x.start + 1, count: 2), x)     // [x1, squares] . x
        tape.backward(from: out)
        #expect(abs(tape.data(out) - -4.5) < 1e-15)
        #expect(abs(tape.grad(x[0]) - -3) < 1e-15)
        #expect(abs(tape.grad(x[1]) - 7.5) < 1e-15)
    }

    /// Two dot products sharing their first input, the second reading the first: a * (a * a) = a^3.
    @Test func scoresReadingAnEarlierScore() {
        let tape = Tape()
        let a = tape.inputs([1.5])
        let square = tape.dot(a, a)
        let cube = tape.dot(a, Vector(start: square, count: 1))
        tape.backward(from: cube)
        #expect(abs(tape.grad(a[0]) - 6.75) < 1e-15)  // 3 a^2
    }

    /// Two columns of weighted sums over the same rows, where the second column of a row is the
    /// first sum: with rows [a, a+2] and weights [a, a+2],
    /// s0 = a*a + (a+2)(a+2), s1 = a(a+2) + (a+2) s0, and ds1/da = 24.5 at a = 0.5.
    @Test func weightedSumsReadingAnEarlierSum() {
        let tape = Tape()
        let a = tape.input(0.5)
        let aPlus2 = tape.add(a, constant: 2)
        let rows = tape.rowList([a, aPlus2])
        let weights = Vector(start: a, count: 2)
        _ = tape.weightedSum(weights, rows: rows, column: 0)
        let s1 = tape.weightedSum(weights, rows: rows, column: 1)
        tape.backward(from: s1)
        #expect(abs(tape.data(s1) - 17.5) < 1e-14)
        #expect(abs(tape.grad(a) - 24.5) < 1e-13)
    }
}

@Suite struct ParametersAreLeaves {
    /// Truncating below the parameters' end brings the end down with it, so a node recorded
    /// there later is never mistaken for a parameter.
    @Test func truncateLowersTheParametersEnd() {
        let tape = Tape()
        _ = tape.input(1)
        let afterFirst = tape.mark()
        _ = tape.inputs([2, 3])
        tape.parametersEnd = 3
        tape.truncate(to: afterFirst)
        #expect(tape.parametersEnd == 1)
        _ = tape.exp(0)  // node 1, computed: not a parameter
        #expect(tape.parametersEnd == 1)
    }

    @Test func onlyLeavesCanBeParameters() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let tape = Tape()
            let a = tape.input(1)
            _ = tape.exp(a)
            tape.parametersEnd = 2  // node 1 is exp(a), not a leaf
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("would make node 1, a 'exp' node, a parameter; only leaves can be"), "\(message)")
    }

    @Test func aVectorOffTheTapeIsRefusedWithItsNumbers() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let tape = Tape()
            _ = tape.inputs([1, 2])
            _ = tape.softmax(Vector(start: 1, count: 3))
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("softmax: nodes 1..<4 are not all on this tape, which holds 2 nodes"), "\(message)")
    }
}
