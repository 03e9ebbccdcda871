// Random computation graphs for differential testing. A graph is a program: some leaf values and
// a list of steps, each an op and three small integers that pick its operands and constants. The
// same program is recorded on the engine's tape (through its public API only) and, node for node,
// in the naive reference autograd; the property tests compare the two, and the engine with finite
// differences.
//
// Operands count back from the newest value (0 = the one just made), so small numbers make chains
// (relu(relu(a)), sums of sums) and nodes that read nodes made just before them, which is where
// the engine's batched backward rules can go wrong. Every integer is taken modulo what exists, so
// any program is valid: the shrinker can drop steps or lower numbers freely.
import Autograd
import Foundation

/// One step of a random program.
struct GraphStep: Sendable, Equatable {
    var kind: Int
    var a: Int
    var b: Int
    var c: Int
}

/// The ops a step can record, in the order the shrinker prefers (it lowers `kind` toward 0).
enum StepKind: Int, CaseIterable {
    case add, mul, sub, div, neg
    case plusConstant, constantPlus, minusConstant, constantMinus
    case timesConstant, constantTimes, overConstant, constantOver
    case pow, exp, log, relu, tanh, sigmoid, sqrt, abs, maximum, minimum
    case sumOfValues, sumOfVector, dot, matvec, softmax, rmsnorm, crossEntropy
    case scores, weightedSum, weightedSums, vectorAdd, vectorRelu, newLeaves
    case matmul
}

/// A random program: the first leaves' values, then the steps.
struct GraphProgram: Sendable, CustomStringConvertible {
    var leaves: [Double]
    var steps: [GraphStep]
    /// Whether the first leaves are declared the tape's parameters, so that the backward pass
    /// defers the gradients of dot products that read them (as it does for a model's weights).
    var leavesAreParameters = false
    /// The version of the C kernels the engine's tape runs (both must give the same bits).
    var kernels: KernelVersion = .fastest

    /// The program as the engine records it, one line per node the steps made.
    var description: String {
        let graph = RecordedGraph(self)
        return (leavesAreParameters ? "parameters " : "leaves ") + "\(leaves)" + (kernels == .portable ? " (portable kernels)" : "")
            + "\n" + graph.lines.joined(separator: "\n")
    }
}

/// Constants the steps choose from by index (no zero, so dividing by one is always defined).
let stepConstants: [Double] = [2, -1.5, 0.5, 3, -0.25, 1.25, -2, 0.75]
/// Exponents for `pow`: whole ones (any base) first, then fractional ones (positive bases only).
let stepExponents: [Double] = [2, 3, -1, 1, 0, -2, 0.5, 1.5]
/// Values of the leaves that `newLeaves` steps make.
let newLeafValues: [Double] = [0.5, -1.25, 2, -0.75, 1.5, 0.25, -2.5, 1]

/// A program recorded on a fresh tape and in the reference, with the correspondence between them.
final class RecordedGraph {
    let tape = Tape()
    /// The reference node of each tape node a step made (nil for the engine's own helper nodes,
    /// such as the constant leaf of `2 / a`).
    private(set) var reference: [ReferenceNode?] = []
    /// Tape ids of every value a step made, oldest first: what operands count back through.
    private(set) var defined: [NodeID] = []
    /// Runs of consecutive tape nodes that steps made: what vector operands are cut from.
    private(set) var runs: [Vector] = []
    /// Tape ids of the leaves, in the order they were made: what finite differences perturb.
    private(set) var leaves: [NodeID] = []
    /// How close any relu or abs came to its kink (|x|), or any max or min to its tie (|x - y|):
    /// finite differences are unreliable near a kink.
    private(set) var closestKink = Double.infinity
    /// True when rounding put the engine and the reference on two sides of some kink of max, min
    /// or abs (one sees a tie or a 0 where the other sees a number a hair away): there they
    /// compute two different slopes by design, and the program cannot be compared.
    private(set) var kinkSidesDiffer = false
    /// One line per step, for failure messages.
    private(set) var lines: [String] = []
    private(set) var root: NodeID = 0
    private(set) var referenceRoot = ReferenceNode(0)
    /// Nodes below this are the tape's parameters (0 when the program has none).
    private(set) var parametersEnd = 0
    /// How many `matmul` steps over two or more positions read their weights from the parameters:
    /// the backward pass takes such a matmul's positions stacked, in one sweep over the rows.
    private(set) var parameterMatmuls = 0
    /// The newest weighted sum's weights, rows, next column and end, for a step to continue it.
    private var lastWeightedSum: (weights: Vector, rows: RowList, rowStarts: [NodeID], nextColumn: Int, madeEnd: NodeID)?

