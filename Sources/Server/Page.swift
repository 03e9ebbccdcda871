// What the page shows, as plain values the template reads: each line's label, its probabilities as
// bars, and the last layer's attention as a heatmap over its characters; past the lines shown in
// full, each line's label alone. Numbers are formatted here; the template only places them.
import Foundation
import GPT
import Mustache

/// The page for some submitted text (or none yet), ready to render.
struct PageView {
    struct Model {
        let layers: Int
        let heads: Int
        let width: Int
        let blockSize: Int
        let vocabSize: Int
        let parameters: String
        let maxLines: Int
    }

    struct Line {
        let message: String
        let problem: String?
        let warnings: [String]
        let classified: Classified?
    }

    struct Classified {
        let label: String
        let bars: [Bar]
        let cells: [Cell]
        let strongest: String
        let matrix: Matrix?
    }

    struct Bar {
        let name: String
        let isTop: Bool
        let width: String  // percent of the track
        let value: String
    }

    /// One token of the prompt, shaded by how much the final position attended to it.
    struct Cell {
        let shown: String
        let title: String
        let alpha: String
        let dark: Bool
        let special: Bool
    }

    /// The whole attention matrix as SVG squares, row t = position t, drawn as one path per shade:
    /// an element per square took 90 bytes, some 380 KB for one long line's matrix.
    struct Matrix {
        let size: Int
        let shades: [Shade]
    }

    /// Every square of one shade (a twentieth of the row's strongest weight), as one SVG path.
    struct Shade {
        let alpha: String
        let path: String
    }

    /// A line past those shown in full: its label and that label's probability, or why it has none.
    struct Brief {
        let number: Int
        let message: String
        let label: String?
        let probability: String?
        let problem: String?
    }

    let model: Model
    let input: String
    let error: String?
    private(set) var results: [Line] = []
    private(set) var brief: [Brief] = []
    /// Said above the brief rows: how many lines were shown in full, and how many were not. (Stored,
    /// as everything the template reads: it finds values by reflection, which sees no computed ones.)
    private(set) var briefNote: String?

    init(model: Model, input: String, error: String?) {
        self.model = model
        self.input = input
        self.error = error
    }

    /// Adds the next line of the input, in full or as a brief row.
    mutating func add(_ line: Line, detailed: Bool) {
        guard !detailed else { return results.append(line) }
        let top = line.classified?.bars.first(where: \.isTop)
        brief.append(Brief(number: results.count + brief.count + 1, message: line.message, label: line.classified?.label,
                           probability: top?.value, problem: line.problem))
        briefNote = "The first \(results.count) lines are shown in full above; the other \(brief.count) are listed here "
            + "with their label only. POST /api/classify gives every line's probabilities."
    }

    func render() -> String { PageView.template.render(self) }

    /// Parsed once; a template that fails to parse is a bug caught by the tests, not user input.
    private static let template: MustacheTemplate = {
        do { return try MustacheTemplate(string: PageTemplate.text) } catch {
            preconditionFailure("the page template does not parse: \(error)")
        }
    }()
}

extension PageView.Model {
    init(_ summary: ModelSummary) {
        layers = summary.config.nLayer
        heads = summary.config.nHead
        width = summary.config.nEmbd
        blockSize = summary.config.blockSize
        vocabSize = summary.vocabSize
        parameters = summary.parameterCount.formatted(.number.grouping(.automatic))
        maxLines = summary.limits.maxLines
    }
}

extension PageView.Classified {
    /// Lines past this many show no full matrix, which keeps a long page light.
    static let matrixLines = 20

    /// A line's label and bars, without its attention (for a brief row).
    init(_ classification: Classification) {
        label = classification.label.rawValue
        bars = Self.bars(classification)
        cells = []
        strongest = ""
        matrix = nil
    }

    init(_ classification: Classification, attention: AttentionMap, withMatrix: Bool) {
        label = classification.label.rawValue
        bars = Self.bars(classification)
        // The last position is the space after "->": what it attends to is what the label is read from.
        let row = attention.weights.last ?? []
        let top = row.max() ?? 0
        strongest = String(format: "%.3f", top)
        cells = zip(attention.tokens, row).map { token, weight in
            let alpha = top > 0 ? weight / top : 0
            return PageView.Cell(shown: token == " " ? "␣" : token,
                                 title: "\(token == " " ? "space" : token): \(String(format: "%.4f", weight))",
                                 alpha: String(format: "%.3f", alpha), dark: alpha > 0.55, special: token.count > 1)
        }
        matrix = withMatrix ? PageView.Matrix(attention) : nil
    }

    private static func bars(_ classification: Classification) -> [PageView.Bar] {
        LogLabel.allCases.map { name in
            let p = classification.probabilities[name] ?? 0
            return PageView.Bar(name: name.rawValue, isTop: name == classification.label,
                                width: String(format: "%.1f", 100 * p), value: String(format: "%.3f", p))
        }
    }
}

extension PageView.Matrix {
    /// Shades a square can take; the palest rounds to none and is not drawn.
    static let levels = 20

    init(_ attention: AttentionMap) {
        let side = 6
        size = side * attention.weights.count
        var paths = [String](repeating: "", count: Self.levels + 1)
        for (t, row) in attention.weights.enumerated() {
            let top = row.max() ?? 0
            for (s, weight) in row.enumerated() where top > 0 {
                let level = Int((Double(Self.levels) * weight / top).rounded())
                if level > 0 { paths[level] += "M\(s * side) \(t * side)h\(side)v\(side)h-\(side)z" }
            }
        }
        shades = paths.enumerated().compactMap { level, path in
            path.isEmpty ? nil : PageView.Shade(alpha: String(format: "%.2f", Double(level) / Double(Self.levels)), path: path)
        }
    }
}
