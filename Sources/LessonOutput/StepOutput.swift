// What a step produces: structured values, never preformatted text. The terminal, the JSON record
// and the HTML walkthrough each render the same outputs their own way. These types live apart from
// the lessons' runner because a Swift cell's own process makes them too (through the `Cells`
// library) and sends them back to the runner, which draws them like any step's.

/// One piece of a step's output.
public enum StepOutput: Sendable, Equatable, Codable {
    /// Sentences about what the step did, one per line.
    case text([String])
    case table(Table)
    case graph(Graph)
    case matrix(Matrix)
    case series(Series)
    case bars(BarSet)
    case code(CodeRegion)
    /// A question for the learner (ExerciseSteps.swift), its answer kept for when they ask.
    case exercise(Exercise)
    /// What a Swift cell printed, exactly as it printed it: shown as a program's output.
    case console(String)
}

/// One cell of a table: numbers stay numbers until a renderer formats them.
public enum Cell: Sendable, Equatable, Codable {
    case text(String)
    case integer(Int)
    case number(Double)
    case empty
}

/// Rows and named columns.
public struct Table: Sendable, Equatable, Codable {
    public var title: String
    public var columns: [String]
    public var rows: [[Cell]]

    public init(title: String, columns: [String], rows: [[Cell]]) {
        self.title = title
        self.columns = columns
        self.rows = rows
    }
}

/// A computation graph: each node is one scalar with the op that made it.
public struct Graph: Sendable, Equatable, Codable {
    public struct Node: Sendable, Equatable, Codable {
        public var id: Int
        /// The name given to the value, if any ("a", "w1").
        public var label: String
        /// The op's symbol; "input" for leaves.
        public var op: String
        public var data: Double
        /// Nil when the graph has not been through a backward pass.
        public var grad: Double?

        public init(id: Int, label: String, op: String, data: Double, grad: Double?) {
            self.id = id
            self.label = label
            self.op = op
            self.data = data
            self.grad = grad
        }
    }
    public struct Edge: Sendable, Equatable, Codable {
        /// The input node's id.
        public var from: Int
        /// The id of the node that reads it.
        public var to: Int

        public init(from: Int, to: Int) {
            self.from = from
            self.to = to
        }
    }
    public var title: String
    public var nodes: [Node]
    public var edges: [Edge]

    public init(title: String, nodes: [Node], edges: [Edge]) {
        self.title = title
        self.nodes = nodes
        self.edges = edges
    }
}

/// A grid of numbers with labelled rows and columns, such as attention weights. A nil entry is
/// masked out (a position attention may not look at).
public struct Matrix: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// Values in [0, 1] such as probabilities, drawn as a heatmap.
        case weights
        /// Whole counts, such as a confusion matrix.
        case counts
        /// Numbers of either sign, such as gradients: drawn on a diverging scale, negative and
        /// positive in two colours, white at 0, against the largest |value| of the whole matrix.
        case signed
    }
    public var title: String
    public var kind: Kind
    public var rowTitle: String
    public var columnTitle: String
    public var rowLabels: [String]
    public var columnLabels: [String]
    public var values: [[Double?]]

    public init(title: String, kind: Kind, rowTitle: String, columnTitle: String, rowLabels: [String], columnLabels: [String],
                values: [[Double?]]) {
        self.title = title
        self.kind = kind
        self.rowTitle = rowTitle
        self.columnTitle = columnTitle
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.values = values
    }
}

/// Lines of y values over x = 1, 2, ...: a loss curve.
public struct Series: Sendable, Equatable, Codable {
    public struct Line: Sendable, Equatable, Codable {
        public var name: String
        public var values: [Double]

        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }
    }
    /// How the y axis maps values to heights.
    public enum Scale: String, Sendable, Codable {
        case linear
        /// Powers of ten evenly spaced, for positive values spanning orders of magnitude (gradient
        /// norms); a value <= 0 cannot be drawn on it and is left out like a NaN.
        case logarithmic
    }
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var lines: [Line]
    public var yScale: Scale

    public init(title: String, xLabel: String, yLabel: String, lines: [Line], yScale: Scale = .linear) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.lines = lines
        self.yScale = yScale
    }

    private enum CodingKeys: String, CodingKey { case title, xLabel, yLabel, lines, yScale }

    /// Reads what the synthesised encoding writes; a series written before `yScale` existed (a
    /// Swift cell built against an older copy) is linear.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        title = try container.decode(String.self, forKey: .title)
        xLabel = try container.decode(String.self, forKey: .xLabel)
        yLabel = try container.decode(String.self, forKey: .yLabel)
        lines = try container.decode([Line].self, forKey: .lines)
        yScale = try container.decodeIfPresent(Scale.self, forKey: .yScale) ?? .linear
    }
}

/// Labelled quantities drawn as bars: label probabilities.
public struct BarSet: Sendable, Equatable, Codable {
    public struct Bar: Sendable, Equatable, Codable {
        public var label: String
        public var value: Double

        public init(label: String, value: Double) {
            self.label = label
            self.value = value
        }
    }
    public var title: String
    public var bars: [Bar]
    /// Largest value of the scale (1 for probabilities).
    public var maximum: Double

    public init(title: String, bars: [Bar], maximum: Double) {
        self.title = title
        self.bars = bars
        self.maximum = maximum
    }
}

/// A marked region of a source file, as it is on disk now.
public struct CodeRegion: Sendable, Equatable, Codable {
    /// Path relative to the package root, as in `Sources/Autograd/Backward.swift`.
    public var file: String
    public var region: String
    /// Line number of the region's first line in the file.
    public var firstLine: Int
    public var lines: [String]

    public init(file: String, region: String, firstLine: Int, lines: [String]) {
        self.file = file
        self.region = region
        self.firstLine = firstLine
        self.lines = lines
    }
}

/// A value a step reports for expectations to check.
public enum CheckValue: Sendable, Equatable, Codable, CustomStringConvertible {
    case number(Double)
    case text(String)

    public var description: String {
        switch self {
        case .number(let x): return NumberFormat.full(x)
        case .text(let s): return "\"\(s)\""
        }
    }
}