    private let leafValues: [Double]?
    private let withReference: Bool

    /// Records `program`; `leafValues`, when given, replaces the leaves' values in order (finite
    /// differences move one of them), and then the reference is not built.
    init(_ program: GraphProgram, leafValues: [Double]? = nil, withReference: Bool = true) {
        self.leafValues = leafValues
        self.withReference = withReference
        run(program)
    }

    private func run(_ program: GraphProgram) {
        tape.kernels = program.kernels
        makeLeaves(program.leaves.isEmpty ? [1] : program.leaves)
        if program.leavesAreParameters {
            tape.parametersEnd = tape.count
            parametersEnd = tape.count
        }
        for step in program.steps { record(step) }
        finish()
    }

    // MARK: Bookkeeping

    /// Notes that a step made tape node `id`, mirrored by `node` in the reference.
    func made(_ id: NodeID, _ node: @autoclosure () -> ReferenceNode) {
        let i = Int(id)
        if reference.count < tape.count { reference += Array(repeating: nil, count: tape.count - reference.count) }
        // Without a reference (a finite-difference run), a placeholder keeps operands resolvable.
        reference[i] = withReference ? node() : ReferenceNode(tape.data(id))
        defined.append(id)
        if let last = runs.last, last.start + NodeID(last.count) == id {
            runs[runs.count - 1] = Vector(start: last.start, count: last.count + 1)
        } else {
            runs.append(Vector(start: id, count: 1))
        }
    }

    func made(_ v: Vector, _ nodes: () -> [ReferenceNode]) {
        let built = withReference ? nodes() : []
        for k in 0..<v.count { made(v[k], withReference ? built[k] : ReferenceNode(0)) }
    }

    /// True when tape node `i` exists and a step made it (so the reference has it too).
    func isMade(_ i: Int) -> Bool { i < reference.count && reference[i] != nil }
    func ref(_ id: NodeID) -> ReferenceNode { reference[Int(id)]! }
    func refs(_ v: Vector) -> [ReferenceNode] { (0..<v.count).map { ref(v[$0]) } }
    func name(_ id: NodeID) -> String { "n\(id)" }
    func name(_ v: Vector) -> String { v.count == 1 ? "[n\(v.start)]" : "n\(v.start)...n\(v.start + NodeID(v.count - 1))" }
    func line(_ text: String) { lines.append(text) }

    func makeLeaves(_ values: [Double]) {
        for value in values {
            let index = leaves.count
            let actual = leafValues.map { index < $0.count ? $0[index] : value } ?? value
            let id = tape.input(actual)
            leaves.append(id)
            made(id, ReferenceNode(actual))
            line("n\(id) = leaf \(actual)")
        }
    }

    // MARK: Picking operands

    /// The value `back` steps before the newest (0 = the newest).
    func value(_ back: Int) -> NodeID { defined[defined.count - 1 - back % defined.count] }

    /// A vector of about `length` consecutive made nodes, ending near the newest end of a run.
    func vector(_ choice: Int, length: Int) -> Vector {
        let run = runs[runs.count - 1 - choice % runs.count]
        let n = min(max(1, length), run.count)
        let back = (choice / runs.count) % (run.count - n + 1)
        return run.slice(run.count - n - back, n)
    }

    /// A vector of exactly `length` made nodes: from the chosen run or the next one long enough.
    func vector(_ choice: Int, exactly length: Int) -> Vector? {
        for offset in 0..<runs.count {
            let run = runs[runs.count - 1 - (choice + offset) % runs.count]
            if run.count >= length {
                let back = (choice / runs.count) % (run.count - length + 1)
                return run.slice(run.count - length - back, length)
            }
        }
        return nil
    }

    // MARK: Steps

