// The engine's C kernels (Sources/EngineKernels) against plain Swift loops that add up every sum
// in the order EngineKernels.h writes down, bit for bit, for the portable version and (on a CPU
// that has it) the AVX2 one: training gives the same model file whichever version runs only if
// both give exactly these bits. The matmul is also held to `Tape.dot`, which every dot node of a
// tape computes, through the tape's public `matmul` and `dot` with either kernel version.
//
// The data spans many magnitudes (2^-20 ... 2^20), so that a sum added in another order, or a
// multiply and add fused into one rounding, gives other bits and fails a test.
import Autograd
import EngineKernels
import Testing
import TestSupport

/// rows, n (a row's length), positions: ones, n below 4, n not a multiple of 4 or 16, rows not a
/// multiple of 4, odd and even positions (the AVX2 matmul takes them two at a time, the
/// gradient four at a time), and the model's own sizes (16 wide, 64 hidden; 32 and 128).
let kernelShapes: [(rows: Int, n: Int, positions: Int)] = [
    (1, 1, 1), (3, 5, 2), (32, 32, 7), (128, 32, 5), (32, 128, 3), (67, 32, 9), (4, 24, 1), (12, 6, 4),
    (5, 3, 8), (2, 37, 6), (16, 64, 4), (64, 16, 11),
    // Components in passes of 16, 8 and 4 with two left over; positions in fours, a pair and one.
    (9, 30, 7), (6, 28, 13),
]

/// Each shape's data from its own seed, the same on every run.
typealias KernelTestRandom = SplitMix64

extension SplitMix64 {
    /// A value in +-[1, 2) * 2^e, e in -20...20: sums of these round differently in another order.
    mutating func wide() -> Double {
        let sign: Double = next() & 1 == 0 ? 1 : -1
        let exponent = Int(next() % 41) - 20
        return sign * (1 + unit()) * Double(sign: .plus, exponent: exponent, significand: 1)
    }
    mutating func values(_ count: Int) -> [Double] { (0..<count).map { _ in wide() } }
}

/// The versions this CPU may run: portable always, AVX2 and AVX-512 where the CPU and the system have them.
let kernelVersions: [(name: String, set: EngineKernelSet)] = KernelVersion.runnable

// MARK: The documented order, in plain Swift

/// w . x with four running sums over k < n rounded down to 4 (sum j takes k = j, j + 4, ...), the
/// remaining terms added to sum 0 in order, the total (s0 + s1) + (s2 + s3).
func documentedDot(_ w: ArraySlice<Double>, _ x: ArraySlice<Double>) -> Double {
    let w = Array(w), x = Array(x), n = w.count, n4 = n - n % 4
    var s = [0.0, 0.0, 0.0, 0.0]
    var k = 0
    while k < n4 {
        for j in 0..<4 { s[j] += w[k + j] * x[k + j] }
        k += 4
    }
    while k < n {
        s[0] += w[k] * x[k]
        k += 1
    }
    return (s[0] + s[1]) + (s[2] + s[3])
}

/// out[t * rows + r] = w_r . x_t in the documented order.
func documentedMatmul(_ w: [Double], rows: Int, n: Int, _ xs: [Double], positions: Int) -> [Double] {
    var out: [Double] = []
    for t in 0..<positions {
        for r in 0..<rows { out.append(documentedDot(w[(r * n)..<((r + 1) * n)], xs[(t * n)..<((t + 1) * n)])) }
    }
    return out
}

/// gx[t * n + k] += sum over r of g[t * rows + r] * row_r[k], each sum from 0 in the order of r.
/// Positions go in blocks of four: a row is skipped for the whole block when its four gradients
/// are zero; for the positions after the last full block, when its one gradient is.
func documentedInputsGradient(_ rowValues: [[Double]], _ g: [Double], positions: Int, n: Int, _ gx: [Double]) -> [Double] {
    let rows = rowValues.count
    var gx = gx
    let fullBlocks = positions / 4 * 4
    for t in 0..<positions {
        let block = t < fullBlocks ? (t - t % 4)..<(t - t % 4 + 4) : t..<(t + 1)
        for k in 0..<n {
            var sum = 0.0
            for r in 0..<rows {
                if block.allSatisfy({ g[$0 * rows + r] == 0 }) { continue }
                sum += g[t * rows + r] * rowValues[r][k]
            }
            gx[t * n + k] += sum
        }
    }
    return gx
}

