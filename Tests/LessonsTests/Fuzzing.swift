// What the fuzz tests share: a seeded generator of our own (SplitMix64, in TestSupport, so a seed
// means the same cases on every machine and every Swift version), a time budget from GPT_FUZZ_SECONDS (default
// 2 s; CI sets 60), and the loop that runs cases until the budget is spent.
//
// A crash kills the whole test process before any report, so each run writes its first seed to
// standard error before it starts: `GPT_FUZZ_SEED=<seed>` with at least the same budget replays
// the run, cases in the same order. A case that fails without crashing is reported with its own
// seed, which `GPT_FUZZ_SEED` replays as the first case.
import Foundation
import Testing
import TestSupport

enum Fuzz {
    static let environment = ProcessInfo.processInfo.environment

    /// Seconds each fuzz test runs: GPT_FUZZ_SECONDS, 2 when unset.
    static let budget = environment["GPT_FUZZ_SECONDS"].flatMap(Double.init) ?? 2

    /// GPT_FUZZ_SEED (decimal or 0x hex), or a fixed seed so a plain `swift test` is repeatable.
    static let firstSeed: UInt64 = environment["GPT_FUZZ_SEED"].flatMap { text in
        text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
    } ?? 0x5EED_0F_1E55_0215

    static func hex(_ seed: UInt64) -> String { "0x" + String(seed, radix: 16) }

    /// Runs `check` on one case after another until the budget is spent, each case from its own
    /// generator; `check` returns nil when the case is fine, else what went wrong. Prints how many
    /// cases ran, and records the first few failures with their seeds.
    static func run(_ name: String, check: (inout SplitMix64) -> String?) {
        FileHandle.standardError.write(Data("fuzz \(name): first seed \(hex(firstSeed)), \(budget) s\n".utf8))
        let start = Date()
        var seeds = SplitMix64(seed: firstSeed)
        var seed = firstSeed, cases = 0, failures = 0
        while Date().timeIntervalSince(start) < budget && failures < 5 {
            var generator = SplitMix64(seed: seed)
            if let problem = check(&generator) {
                failures += 1
                Issue.record("fuzz \(name): case \(cases), seed \(hex(seed)) (replay with GPT_FUZZ_SEED=\(hex(seed))): \(problem)")
            }
            cases += 1
            seed = seeds.next()
        }
        let seconds = Date().timeIntervalSince(start)
        print("fuzz \(name): \(cases) cases in \(String(format: "%.1f", seconds)) s "
              + "(\(Int(Double(cases) / max(seconds, 1e-9))) a second), first seed \(hex(firstSeed)), \(failures) failed")
    }
}

/// What a case's input looks like in a failure message: escaped, and cut when long.
func shown(_ text: String, limit: Int = 300) -> String {
    let escaped = text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "\\u{\(String($0.value, radix: 16))}" }
        .joined()
    return escaped.count <= limit ? escaped : escaped.prefix(limit) + "... (\(text.unicodeScalars.count) scalars)"
}
