// Splits a dataset into training, validation and test parts, 80% / 10% / 10%, by a seeded shuffle.
// Lines with the same message always land in the same part, so the test part never holds a
// message the model saw in training, even where a file repeats a line.

/// The three parts of a dataset: train on one, choose settings on another, report on the last.
public struct DatasetSplit: Sendable {
    public let train: LogExamples
    public let validation: LogExamples
    public let test: LogExamples

    /// Mixed into the seed so the split's shuffle differs from other shuffles given the same seed,
    /// such as the order in which training visits documents.
    private static let seedSalt: UInt64 = 0x5350_4C49_545F_5631  // "SPLIT_V1" in ASCII

    /// Splits `dataset` 80% / 10% / 10%; the same dataset and seed always give the same split.
    /// Each part lists its examples in shuffled order.
    public init(_ dataset: LogDataset, seed: UInt64) {
        let store = dataset.examples.store
        // Groups of examples with the same message (ExampleStore numbers them in order of first
        // appearance), shuffled whole; each part takes whole groups, each group in file order.
        let (groupStart, members) = DatasetSplit.examplesByGroup(store)
        var order = Array(0..<store.groupCount)
        var random = SeededRandom(seed: seed ^ DatasetSplit.seedSalt)
        random.shuffle(&order)
        // Each held-out part gets a tenth, rounded; training gets the rest. Without repeated lines
        // the sizes are exact; a repeated line's group may overshoot a part by its extra copies.
        let heldOut = (store.count + 5) / 10
        var train: [Int32] = [], validation: [Int32] = [], test: [Int32] = []
        train.reserveCapacity(store.count - 2 * heldOut)
        for group in order {
            let examples = members[Int(groupStart[group])..<Int(groupStart[group + 1])]
            if test.count < heldOut {
                test += examples
            } else if validation.count < heldOut {
                validation += examples
            } else {
                train += examples
            }
        }
        self.train = LogExamples(store: store, selection: train)
        self.validation = LogExamples(store: store, selection: validation)
        self.test = LogExamples(store: store, selection: test)
    }

    /// The examples of every group, in file order, one group after the other: group g's are
    /// `members[groupStart[g]..<groupStart[g + 1]]` (a counting sort by group).
    private static func examplesByGroup(_ store: ExampleStore) -> (groupStart: [Int32], members: [Int32]) {
        var groupStart = [Int32](repeating: 0, count: store.groupCount + 1)
        for group in store.groups { groupStart[Int(group) + 1] += 1 }
        for group in 0..<store.groupCount { groupStart[group + 1] += groupStart[group] }
        var next = groupStart
        var members = [Int32](repeating: 0, count: store.count)
        for (index, group) in store.groups.enumerated() {
            members[Int(next[Int(group)])] = Int32(index)
            next[Int(group)] += 1
        }
        return (groupStart, members)
    }
}
