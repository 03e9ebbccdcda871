// Geometry for the walkthrough's pictures: where the boxes of a computation graph go, the cells
// of a heatmap, the axes and lines of a chart, the lengths of bars. Only numbers and the data's
// own strings come out of here; the HTML templates place and escape them.

import GPT
import LessonOutput

/// Layouts as template data: dictionaries of numbers and strings for Mustache.
enum Pictures {
    typealias Data = [String: Any]

    // MARK: Computation graph, top to bottom as the gradient flows (see GraphLayout)

    /// Names longer than this are cut (the box's tooltip keeps the whole name).
    static let longestName = 14

    static func graph(_ graph: Graph) -> Data {
        let hasGrads = graph.nodes.contains { $0.grad != nil }
        func name(_ node: Graph.Node) -> String {
            let name = node.label.isEmpty ? "#\(node.id)" : node.label
            return name.count > longestName ? String(name.prefix(longestName - 1)) + "…" : name
        }
        func lines(_ node: Graph.Node) -> [String] {
            [name(node), "data " + NumberFormat.short(node.data)] + (hasGrads ? ["grad " + (node.grad.map(NumberFormat.short) ?? "")] : [])
        }
        let layout = GraphLayout(graph, lines: lines)
        let svg = NumberFormat.svg
        let nodes: [Data] = layout.boxes.map { box in
            let node = graph.nodes[box.node]
            let centre = box.x + box.width / 2
            let texts: [Data] = lines(node).enumerated().map { i, text in
                ["x": svg(centre), "y": svg(box.y + 4 + GraphLayout.lineHeight * Double(i + 1) - 3.5), "text": text,
                 "kind": i == 0 ? "label" : i == 1 ? "data" : "grad"]
            }
            let whole = node.label.isEmpty ? "#\(node.id)" : node.label
            var tip = whole + (node.op.isEmpty ? " (input)" : " (\(node.op))") + ": data \(NumberFormat.short(node.data))"
            if let grad = node.grad { tip += ", grad \(NumberFormat.short(grad))" }
            var item: Data = ["x": svg(box.x), "y": svg(box.y), "w": svg(box.width), "h": svg(box.height),
                              "texts": texts, "tip": tip, "op": false]
            if let pill = box.op {
                item["op"] = ["x": svg(pill.x), "y": svg(pill.y), "w": svg(pill.width), "h": svg(pill.height),
                              "r": svg(pill.height / 2), "textX": svg(pill.x + pill.width / 2),
                              "textY": svg(pill.y + pill.height / 2 + 4), "text": node.op]
            }
            return item
        }
        let edges: [Data] = layout.edges.map { edge in
            let end = edge.points[edge.points.count - 1]
            return ["d": GraphLayout.path(edge.points),
                    "arrow": "M\(svg(end.x - 3.5)) \(svg(end.y + 6))L\(svg(end.x)) \(svg(end.y))L\(svg(end.x + 3.5)) \(svg(end.y + 6))Z"]
        }
        let count = graph.nodes.count
        let alt = "Computation graph of \(graph.title), \(count) value\(count == 1 ? "" : "s"): the output at the top, "
            + "each value above the values it was computed from, the inputs at the bottom; each box gives a value's name, its data"
            + (hasGrads ? " and its gradient" : "") + "."
        return ["title": graph.title, "width": svg(layout.width), "height": svg(layout.height), "nodes": nodes, "edges": edges, "alt": alt]
    }

    // MARK: Heatmap of weights

    /// Widest a heatmap of many positions is drawn, so that two fit side by side in the column.
    static let heatmapWidth = 420.0
    /// Size of a heatmap's labels: the smallest the walkthrough's text may be.
    static let heatmapLabelSize = 11.0

