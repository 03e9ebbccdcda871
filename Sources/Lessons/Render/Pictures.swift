// Geometry for the walkthrough's pictures: where the boxes of a computation graph go, the cells
// of a heatmap, the axes and lines of a chart, the lengths of bars. Only numbers and the data's
// own strings come out of here; the HTML templates place and escape them.

/// Layouts as template data: dictionaries of numbers and strings for Mustache.
enum Pictures {
    typealias Data = [String: Any]

    // MARK: Computation graph, left to right like micrograd's draw_dot

    static let boxWidth = 300.0, boxHeight = 34.0, opRadius = 17.0, columnGap = 390.0, rowGap = 52.0

    static func graph(_ graph: Graph) -> Data {
        var depth: [Int: Int] = [:]
        for node in graph.nodes {  // nodes come in recording order: inputs first
            let inputs = graph.edges.filter { $0.to == node.id }.map(\.from)
            depth[node.id] = inputs.isEmpty ? 0 : (inputs.compactMap { depth[$0] }.max() ?? 0) + 1
        }
        var rowInColumn: [Int: Int] = [:]
        var position: [Int: (x: Double, y: Double)] = [:]
        for node in graph.nodes {
            let column = depth[node.id] ?? 0
            let row = rowInColumn[column, default: 0]
            rowInColumn[column] = row + 1
            position[node.id] = (20 + 2 * opRadius + 30 + Double(column) * columnGap, 20 + Double(row) * rowGap)
        }
        let width = (position.values.map(\.x).max() ?? 0) + boxWidth + 20
        let height = (position.values.map(\.y).max() ?? 0) + boxHeight + 20
        let nodes: [Data] = graph.nodes.compactMap { node in
            guard let p = position[node.id] else { return nil }
            let grad = node.grad.map { "grad " + NumberFormat.short($0) } ?? ""
            var item: Data = [
                "x": p.x, "y": p.y, "w": boxWidth, "h": boxHeight,
                "labelX": p.x + 8, "textY": p.y + boxHeight / 2 + 4,
                "label": node.label.isEmpty ? "#\(node.id)" : node.label,
                "divider1": p.x + 60, "dataX": p.x + 68, "data": "data " + NumberFormat.short(node.data),
                "divider2": p.x + 180, "bottom": p.y + boxHeight, "gradX": p.x + 188, "grad": grad, "hasOp": false,
            ]
            if !node.op.isEmpty {
                item["hasOp"] = true
                item["opX"] = p.x - 30 - opRadius
                item["opY"] = p.y + boxHeight / 2
                item["opTextY"] = p.y + boxHeight / 2 + 4
                item["r"] = opRadius
                item["op"] = node.op
                item["opLink"] = "M\(p.x - 30) \(p.y + boxHeight / 2) L\(p.x) \(p.y + boxHeight / 2)"
            }
            return item
        }
        let edges: [Data] = graph.edges.compactMap { edge in
            guard let from = position[edge.from], let to = position[edge.to] else { return nil }
            let x1 = from.x + boxWidth, y1 = from.y + boxHeight / 2
            let x2 = to.x - 30 - 2 * opRadius, y2 = to.y + boxHeight / 2
            let middle = (x1 + x2) / 2
            return ["d": "M\(x1) \(y1) C\(middle) \(y1), \(middle) \(y2), \(x2) \(y2)"]
        }
        return ["title": graph.title, "width": width, "height": height, "nodes": nodes, "edges": edges]
    }

    // MARK: Heatmap of weights

    static func heatmap(_ matrix: Matrix) -> Data {
        let cell = matrix.columnLabels.count > 40 ? 11.0 : 16.0
        let left = 44.0, top = 30.0
        // Each row is shaded against its own largest weight: a row holds one query's weights, which
        // sum to 1 over more and more positions, so a common scale would fade the long rows out.
        // Squares of one shade (in 32 steps, finer than the eye tells apart) are one SVG path: a
        // square of its own took 90 bytes, and a chapter's heatmaps held tens of thousands.
        var paths: [String: String] = [:]
        var order: [String] = []
        var tips: [Data] = []
        let perCell = matrix.values.joined().count <= 400  // small: a tip per square; large: per row
        for (r, row) in matrix.values.enumerated() {
            let largest = row.compactMap { $0 }.filter(\.isFinite).max() ?? 1
            let y = top + Double(r) * cell
            for (c, value) in row.enumerated() {
                let fill: String
                if let value {
                    fill = value.isFinite ? shade(((largest > 0 ? value / largest : 0) * 32).rounded() / 32) : notFiniteFill
                } else {
                    fill = maskedFill
                }
                let x = left + Double(c) * cell
                if paths[fill] == nil { order.append(fill) }
                paths[fill, default: ""] += "M\(NumberFormat.svg(x)) \(NumberFormat.svg(y))h\(NumberFormat.svg(cell))v\(NumberFormat.svg(cell))h-\(NumberFormat.svg(cell))z"
                if perCell {
                    let tip = value.map { "\(matrix.rowLabels[r]) -> \(matrix.columnLabels[c]): \(NumberFormat.short($0))" } ?? "masked"
                    tips.append(["x": x, "y": y, "width": cell, "height": cell, "tip": tip])
                }
            }
            if !perCell {
                let values = zip(matrix.columnLabels, row).compactMap { label, value in value.map { "\(visible(label)) \(NumberFormat.short($0))" } }
                tips.append(["x": left, "y": y, "width": cell * Double(row.count), "height": cell,
                             "tip": "\(visible(matrix.rowLabels[r])) -> " + values.joined(separator: ", ")])
            }
        }
        let shades: [Data] = order.map { ["fill": $0, "d": paths[$0] ?? ""] }
        let labelSize = cell > 12 ? 11.0 : 9.0
        let columns: [Data] = matrix.columnLabels.enumerated().map { c, label in
            ["x": left + (Double(c) + 0.5) * cell, "y": top - 6, "text": visible(label), "size": labelSize]
        }
        let rows: [Data] = matrix.rowLabels.enumerated().map { r, label in
            ["x": left - 6, "y": top + (Double(r) + 0.75) * cell, "text": visible(label), "size": labelSize]
        }
        return ["title": matrix.title, "width": left + Double(matrix.columnLabels.count) * cell + 10,
                "height": top + Double(matrix.rowLabels.count) * cell + 10, "shades": shades, "tips": tips,
                "columnLabels": columns, "rowLabels": rows,
                "rowTitle": matrix.rowTitle, "columnTitle": matrix.columnTitle,
                "hasNotFinite": matrix.values.joined().contains { $0.map { !$0.isFinite } ?? false }]
    }

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
        return ["title": series.title, "width": width, "height": height, "lines": lines, "yTicks": yTicks, "xTicks": xTicks,
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
                    "length": length, "value": NumberFormat.short(bar.value), "valueX": labelWidth + length + 6,
                    "labelX": labelWidth - 8, "barX": labelWidth]
        }
        return ["title": bars.title, "width": labelWidth + barWidth + 80, "height": 16 + Double(bars.bars.count) * rowHeight,
                "bars": items]
    }
}
