// The engine's own exp / log / tanh / cos stay within a few units in the last place of the
// platform's, and handle the edges (overflow, underflow, zero, NaN) the same way.
import Foundation
import Testing
@testable import Autograd

@Suite struct DeterministicMathTests {
    /// Largest difference from the platform's function, in units in the last place, over a grid.
    private func worstUlps(from: Double, to: Double, step: Double,
                           _ ours: (Double) -> Double, _ reference: (Double) -> Double) -> Double {
        var worst = 0.0
        var x = from
        while x <= to {
            let expected = reference(x)
            if expected != 0 { worst = max(worst, abs(ours(x) - expected) / expected.ulp) }
            x += step
        }
        return worst
    }

    @Test func expIsWithinTwoUlps() {
        #expect(worstUlps(from: -700, to: 700, step: 0.0137, DeterministicMath.exp, Foundation.exp) <= 2)
        #expect(worstUlps(from: -1, to: 1, step: 0.000123, DeterministicMath.exp, Foundation.exp) <= 2)
    }

    @Test func logIsWithinTwoUlps() {
        #expect(worstUlps(from: 1e-6, to: 10, step: 0.000731, DeterministicMath.log, Foundation.log) <= 2)
        #expect(worstUlps(from: 10, to: 1e6, step: 13.7, DeterministicMath.log, Foundation.log) <= 2)
    }

    @Test func tanhAndCosAreClose() {
        #expect(worstUlps(from: -6, to: 6, step: 0.00071, DeterministicMath.tanh, Foundation.tanh) <= 64)
        var x = 0.0
        while x < 6.3 {
            #expect(abs(DeterministicMath.cos(x) - Foundation.cos(x)) < 1e-15)
            x += 0.0123
        }
    }

    @Test func edges() {
        #expect(DeterministicMath.exp(710) == .infinity)
        #expect(DeterministicMath.exp(-746) == 0)
        #expect(DeterministicMath.exp(0) == 1)
        #expect(DeterministicMath.exp(-740) > 0)  // subnormal results survive
        #expect(DeterministicMath.exp(.nan).isNaN)
        #expect(DeterministicMath.log(0) == -.infinity)
        #expect(DeterministicMath.log(-1).isNaN)
        #expect(DeterministicMath.log(1) == 0)
        #expect(DeterministicMath.tanh(30) == 1 && DeterministicMath.tanh(-30) == -1)
    }
}

/// exp rounds by adding and taking away 1.5 * 2^52 (2^23 for the Floats of the inference pass's
/// exp, in InferenceKernels.c) instead of calling `rounded`, which a portable build turns into a
/// libm call: the two agree everywhere exp uses it, halves included.
@Suite struct RoundingByMagicNumberTests {
    @Test func addingAndTakingAwayTheMagicNumberRoundsToNearestOrEven() {
        var values: [Double] = [0, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 34_399.5, -34_399.5]
        var x = -34_400.0
        while x < 34_400 { values.append(x); x += 0.371 }
        for v in values {
            #expect((v + 0x1.8p52) - 0x1.8p52 == v.rounded(.toNearestOrEven), "\(v)")
        }
        var floats: [Float] = [0.5, 1.5, 2.5, -0.5, -1.5, -126.5, 127.5]
        var f: Float = -127.4
        while f < 128 { floats.append(f); f += 0.0371 }
        for v in floats {
            let magic: Float = 0x1.8p23
            #expect((v + magic) - magic == v.rounded(.toNearestOrEven), "\(v)")
        }
    }
}

/// Softmax takes exp four at a time; every lane must have the bits of the one-at-a-time exp,
/// across the range, at the edges of the vector path (+-700) and in the special cases.
@Test func expOfFourHasTheBitsOfExpOneAtATime() {
    var inputs: [Double] = [0, -0.0, 1e-300, -1e-300, -700, 700, -700.0000001, 700.0000001, -708.5, -745, -746, 709.9,
                            -.infinity, .infinity, .nan, -1, 1, -0.5, 0.5, -30.25, 12.125]
    var state: UInt64 = 12345
    for _ in 0..<4000 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let unit = Double(state >> 11) / Double(1 << 53)
        inputs.append((unit - 0.75) * 1600)  // -1200 ... 400, most of it softmax's x - max <= 0
    }
    while inputs.count % 4 != 0 { inputs.append(-2) }
    var mismatches = 0
    for start in stride(from: 0, to: inputs.count, by: 4) {
        let x = SIMD4(inputs[start], inputs[start + 1], inputs[start + 2], inputs[start + 3])
        let four = DeterministicMath.exp(x)
        for lane in 0..<4 where four[lane].bitPattern != DeterministicMath.exp(x[lane]).bitPattern
            && !(four[lane].isNaN && x[lane].isNaN) {
            mismatches += 1
        }
    }
    #expect(mismatches == 0)
    // A vector path that is taken: most lanes above lie within +-700, where it works.
    #expect(DeterministicMath.exp(SIMD4(-1, -2, -3, -4))[2].bitPattern == DeterministicMath.exp(-3).bitPattern)
}
