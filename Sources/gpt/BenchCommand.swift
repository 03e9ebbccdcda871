// `gpt bench`: how fast training (and, with --classify, inference) runs, for the numbers the
// project promises. Run it from a release build: `swift run -c release gpt bench`.
import ArgumentParser
import Foundation
import GPT

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training speed (median ms per step, nodes per step, peak memory), or classification speed.",
        discussion: "The original project's configuration is --original (n_embd 24, 1 layer, block size 32). --classify times `gpt classify` on every message of --data instead."
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var recipeOptions: RecipeOptions

    @Option(name: .customLong("warmup"), help: "Steps run before timing starts, 0 to \(TrainingRecipe.maxSteps).")
    var warmupSteps: Int = 20

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Measure classification instead: lines per second over the data file's messages, with --model.")
    var classify = false

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        guard warmupSteps >= 0 else { throw ValidationError("--warmup must be 0 or more") }
        guard warmupSteps <= TrainingRecipe.maxSteps else {
            throw ValidationError("--warmup is \(warmupSteps); it must be at most \(TrainingRecipe.maxSteps)")
        }
    }

    func run() throws {
        #if DEBUG
        Terminal.warn("warning: this is a debug build; for real numbers run `swift run -c release gpt bench`")
        #endif
        if classify { return try runClassification() }
        var recipe = recipeOptions.recipe(seed: data.seed)
        if recipeOptions.steps == nil { recipe.steps = 500 }
        let result = try TrainingBenchmark.run(recipe: recipe, dataset: data.load(), warmupSteps: warmupSteps,
                                               clock: Terminal.now)
        let peakMB = ProcessMemory.peakResidentMegabytes()
        if json {
            let object: [String: Any] = [
                "ms_per_step_median": result.medianMilliseconds,
                "ms_per_step_p90": result.p90Milliseconds,
                "steps_per_s": result.stepsPerSecond,
                "nodes_per_step": result.nodesPerStep,
                "peak_rss_mb": peakMB,
                "steps": result.steps,
                "config": ["n_embd": recipe.nEmbd, "n_head": recipe.nHead, "n_layer": recipe.nLayer,
                           "block_size": recipe.blockSize, "vocab_size": result.vocabSize, "parameters": result.parameters],
            ]
            let bytes = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: bytes, as: UTF8.self))
        } else {
            print("config: n_embd \(recipe.nEmbd), n_head \(recipe.nHead), n_layer \(recipe.nLayer), "
                  + "block_size \(recipe.blockSize), vocab \(result.vocabSize), \(result.parameters) parameters")
            print("timed steps:      \(result.steps) (after \(warmupSteps) warm-up)")
            print("ms per step:      \(format(result.medianMilliseconds, 3)) median, \(format(result.p90Milliseconds, 3)) p90")
            print("steps per second: \(format(result.stepsPerSecond, 0))")
            print("nodes per step:   \(format(result.nodesPerStep, 0)) (mean)")
            print("peak memory:      \(format(peakMB, 1)) MB resident")
        }
    }
}

extension BenchCommand {
    /// Classifies every message of the data file once and reports the rate.
    private func runClassification() throws {
        let classifier = LogClassifier(try modelOptions.load())
        let messages = try data.load().examples.map(\.message)
        let start = Terminal.now()
        var failures = 0
        for message in messages {
            do { _ = try classifier.classify(message) } catch { failures += 1 }
        }
        let seconds = Terminal.now() - start
        let rate = Double(messages.count) / seconds
        if json {
            let object: [String: Any] = ["lines": messages.count, "seconds": seconds, "lines_per_s": rate,
                                         "failures": failures, "peak_rss_mb": ProcessMemory.peakResidentMegabytes()]
            let bytes = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: bytes, as: UTF8.self))
        } else {
            print("classified \(messages.count) lines in \(format(seconds, 2)) s: \(format(rate, 0)) lines/s (one core)")
        }
    }
}

/// The process's peak resident memory, from the kernel's own count.
enum ProcessMemory {
    static func peakResidentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
        return kilobytes / 1024
    }
}