    static func heatmap(_ matrix: Matrix) -> Data {
        let columnCount = max(1, matrix.columnLabels.count), rowCount = matrix.rowLabels.count
        // Labels stand one per cell when a cell is as tall as a label; on smaller cells those of
        // neighbouring positions are staggered in two lines (two columns for the rows), so that
        // each line has a label every other cell and none overlaps its neighbour.
        let cell = min(16, max(6, ((heatmapWidth - 2 * 20) / Double(columnCount)).rounded(.down)))
        let staggered = cell < heatmapLabelSize + 1
        let top = staggered ? 28.0 : 16.0, left = staggered ? 20.0 : 16.0
        let plotW = cell * Double(columnCount), plotH = cell * Double(rowCount)
        // Each row is shaded against its own largest weight: a row holds one query's weights, which
        // sum to 1 over more and more positions, so a common scale would fade the long rows out.
        // Squares of one shade (in 32 steps, finer than the eye tells apart) are one SVG path, and
        // neighbours of one shade in a row one stroke: the paths are drawn in cells (a group scales
        // them), each run a line one cell thick, "m3 0h2" from the end of the one before. A
        // rectangle per square took 90 bytes; a square now takes about 7.
        var paths: [String: String] = [:]
        var pens: [String: (c: Int, r: Int)] = [:]
        var order: [String] = []
        var tips: [Data] = []
        let perCell = matrix.values.joined().count <= 400  // small: a tip per square; large: per row
        let svg = NumberFormat.svg
        for (r, row) in matrix.values.enumerated() {
            let largest = row.compactMap { $0 }.filter(\.isFinite).max() ?? 1
            let y = top + Double(r) * cell
            let fills = row.map { value -> String in
                guard let value else { return maskedFill }
                return value.isFinite ? shade(((largest > 0 ? value / largest : 0) * 32).rounded() / 32) : notFiniteFill
            }
            var c = 0
            while c < fills.count {
                var end = c + 1
                while end < fills.count, fills[end] == fills[c] { end += 1 }
                let fill = fills[c]
                if paths[fill] == nil { order.append(fill) }
                if let pen = pens[fill], pen.r == r {
                    paths[fill, default: ""] += "m\(c - pen.c) 0h\(end - c)"
                } else {
                    paths[fill, default: ""] += "M\(c) \(r)h\(end - c)"
                }
                pens[fill] = (end, r)
                c = end
            }
            if perCell {
                for (c, value) in row.enumerated() {
                    let tip = value.map { "\(matrix.rowLabels[r]) -> \(matrix.columnLabels[c]): \(NumberFormat.short($0))" } ?? "masked"
                    tips.append(["x": svg(left + Double(c) * cell), "y": svg(y), "width": svg(cell), "height": svg(cell), "tip": tip])
                }
            } else {
                // A row's tip names where it looks most: sixty numbers in a tooltip are not read.
                let most = row.indices.filter { row[$0] != nil }.sorted { (row[$0] ?? 0) > (row[$1] ?? 0) }.prefix(tipLength)
                let values = most.map { "\($0) (\(visible(matrix.columnLabels[$0]))) \(NumberFormat.short(row[$0] ?? 0))" }
                tips.append(["x": svg(left), "y": svg(y), "width": svg(cell * Double(row.count)), "height": svg(cell),
                             "tip": "\(r) (\(visible(matrix.rowLabels[r]))) looks most at " + values.joined(separator: ", ")])
            }
        }
        let shades: [Data] = order.map { ["fill": $0, "d": paths[$0] ?? ""] }
        let columns: [Data] = matrix.columnLabels.enumerated().map { c, label in
            let inner = !staggered || c % 2 == 1
            return ["x": svg(left + (Double(c) + 0.5) * cell), "y": svg(inner ? top - 4 : top - 16), "text": visible(label)]
        }
        let rows: [Data] = matrix.rowLabels.enumerated().map { r, label in
            let inner = !staggered || r % 2 == 1
            return ["x": svg(inner ? left - 6 : left - 15), "y": svg(top + (Double(r) + 0.5) * cell + 4), "text": visible(label)]
        }
        let alt = "Heatmap, \(matrix.title): \(rowCount) rows (\(matrix.rowTitle)) by \(matrix.columnLabels.count) columns "
            + "(\(matrix.columnTitle)), each row shaded from white (0) to dark blue (that row's largest weight)."
        return ["title": matrix.title, "width": svg(left + plotW + 4), "height": svg(top + plotH + 4), "shades": shades, "tips": tips,
                "cells": "translate(\(svg(left)) \(svg(top + cell / 2))) scale(\(svg(cell)))",
                "columnLabels": columns, "rowLabels": rows, "staggered": staggered, "alt": alt, "tipUnit": perCell ? "cell for its value" : "row for where it looks most",
                "rowTitle": matrix.rowTitle, "columnTitle": matrix.columnTitle,
                "hasNotFinite": matrix.values.joined().contains { $0.map { !$0.isFinite } ?? false }]
    }

    /// How many of a row's largest weights its tip lists, on a heatmap too large for a tip per cell.
    static let tipLength = 5

    /// The fill of a masked cell (a position attention may not look at).
    static let maskedFill = "#f1f1f1"

    /// The fill of a cell whose number is NaN or infinite: a colour no shade of blue can be.
    static let notFiniteFill = "#e8a09a"

    /// White to dark blue as `t` goes from 0 to 1.
    static func shade(_ t: Double) -> String {
        let t = min(1, max(0, t))
        let (r, g, b) = (255 - t * (255 - 22), 255 - t * (255 - 70), 255 - t * (255 - 140))
        return "rgb(\(Int(r.rounded())),\(Int(g.rounded())),\(Int(b.rounded())))"
    }

    /// Spaces and BOS drawn so that they can be seen.
    static func visible(_ label: String) -> String {
        switch label {
        case " ": return "␣"
        case "BOS": return "◆"
        default: return label
        }
    }

    // MARK: Line chart with axes

    static let chartColours = ["#9bb7d4", "#16468c", "#c0392b", "#27ae60"]

