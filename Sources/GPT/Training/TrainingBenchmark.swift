// Times training steps on real data, for `gpt bench`. Each step's time covers the whole step:
// forward, backward, Adam and clearing the tape.

/// Figures from timing a number of training steps.
public struct TrainingBenchmark: Sendable {
    public let steps: Int
    public let medianMilliseconds: Double
    public let p90Milliseconds: Double
    public let stepsPerSecond: Double
    public let nodesPerStep: Double
    public let vocabSize: Int
    public let parameters: Int

    /// Trains a fresh model with `recipe` on the distinct lines of the training part of `dataset`,
    /// as `trainModel` visits them; the first `warmupSteps` steps are run but not timed.
    public static func run(recipe: TrainingRecipe, dataset: LogDataset, warmupSteps: Int,
                           clock: () -> Double) throws -> TrainingBenchmark {
        if let problem = recipe.problems.first { throw RecipeError(problem: problem) }
        let tokenizer = Tokenizer(characters: dataset.characters)
        let model = GPT(config: recipe.config(vocabSize: tokenizer.vocabSize), seed: recipe.seed)
        let lines = DatasetSplit(dataset, seed: recipe.seed).train.withoutRepeats()
        let documents = TrainingRecipe.documents(lines, tokenizer: tokenizer, blockSize: recipe.blockSize)
        let total = warmupSteps + recipe.steps(distinctLines: lines.count)
        var durations: [Double] = []
        var nodes = 0
        var last = clock()
        let options = TrainingOptions(steps: total, seed: recipe.seed, adam: recipe.adam, messageWeight: recipe.messageWeight)
        try train(model, on: documents, options: options, clock: clock) { progress in
            let now = clock()
            if progress.step > warmupSteps {
                durations.append(now - last)
                nodes += progress.nodes
            }
            last = now
        }
        let sorted = durations.sorted()
        let totalSeconds = durations.reduce(0, +)
        return TrainingBenchmark(
            steps: durations.count,
            medianMilliseconds: sorted[sorted.count / 2] * 1000,
            p90Milliseconds: sorted[min(sorted.count - 1, sorted.count * 9 / 10)] * 1000,
            stepsPerSecond: Double(durations.count) / totalSeconds,
            nodesPerStep: Double(nodes) / Double(durations.count),
            vocabSize: tokenizer.vocabSize, parameters: model.parameterCount)
    }
}
