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
