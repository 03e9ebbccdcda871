import Foundation
import Testing
@testable import GPT
import InferenceKernels

// The inference pass's kernels come in two versions, for any x86-64 and for AVX2, chosen when the
// program runs (InferenceKernels.c). Which one runs must never change an answer: both must give
// the bits of plain loops that follow the same order, for the shapes a model has, and the
// exponential they share must be close to the platform's.
struct InferenceKernelTests {
    /// Both versions on this machine (the AVX2 one where the CPU has it).
    private var versions: [InferenceKernelSet] { [Kernels.portable] + (Kernels.avx2.map { [$0] } ?? []) }

    /// out[i][o] = sum over k of x[i][k] w[k][o], in order, one rounding for each multiply and each add.
    private func referenceLinear(_ weights: [Float], inputs: Int, outputs: Int, _ x: [Float], rows: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * outputs)
        for i in 0..<rows {
            for o in 0..<outputs {
                var sum: Float = 0
                for k in 0..<inputs {
                    let product = x[i * inputs + k] * weights[k * outputs + o]
                    sum = sum + product
                }
                out[i * outputs + o] = sum
            }
        }
        return out
    }

    @Test(arguments: [(1, 8, 1), (3, 8, 2), (32, 32, 4), (32, 128, 5), (128, 32, 7), (32, 72, 9), (40, 24, 3), (17, 16, 13)])
    func theLinearKernelGivesThePlainLoopsBits(inputs: Int, outputs: Int, rows: Int) {
        var random = SeededRandom(seed: UInt64(inputs * 1000 + outputs * 10 + rows))
        let weights = (0..<(inputs * outputs)).map { _ in Float(random.nextGaussian()) }
        let x = (0..<(rows * inputs)).map { _ in Float(random.nextGaussian()) * 3 }
        let expected = referenceLinear(weights, inputs: inputs, outputs: outputs, x, rows: rows).map(\.bitPattern)
        for kernels in versions {
            var out = [Float](repeating: .nan, count: rows * outputs)
            out.withUnsafeMutableBufferPointer { y in
                kernels.linear(weights, Int32(inputs), Int32(outputs), x, Int32(rows), Int32(inputs), y.baseAddress, Int32(outputs))
            }
            #expect(out.map(\.bitPattern) == expected)
        }
    }

    @Test func theExponentialIsWithinTwoUlpsAndHandlesTheEdges() {
        var xs: [Float] = []
        var x: Float = -87
        while x < 88.2 { xs.append(x); x += 0.00173 }
        for kernels in versions {
            var ours = xs
            kernels.exponentials(&ours, Int32(ours.count))
            let worst = zip(xs, ours).map { x, e in abs(e - Foundation.exp(x)) / Foundation.exp(x).ulp }.max()!
            #expect(worst <= 2)
            // Eight lanes and a tail of three, which take one lane of the vector exp each.
            var edges: [Float] = [.nan, -.infinity, .infinity, 0, -100, 100, -87.3, 88.2, -0.0, 1, -1]
            kernels.exponentials(&edges, Int32(edges.count))
            #expect(edges[0].isNaN && edges[1] == 0 && edges[2] == .infinity && edges[3] == 1)
            #expect(edges[4] == 0 && edges[5] == .infinity && edges[6] > 0 && edges[7].isFinite)
            #expect(edges[8] == 1 && abs(edges[9] - Float(M_E)) <= Float(M_E).ulp && abs(edges[10] - Float(1 / M_E)) <= 2 * Float(1 / M_E).ulp)
        }
        if let avx2 = Kernels.avx2 {
            var portable = xs, wide = xs
            Kernels.portable.exponentials(&portable, Int32(xs.count))
            avx2.exponentials(&wide, Int32(xs.count))
            #expect(portable.map(\.bitPattern) == wide.map(\.bitPattern))
        }
    }

    /// Attention of one query over `slots` slots, as a plain loop: scores q.k / sqrt(d), softmax
    /// (shifted by the largest score), then the weighted sum of values, each sum in the kernel's
    /// order: the score's two chains of dimensions, the exponentials' eight lanes (the tail among them).
    @Test(arguments: [(4, 8, 1), (4, 8, 13), (4, 8, 96), (2, 4, 20), (3, 5, 9), (1, 16, 33)])
    func bothVersionsOfAttentionAgreeAndItsWeightsAreASoftmax(heads: Int, headDim: Int, slots: Int) throws {
        let c = heads * headDim, capacity = InferencePass.padded(slots), width = InferencePass.padded(c)
        var random = SeededRandom(seed: UInt64(heads * 100 + headDim * 10 + slots))
        let query = (0..<c).map { _ in Float(random.nextGaussian()) }
        let keys = (0..<(c * capacity)).map { _ in Float(random.nextGaussian()) }
        let values = (0..<(capacity * width)).map { _ in Float(random.nextGaussian()) }
        var results: [([Float], [Float])] = []
        for kernels in versions {
            var scores = [Float](repeating: 0, count: heads * capacity), out = [Float](repeating: .nan, count: width)
            kernels.attend(query, keys, values, Int32(slots), Int32(heads), Int32(headDim), Int32(capacity), Int32(width), &scores, &out)
            results.append((scores, out))
        }
        let (scores, out) = results[0]
        for h in 0..<heads {
            // The weights against a softmax in double precision, within single precision's error.
            let logits = (0..<slots).map { t in
                (0..<headDim).reduce(0.0) { $0 + Double(query[h * headDim + $1]) * Double(keys[(h * headDim + $1) * capacity + t]) }
                    / Double(headDim).squareRoot()
            }
            let top = logits.max()!
            let exps = logits.map { Foundation.exp($0 - top) }
            let total = exps.reduce(0, +)
            for t in 0..<slots {
                #expect(abs(Double(scores[h * capacity + t]) - exps[t] / total) <= 1e-5, "head \(h) slot \(t)")
            }
            for j in (h * headDim)..<((h + 1) * headDim) {
                let expected = (0..<slots).reduce(0.0) { $0 + exps[$1] / total * Double(values[$1 * width + j]) }
                #expect(abs(Double(out[j]) - expected) <= 1e-4, "head \(h) column \(j)")
            }
        }
        for (otherScores, otherOut) in results.dropFirst() {
            #expect(otherScores.map(\.bitPattern) == scores.map(\.bitPattern))
            #expect(otherOut[0..<c].map(\.bitPattern) == out[0..<c].map(\.bitPattern))
        }
    }
}
