// The library every Swift cell of a lesson uses: the runner imports it into the cell, together
// with Autograd and GPT, so a learner writes `show(loss)` the way a registry step adds a graph.
// A cell prints as any program does; what it shows through these functions reaches the lesson
// as structured output (a table, a graph, a heatmap, a chart) and is drawn by the same renderers
// as every other step, in the terminal, the walkthrough and the notebook.
import Autograd
import LessonOutput

// MARK: Showing

/// Draws the computation graph that made `value`: every node with its data, and its gradient
/// once `backward()` has run on the tape.
public func show(_ value: Value, title: String = "") {
    let view = TapeView(tape: value.tape, root: value.id)
    let withGrads = value.tape.grad(value.id) != 0
    CellChannel.send(.output(.graph(view.graph(title: title.isEmpty ? view.name(value.id) : title,
                                               withGrads: withGrads))))
}

/// A table of values, one row each: its name (or its place), its data and its gradient.
public func show(table values: [Value], names: [String] = [], title: String = "values") {
    let rows: [[Cell]] = values.enumerated().map { index, value in
        let name = index < names.count ? names[index] : value.label ?? "#\(index + 1)"
        return [.text(name), .number(value.data), .number(value.grad)]
    }
    CellChannel.send(.output(.table(Table(title: title, columns: ["value", "data", "grad"], rows: rows))))
}

/// A table of any rows: numbers stay numbers (the renderers format them), anything else is text.
public func show(table rows: [[any Sendable]], columns: [String], title: String = "") {
    let cells: [[Cell]] = rows.map { row in
        row.map { item in
            switch item {
            case let x as Double: return .number(x)
            case let x as Float: return .number(Double(x))
            case let n as Int: return .integer(n)
            case let v as Value: return .number(v.data)
            case let s as String: return .text(s)
            default: return .text("\(item)")
            }
        }
    }
    CellChannel.send(.output(.table(Table(title: title, columns: columns, rows: cells))))
}

/// A matrix as a heatmap, shaded row by row as the lessons' attention maps are: each row's
/// largest entry is the darkest. Labels default to the row and column numbers from 1.
public func show(heatmap values: [[Double]], rows: [String] = [], columns: [String] = [], title: String = "",
                 rowTitle: String = "row", columnTitle: String = "column") {
    let width = values.map(\.count).max() ?? 0
    let rowLabels = rows.isEmpty ? values.indices.map { "\($0 + 1)" } : rows
    let columnLabels = columns.isEmpty ? (0..<width).map { "\($0 + 1)" } : columns
    CellChannel.send(.output(.matrix(Matrix(title: title, kind: .weights, rowTitle: rowTitle, columnTitle: columnTitle,
                                            rowLabels: rowLabels, columnLabels: columnLabels,
                                            values: values.map { $0.map { Optional($0) } }))))
}

/// A series as a chart over x = 1, 2, ... (a loss curve); several lines share the axes.
public func show(chart values: [Double], name: String = "value", title: String = "", x: String = "step", y: String = "") {
    show(chart: [(name, values)], title: title, x: x, y: y.isEmpty ? name : y)
}

/// Several named lines on one chart.
public func show(chart lines: [(name: String, values: [Double])], title: String = "", x: String = "step", y: String = "value") {
    CellChannel.send(.output(.series(Series(title: title, xLabel: x, yLabel: y,
                                            lines: lines.map { Series.Line(name: $0.name, values: $0.values) }))))
}

/// Labelled quantities as bars, such as a line's label probabilities (the scale ends at `maximum`).
public func show(bars: [(label: String, value: Double)], title: String = "", maximum: Double = 1) {
    CellChannel.send(.output(.bars(BarSet(title: title, bars: bars.map { BarSet.Bar(label: $0.label, value: $0.value) },
                                          maximum: maximum))))
}

// MARK: Expectations

/// Where an `expect(` call starts: Swift gives a default `#column` argument the column of the
/// call's opening parenthesis, and the chapter's error should point at the word `expect`.
private func start(ofCallAt column: Int) -> Int { max(1, column - "expect".count) }

/// States what a number must be, as an `expect` line does in a step: `gpt check` fails the cell
/// at this line when `actual` is not within `tolerance` of `expected` (NaN never is).
public func expect(_ name: String, _ actual: Double, equals expected: Double, within tolerance: Double = 0,
                   line: Int = #line, column: Int = #column) {
    CellChannel.send(.expectation(CellExpectation(name: name, actual: .number(actual),
                                                  expected: .number(expected, tolerance: tolerance),
                                                  line: line, column: start(ofCallAt: column))))
}

/// The same for a whole number.
public func expect(_ name: String, _ actual: Int, equals expected: Int, line: Int = #line, column: Int = #column) {
    expect(name, Double(actual), equals: Double(expected), within: 0, line: line, column: column)
}

/// The same for text, such as a predicted label: equal, character for character.
public func expect(_ name: String, _ actual: String, equals expected: String, line: Int = #line, column: Int = #column) {
    CellChannel.send(.expectation(CellExpectation(name: name, actual: .text(actual), expected: .text(expected),
                                                  line: line, column: start(ofCallAt: column))))
}

/// The same for two lists of numbers, such as the logits of two passes: of the same length, and
/// nowhere further apart than `tolerance`. The check reports the largest difference (NaN if any
/// entry is not a number), so a failure says by how much, not only that they differ.
public func expect(_ name: String, _ actual: [Double], equals expected: [Double], within tolerance: Double = 0,
                   line: Int = #line, column: Int = #column) {
    guard actual.count == expected.count else {
        return expect(name, "\(actual.count) numbers", equals: "\(expected.count) numbers", line: line, column: column)
    }
    var largest = 0.0
    for (a, e) in zip(actual, expected) {
        let difference = abs(a - e)
        if difference.isNaN { largest = .nan; break }
        largest = max(largest, difference)
    }
    expect("\(name) (largest difference)", largest, equals: 0, within: tolerance, line: line, column: column)
}

/// The same for a condition the cell states in its own words.
public func expect(_ name: String, _ holds: Bool, line: Int = #line, column: Int = #column) {
    expect(name, holds ? "true" : "false", equals: "true", line: line, column: column)
}
