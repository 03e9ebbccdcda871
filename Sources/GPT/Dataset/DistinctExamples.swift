// The examples of a part without their repeats: a line that occurs twenty times in a real log
// is one example, not twenty, so training weighs every distinct line alike instead of visiting
// the frequent ones over and over (on one real file, a third of the training lines were repeats).

extension LogExamples {
    /// The first occurrence of each distinct (message, label) pair, in this collection's order.
    /// A message seen with two labels keeps one example of each: both are what the log says.
    public func withoutRepeats() -> LogExamples {
        let labelBits = Dictionary(uniqueKeysWithValues: LogLabel.allCases.enumerated().map { ($1, UInt8(1) << UInt8($0)) })
        var seen = [UInt8](repeating: 0, count: store.groupCount)  // per message group: the labels kept so far
        var kept: [Int32] = []
        kept.reserveCapacity(count)
        for position in indices {
            let index = storeIndex(position)
            let group = Int(store.groups[index]), bit = labelBits[store.labels[index]]!
            guard seen[group] & bit == 0 else { continue }
            seen[group] |= bit
            kept.append(Int32(index))
        }
        return LogExamples(store: store, selection: kept)
    }
}

extension LogExamples {
    /// These examples with those of rare labels repeated, and how many times each label's are:
    /// an example of a label with n examples appears round(sqrt(n_max / n)) times, at most
    /// `atMost`, where n_max is the commonest label's count. A label a tenth as common as the
    /// commonest is visited three times as often, a hundredth as common eight times (with the
    /// default cap): often enough to be learnt, not so often that its few lines are learnt by
    /// heart. Labels within a factor of 2.25 of the commonest repeat nothing, so a balanced file
    /// such as ours trains on exactly the lines it had.
    public func withRareLabelsRepeated(atMost maxRepeats: Int) -> (examples: LogExamples, repeats: [LogLabel: Int]) {
        var counts: [LogLabel: Int] = [:]
        for position in indices { counts[store.labels[storeIndex(position)], default: 0] += 1 }
        let most = counts.values.max() ?? 0
        let cap = Swift.max(1, maxRepeats)
        let repeats = counts.mapValues { Swift.min(cap, Int((Double(most) / Double($0)).squareRoot().rounded())) }
        guard repeats.values.contains(where: { $0 > 1 }) else { return (self, repeats) }
        var kept: [Int32] = []
        for position in indices {
            let index = storeIndex(position)
            for _ in 0..<repeats[store.labels[index]]! { kept.append(Int32(index)) }
        }
        return (LogExamples(store: store, selection: kept), repeats)
    }
}
