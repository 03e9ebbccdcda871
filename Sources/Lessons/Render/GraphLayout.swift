// Where the boxes and edges of a computation graph go. The graph is ranked top to bottom the
// way its gradient flows: the output (whose gradient is 1) at the top, each value above the
// values it was computed from, the inputs at the bottom. A rank that would be wider than the
// walkthrough's column spills into the next one down, and an edge that skips ranks passes them
// in a lane of its own, so the picture fits any graph a learner types and no edge runs under a box.
import LessonOutput

/// A computation graph placed in a picture at most `maximumWidth` wide (wider only when lanes of
/// long edges alone overflow a rank; the page then scales the picture down).
struct GraphLayout {
    /// One value's box, with the op that made it in a pill hanging below it.
    struct Box {
        /// Index of the node in `Graph.nodes`.
        var node: Int
        var x: Double, y: Double, width: Double, height: Double
        /// The op's pill (nil for an input): edges from the operands end at its bottom.
        var op: Rect?
        var rank: Int
    }

    struct Rect {
        var x: Double, y: Double, width: Double, height: Double

        /// Whether the point lies strictly inside, `inset` away from every side.
        func contains(_ p: Point, inset: Double = 0.5) -> Bool {
            p.x > x + inset && p.x < x + width - inset && p.y > y + inset && p.y < y + height - inset
        }
    }

    struct Point: Equatable { var x: Double, y: Double }

    /// An edge from an input's top up to the op of the node that reads it, as the points it
    /// passes: consecutive points on a vertical line are joined straight (a lane through a rank),
    /// others by a curve that leaves and arrives vertically, in the gap between two ranks.
    struct Edge {
        var from: Int, to: Int
        var points: [Point]
    }

    /// The column a picture must fit: the walkthrough's at an 800 px window, and a printed page.
    static let maximumWidth = 700.0
    static let margin = 8.0, boxGap = 20.0, laneWidth = 10.0, laneGap = 8.0, rankGap = 44.0
    static let fontSize = 12.0, charWidth = 7.3, lineHeight = 15.0, pillHeight = 18.0

    var boxes: [Box] = []
    var edges: [Edge] = []
    var width = 0.0, height = 0.0
    /// Top of each rank; its boxes take `boxHeight` and their pills `pillHeight` below that.
    var rankTops: [Double] = []
    var boxHeight = 0.0