/// gw[k] = gw[k] + f_0 * x_0[k] + f_1 * x_1[k] + ..., added in the order of m.
/// grad_rows[r][k] + g[0][r] x[0][k] + g[1][r] x[1][k] + ..., in the order of the positions t,
/// where a position is skipped for a block of four rows (r = 0...3, 4...7, ...; the last block
/// may be shorter) when all of the block's gradients there are zero.
func documentedWeightGradient(_ gradRows: [[Double]], _ g: [[Double]], _ x: [[Double]]) -> [[Double]] {
    let rows = gradRows.count
    return (0..<rows).map { r in
        let block = (r / 4 * 4)..<min(r / 4 * 4 + 4, rows)
        return gradRows[r].indices.map { k in
            var total = gradRows[r][k]
            for t in g.indices where block.contains(where: { g[t][$0] != 0 }) { total += g[t][r] * x[t][k] }
            return total
        }
    }
}

/// Adam's step for one weight at a time, in the order of EngineKernels.h.
func documentedAdam(_ values: inout [Double], _ grads: [Double], _ m: inout [Double], _ v: inout [Double], _ settings: [Double]) {
    let (beta1, beta2, epsilon, lr, correction1, correction2) = (settings[0], settings[1], settings[2], settings[3], settings[4], settings[5])
    for i in values.indices {
        let g = grads[i]
        m[i] = beta1 * m[i] + (1 - beta1) * g
        v[i] = beta2 * v[i] + (1 - beta2) * g * g
        let mHat = m[i] * correction1, vHat = v[i] * correction2
        values[i] = values[i] - lr * mHat / (vHat.squareRoot() + epsilon)
    }
}

// MARK: Calling the kernels

func runMatmul(_ kernels: EngineKernelSet, _ w: [Double], rows: Int, n: Int, _ xs: [Double], positions: Int) -> [Double] {
    var out = [Double](repeating: .nan, count: rows * positions)
    kernels.matmul(w, rows, n, xs, positions, &out)
    return out
}

func runInputsGradient(_ kernels: EngineKernelSet, _ rowValues: [[Double]], _ g: [Double], positions: Int, n: Int,
                       _ gx: [Double]) -> [Double] {
    // The rows lie apart, as a linear layer's rows do on a tape: one buffer each.
    let buffers = rowValues.map { row in
        let p = UnsafeMutablePointer<Double>.allocate(capacity: max(1, row.count))
        p.initialize(from: row, count: row.count)
        return p
    }
    defer { for p in buffers { p.deallocate() } }
    var starts: [UnsafePointer<Double>?] = buffers.map { UnsafePointer($0) }
    var gx = gx
    starts.withUnsafeMutableBufferPointer { list in
        kernels.inputs_gradient(list.baseAddress, rowValues.count, g, positions, n, &gx)
    }
    return gx
}

func runWeightGradient(_ kernels: EngineKernelSet, _ gradRows: [[Double]], _ g: [[Double]], _ x: [[Double]]) -> [[Double]] {
    func buffer(_ values: [Double]) -> UnsafeMutablePointer<Double> {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: max(1, values.count))
        p.initialize(from: values, count: values.count)
        return p
    }
    let rowBuffers = gradRows.map(buffer), gBuffers = g.map(buffer), xBuffers = x.map(buffer)
    defer { for p in rowBuffers + gBuffers + xBuffers { p.deallocate() } }
    let rowList: [UnsafeMutablePointer<Double>?] = rowBuffers
    let gList: [UnsafePointer<Double>?] = gBuffers.map { UnsafePointer($0) }
    let xList: [UnsafePointer<Double>?] = xBuffers.map { UnsafePointer($0) }
    let n = gradRows.first?.count ?? 0
    kernels.weight_gradient(rowList, gradRows.count, n, gList, xList, g.count)
    return rowBuffers.map { Array(UnsafeBufferPointer(start: $0, count: n)) }
}

