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

    @Test func fourAtATimeExpHasTheScalarBits() {
        var x = -760.0
        while x <= 760 {
            let lanes = SIMD4(x, x * 0.37, -x * 0.011, x + 0.5)
            let four = DeterministicMath.exp(lanes)
            for lane in 0..<4 {
                #expect(four[lane].bitPattern == DeterministicMath.exp(lanes[lane]).bitPattern, "exp(\(lanes[lane]))")
            }
            x += 0.731
        }
        let edges = SIMD4(Double.nan, -.infinity, .infinity, 0)
        let four = DeterministicMath.exp(edges)
        #expect(four[0].isNaN && four[1] == 0 && four[2] == .infinity && four[3] == 1)
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