    init(_ graph: Graph, opText: (Graph.Node) -> String = { $0.op }, lines: (Graph.Node) -> [String]) {
        let nodes = graph.nodes
        let count = nodes.count
        guard count > 0 else { return }
        let index = Dictionary(nodes.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        // Operands in the order the op takes them, and each node's readers.
        var operands = [[Int]](repeating: [], count: count)
        var readers = [[Int]](repeating: [], count: count)
        var edgeList: [(from: Int, to: Int, operand: Int, of: Int)] = []  // operand k of an op's `of`
        for edge in graph.edges {
            guard let from = index[edge.from], let to = index[edge.to], from != to else { continue }
            operands[to].append(from)
            readers[from].append(to)
        }
        for to in 0..<count {
            for (k, from) in operands[to].enumerated() { edgeList.append((from, to, k, operands[to].count)) }
        }

        let texts = nodes.map(lines)
        let ops = nodes.map(opText)
        let longest = texts.flatMap { $0 }.map(\.count).max() ?? 4
        let boxWidth = max(96, Double(longest) * Self.charWidth + 16)
        boxHeight = Double(texts.map(\.count).max() ?? 1) * Self.lineHeight + 8

        // Ranks: each node one rank below its lowest reader, or further down when that rank is
        // full. Nodes are placed once all their readers are, the one that can go highest first
        // (newest first among equals), so ranks fill from the top as the picture is read. A node
        // pushed down leaves lanes in the ranks it skips; when lanes overflow a rank, the ranks
        // are laid out again with room for them.
        var leaving = [[Int]](repeating: [], count: count)
        for (e, edge) in edgeList.enumerated() { leaving[edge.from].append(e) }
        let inside = Self.maximumWidth - 2 * Self.margin
        func ranked(capacity: Double) -> (rank: [Int], used: [Double], lanes: [[Int]], order: [Int]) {
            var rank = [Int](repeating: 0, count: count)
            var used: [Double] = []
            var lanes: [[Int]] = []  // per rank, the edges (indices into edgeList) passing through it
            func take(_ width: Double, gap: Double, in r: Int) {
                while used.count <= r { used.append(0); lanes.append([]) }
                used[r] += (used[r] > 0 ? gap : 0) + width
            }
            var waiting = readers.map(\.count)
            var lowest = [Int](repeating: 0, count: count)  // one below the lowest reader placed so far
            var ready = Set((0..<count).filter { waiting[$0] == 0 })
            var placed = [Bool](repeating: false, count: count)
            var order: [Int] = []
            while order.count < count {
                // A cycle (no tape makes one) is broken at its newest node.
                let node = ready.min { (lowest[$0], -$0) < (lowest[$1], -$1) } ?? (0..<count).last { !placed[$0] }!
                ready.remove(node)
                var r = lowest[node]
                while r < used.count, used[r] > 0, used[r] + Self.boxGap + boxWidth > capacity { r += 1 }
                rank[node] = r
                placed[node] = true
                order.append(node)
                take(boxWidth, gap: Self.boxGap, in: r)
                for e in leaving[node] where placed[edgeList[e].to] {
                    for passed in (rank[edgeList[e].to] + 1)..<max(r, rank[edgeList[e].to] + 1) {
                        take(Self.laneWidth, gap: Self.laneGap, in: passed)
                        lanes[passed].append(e)
                    }
                }
                for operand in Set(operands[node]) where !placed[operand] {
                    waiting[operand] -= operands[node].count { $0 == operand }
                    lowest[operand] = max(lowest[operand], r + 1)
                    if waiting[operand] <= 0 { ready.insert(operand) }
                }
            }
            return (rank, used, lanes, order)
        }
        var capacity = inside
        var (rank, used, lanes, order) = ranked(capacity: capacity)
        for _ in 0..<6 {
            let overflow = (used.max() ?? 0) - inside
            guard overflow > 0, capacity - overflow >= boxWidth else { break }
            capacity -= max(overflow, Self.laneWidth + Self.laneGap)
            (rank, used, lanes, order) = ranked(capacity: capacity)
        }
        // Only a cycle leaves an edge that does not go up; it is not drawn.
        let drawn = edgeList.indices.filter { rank[edgeList[$0].from] > rank[edgeList[$0].to] }
        let rankCount = used.count

        // Items of each rank: boxes and lanes. Order them by the barycentre of their neighbours
        // (down, up, down), which keeps most edges from crossing and each op's operands in order.
        enum Item: Hashable { case box(Int), lane(edge: Int, rank: Int) }
        var items = [[Item]](repeating: [], count: rankCount)
        for node in order { items[rank[node]].append(.box(node)) }
        for r in 0..<rankCount { for e in lanes[r] { items[r].append(.lane(edge: e, rank: r)) } }
        func itemWidth(_ item: Item) -> Double {
            if case .box = item { return boxWidth }
            return Self.laneWidth
        }
        // The item an edge passes in rank r (its reader's rank up to its input's).
        func item(of e: Int, at r: Int) -> Item {
            let edge = edgeList[e]
            if r == rank[edge.to] { return .box(edge.to) }
            if r == rank[edge.from] { return .box(edge.from) }
            return .lane(edge: e, rank: r)
        }
        // Neighbours one rank up and one rank down, with the port offset of the edge there.
        var up: [Item: [(Item, Double)]] = [:], down: [Item: [(Item, Double)]] = [:]
        for e in drawn {
            let edge = edgeList[e]
            let port = (Double(edge.operand) - Double(edge.of - 1) / 2)
            for r in rank[edge.to]..<rank[edge.from] {
                let upper = item(of: e, at: r), lower = item(of: e, at: r + 1)
                up[lower, default: []].append((upper, r == rank[edge.to] ? port : 0))
                down[upper, default: []].append((lower, 0))
            }
        }
        var position: [Item: Double] = [:]
        func renumber(_ r: Int) { for (i, item) in items[r].enumerated() { position[item] = Double(i) } }
        for r in 0..<rankCount { renumber(r) }
        func sortRank(_ r: Int, by neighbours: [Item: [(Item, Double)]]) {
            let keys = items[r].map { item -> Double in
                guard let near = neighbours[item], !near.isEmpty else { return position[item] ?? 0 }
                return near.map { (position[$0.0] ?? 0) + $0.1 * 0.01 }.reduce(0, +) / Double(near.count)
            }
            items[r] = zip(items[r], keys).enumerated().sorted { ($0.element.1, $0.offset) < ($1.element.1, $1.offset) }.map(\.element.0)
            renumber(r)
        }
        for r in stride(from: 1, to: rankCount, by: 1) { sortRank(r, by: up) }
        for r in stride(from: rankCount - 2, through: 0, by: -1) { sortRank(r, by: down) }
        for r in stride(from: 1, to: rankCount, by: 1) { sortRank(r, by: up) }

        // Across: each item as near the mean of its neighbours as the items beside it allow,
        // first under the ranks above, then over the ranks below (so an op sits over its operands).
        func separation(_ a: Item, _ b: Item) -> Double {
            let gap: Double
            if case .box = a, case .box = b { gap = Self.boxGap } else { gap = Self.laneGap }
            return (itemWidth(a) + itemWidth(b)) / 2 + gap
        }
        let packed = items.map { rankItems in
            rankItems.map(itemWidth).reduce(0, +) + zip(rankItems, rankItems.dropFirst()).map { separation($0, $1) - (itemWidth($0) + itemWidth($1)) / 2 }.reduce(0, +)
        }
        var inner = packed.max() ?? boxWidth
        var centre: [Item: Double] = [:]
        var bounded = false  // first free, as a tidy tree spreads; within `inner` if that is too wide
        func place(_ r: Int, by neighbours: [Item: [(Item, Double)]]) {
            let row = items[r]
            guard !row.isEmpty else { return }
            let start = (inner - packed[r]) / 2
            var desired: [Double] = []
            var x = start
            for (i, item) in row.enumerated() {
                if i > 0 { x += separation(row[i - 1], item) } else { x += itemWidth(item) / 2 }
                if let near = neighbours[item]?.compactMap({ n in centre[n.0].map { $0 + n.1 * 12 } }), !near.isEmpty {
                    desired.append(near.reduce(0, +) / Double(near.count))
                } else {
                    desired.append(centre[item] ?? x)
                }
            }
            var placed = desired
            for i in row.indices {
                let low = i > 0 ? placed[i - 1] + separation(row[i - 1], row[i]) : bounded ? itemWidth(row[0]) / 2 : -Double.infinity
                placed[i] = max(placed[i], low)
            }
            for i in row.indices.reversed() {
                let high = i < row.count - 1 ? placed[i + 1] - separation(row[i], row[i + 1]) : bounded ? inner - itemWidth(row[i]) / 2 : Double.infinity
                placed[i] = min(placed[i], high)
            }
            for (item, x) in zip(row, placed) { centre[item] = x }
        }
        func placeAll() {
            centre = [:]
            for r in 0..<rankCount { place(r, by: up) }
            for r in stride(from: rankCount - 2, through: 0, by: -1) { place(r, by: down) }
        }
        placeAll()
        let left = centre.map { $0.value - itemWidth($0.key) / 2 }.min() ?? 0
        let right = centre.map { $0.value + itemWidth($0.key) / 2 }.max() ?? 0
        if right - left <= inside {
            inner = right - left
            for (item, x) in centre { centre[item] = x - left }
        } else {
            bounded = true
            placeAll()
        }

        // Down: ranks, each a row of boxes with their pills, then the gap the edges cross.
        let pitch = boxHeight + Self.pillHeight + Self.rankGap
        rankTops = (0..<rankCount).map { Self.margin + Double($0) * pitch }
        width = inner + 2 * Self.margin
        height = Self.margin + Double(rankCount) * pitch - Self.rankGap + Self.margin
        for node in 0..<count {
            let x = Self.margin + (centre[.box(node)] ?? 0) - boxWidth / 2, y = rankTops[rank[node]]
            var pill: Rect?
            if !ops[node].isEmpty {
                let w = max(26, Double(ops[node].count) * Self.charWidth + 14)
                pill = Rect(x: x + boxWidth / 2 - w / 2, y: y + boxHeight - 1, width: w, height: Self.pillHeight)
            }
            boxes.append(Box(node: node, x: x, y: y, width: boxWidth, height: boxHeight, op: pill, rank: rank[node]))
        }

        // Edges leave an input's top, spread over it in the order of their readers, and end at
        // the reader's pill, spread in the order of its operands.
        var startX = [Double](repeating: 0, count: edgeList.count)
        for node in 0..<count {
            let exits = leaving[node].filter { rank[edgeList[$0].from] > rank[edgeList[$0].to] }.sorted { a, b in
                let ra = rank[edgeList[a].from] - 1, rb = rank[edgeList[b].from] - 1
                return (centre[item(of: a, at: ra)] ?? 0, a) < (centre[item(of: b, at: rb)] ?? 0, b)
            }
            let box = boxes[node], spread = min(16, box.width / Double(max(1, exits.count + 1)))
            for (i, e) in exits.enumerated() {
                startX[e] = box.x + box.width / 2 + (Double(i) - Double(exits.count - 1) / 2) * spread
            }
        }
        for e in drawn {
            let edge = edgeList[e]
            let reader = boxes[edge.to]
            let pill = reader.op ?? Rect(x: reader.x, y: reader.y + boxHeight, width: reader.width, height: 0)
            let endY = pill.y + pill.height
            let spread = min(10, pill.width / Double(edge.of + 1))
            let endX = pill.x + pill.width / 2 + (Double(edge.operand) - Double(edge.of - 1) / 2) * spread
            var points = [Point(x: startX[e], y: rankTops[rank[edge.from]])]
            for r in stride(from: rank[edge.from] - 1, to: rank[edge.to], by: -1) {
                let x = Self.margin + (centre[.lane(edge: e, rank: r)] ?? 0)
                points.append(Point(x: x, y: rankTops[r] + boxHeight + Self.pillHeight))
                points.append(Point(x: x, y: rankTops[r]))
            }
            points.append(Point(x: endX, y: endY))
            edges.append(Edge(from: edge.from, to: edge.to, points: points))
        }
    }

    /// The SVG path of an edge.
    static func path(_ points: [Point]) -> String {
        guard let first = points.first else { return "" }
        var d = "M\(NumberFormat.svg(first.x)) \(NumberFormat.svg(first.y))"
        for (a, b) in zip(points, points.dropFirst()) {
            if a.x == b.x {
                d += "V\(NumberFormat.svg(b.y))"
            } else {
                let middle = NumberFormat.svg((a.y + b.y) / 2)
                d += "C\(NumberFormat.svg(a.x)) \(middle) \(NumberFormat.svg(b.x)) \(middle) \(NumberFormat.svg(b.x)) \(NumberFormat.svg(b.y))"
            }
        }
        return d
    }

    /// Points along an edge, for checking where it runs: each curve sampled `samples` times.
    static func trace(_ points: [Point], samples: Int = 24) -> [Point] {
        var out: [Point] = []
        for (a, b) in zip(points, points.dropFirst()) {
            let middle = (a.y + b.y) / 2
            for s in 0...samples {
                let t = Double(s) / Double(samples), u = 1 - t
                let x = u * u * u * a.x + 3 * u * u * t * a.x + 3 * u * t * t * b.x + t * t * t * b.x
                let y = u * u * u * a.y + 3 * u * u * t * middle + 3 * u * t * t * middle + t * t * t * b.y
                out.append(Point(x: x, y: y))
            }
        }
        return out
    }
}