    static func chart(_ series: Series) -> Data {
        let width = 680.0, height = 280.0, left = 56.0, right = 16.0, top = 16.0, bottom = 40.0
        let values = series.lines.flatMap(\.values).filter(\.isFinite)
        let notFinite = series.lines.map(\.values.count).reduce(0, +) - values.count
        let count = series.lines.map(\.values.count).max() ?? 1
        var low = values.min() ?? 0, high = values.max() ?? 1
        if high - low < 1e-12 { low -= 0.5; high += 0.5 }
        let ticks = niceTicks(low, high)
        low = min(low, ticks.first ?? low)
        high = max(high, ticks.last ?? high)
        let plotW = width - left - right, plotH = height - top - bottom
        func x(_ i: Int) -> Double { left + (count > 1 ? Double(i) / Double(count - 1) : 0.5) * plotW }
        func y(_ v: Double) -> Double { top + (1 - (v - low) / (high - low)) * plotH }
        let lines: [Data] = series.lines.enumerated().map { index, line in
            let points = line.values.enumerated().filter { $0.element.isFinite }
                .map { "\(rounded(x($0.offset))),\(rounded(y($0.element)))" }.joined(separator: " ")
            return ["points": points, "colour": chartColours[index % chartColours.count], "name": line.name,
                    "legendY": top + 14 + Double(index) * 16, "legendX": width - right - 170,
                    "width": index == series.lines.count - 1 && series.lines.count > 1 ? 2.2 : 1.2]
        }
        let yTicks: [Data] = ticks.map { ["y": rounded(y($0)), "label": NumberFormat.fixed($0, decimals: tickDecimals(ticks)), "x": left - 6] }
        let xTicks: [Data] = xTickSteps(count).map { step in ["x": rounded(x(step - 1)), "label": String(step)] }
        let described = series.lines.filter { !$0.values.isEmpty }.map { line in
            "\(line.name) from \(NumberFormat.short(line.values[0])) to \(NumberFormat.short(line.values[line.values.count - 1]))"
        }
        let alt = "Line chart, \(series.title): \(series.yLabel) over \(count) \(series.xLabel)\(count == 1 ? "" : "s")"
            + (described.isEmpty ? "." : "; " + described.joined(separator: "; ") + ".")
        return ["title": series.title, "width": width, "height": height, "lines": lines, "alt": alt, "yTicks": yTicks, "xTicks": xTicks,
                "notFinite": notFinite > 0 ? "\(notFinite) value\(notFinite == 1 ? " is" : "s are") NaN or infinite and left out" : false,
                "left": left, "right": width - right, "top": top, "bottom": height - bottom,
                "xLabel": series.xLabel, "yLabel": series.yLabel, "xLabelX": left + plotW / 2, "xLabelY": height - 6,
                "tickY": height - bottom + 16]
    }

    static func rounded(_ v: Double) -> Double { (v * 10).rounded() / 10 }

    /// About five round tick values covering low...high.
    static func niceTicks(_ low: Double, _ high: Double) -> [Double] {
        let rough = (high - low) / 5
        var step = 1.0
        while step > rough { step /= 10 }
        while step * 10 <= rough { step *= 10 }
        for factor in [1.0, 2.0, 5.0, 10.0] where step * factor >= rough {
            step *= factor
            break
        }
        var ticks: [Double] = []
        var t = (low / step).rounded(.down) * step
        while t <= high + step * 0.5 {
            ticks.append(t)
            t += step
        }
        return ticks
    }

    static func tickDecimals(_ ticks: [Double]) -> Int {
        guard ticks.count > 1 else { return 2 }
        let step = ticks[1] - ticks[0]
        return step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3
    }

    static func xTickSteps(_ count: Int) -> [Int] {
        guard count > 1 else { return [1] }
        let ticks = niceTicks(0, Double(count)).map { Int($0) }.filter { $0 >= 1 && $0 <= count }
        return [1] + ticks.filter { $0 > 1 }
    }

    // MARK: Bars

    static func bars(_ bars: BarSet) -> Data {
        let rowHeight = 26.0, labelWidth = 70.0, barWidth = 420.0
        let items: [Data] = bars.bars.enumerated().map { index, bar in
            let length = bars.maximum > 0 && bar.value.isFinite ? max(0, min(1, bar.value / bars.maximum)) * barWidth : 0
            return ["y": 8 + Double(index) * rowHeight, "textY": 8 + Double(index) * rowHeight + 15, "label": visible(bar.label),
                    "length": NumberFormat.svg(length), "value": NumberFormat.short(bar.value), "valueX": NumberFormat.svg(labelWidth + length + 6),
                    "labelX": labelWidth - 8, "barX": labelWidth, "kind": barClass(bar.label)]
        }
        let alt = "Bars, \(bars.title): " + bars.bars.map { "\(visible($0.label)) \(NumberFormat.short($0.value))" }.joined(separator: ", ") + "."
        return ["title": bars.title, "width": labelWidth + barWidth + 80, "height": 16 + Double(bars.bars.count) * rowHeight,
                "bars": items, "alt": alt]
    }

    /// A label's bar is drawn in that label's colour, as `gpt serve` draws it; any other bar in the accent colour.
    static func barClass(_ label: String) -> String {
        LogLabel(rawValue: label).map { "bar label-\($0.rawValue.lowercased())" } ?? "bar"
    }
}
