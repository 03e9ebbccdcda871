// Splits a dataset into training, validation and test parts, 80% / 10% / 10%, by a seeded shuffle.
// Lines with the same message always land in the same part, so the test part never holds a
// message the model saw in training, even where a file repeats a line.

/// The three parts of a dataset: train on one, choose settings on another, report on the last.
public struct DatasetSplit: Sendable {
    public let train: [LogExample]
    public let validation: [LogExample]
    public let test: [LogExample]

    /// Mixed into the seed so the split's shuffle differs from other shuffles given the same seed,
    /// such as the order in which training visits documents.
    private static let seedSalt: UInt64 = 0x5350_4C49_545F_5631  // "SPLIT_V1" in ASCII

    /// Splits `dataset` 80% / 10% / 10%; the same dataset and seed always give the same split.
    /// Each part lists its examples in shuffled order.
    public init(_ dataset: LogDataset, seed: UInt64) {
        var groups = DatasetSplit.groupedByMessage(dataset.examples)
        var random = SeededRandom(seed: seed ^ DatasetSplit.seedSalt)
        random.shuffle(&groups)
        // Each held-out part gets a tenth, rounded; training gets the rest. Without repeated lines
        // the sizes are exact; a repeated line's group may overshoot a part by its extra copies.
        let heldOut = (dataset.examples.count + 5) / 10
        var train: [LogExample] = [], validation: [LogExample] = [], test: [LogExample] = []
        for group in groups {
            if test.count < heldOut {
                test += group
            } else if validation.count < heldOut {
                validation += group
            } else {
                train += group
            }
        }
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// The examples grouped by message, groups in order of first appearance, each in file order.
    /// Grouping by message rather than by the whole line also keeps a message that a file labels
    /// two ways on one side of the split.
    private static func groupedByMessage(_ examples: [LogExample]) -> [[LogExample]] {
        var groupOfMessage = [String: Int](minimumCapacity: examples.count)
        var groups: [[LogExample]] = []
        for example in examples {
            if let index = groupOfMessage[example.message] {
                groups[index].append(example)
            } else {
                groupOfMessage[example.message] = groups.count
                groups.append([example])
            }
        }
        return groups
    }
}