    func record(_ step: GraphStep) {
        let kind = StepKind(rawValue: step.kind % StepKind.allCases.count)!
        let k = stepConstants[step.c % stepConstants.count]
        let x = Value(node: value(step.a), on: tape)
        let y = Value(node: value(step.b), on: tape)
        switch kind {
        case .add: scalar((x + y).id, "\(name(x.id)) + \(name(y.id))") { Reference.add(ref(x.id), ref(y.id)) }
        case .mul: scalar((x * y).id, "\(name(x.id)) * \(name(y.id))") { Reference.mul(ref(x.id), ref(y.id)) }
        case .sub: scalar((x - y).id, "\(name(x.id)) - \(name(y.id))") { Reference.sub(ref(x.id), ref(y.id)) }
        case .div: scalar((x / y).id, "\(name(x.id)) / \(name(y.id))") { Reference.div(ref(x.id), ref(y.id)) }
        case .neg: scalar((-x).id, "-\(name(x.id))") { Reference.neg(ref(x.id)) }
        case .plusConstant:
            scalar((x + k).id, "\(name(x.id)) + \(k)") { Reference.add(ref(x.id), Reference.constant(k)) }
        case .constantPlus:
            scalar((k + x).id, "\(k) + \(name(x.id))") { Reference.add(Reference.constant(k), ref(x.id)) }
        case .minusConstant:
            scalar((x - k).id, "\(name(x.id)) - \(k)") { Reference.sub(ref(x.id), Reference.constant(k)) }
        case .constantMinus:
            scalar((k - x).id, "\(k) - \(name(x.id))") { Reference.sub(Reference.constant(k), ref(x.id)) }
        case .timesConstant:
            scalar((x * k).id, "\(name(x.id)) * \(k)") { Reference.mul(ref(x.id), Reference.constant(k)) }
        case .constantTimes:
            scalar((k * x).id, "\(k) * \(name(x.id))") { Reference.mul(Reference.constant(k), ref(x.id)) }
        case .overConstant:
            scalar((x / k).id, "\(name(x.id)) / \(k)") { Reference.div(ref(x.id), Reference.constant(k)) }
        case .constantOver:
            scalar((k / x).id, "\(k) / \(name(x.id))") { Reference.div(Reference.constant(k), ref(x.id)) }
        case .pow:
            let p = stepExponents[step.c % stepExponents.count]
            scalar(x.pow(p).id, "\(name(x.id)) ^ \(p)") { Reference.pow(ref(x.id), p) }
        case .exp: scalar(x.exp().id, "exp(\(name(x.id)))") { Reference.exp(ref(x.id)) }
        case .log: scalar(x.log().id, "log(\(name(x.id)))") { Reference.log(ref(x.id)) }
        case .relu:
            closestKink = min(closestKink, abs(x.data))
            scalar(x.relu().id, "relu(\(name(x.id)))") { Reference.relu(ref(x.id)) }
        case .tanh: scalar(x.tanh().id, "tanh(\(name(x.id)))") { Reference.tanh(ref(x.id)) }
        case .sigmoid: scalar(x.sigmoid().id, "sigmoid(\(name(x.id)))") { Reference.sigmoid(ref(x.id)) }
        case .sqrt: scalar(x.sqrt().id, "sqrt(\(name(x.id)))") { Reference.sqrt(ref(x.id)) }
        case .abs:
            nearKink(x.data, withReference ? ref(x.id).data : x.data)
            scalar(x.abs().id, "abs(\(name(x.id)))") { Reference.abs(ref(x.id)) }
        case .maximum:
            nearKink(x.data - y.data, withReference ? ref(x.id).data - ref(y.id).data : x.data - y.data)
            scalar(x.max(y).id, "max(\(name(x.id)), \(name(y.id)))") { Reference.max(ref(x.id), ref(y.id)) }
        case .minimum:
            nearKink(x.data - y.data, withReference ? ref(x.id).data - ref(y.id).data : x.data - y.data)
            scalar(x.min(y).id, "min(\(name(x.id)), \(name(y.id)))") { Reference.min(ref(x.id), ref(y.id)) }
        case .sumOfValues:
            // Scattered, possibly repeated operands: one `sum` node over a list.
            let operands = (0..<(1 + step.c % 5)).map { Value(node: value(step.a + $0 * (1 + step.b % 3)), on: tape) }
            scalar(tape.sum(operands).id, "sum(" + operands.map { name($0.id) }.joined(separator: ", ") + ")") {
                Reference.sum(operands.map { ref($0.id) })
            }
        case .sumOfVector:
            let v = vector(step.a, length: 1 + step.c % 6)
            scalar(tape.sum(v), "sum(\(name(v)))") { Reference.sum(refs(v)) }
        case .dot:
            let u = vector(step.a, length: 1 + step.c % 5)
            let v = vector(step.b, exactly: u.count)!
            let scale = stepConstants[step.c / 5 % stepConstants.count]
            scalar(tape.dot(u, v, scale: scale), "dot(\(name(u)), \(name(v))) * \(scale)") {
                Reference.dot(refs(u), refs(v), scale: scale)
            }
        case .matvec: recordMatvec(step)
        case .softmax:
            let v = vector(step.a, length: 1 + step.c % 5)
            vectorResult(tape.softmax(v), "softmax(\(name(v)))") { Reference.softmax(refs(v)) }
        case .rmsnorm:
            let v = vector(step.a, length: 1 + step.c % 5)
            vectorResult(tape.rmsnorm(v), "rmsnorm(\(name(v)))") { Reference.rmsnorm(refs(v)) }
        case .crossEntropy:
            let v = vector(step.a, length: 1 + step.c % 5)
            let target = step.b % v.count
            scalar(tape.crossEntropy(v, target: target), "cross-entropy(\(name(v)), target \(target))") {
                Reference.crossEntropy(refs(v), target: target)
            }
        case .scores: recordScores(step)
        case .weightedSum, .weightedSums: recordWeightedSums(step, batched: kind == .weightedSums)
        case .vectorAdd:
            let u = vector(step.a, length: 1 + step.c % 5)
            let v = vector(step.b, exactly: u.count)!
            vectorResult(tape.add(u, v), "\(name(u)) + \(name(v))") { zip(refs(u), refs(v)).map { Reference.add($0, $1) } }
        case .vectorRelu:
            let v = vector(step.a, length: 1 + step.c % 5)
            for x in tape.data(v) { closestKink = min(closestKink, abs(x)) }
            vectorResult(tape.relu(v), "relu(\(name(v)))") { refs(v).map(Reference.relu) }
        case .newLeaves:
            makeLeaves((0..<(1 + step.c % 6)).map { newLeafValues[(step.a + $0 * (1 + step.b)) % newLeafValues.count] })
        case .matmul: recordMatmul(step)
        }
    }

