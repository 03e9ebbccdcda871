// Writes a synthetic, labelled system log: the dataset the model learns to classify. Each line
// chooses its label first (a third each, on average), then a template of that label, then fills the
// template from the shared vocabulary. A seed fixes every line, on every machine and Swift version.

/// A seeded generator of labelled log lines, "<message> -> <LABEL>".
public enum LogGenerator {
    /// Messages are at least this many characters long.
    public static let shortestMessage = 25
    /// Whole lines, separator and label included, are at most this many characters long.
    public static let longestLine = 80
    /// Messages are at most this many characters long, however short their label.
    public static let longestMessage = 70
    /// Most lines one call writes: about 580 MB of text. The generator remembers every line it has
    /// written (to never repeat one), which costs memory per line.
    public static let maxCount = 10_000_000

    /// `count` distinct lines "<message> -> <LABEL>", the same for the same seed.
    public static func lines(count: Int, seed: UInt64) -> [String] {
        precondition(count >= 0, "count is \(count); it must not be negative")
        var drawer = LineDrawer(seed: seed)
        return (0..<count).map { _ in drawer.next() }
    }

    /// The lines of `lines(count:seed:)` joined by "\n", with a trailing "\n": a dataset file.
    public static func text(count: Int, seed: UInt64) -> String {
        lines(count: count, seed: seed).map { $0 + "\n" }.joined()
    }

    /// The bytes of `text(count:seed:)`, handed to `sink` in pieces of about 64 KB as the lines are
    /// drawn, so that ten million lines never sit in memory at once.
    public static func write(count: Int, seed: UInt64, to sink: ([UInt8]) throws -> Void) rethrows {
        precondition(count >= 0, "count is \(count); it must not be negative")
        var drawer = LineDrawer(seed: seed)
        var piece: [UInt8] = []
        piece.reserveCapacity(1 << 16 + longestLine * 4 + 1)
        for _ in 0..<count {
            piece.append(contentsOf: drawer.next().utf8)
            piece.append(UInt8(ascii: "\n"))
            if piece.count >= 1 << 16 {
                try sink(piece)
                piece.removeAll(keepingCapacity: true)
            }
        }
        if !piece.isEmpty { try sink(piece) }
    }

    /// Draws the lines one by one: the label first (a third each), then a new line of that label.
    private struct LineDrawer {
        var random: SeededRandom
        /// A 64-bit FNV-1a hash of every line drawn so far, rather than the line itself: a tenth of
        /// the memory. A collision (about one chance in 400,000 over ten million lines) only makes
        /// the generator draw again; it can never repeat a line.
        var seen = Set<UInt64>()

        init(seed: UInt64) {
            random = SeededRandom(seed: seed)
        }

        mutating func next() -> String {
            let label = LogLabel.allCases[random.nextInt(below: LogLabel.allCases.count)]
            return newLine(label: label, seen: &seen, random: &random)
        }
    }

    /// A line of `label` that fits the length limits and is not in `seen`, which it joins.
    /// The label stays fixed while drawing again, so rejected draws do not tilt the label balance.
    private static func newLine(label: LogLabel, seen: inout Set<UInt64>, random: inout SeededRandom) -> String {
        let templates = LogVocabulary.templates[label]!
        let attempts = 10_000
        for _ in 0..<attempts {
            let template = templates[random.nextInt(below: templates.count)]
            let message = LogVocabulary.fill(template, random: &random)
            let line = message + LogExample.separator + label.rawValue
            guard (shortestMessage...longestMessage).contains(message.count), line.count <= longestLine,
                  seen.insert(FNV1a.hash(line.utf8)).inserted else { continue }
            return line
        }
        preconditionFailure("no new \(label.rawValue) line in \(attempts) draws: the templates are nearly exhausted")
    }
}
