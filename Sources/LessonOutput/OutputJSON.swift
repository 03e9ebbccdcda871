// The JSON shapes of step outputs: `gpt run --json` writes them, and a Swift cell's process sends
// its outputs to the runner in them.

extension StepOutput {
    enum CodingKeys: String, CodingKey { case kind, lines, table, graph, matrix, series, bars, code, exercise, console }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text(let lines):
            try container.encode("text", forKey: .kind)
            try container.encode(lines, forKey: .lines)
        case .table(let table):
            try container.encode("table", forKey: .kind)
            try container.encode(table, forKey: .table)
        case .graph(let graph):
            try container.encode("graph", forKey: .kind)
            try container.encode(graph, forKey: .graph)
        case .matrix(let matrix):
            try container.encode("matrix", forKey: .kind)
            try container.encode(matrix, forKey: .matrix)
        case .series(let series):
            try container.encode("series", forKey: .kind)
            try container.encode(series, forKey: .series)
        case .bars(let bars):
            try container.encode("bars", forKey: .kind)
            try container.encode(bars, forKey: .bars)
        case .code(let code):
            try container.encode("code", forKey: .kind)
            try container.encode(code, forKey: .code)
        case .exercise(let exercise):
            try container.encode("exercise", forKey: .kind)
            try container.encode(exercise, forKey: .exercise)
        case .console(let text):
            try container.encode("console", forKey: .kind)
            try container.encode(text, forKey: .console)
        }
    }

    /// Reads what `encode` writes: a Swift cell's outputs arrive this way.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "text": self = .text(try container.decode([String].self, forKey: .lines))
        case "table": self = .table(try container.decode(Table.self, forKey: .table))
        case "graph": self = .graph(try container.decode(Graph.self, forKey: .graph))
        case "matrix": self = .matrix(try container.decode(Matrix.self, forKey: .matrix))
        case "series": self = .series(try container.decode(Series.self, forKey: .series))
        case "bars": self = .bars(try container.decode(BarSet.self, forKey: .bars))
        case "code": self = .code(try container.decode(CodeRegion.self, forKey: .code))
        case "exercise": self = .exercise(try container.decode(Exercise.self, forKey: .exercise))
        case "console": self = .console(try container.decode(String.self, forKey: .console))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "no output of kind '\(kind)'")
        }
    }
}

extension Cell {
    /// A cell is its JSON value: a string, a number (see `RunRecord.json` for NaN), or null. On
    /// a Swift cell's channel (`CodingUserInfoKey.exactCells`) it is tagged instead, so that the
    /// number 3.0 arrives as a number and not as the integer 3.
    public func encode(to encoder: any Encoder) throws {
        if encoder.userInfo[.exactCells] != nil {
            var container = encoder.container(keyedBy: Tag.self)
            switch self {
            case .text(let text): try container.encode(text, forKey: .text)
            case .integer(let n): try container.encode(n, forKey: .integer)
            case .number(let x): try container.encode(x, forKey: .number)
            case .empty: try container.encodeNil(forKey: .empty)
            }
            return
        }
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .integer(let n): try container.encode(n)
        case .number(let x): try container.encode(x)
        case .empty: try container.encodeNil()
        }
    }

    /// Reads the tagged form, or else the plain one, where a whole JSON number is an integer.
    public init(from decoder: any Decoder) throws {
        if let tagged = try? decoder.container(keyedBy: Tag.self), let tag = tagged.allKeys.first {
            switch tag {
            case .text: self = .text(try tagged.decode(String.self, forKey: .text))
            case .integer: self = .integer(try tagged.decode(Int.self, forKey: .integer))
            case .number: self = .number(try tagged.decode(Double.self, forKey: .number))
            case .empty: self = .empty
            }
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .empty }
        else if let n = try? container.decode(Int.self) { self = .integer(n) }
        else if let x = try? container.decode(Double.self) { self = .number(x) }
        else { self = .text(try container.decode(String.self)) }
    }

    private enum Tag: String, CodingKey { case text, integer, number, empty }
}

extension CodingUserInfoKey {
    /// Set (to anything) when encoding for a Swift cell's channel: cells keep their exact kind.
    public static let exactCells = CodingUserInfoKey(rawValue: "exactCells")!
}

extension CheckValue {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let x): try container.encode(x)
        case .text(let text): try container.encode(text)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let x = try? container.decode(Double.self) { self = .number(x) } else { self = .text(try container.decode(String.self)) }
    }
}

