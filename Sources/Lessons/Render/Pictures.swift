// Geometry for the walkthrough's pictures: where the boxes of a computation graph go, the cells
// of a heatmap, the axes and lines of a chart, the lengths of bars. Only numbers and the data's
// own strings come out of here; the HTML templates place and escape them.

import Foundation
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
        let signed = matrix.kind == .signed
        let columnCount = max(1, matrix.columnLabels.count), rowCount = matrix.rowLabels.count
        // Labels stand one per cell when a cell is as tall as a label (and, for the columns, as
        // wide); on smaller cells those of neighbouring positions are staggered in two lines (two
        // columns for the rows), so that each line has a label every other cell and none overlaps
        // its neighbour; on cells smaller still (the numbered rows of a large weight matrix) only
        // every k-th is labelled. A matrix taller than wide (a weight matrix such as wte, a row per
        // token) is kept at most half again as tall as the widest heatmap.
        let cell = min(16, max(6, ((heatmapWidth - 2 * 20) / Double(columnCount)).rounded(.down)),
                       max(6, (1.5 * heatmapWidth / Double(max(1, rowCount))).rounded(.down)))
        let glyph = 6.6  // the width of a character of the 11 px monospace labels
        let rowChars = matrix.rowLabels.map { visible($0).count }.max() ?? 1
        let columnChars = matrix.columnLabels.map { visible($0).count }.max() ?? 1
        let rowLayout = LabelLayout(cell: cell, needs: heatmapLabelSize + 1)
        let columnLayout = LabelLayout(cell: cell, needs: max(heatmapLabelSize + 1, Double(columnChars) * glyph + 1))
        let staggered = rowLayout == .staggered || columnLayout == .staggered
        let rowWidth = Double(max(1, rowChars)) * glyph
        let top = columnLayout == .staggered ? 28.0 : 16.0
        // Rows of single characters keep the layout they always had; longer labels make room.
        let left = rowChars <= 1 ? (rowLayout == .staggered ? 20.0 : 16.0) : 6 + rowWidth + (rowLayout == .staggered ? 3 + rowWidth : 0)
        let plotW = cell * Double(columnCount), plotH = cell * Double(rowCount)
        // Weights: each row is shaded against its own largest weight: a row holds one query's
        // weights, which sum to 1 over more and more positions, so a common scale would fade the
        // long rows out. Signed values (gradients): one scale for the whole matrix, its largest
        // |value|, since where they are large is the point.
        // Squares of one shade (in 32 steps, finer than the eye tells apart) are one SVG path, and
        // neighbours of one shade in a row one stroke: the paths are drawn in cells (a group scales
        // them), each run a line one cell thick, "m3 0h2" from the end of the one before. A
        // rectangle per square took 90 bytes; a square now takes about 7.
        let largestMagnitude = signed ? largestAbsolute(matrix) : 0
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
                guard value.isFinite else { return notFiniteFill }
                if signed { return divergingShade(((largestMagnitude > 0 ? value / largestMagnitude : 0) * 32).rounded() / 32) }
                return shade(((largest > 0 ? value / largest : 0) * 32).rounded() / 32)
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
                // A row's tip names where it looks most (for signed values, where they are largest
                // either way): sixty numbers in a tooltip are not read.
                let size = { (v: Double?) in signed ? abs(v ?? 0) : (v ?? 0) }
                let most = row.indices.filter { row[$0] != nil }.sorted { size(row[$0]) > size(row[$1]) }.prefix(tipLength)
                let values = most.map { "\($0) (\(visible(matrix.columnLabels[$0]))) \(NumberFormat.short(row[$0] ?? 0))" }
                let tip = "\(r) (\(visible(matrix.rowLabels[r]))) " + (signed ? "is largest at " : "looks most at ") + values.joined(separator: ", ")
                tips.append(["x": svg(left), "y": svg(y), "width": svg(cell * Double(row.count)), "height": svg(cell), "tip": tip])
            }
        }
        let shades: [Data] = order.map { ["fill": $0, "d": paths[$0] ?? ""] }
        let columns: [Data] = matrix.columnLabels.enumerated().compactMap { c, label in
            guard columnLayout.shows(c) else { return nil }
            let inner = columnLayout != .staggered || c % 2 == 1
            return ["x": svg(left + (Double(c) + 0.5) * cell), "y": svg(inner ? top - 4 : top - 16), "text": visible(label)]
        }
        let rows: [Data] = matrix.rowLabels.enumerated().compactMap { r, label in
            guard rowLayout.shows(r) else { return nil }
            let inner = rowLayout != .staggered || r % 2 == 1
            let x = rowChars <= 1 ? (inner ? left - 6 : left - 15) : (inner ? left - 3 - rowWidth / 2 : left - 6 - 1.5 * rowWidth)
            return ["x": svg(x), "y": svg(top + (Double(r) + 0.5) * cell + 4), "text": visible(label)]
        }
        let hasMasked = matrix.values.joined().contains { $0 == nil }
        let hasNotFinite = matrix.values.joined().contains { $0.map { !$0.isFinite } ?? false }
        let scale = scaleText(largestMagnitude)
        let alt = "Heatmap, \(matrix.title): \(rowCount) rows (\(matrix.rowTitle)) by \(matrix.columnLabels.count) columns "
            + "(\(matrix.columnTitle)), " + (signed
                ? "shaded from dark purple (-\(scale)) through white (0) to dark orange (+\(scale))."
                : "each row shaded from white (0) to dark blue (that row's largest weight).")
        var legend = "Rows: \(matrix.rowTitle); columns: \(matrix.columnTitle)."
        if staggered { legend += " The labels of neighbouring positions are staggered over two lines." }
        for (layout, what) in [(rowLayout, "row"), (columnLayout, "column")] {
            if case .every(let k) = layout { legend += " Every \(ordinal(k)) \(what) is labelled." }
        }
        legend += signed
            ? " Orange is positive, purple negative, white 0, darkest at the largest size in the picture, \(scale) either way; "
                + "hover over a \(perCell ? "cell for its value" : "row for its largest values")."
            : " Each row is shaded from white (0) to dark (that row's largest weight); hover over a "
                + "\(perCell ? "cell for its value" : "row for where it looks most")."
        if hasMasked { legend += " Grey cells are masked." }
        if hasNotFinite { legend += " Red cells are NaN or infinite." }
        if (matrix.rowLabels + matrix.columnLabels).contains(where: { $0 == "BOS" || $0 == " " }) { legend += " ◆ is BOS, ␣ a space." }
        return ["title": matrix.title, "width": svg(left + plotW + 4), "height": svg(top + plotH + 4), "shades": shades, "tips": tips,
                "cells": "translate(\(svg(left)) \(svg(top + cell / 2))) scale(\(svg(cell)))",
                "columnLabels": columns, "rowLabels": rows, "staggered": staggered, "alt": alt, "legend": legend,
                "signed": signed, "hasNotFinite": hasNotFinite, "narrow": rowCount > columnCount && left + plotW + 4 < 300]
    }

    /// The end of a signed scale as its legend gives it: two digits, however small.
    static func scaleText(_ x: Double) -> String {
        x != 0 && abs(x) < 0.01 ? NumberFormat.scientific(x, digits: 1) : NumberFormat.short(x)
    }

    /// How a heatmap's row or column labels fit their cells.
    enum LabelLayout: Equatable {
        /// A label per cell, in one line.
        case all
        /// A label per cell, neighbours in two lines.
        case staggered
        /// A label every k cells, in one line.
        case every(Int)

        /// The layout for labels that need `needs` pixels apart on cells of `cell` pixels.
        init(cell: Double, needs: Double) {
            if cell >= needs { self = .all } else if 2 * cell >= needs { self = .staggered } else {
                self = .every(Int((needs / cell).rounded(.up)))
            }
        }

        func shows(_ index: Int) -> Bool {
            if case .every(let k) = self { return index % k == 0 }
            return true
        }
    }

    static func ordinal(_ k: Int) -> String {
        switch k {
        case 2: return "second"
        case 3: return "third"
        default: return "\(k)th"
        }
    }

    /// The largest |value| of a matrix's finite entries: the ends of a signed heatmap's scale.
    static func largestAbsolute(_ matrix: Matrix) -> Double {
        matrix.values.joined().compactMap { $0 }.filter(\.isFinite).map(abs).max() ?? 0
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

    /// Purple at -1 through white at 0 to orange at +1 (the ends of ColorBrewer's PuOr, which
    /// colour-blind readers tell apart, and neither the weights' blue nor the red of NaN).
    static func divergingShade(_ t: Double) -> String {
        let t = min(1, max(-1, t))
        let (r, g, b) = t < 0 ? (94.0, 60.0, 153.0) : (179.0, 88.0, 6.0)
        let a = abs(t)
        return "rgb(\(Int((255 - a * (255 - r)).rounded())),\(Int((255 - a * (255 - g)).rounded())),\(Int((255 - a * (255 - b)).rounded())))"
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

    /// One or two lines: a series and its moving average, the first light and the second dark
    /// and thicker, the legend in the top right corner.
    static let chartColours = ["#9bb7d4", "#16468c", "#c0392b", "#27ae60"]
    /// More lines are series of equal standing: as many distinct colours, one width, and the
    /// legend under the chart, where no line can run through it.
    static let seriesColours = ["#16468c", "#c0392b", "#27ae60", "#b35806", "#6a3d9a", "#7f7f7f"]

    static func chart(_ series: Series) -> Data {
        let many = series.lines.count > 2
        let width = 680.0, chartHeight = 280.0, left = 56.0, right = 16.0, top = 16.0, bottom = 40.0
        let height = chartHeight + (many ? 16 * Double(series.lines.count) + 4 : 0)
        let logarithmic = series.yScale == .logarithmic
        // On a log scale the chart is drawn in log10(value); a value <= 0 has no place on it.
        func drawn(_ v: Double) -> Double? {
            guard v.isFinite else { return nil }
            guard logarithmic else { return v }
            return v > 0 ? log10(v) : nil
        }
        let values = series.lines.flatMap(\.values).compactMap(drawn)
        let notFinite = series.lines.map(\.values.count).reduce(0, +) - values.count
        let count = series.lines.map(\.values.count).max() ?? 1
        var low = values.min() ?? 0, high = values.max() ?? 1
        if high - low < 1e-12 { low -= 0.5; high += 0.5 }
        let ticks = logarithmic ? logTicks(low, high) : niceTicks(low, high)
        low = min(low, ticks.first ?? low)
        high = max(high, ticks.last ?? high)
        let plotW = width - left - right, plotH = chartHeight - top - bottom
        func x(_ i: Int) -> Double { left + (count > 1 ? Double(i) / Double(count - 1) : 0.5) * plotW }
        func y(_ v: Double) -> Double { top + (1 - (v - low) / (high - low)) * plotH }
        let lines: [Data] = series.lines.enumerated().map { index, line in
            let points = line.values.enumerated().compactMap { i, v in drawn(v).map { (i, $0) } }
                .map { "\(rounded(x($0.0))),\(rounded(y($0.1)))" }.joined(separator: " ")
            if many {
                return ["points": points, "colour": seriesColours[index % seriesColours.count], "name": line.name,
                        "legendY": chartHeight + 8 + Double(index) * 16, "legendX": left + 6, "width": 1.6]
            }
            return ["points": points, "colour": chartColours[index % chartColours.count], "name": line.name,
                    "legendY": top + 14 + Double(index) * 16, "legendX": width - right - 170,
                    "width": index == series.lines.count - 1 && series.lines.count > 1 ? 2.2 : 1.2]
        }
        let yTicks: [Data] = ticks.map {
            ["y": rounded(y($0)), "label": logarithmic ? powerOfTen($0) : NumberFormat.fixed($0, decimals: tickDecimals(ticks)), "x": left - 6]
        }
        let xTicks: [Data] = xTickSteps(count).map { step in ["x": rounded(x(step - 1)), "label": String(step)] }
        let described = series.lines.filter { !$0.values.isEmpty }.map { line in
            "\(line.name) from \(NumberFormat.short(line.values[0])) to \(NumberFormat.short(line.values[line.values.count - 1]))"
        }
        let alt = "Line chart, \(series.title): \(series.yLabel)\(logarithmic ? " on a logarithmic scale" : "") over \(count) "
            + "\(series.xLabel)\(count == 1 ? "" : "s")" + (described.isEmpty ? "." : "; " + described.joined(separator: "; ") + ".")
        let leftOut = logarithmic ? "NaN, infinite or not positive" : "NaN or infinite"
        return ["title": series.title, "width": width, "height": height, "lines": lines, "alt": alt, "yTicks": yTicks, "xTicks": xTicks,
                "notFinite": notFinite > 0 ? "\(notFinite) value\(notFinite == 1 ? " is" : "s are") \(leftOut) and left out" : false,
                "left": left, "right": width - right, "top": top, "bottom": chartHeight - bottom,
                "xLabel": series.xLabel, "yLabel": series.yLabel, "xLabelX": left + plotW / 2, "xLabelY": chartHeight - 6,
                "tickY": chartHeight - bottom + 16]
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

    /// Ticks of a log scale, as exponents (log10 of values) from the round value at or below
    /// `low` to the one at or above `high`: 1, 2 and 5 times each power of ten over a range of up
    /// to three decades, every power of ten (or every second or fifth one) over more.
    static func logTicks(_ low: Double, _ high: Double) -> [Double] {
        let first = Int(low.rounded(.down)) - 1, last = Int(high.rounded(.up)) + 1
        let fine = high - low <= 3
        let every = high - low > 12 ? 5 : high - low > 6 ? 2 : 1
        var candidates: [Double] = []
        for k in first...last where fine || (k % every + every) % every == 0 {
            candidates += (fine ? [1.0, 2, 5] : [1.0]).map { Double(k) + log10($0) }
        }
        let start = candidates.last { $0 <= low + 1e-9 } ?? candidates[0]
        let end = candidates.first { $0 >= high - 1e-9 } ?? candidates[candidates.count - 1]
        return candidates.filter { $0 >= start - 1e-9 && $0 <= end + 1e-9 }
    }

    /// A tick of a log scale: 10^exponent written out ("0.001", "20") or, far from 1, as "1e-6".
    static func powerOfTen(_ exponent: Double) -> String {
        let value = pow(10, exponent)
        let whole = exponent.rounded(.down)
        guard whole >= -4, whole <= 5 else { return NumberFormat.scientific(value, digits: 0).replacingOccurrences(of: "e+", with: "e") }
        let decimals = max(0, -Int(whole))
        return NumberFormat.fixed(value, decimals: decimals)
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
