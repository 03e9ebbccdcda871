// What the page shows, as plain values the template reads: each line's label, its probabilities as
// bars, and the last layer's attention as a heatmap over its characters. Numbers are formatted
// here; the template only places them.
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

    /// The whole attention matrix as SVG squares, row t = position t.
    struct Matrix {
        let size: Int
        let side: Int
        let squares: [Square]
    }

    struct Square {
        let x: Int
        let y: Int
        let side: Int
        let alpha: String
    }

    let model: Model
    let input: String
    let error: String?
    let results: [Line]

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

    init(_ classification: Classification, attention: AttentionMap, withMatrix: Bool) {
        label = classification.label.rawValue
        bars = LogLabel.allCases.map { name in
            let p = classification.probabilities[name] ?? 0
            return PageView.Bar(name: name.rawValue, isTop: name == classification.label,
                                width: String(format: "%.1f", 100 * p), value: String(format: "%.3f", p))
        }
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
}

extension PageView.Matrix {
    init(_ attention: AttentionMap) {
        let side = 6
        size = side * attention.weights.count
        self.side = side
        squares = attention.weights.enumerated().flatMap { t, row in
            let top = row.max() ?? 0
            return row.enumerated().map { s, weight in
                PageView.Square(x: s * side, y: t * side, side: side,
                                alpha: String(format: "%.3f", top > 0 ? weight / top : 0))
            }
        }
    }
}
