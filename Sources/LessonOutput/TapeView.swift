// Looking at a tape: its nodes as table rows and as a graph, with names a learner can follow.
import Autograd

/// Reads the nodes `first...last` of a tape for display.
package struct TapeView {
    package let tape: Tape
    package let nodes: [NodeID]

    /// The nodes the root depends on, in recording order (a topological order).
    package init(tape: Tape, root: NodeID) {
        var needed = Set<NodeID>([root])
        var id = root
        while id >= 0 {
            if needed.contains(id) { needed.formUnion(tape.inputs(of: id)) }
            id -= 1
        }
        self.tape = tape
        self.nodes = needed.sorted()
    }

    /// "a", or the op with its constant ("* 2", "^2", "tanh"), for a node without a name.
    package func name(_ id: NodeID) -> String {
        if let label = tape.labels[id] { return label }
        return "#\(nodes.firstIndex(of: id).map { $0 + 1 } ?? Int(id))"
    }

    package func opText(_ id: NodeID) -> String {
        let op = tape.op(id)
        let c = NumberFormat.full(tape.constant(id))
        switch op {
        case .addConstant: return "+ \(c)"
        case .mulConstant: return "* \(c)"
        case .pow: return "^\(c)"
        default: return op.symbol
        }
    }

    /// What the node computed, in terms of its inputs' names: "a * b", "tanh(n)".
    package func formula(_ id: NodeID) -> String {
        let inputs = tape.inputs(of: id).map(name)
        let op = tape.op(id)
        switch op {
        case .input: return "input"
        case .add, .sub, .mul, .div: return "\(inputs[0]) \(op.symbol) \(inputs[1])"
        case .addConstant, .mulConstant: return "\(inputs[0]) \(opText(id))"
        case .pow: return "\(inputs[0])\(opText(id))"
        default: return "\(op.symbol)(\(inputs.joined(separator: ", ")))"
        }
    }

    /// The graph of the nodes, with grads when a backward pass has run.
    package func graph(title: String, withGrads: Bool) -> Graph {
        let index = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1, $0 + 1) })
        return Graph(
            title: title,
            nodes: nodes.map { id in
                Graph.Node(id: index[id] ?? 0, label: tape.labels[id] ?? "", op: tape.op(id) == .input ? "" : opText(id),
                           data: tape.data(id), grad: withGrads ? tape.grad(id) : nil)
            },
            edges: nodes.flatMap { id in
                tape.inputs(of: id).compactMap { input in index[input].map { Graph.Edge(from: $0, to: index[id] ?? 0) } }
            })
    }
}