/// Each value's bit pattern: equal bits, not only equal values (0 and -0 differ, NaNs compare).
func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }

/// Gradients g[t * rows + r] in which zeros are common, as after relu: whole rows of a block of
/// four positions, single positions, and a few nonzero ones among zeros.
func gradientsWithZeros(_ random: inout KernelTestRandom, rows: Int, positions: Int) -> [Double] {
    var g = random.values(rows * positions)
    for r in 0..<rows {
        switch random.next() % 4 {
        case 0: for t in 0..<positions { g[t * rows + r] = 0 }  // a row no position uses
        case 1: for t in 0..<positions where random.next() % 2 == 0 { g[t * rows + r] = 0 }  // some positions
        default: break
        }
    }
    return g
}

@Suite struct EngineKernelTests {
    @Test func theVersionsAreTheOnesThisCPUCanRun() {
        #expect(kernelVersions[0].name == "portable")
        let names = ["portable", "avx2", "avx512"]
        #expect(kernelVersions.map(\.name) == Array(names[...Int(engine_kernels_level())]))
        #expect(KernelVersion.fastestName == kernelVersions.last?.name)
        print("engine kernels tested: " + kernelVersions.map(\.name).joined(separator: ", "))
    }

    @Test func matmulGivesTheBitsOfTheDocumentedOrder() {
        for (index, shape) in kernelShapes.enumerated() {
            var random = KernelTestRandom(seed: 100 + UInt64(index))
            let w = random.values(shape.rows * shape.n), xs = random.values(shape.positions * shape.n)
            let expected = documentedMatmul(w, rows: shape.rows, n: shape.n, xs, positions: shape.positions)
            for version in kernelVersions {
                let out = runMatmul(version.set, w, rows: shape.rows, n: shape.n, xs, positions: shape.positions)
                #expect(bits(out) == bits(expected), "matmul \(version.name), shape \(shape)")
            }
        }
    }

    /// The matmul as the tape records it: every node's value has the bits of a `dot` node over the
    /// same row and input, with either kernel version, and the nodes are those of `matvec` for x_0,
    /// x_1, ... in turn.
    @Test(arguments: [KernelVersion.portable, .fastest])
    func tapeMatmulGivesTheBitsOfTapeDot(kernels: KernelVersion) {
        for (index, shape) in kernelShapes.enumerated() {
            var random = KernelTestRandom(seed: 200 + UInt64(index))
            let tape = Tape()
            tape.kernels = kernels
            #expect(tape.kernels == kernels)
            let w = tape.inputs(random.values(shape.rows * shape.n))
            let xs = tape.inputs(random.values(shape.positions * shape.n))
            let out = tape.matmul(w.start, rows: shape.rows, xs, positions: shape.positions)
            #expect(out.count == shape.rows * shape.positions)
            let values = tape.data(out)
            let expected = documentedMatmul(tape.data(w), rows: shape.rows, n: shape.n, tape.data(xs), positions: shape.positions)
            #expect(bits(values) == bits(expected), "tape matmul (\(kernels)), shape \(shape)")
            var dots: [Double] = []
            for t in 0..<shape.positions {
                let x = xs.slice(t * shape.n, shape.n)
                for r in 0..<shape.rows { dots.append(tape.data(tape.dot(w.slice(r * shape.n, shape.n), x))) }
            }
            #expect(bits(values) == bits(dots), "tape matmul (\(kernels)) against dot, shape \(shape)")
            // The recorded nodes: dot nodes, position by position, one per row.
            let perPosition = (0..<shape.positions).map { t in
                tape.data(tape.matvec(w.start, rows: shape.rows, xs.slice(t * shape.n, shape.n)))
            }
            #expect(bits(perPosition.flatMap { $0 }) == bits(values), "matvec position by position, shape \(shape)")
            #expect(out.ids.allSatisfy { tape.op($0) == tape.op(out.start) })
        }
    }

