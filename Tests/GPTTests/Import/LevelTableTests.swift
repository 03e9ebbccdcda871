// The level table: the names the issue lists map as documented in any case and in one letter,
// Apache's numbered trace levels read as TRACE, and overrides change, add and skip levels, with
// clear errors for entries that are not NAME=LABEL.
import Testing
@testable import GPT

@Suite struct LevelTableTests {
    private let table = LevelTable.standard

    @Test func theDocumentedNamesMapToTheirLabelsInAnyCase() {
        let documented: [LogLabel: [String]] = [
            .info: ["TRACE", "DEBUG", "VERBOSE", "INFO", "NOTICE"],
            .warning: ["WARN", "WARNING"],
            .error: ["ERROR", "SEVERE", "CRITICAL", "FATAL", "ALERT", "EMERG"],
        ]
        for (label, names) in documented {
            for name in names {
                for spelling in [name, name.lowercased(), name.prefix(1) + name.dropFirst().lowercased()] {
                    #expect(table.mapping(for: spelling) == .label(label), "\(spelling)")
                }
            }
        }
    }

    @Test func oneLetterFormsMapToo() {
        let letters: [String: LogLabel] = ["T": .info, "D": .info, "V": .info, "I": .info, "N": .info, "W": .warning,
                                           "E": .error, "C": .error, "F": .error, "A": .error]
        for (letter, label) in letters {
            #expect(table.mapping(for: letter) == .label(label), "\(letter)")
            #expect(table.mapping(for: letter.lowercased()) == .label(label), "\(letter.lowercased())")
        }
    }

    @Test func trailingDigitsAreReadWithoutThem() {
        #expect(table.mapping(for: "trace3") == .label(.info))  // Apache's trace1 to trace8
        #expect(table.mapping(for: "42") == nil)
        #expect(table.mapping(for: "AUDIT") == nil)
    }

    @Test func overridesChangeAddAndSkipLevels() throws {
        var levels = table
        try levels.apply("notice=WARNING")
        try levels.apply(" Audit = error ")
        try levels.apply("DEBUG=skip")
        #expect(levels.mapping(for: "NOTICE") == .label(.warning))
        #expect(levels.mapping(for: "audit") == .label(.error))
        #expect(levels.mapping(for: "debug") == .skip)
        #expect(levels.mapping(for: "INFO") == .label(.info), "other entries stay")
    }

    @Test(arguments: [
        ("DEBUG", "level override 'DEBUG' has no NAME=LABEL"),
        ("=INFO", "level override '=INFO' has no NAME=LABEL"),
        ("DEBUG=LOUD", "level override 'DEBUG=LOUD': 'LOUD' is not a label"),
        ("two words=INFO", "level override 'two words=INFO': a level name is one word"),
    ])
    func aBadOverrideSaysWhatIsWrong(entry: String, reason: String) {
        var levels = table
        #expect(throws: ImportError.self) { try levels.apply(entry) }
        do { try levels.apply(entry) } catch { #expect(error.reason == reason) }
        #expect(levels == table, "a failed override changes nothing")
    }

    @Test func entriesAreGroupedByLabelThenSorted() {
        let entries = table.entries
        #expect(entries.first?.mapping == .label(.info))
        #expect(entries.last?.mapping == .label(.error))
        let info = entries.filter { $0.mapping == .label(.info) }.map(\.level)
        #expect(info == info.sorted())
        #expect(entries.count == Set(entries.map(\.level)).count)
    }

    @Test func overridesApplyWhenImporting() throws {
        let log = """
            2015-10-18 18:01:47,978 NOTICE [main] quota at 80%
            2015-10-18 18:01:48,000 DEBUG [main] cache lookup
            2015-10-18 18:01:49,000 DEBUG [main] cache store
            \tdetail of the store
            """
        let (examples, summary) = try importChecked(log) {
            try $0.levels.apply("NOTICE=WARNING")
            try $0.levels.apply("DEBUG=SKIP")
        }
        #expect(triples(examples) == [Triple(1, .warning, "quota at 80%")])
        #expect(summary.skippedLevels == ["DEBUG": 2])
        #expect(summary.continuationLinesLeftOut == 1, "a skipped line's continuation goes with it")
    }
}
