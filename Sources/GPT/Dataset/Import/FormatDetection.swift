// Telling a log's format from its first lines. The rule, in one sentence: the format that reads the
// most of the sampled lines with a level the level table knows wins, and a tie goes to the format
// listed first in `LogFormat`. A line counts only with a known level, so a loose pattern that
// happens to match prose (a word, then a colon) does not win on lines it reads as nonsense.

/// Which format a log is in, and why.
public struct FormatDetection: Sendable, Equatable {
    /// How many lines one format read, with a known level.
    public struct Score: Sendable, Equatable {
        public let format: LogFormat
        public let lines: Int
    }

    /// The winner.
    public let format: LogFormat
    /// Every format that read at least one line, best first.
    public let scores: [Score]
    /// The non-blank lines looked at.
    public let sampledLines: Int

    /// Why `format` was chosen, in one line: "log4j reads 180 of the first 200 lines (next: python, 3)".
    public var reason: String {
        let best = scores.first?.lines ?? 0
        let next = scores.dropFirst().first.map { "next: \($0.format.rawValue), \($0.lines)" } ?? "no other format reads any"
        return "\(format.rawValue) reads \(best) of the first \(sampledLines) non-blank lines with a known level (\(next))"
    }

    /// The format of the non-blank `lines`, or nil when no format reads any of them with a level
    /// `levels` knows.
    public static func detect(_ lines: [String], levels: LevelTable = .standard, jsonKeys: JSONKeys = .standard) -> FormatDetection? {
        var scores: [Score] = []
        for format in LogFormat.allCases {
            let parser = LineParser(format, jsonKeys: jsonKeys)
            let read = lines.count { line in parser.read(line).map { levels.mapping(for: $0.level) != nil } ?? false }
            if read > 0 { scores.append(Score(format: format, lines: read)) }
        }
        // A stable sort keeps LogFormat's order among equal scores.
        let ranked = scores.enumerated().sorted { ($0.element.lines, -$0.offset) > ($1.element.lines, -$1.offset) }.map(\.element)
        guard let best = ranked.first else { return nil }
        return FormatDetection(format: best.format, scores: ranked, sampledLines: lines.count)
    }
}
