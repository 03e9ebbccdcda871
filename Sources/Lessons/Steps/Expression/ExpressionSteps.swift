// Steps over arithmetic expressions: the forward pass of chapter 1 and the backward pass of
// chapter 2, for any expression an author writes, plus micrograd's own reference expression, and
// `inputs`, which declares values once for every expression step below it in its chapter.
import Autograd
import LessonOutput

enum ExpressionSteps {
    static let all = [inputs, forward, backward, micrograd]

    static let expressionParameter = ParameterSpec(
        "expr", .expression, default: nil,
        "arithmetic over named inputs: + - * / ^, parentheses, \(Expression.functionList); give each input as 'name: number'")

    static let forward = StepDefinition(
        id: "forward",
        summary: "Records an expression on a tape and shows every node's value, in the order they were computed.",
        parameters: [expressionParameter],
        takesNamedInputs: true,
        needs: [.declaredInputs]
    ) { context in
        let built = try build(context)
        let view = TapeView(tape: built.tape, root: built.output.id)
        var report = StepReport()
        report.text("\(context.text("expr")) = \(NumberFormat.short(built.output.data))  with "
                    + built.inputs.map { "\($0.name) = \(NumberFormat.full($0.value.data))" }.joined(separator: ", "))
        report.add(.table(Table(
            title: "Nodes in the order the tape recorded them",
            columns: ["node", "computes", "data"],
            rows: view.nodes.map { [.text(view.name($0)), .text(view.formula($0)), .number(built.tape.data($0))] })))
        if let problem = view.nonFiniteCheck(grads: false) { report.verify(problem) }
        report.check("out", built.output.data)
        report.check("nodes", view.nodes.count)
        return report
    }

    static let backward = StepDefinition(
        id: "backward",
        summary: "Runs an expression forward and backward; shows values and gradients, checks each gradient against a finite difference, draws the graph.",
        parameters: [
            expressionParameter,
            ParameterSpec("graph", .flag, default: "true", "draw the computation graph"),
        ],
        takesNamedInputs: true,
        needs: [.declaredInputs]
    ) { context in
        let built = try build(context)
        built.output.backward()
        return backwardReport(built, graph: context.flag("graph"))
    }

    /// Values declared once: every `forward`, `backward` and `exercise` step below it in the same
    /// chapter takes them for the names it does not give itself (its own line wins). A later
    /// `inputs` step changes or adds names from there on. In the notebook, editing one re-runs
    /// the expression steps below it, as they read what it declares.
    static let inputs = StepDefinition(
        id: "inputs",
        summary: "Declares named inputs ('a: 2') once, for every forward, backward and exercise step below it in the chapter; a step's own line overrides.",
        takesNamedInputs: true,
        needs: [.declaredInputs],
        provides: [.declaredInputs]
    ) { context in
        let declared = context.namedInputs
        guard !declared.isEmpty else {
            throw context.error("the inputs step declares no inputs",
                                hint: "give one 'name: number' line per input, as in 'a: 2' and 'b: -3'")
        }
        var inputs = context.state.declaredInputs[context.chapter] ?? []
        for parameter in declared {
            inputs.removeAll { $0.name == parameter.name }
            inputs.append(parameter)
        }
        context.state.declaredInputs[context.chapter] = inputs
        var report = StepReport()
        report.add(.table(Table(
            title: "Inputs for the expression steps below (a step's own line overrides one)",
            columns: ["input", "value"],
            rows: inputs.map { [.text($0.name), .number(Double($0.value) ?? .nan)] })))
        for parameter in inputs { report.check(parameter.name, Double(parameter.value) ?? .nan) }
        return report
    }

    /// What `backward` shows and checks once the backward pass has run: apart from the step, so
    /// a test can hand it a tape whose gradient it made wrong on purpose.
    static func backwardReport(_ built: Built, graph: Bool) -> StepReport {
        let tape = built.tape
        let view = TapeView(tape: tape, root: built.output.id)
        var report = StepReport()
        report.add(.table(Table(
            title: "The backward pass visits nodes newest first",
            columns: ["node", "computes", "data", "grad"],
            rows: view.nodes.reversed().map { id in
                [.text(view.name(id)), .text(view.formula(id)), .number(tape.data(id)), .number(tape.grad(id))]
            })))
        let results = GradientCheck.check(built.expression, at: built.inputs.map { ($0.name, $0.value.data) },
                                          gradients: built.inputs.map { $0.value.grad })
        report.add(.table(Table(
            title: "Gradients of the inputs against finite differences (f(x+h) - f(x-h)) / 2h, h = 1e-6 max(1, |x|)",
            columns: ["input", "backward", "finite difference", "difference", "check"],
            rows: results.map { [.text($0.input), .number($0.gradient), .number($0.estimate), .number($0.difference), .text($0.verdict.word)] })))
        let unchecked = results.compactMap { result -> String? in
            guard case .unchecked(let why) = result.verdict else { return nil }
            return "The gradient of \(result.input) is not checked: \(why)."
        }
        if !unchecked.isEmpty { report.add(.text(unchecked)) }
        if graph {
            report.add(.graph(view.graph(title: built.text, withGrads: true)))
        }
        if let problem = view.nonFiniteCheck(grads: true) { report.verify(problem) }
        for verification in results.compactMap(\.verification) { report.verify(verification) }
        report.check("out", built.output.data)
        for input in built.inputs { report.check("grad.\(input.name)", input.value.grad) }
        report.check("max_fd_error", results.filter { $0.verdict.wasChecked }.map(\.difference).max() ?? 0)
        report.check("fd_unchecked", unchecked.count)
        report.check("nodes", view.nodes.count)
        return report
    }

