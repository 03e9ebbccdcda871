// What a Swift cell's process tells the runner, besides what it prints: each output it shows and
// each expectation it states, one JSON message per line of its standard output, after a marker
// the runner chose for that run. The marker is random per run, so nothing the cell prints can be
// mistaken for a message, and a message shown in the middle of a printed line still arrives.
import Foundation

/// One message from a Swift cell to the runner.
public enum CellMessage: Sendable, Equatable, Codable {
    /// A table, graph, heatmap, chart or bars, drawn where the cell showed it.
    case output(StepOutput)
    /// What a value must be, checked by the runner as a step's `expect` line is.
    case expectation(CellExpectation)

    /// The environment variable that carries the marker to the cell's process.
    public static let markerVariable = "GPT_CELL_MARKER"
    /// The environment variable naming the folder the cell runs in (the package's root).
    public static let directoryVariable = "GPT_CELL_DIRECTORY"

    /// The message as one line of JSON (no line break inside: JSON escapes them in strings).
    /// Numbers that are not finite travel as "NaN", "Infinity" and "-Infinity".
    public func line() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = Self.nonFinite
        encoder.userInfo[.exactCells] = true
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The message a line holds, or nil when it holds none (it was cut short by an output limit).
    public static func read(_ line: Substring) -> CellMessage? {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = Self.nonFiniteDecoding
        return try? decoder.decode(CellMessage.self, from: Data(line.utf8))
    }

    private static let nonFinite = JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(
        positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    private static let nonFiniteDecoding = JSONDecoder.NonConformingFloatDecodingStrategy.convertFromString(
        positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
}

/// An expectation a Swift cell stated with `expect(...)`, where it stated it.
public struct CellExpectation: Sendable, Equatable, Codable {
    public var name: String
    public var actual: CheckValue
    public var expected: ExpectedValue
    /// The line and column of the `expect` call in the chapter (the runner maps the cell's lines
    /// back to the Markdown with `#sourceLocation`).
    public var line: Int
    public var column: Int

    public init(name: String, actual: CheckValue, expected: ExpectedValue, line: Int, column: Int) {
        self.name = name
        self.actual = actual
        self.expected = expected
        self.line = line
        self.column = column
    }
}
