// Which of our three labels a level word read from a log line becomes. One table for every format,
// looked up in any case; a user changes or adds entries with `NAME=LABEL` (`gpt import --level-map`),
// and `NAME=SKIP` leaves a level's lines out, counted.
import Foundation

/// Maps the level words of real logs ("WARN", "err", "F", "Information") to a `LogLabel`.
public struct LevelTable: Sendable, Equatable {
    /// What a level becomes.
    public enum Mapping: Sendable, Equatable {
        /// The line becomes an example with this label.
        case label(LogLabel)
        /// The line is left out, and counted.
        case skip
    }

    /// Upper-cased level name -> mapping.
    private var mappings: [String: Mapping]

    /// A table of exactly `mappings` (names in any case).
    public init(_ mappings: [String: Mapping]) {
        self.mappings = Dictionary(mappings.map { ($0.key.uppercased(), $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// The levels of log4j/logback, java.util.logging, Python `logging`, syslog, Apache, Android,
    /// Windows, .NET, Serilog and Go's zap, and their one-letter forms (Android's V D I W E F A).
    public static let standard: LevelTable = {
        var mappings: [String: Mapping] = [:]
        for name in ["TRACE", "TRC", "T", "DEBUG", "DBG", "D", "VERBOSE", "VRB", "V", "FINE", "FINER", "FINEST", "CONFIG",
                     "INFO", "INF", "INFORMATION", "INFORMATIONAL", "I", "NOTICE", "N"] {
            mappings[name] = .label(.info)
        }
        for name in ["WARN", "WRN", "WARNING", "W"] { mappings[name] = .label(.warning) }
        for name in ["ERROR", "ERR", "E", "SEVERE", "CRITICAL", "CRIT", "C", "FATAL", "FTL", "F", "ALERT", "A", "ASSERT",
                     "EMERG", "EMERGENCY", "PANIC", "DPANIC"] {
            mappings[name] = .label(.error)
        }
        return LevelTable(mappings)
    }()

    /// What `level` becomes, in any case; nil when the table does not know it. A name the table
    /// does not hold is tried once more without trailing digits (Apache's `trace1` to `trace8`).
    public func mapping(for level: some StringProtocol) -> Mapping? {
        let name = level.uppercased()
        if let found = mappings[name] { return found }
        let stem = String(name.reversed().drop(while: \.isNumber).reversed())
        return stem.isEmpty || stem == name ? nil : mappings[stem]
    }

    /// Makes `level` (any case) map to `mapping`, replacing what it mapped to.
    public mutating func set(_ level: String, to mapping: Mapping) {
        mappings[level.uppercased()] = mapping
    }

    /// Applies one override written `NAME=LABEL`, LABEL being INFO, WARNING, ERROR or SKIP (any case).
    ///
    /// - Throws: `ImportError` saying what is wrong with `override`.
    public mutating func apply(_ override: String) throws(ImportError) {
        let parts = override.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let example = "write it NAME=LABEL, as in NOTICE=WARNING or DEBUG=SKIP"
        guard parts.count == 2, !parts[0].isEmpty else {
            throw ImportError("level override '\(override)' has no NAME=LABEL", hint: example)
        }
        guard !parts[0].contains(where: \.isWhitespace) else {
            throw ImportError("level override '\(override)': a level name is one word", hint: example)
        }
        if parts[1].uppercased() == "SKIP" {
            set(parts[0], to: .skip)
        } else if let label = LogLabel(rawValue: parts[1].uppercased()) {
            set(parts[0], to: .label(label))
        } else {
            throw ImportError("level override '\(override)': '\(parts[1])' is not a label",
                              hint: "the label is \(LogLabel.spelledOut), or SKIP to leave the level's lines out")
        }
    }

    /// Every entry, grouped by what it maps to (INFO, WARNING, ERROR, then SKIP) and sorted by name
    /// within a group: for documentation and `--help`.
    public var entries: [(level: String, mapping: Mapping)] {
        let order: [Mapping] = LogLabel.allCases.map(Mapping.label) + [.skip]
        return mappings.map { (level: $0.key, mapping: $0.value) }.sorted {
            let (a, b) = (order.firstIndex(of: $0.mapping)!, order.firstIndex(of: $1.mapping)!)
            return a != b ? a < b : $0.level < $1.level
        }
    }
}

// MARK: - Numbered levels

extension LevelTable {
    /// Syslog's severity names, by the number the PRI field carries in its low three bits
    /// (RFC 5424 section 6.2.1): a syslog line's level is looked up by its name.
    static let syslogSeverities = ["EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG"]

    /// The level names of the numbers bunyan and pino write in JSON lines.
    static let jsonLevelNumbers = [10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL"]
}