    static let micrograd = StepDefinition(
        id: "micrograd-reference",
        summary: "Runs micrograd's test_more_ops expression with Value and reports g, dg/da and dg/db.",
        parameters: [ParameterSpec("graph", .flag, default: "false", "draw the computation graph")]
    ) { context in
        let tape = Tape()
        let (a, b, g) = microgradTestMoreOps(on: tape)
        var report = StepReport()
        report.add(.table(Table(title: "micrograd's reference values (PyTorch agrees to 1e-6)",
                                columns: ["value", "ours", "micrograd"],
                                rows: [[.text("g"), .number(g.data), .number(24.70408163265306)],
                                       [.text("dg/da"), .number(a.grad), .number(138.83381924198252)],
                                       [.text("dg/db"), .number(b.grad), .number(645.5772594752186)]])))
        let view = TapeView(tape: tape, root: g.id)
        if context.flag("graph") { report.add(.graph(view.graph(title: "test_more_ops", withGrads: true))) }
        report.check("g", g.data)
        report.check("grad.a", a.grad)
        report.check("grad.b", b.grad)
        report.check("nodes", view.nodes.count)
        return report
    }

    // region: micrograd-test-more-ops
    /// micrograd's test_more_ops, line for line with Value.
    static func microgradTestMoreOps(on tape: Tape) -> (a: Value, b: Value, g: Value) {
        let a = Value(-4.0, on: tape, label: "a")
        let b = Value(2.0, on: tape, label: "b")
        var c = a + b
        var d = a * b + b.pow(3)
        c += c + 1
        c += 1 + c + (-a)
        d += d * 2 + (b + a).relu()
        d += 3 * d + (b - a).relu()
        let e = c - d
        let f = e.pow(2)
        var g = f / 2.0
        g += 10.0 / f
        g.named("g").backward()
        return (a, b, g)
    }
    // endregion

    // MARK: Building an expression from the step's parameters

    struct Built {
        let tape: Tape
        let expression: Expression
        /// The expression as the step wrote it.
        let text: String
        let inputs: [(name: String, value: Value)]
        let output: Value
    }

    /// Parses `expr`, matches its variables with the step's named inputs (then the chapter's
    /// declared ones, for the names the step does not give), and records it.
    static func build(_ context: StepContext) throws(LessonError) -> Built {
        let text = context.text("expr")
        let expression: Expression
        do {
            expression = try ExpressionParser.parse(text)
        } catch {
            throw context.error(in: "expr", offset: error.offset, error.message,
                                hint: "expressions use + - * / ^, parentheses and \(Expression.functionList), as in 'tanh(a*b + c)'")
        }
        let given = context.namedInputs
        let variables = expression.variables
        for parameter in given where !variables.contains(parameter.name) {
            throw LessonError(at: parameter.location, step: context.invocation.id,
                              "input '\(parameter.name)' does not appear in the expression",
                              hint: Suggestions.hint(for: parameter.name, among: variables, kind: "input"))
        }
        let declared = context.state.declaredInputs[context.chapter] ?? []
        let tape = Tape()
        var inputs: [(name: String, value: Value)] = []
        for name in variables {
            guard let parameter = given.first(where: { $0.name == name }) ?? declared.first(where: { $0.name == name }),
                  let number = Double(parameter.value) else {
                let known = declared.isEmpty ? "" : "; the inputs declared above are " + declared.map(\.name).joined(separator: ", ")
                throw context.error("the expression uses '\(name)' but the step gives it no value\(known)",
                                    hint: "add a line '\(name): <number>' to the step, or to an inputs step above it")
            }
            inputs.append((name, Value(number, on: tape, label: name)))
        }
        let lookup = Dictionary(uniqueKeysWithValues: inputs.map { ($0.name, $0.value) })
        guard case .value(let output) = expression.record(lookup, on: tape) else {
            throw context.error(in: "expr", "the expression has no inputs, so there is nothing to differentiate",
                                hint: "use named inputs, as in 'expr: a * b' with 'a: 2' and 'b: -3'")
        }
        return Built(tape: tape, expression: expression, text: text, inputs: inputs, output: output)
    }
}