    /// Notes how far an abs's argument, or a max's or min's difference of arguments, is from its
    /// kink, in the engine and in the reference.
    func nearKink(_ engine: Double, _ reference: Double) {
        closestKink = min(closestKink, abs(engine))
        if (engine == 0) != (reference == 0) || (engine > 0) != (reference > 0) { kinkSidesDiffer = true }
    }

    func scalar(_ id: NodeID, _ text: String, _ node: () -> ReferenceNode) {
        made(id, node())
        line("\(name(id)) = \(text)")
    }

    func vectorResult(_ v: Vector, _ text: String, _ nodes: () -> [ReferenceNode]) {
        made(v, nodes)
        line("\(name(v)) = \(text)")
    }

    /// W x with W cut from a run of rows * n made nodes; skipped when no run is long enough.
    func recordMatvec(_ step: GraphStep) {
        let x = vector(step.a, length: 1 + step.c % 3)
        let rows = 1 + step.b % 3
        guard let w = vector(step.b / 3, exactly: rows * x.count) else { return }
        let wr = refs(w), xr = refs(x)
        vectorResult(tape.matvec(w.start, rows: rows, x), "\(name(w)) as [\(rows), \(x.count)] times \(name(x))") {
            (0..<rows).map { r in Reference.dot(Array(wr[(r * x.count)..<((r + 1) * x.count)]), xr, scale: 1) }
        }
    }

    /// W x_t for 2-4 input vectors x_t one after another (a linear layer over a sequence), W of
    /// 2-4 rows (one row would be taken as dots sharing their first input, as attention's scores
    /// are). W comes from the parameters when they hold enough leaves, so the backward pass finds
    /// the positions' runs stacked and defers the rows' gradients; else from any run. Often W is
    /// square, so a matmul can read the one just before it with the same W: then the stack must
    /// stop where its own inputs begin.
    func recordMatmul(_ step: GraphStep) {
        let rows = 2 + step.b % 3
        let n = [rows, 1, 2, 3][step.c % 4]
        let positions = 2 + (step.c / 4) % 3
        let w: Vector
        if parametersEnd >= rows * n {
            w = Vector(start: NodeID((step.b / 3) % (parametersEnd - rows * n + 1)), count: rows * n)
            parameterMatmuls += 1
        } else {
            guard let any = vector(step.b / 3, exactly: rows * n) else { return }
            w = any
        }
        guard let xs = vector(step.a, exactly: positions * n) else {
            if parametersEnd >= rows * n { parameterMatmuls -= 1 }
            return
        }
        let wr = refs(w), xr = refs(xs)
        vectorResult(tape.matmul(w.start, rows: rows, xs, positions: positions),
                     "\(name(w)) as [\(rows), \(n)] times \(name(xs)) as \(positions) vectors") {
            (0..<positions).flatMap { t in
                (0..<rows).map { r in
                    Reference.dot(Array(wr[(r * n)..<((r + 1) * n)]), Array(xr[(t * n)..<((t + 1) * n)]), scale: 1)
                }
            }
        }
    }

