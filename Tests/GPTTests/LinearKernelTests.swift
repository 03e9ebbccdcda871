import Testing
@testable import GPT

// The inference pass's linear kernel comes in two versions, for any x86-64 and for AVX2, chosen
// when the program runs. Which one runs must never change an answer: both must give the bits of
// the plain loop below, a multiply and then an add over k in order, for every shape a model has.
struct LinearKernelTests {
    /// out[i][o] = sum over k of x[i][k] w[k][o], in order, one rounding for each multiply and each add.
    private func reference(_ weights: [Float], inputs: Int, outputs: Int, _ x: [Float], rows: Int) -> [Float] {
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

    private func run(_ kernel: LinearKernel.Function, _ weights: [Float], inputs: Int, outputs: Int, _ x: [Float], rows: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: rows * outputs)
        out.withUnsafeMutableBufferPointer { y in
            kernel(weights, Int32(inputs), Int32(outputs), x, Int32(rows), Int32(inputs), y.baseAddress, Int32(outputs))
        }
        return out
    }

    @Test(arguments: [(1, 8, 1), (3, 8, 2), (32, 32, 4), (32, 128, 5), (128, 32, 7), (32, 72, 9), (40, 24, 3), (17, 16, 13)])
    func bothVersionsGiveThePlainLoopsBits(inputs: Int, outputs: Int, rows: Int) {
        var random = SeededRandom(seed: UInt64(inputs * 1000 + outputs * 10 + rows))
        let weights = (0..<(inputs * outputs)).map { _ in Float(random.nextGaussian()) }
        let x = (0..<(rows * inputs)).map { _ in Float(random.nextGaussian()) * 3 }
        let expected = reference(weights, inputs: inputs, outputs: outputs, x, rows: rows).map(\.bitPattern)
        #expect(run(LinearKernel.portable, weights, inputs: inputs, outputs: outputs, x, rows: rows).map(\.bitPattern) == expected)
        if let avx2 = LinearKernel.avx2 {
            #expect(run(avx2, weights, inputs: inputs, outputs: outputs, x, rows: rows).map(\.bitPattern) == expected)
        }
    }
}
