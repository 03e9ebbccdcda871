// Log-loss and expected calibration error on hand-worked predictions, and the confidence floor
// of `gpt classify --min-confidence`.
import Foundation
import Testing
@testable import GPT

@Suite struct CalibrationTests {
    @Test func logLossAndCalibrationErrorByHand() {
        let calibration = Calibration([
            (.info, [.info: 0.9, .warning: 0.05, .error: 0.05]),     // right at 0.9: bin 13
            (.error, [.info: 0.8, .warning: 0.1, .error: 0.1]),      // wrong at 0.8: bin 12
            (.warning, [.info: 0.3, .warning: 0.5, .error: 0.2]),    // right at 0.5: bin 7
        ])
        // (-ln 0.9 - ln 0.1 - ln 0.5) / 3
        #expect(abs(calibration.logLoss - 1.0336976) < 1e-6)
        // (|1 - 0.9| + |0 - 0.8| + |1 - 0.5|) / 3: one line per bin
        #expect(abs(calibration.expectedCalibrationError - 1.4 / 3) < 1e-12)
    }

    @Test func aCertainMistakeCostsALargeFiniteLoss() {
        let calibration = Calibration([(.error, [.info: 1, .warning: 0, .error: 0])])
        #expect(abs(calibration.logLoss - -log(1e-15)) < 1e-9)
        #expect(calibration.expectedCalibrationError == 1)
        #expect(Calibration([]).logLoss.isNaN)
    }

    @Test func linesBelowTheFloorAreUncertain() throws {
        let result = Classification(message: "m", label: .warning, probabilities: [.info: 0.3, .warning: 0.45, .error: 0.25],
                                    logLikelihoods: [:], warnings: [])
        #expect(ConfidentClassification(result, minimumConfidence: 0.5).shownLabel == "UNCERTAIN")
        #expect(ConfidentClassification(result, minimumConfidence: 0.45).shownLabel == "WARNING")
        let json = String(decoding: try JSONEncoder().encode(ConfidentClassification(result, minimumConfidence: 0.9)), as: UTF8.self)
        #expect(json.contains("\"label\":\"UNCERTAIN\"") && json.contains("\"likeliest\":\"WARNING\""))
    }
}