    /// scale * (q . key) for some keys, each read at an offset of 0 or 1 into its vector.
    func recordScores(_ step: GraphStep) {
        let q = vector(step.a, length: 1 + step.c % 3)
        let n = q.count
        let offset = step.c % 2
        let keys = (0..<(1 + step.b % 3)).compactMap { vector(step.b + 1 + $0, exactly: n + offset) }
        guard !keys.isEmpty else { return }
        let scale = stepConstants[step.c / 2 % stepConstants.count]
        let qr = refs(q)
        let keyRefs = keys.map { key in (0..<n).map { ref(key.start + NodeID(offset + $0)) } }
        vectorResult(tape.scores(q, keys: keys.map(\.start), offset: offset, scale: scale),
                     "scores(\(name(q)) against " + keys.map { "n\($0.start + NodeID(offset))" }.joined(separator: ", ")
                     + ") * \(scale)") {
            keyRefs.map { Reference.dot(qr, $0, scale: scale) }
        }
    }

    /// sum_t w_t row_t[column] for one column, or for a range of them as one batched call.
    /// When `c` is a multiple of 3 and the step before was a weighted sum, this one takes the next
    /// column of the same rows with the same weights: a run, as a head's output is, and its rows
    /// may reach into the sums just made, which is when such a run reads itself.
    func recordWeightedSums(_ step: GraphStep, batched: Bool) {
        var w = vector(step.a, length: 1 + step.b % 3)
        var low = step.c % 2
        var high = batched ? low + 1 + (step.c / 2) % 3 : low + 1
        var rowStarts: [NodeID] = []
        let rows: RowList
        if step.c % 3 == 0, let last = lastWeightedSum, last.madeEnd == NodeID(tape.count),
           last.rowStarts.allSatisfy({ start in (0..<(high - low)).allSatisfy { isMade(Int(start) + last.nextColumn + $0) } }) {
            (w, rows, rowStarts) = (last.weights, last.rows, last.rowStarts)
            (low, high) = (last.nextColumn, last.nextColumn + (high - low))
        } else {
            for t in 0..<w.count {
                guard let row = vector(step.b + 1 + t, exactly: high) else { return }
                rowStarts.append(row.start)
            }
            rows = tape.rowList(rowStarts)
        }
        lastWeightedSum = (w, rows, rowStarts, high, NodeID(tape.count + high - low))
        let wr = refs(w)
        func reference(_ column: Int) -> ReferenceNode {
            Reference.sum(rowStarts.indices.map { Reference.mul(wr[$0], ref(rowStarts[$0] + NodeID(column))) })
        }
        let text = "weighted sum of rows " + rowStarts.map { "n\($0)" }.joined(separator: ", ")
            + " by \(name(w)), columns \(low)..<\(high)"
        if batched {
            vectorResult(tape.weightedSums(w, rows: rows, columns: low..<high), text) { (low..<high).map(reference) }
        } else {
            scalar(tape.weightedSum(w, rows: rows, column: low), text) { reference(low) }
        }
    }

    /// The root: every value the steps made, each times a coefficient, summed. Every node then
    /// gets a gradient of its own, so every node is checked, not only the leaves.
    func finish() {
        let coefficients: [Double] = [1, -0.5, 0.75, 1.25, -1]
        let made = defined.filter { !leaves.contains($0) }
        let terms = (made.isEmpty ? defined : made)
        let scaled = terms.enumerated().map { i, id in
            (tape.mul(id, constant: coefficients[i % coefficients.count]), coefficients[i % coefficients.count], id)
        }
        root = tape.sum(scaled.map(\.0))
        if withReference {
            referenceRoot = Reference.sum(scaled.map { Reference.mul(ref($0.2), Reference.constant($0.1)) })
        }
        line("root = " + scaled.map { "\($0.1) * n\($0.2)" }.joined(separator: " + "))
    }
}