    @Test func inputsGradientGivesTheBitsOfTheDocumentedOrder() {
        for (index, shape) in kernelShapes.enumerated() {
            var random = KernelTestRandom(seed: 300 + UInt64(index))
            let rowValues = (0..<shape.rows).map { _ in random.values(shape.n) }
            let g = gradientsWithZeros(&random, rows: shape.rows, positions: shape.positions)
            let gx = random.values(shape.positions * shape.n)  // adds to what is there
            let expected = documentedInputsGradient(rowValues, g, positions: shape.positions, n: shape.n, gx)
            for version in kernelVersions {
                let out = runInputsGradient(version.set, rowValues, g, positions: shape.positions, n: shape.n, gx)
                #expect(bits(out) == bits(expected), "inputs_gradient \(version.name), shape \(shape)")
            }
        }
    }

    /// With finite weights the skip changes nothing: a position's bits are the same whether it runs
    /// alone or in a block of four (what lets the backward pass take any number of positions).
    @Test func inputsGradientOfAPositionDoesNotDependOnItsBlock() {
        for (index, shape) in kernelShapes.enumerated() {
            var random = KernelTestRandom(seed: 400 + UInt64(index))
            let rowValues = (0..<shape.rows).map { _ in random.values(shape.n) }
            let g = gradientsWithZeros(&random, rows: shape.rows, positions: shape.positions)
            let gx = random.values(shape.positions * shape.n)
            for version in kernelVersions {
                let together = runInputsGradient(version.set, rowValues, g, positions: shape.positions, n: shape.n, gx)
                var alone: [Double] = []
                for t in 0..<shape.positions {
                    alone += runInputsGradient(version.set, rowValues, Array(g[(t * shape.rows)..<((t + 1) * shape.rows)]),
                                               positions: 1, n: shape.n, Array(gx[(t * shape.n)..<((t + 1) * shape.n)]))
                }
                #expect(bits(together) == bits(alone), "inputs_gradient \(version.name), shape \(shape)")
            }
        }
    }

    /// The skip rule seen: a row whose gradients are zero is not read at all, so an infinite weight
    /// in it adds nothing (0 * inf would be NaN). Inside a block of four where some position does
    /// use the row, the zero-gradient positions read it too, as the header says.
    @Test func rowsWithZeroGradientsAreSkipped() {
        let n = 5, rows = 3, positions = 6  // one block of four, then two positions alone
        var rowValues = (0..<rows).map { r in (0..<n).map { Double(r * n + $0) + 0.5 } }
        rowValues[1][2] = .infinity
        var g = [Double](repeating: 0, count: rows * positions)
        for t in 0..<positions { g[t * rows] = 1; g[t * rows + 2] = -2 }  // row 1: zero everywhere...
        g[5 * rows + 1] = 0.25  // ...but at the last position, which runs alone
        let gx = [Double](repeating: 0, count: positions * n)
        let expected = documentedInputsGradient(rowValues, g, positions: positions, n: n, gx)
        for t in 0..<5 { #expect(expected[(t * n)..<((t + 1) * n)].allSatisfy { $0.isFinite }) }
        #expect(expected[5 * n + 2] == .infinity)
        for version in kernelVersions {
            #expect(bits(runInputsGradient(version.set, rowValues, g, positions: positions, n: n, gx)) == bits(expected),
                    "inputs_gradient \(version.name)")
        }
        // Row 1 used at position 1 of the block: the block's other positions read it as well, and
        // 0 * inf makes their component 2 NaN.
        g[5 * rows + 1] = 0
        g[1 * rows + 1] = 0.25
        let inBlock = documentedInputsGradient(rowValues, g, positions: positions, n: n, gx)
        #expect(inBlock[0 * n + 2].isNaN && inBlock[1 * n + 2] == .infinity && inBlock[4 * n + 2].isFinite)
        for version in kernelVersions {
            #expect(bits(runInputsGradient(version.set, rowValues, g, positions: positions, n: n, gx)) == bits(inBlock),
                    "inputs_gradient \(version.name), row used inside the block")
        }
    }

    @Test func weightGradientGivesTheBitsOfTheDocumentedOrder() {
        for (index, shape) in kernelShapes.enumerated() {
            var random = KernelTestRandom(seed: 500 + UInt64(index))
            for n in [shape.n, shape.n + 3] {
                let gradRows = (0..<shape.rows).map { _ in random.values(n) }
                var g = (0..<shape.positions).map { _ in random.values(shape.rows) }
                // Zeros as after relu: a whole block of rows at one position, and single ones.
                if shape.positions > 1 { for r in 0..<min(4, shape.rows) { g[1][r] = 0 } }
                if shape.rows > 1 { g[0][shape.rows - 1] = 0 }
                let x = (0..<shape.positions).map { _ in random.values(n) }
                let expected = documentedWeightGradient(gradRows, g, x)
                for version in kernelVersions {
                    #expect(runWeightGradient(version.set, gradRows, g, x).map(bits) == expected.map(bits),
                            "weight_gradient \(version.name), rows \(shape.rows), n \(n), positions \(shape.positions)")
                }
            }
        }
    }

    @Test func adamGivesTheBitsOfOneWeightAtATime() {
        var random = KernelTestRandom(seed: 700)
        for n in [1, 3, 4, 7, 32, 1001] {
            let grads = random.values(n).map { $0 * 1e-6 }
            let start = random.values(n).map { $0 * 1e-6 }
            var m0 = random.values(n).map { $0 * 1e-7 }
            let v0 = m0.map { $0 * $0 * 3 }
            m0[0] = 0
            let settings = [0.85, 0.99, 1e-8, 0.003, 1 / (1 - 0.85), 1 / (1 - 0.99)]
            var values = start, m = m0, v = v0
            documentedAdam(&values, grads, &m, &v, settings)
            for version in kernelVersions {
                var kernelValues = start, kernelM = m0, kernelV = v0
                version.set.adam(&kernelValues, grads, &kernelM, &kernelV, n, settings)
                #expect(bits(kernelValues) == bits(values) && bits(kernelM) == bits(m) && bits(kernelV) == bits(v),
                        "adam \(version.name), n \(n)")
                #expect(kernelValues != start)
            }
        }
    }

    /// The plain loops themselves: the order they follow matters for these data, so a test above
    /// that passes says the kernels follow it, not only that any order gives these bits.
    @Test func anotherOrderGivesOtherBits() {
        var random = KernelTestRandom(seed: 600)
        let w = random.values(32 * 32), xs = random.values(7 * 32)
        let documented = documentedMatmul(w, rows: 32, n: 32, xs, positions: 7)
        var inOrder: [Double] = []
        for t in 0..<7 {
            for r in 0..<32 {
                var total = 0.0
                for k in 0..<32 { total += w[r * 32 + k] * xs[t * 32 + k] }
                inOrder.append(total)
            }
        }
        #expect(bits(documented) != bits(inOrder))
    }
}

/// The kernels keep their lists of rows and positions off the stack once they are long: a run of
/// two million rows (a layer far wider than any model, or dot products written by hand) must
/// not overflow a thread's stack.
@Test func aRunOfTwoMillionParameterRowsHasItsGradients() {
    let rows = 2_000_000
    let tape = Tape(capacity: 2 * rows + 16)
    let weightsStart = tape.input(0.5)
    for r in 1..<rows { _ = tape.input(r % 2 == 0 ? 0.5 : -0.25) }
    let x = tape.input(3)
    tape.parametersEnd = tape.count  // the weights (and x) are parameters: the deferred path
    let outputs = tape.matvec(weightsStart, rows: rows, Vector(start: x, count: 1))
    tape.backward(from: tape.sum(outputs))
    #expect(tape.grad(weightsStart) == 3 && tape.grad(weightsStart + 1) == 3 && tape.grad(weightsStart + NodeID(rows - 1)) == 3)
    #expect(tape.grad(x) == Double(rows / 2) * 0.5 - Double(rows / 2) * 0.25)
}
