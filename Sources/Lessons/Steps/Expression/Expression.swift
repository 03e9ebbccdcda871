// Arithmetic expressions an author writes as a step parameter, such as `tanh(x1*w1 + x2*w2 + b)` or
// `max(a, b) + sqrt(c)`:
// parsed once, then evaluated two ways: on the tape (through `Value`, so the engine records and
// differentiates it) and on plain Doubles (for the finite-difference check of the gradients).
// An expression nests at most `ExpressionParser.maximumDepth` levels and holds at most
// `ExpressionParser.maximumParts` parts, and a sum or a product is a list rather than a chain of
// binary nodes, so every walk of the tree recurses only as deep as the nesting, never once per term.
import Autograd
import Foundation
import LessonOutput

/// A parsed expression.
indirect enum Expression: Equatable {
    case number(Double)
    case variable(String)
    case negate(Expression)
    /// Operands joined left to right by operators of one precedence: `a - b + c` is
    /// `.chain(a, [-b, +c])`, `a * b / c` likewise with `*` and `/`.
    case chain(Expression, [Link])
    /// A function applied to its arguments: one for most (`tanh(a)`), two for max and min.
    case call(String, [Expression])
    /// base ^ exponent, where the exponent is a constant.
    case power(Expression, Double)

    /// One operator of a chain and the operand to its right.
    struct Link: Equatable {
        /// `+ -` in a sum, `* /` in a product.
        let op: Character
        let operand: Expression
    }

    /// Every function an expression may call, with how many arguments it takes.
    static let arities: KeyValuePairs<String, Int> = [
        "tanh": 1, "exp": 1, "log": 1, "relu": 1, "sigmoid": 1, "sqrt": 1, "abs": 1, "max": 2, "min": 2,
    ]
    static let functions = arities.map(\.key)

    static func arity(of name: String) -> Int? { arities.first { $0.key == name }?.value }

    /// The functions as a teacher writes them: "tanh exp log relu sigmoid sqrt abs max(a, b) min(a, b)".
    static var functionList: String {
        arities.map { $0.value == 2 ? "\($0.key)(a, b)" : $0.key }.joined(separator: " ")
    }

    /// The names of the inputs, in order of first appearance.
    var variables: [String] {
        var names: [String] = []
        var seen: Set<String> = []
        func visit(_ e: Expression) {
            switch e {
            case .number: break
            case .variable(let name): if seen.insert(name).inserted { names.append(name) }
            case .negate(let a), .power(let a, _): visit(a)
            case .call(_, let arguments): for a in arguments { visit(a) }
            case .chain(let first, let links): visit(first); for link in links { visit(link.operand) }
            }
        }
        visit(self)
        return names
    }

    /// The expression written out again, with only the parentheses it needs: "relu(a - b)".
    var text: String { text(within: 0) }

    /// `within` is the binding strength of the surrounding operator: 1 for + -, 2 for * /,
    /// 3 for a sign, 4 for ^ (whose base must be an atom).
    private func text(within outer: Int) -> String {
        let (written, strength): (String, Int)
        switch self {
        case .number(let x): (written, strength) = (NumberFormat.full(x), 5)
        case .variable(let name): (written, strength) = (name, 5)
        case .negate(let a): (written, strength) = ("-" + a.text(within: 3), 3)
        case .chain(let first, let links):
            let level = links.first.map { $0.op == "+" || $0.op == "-" ? 1 : 2 } ?? 5
            let rest = links.map { " \($0.op) \($0.operand.text(within: level + 1))" }.joined()
            (written, strength) = (first.text(within: level) + rest, level)
        case .call(let name, let arguments):
            (written, strength) = ("\(name)(\(arguments.map { $0.text(within: 0) }.joined(separator: ", ")))", 5)
        case .power(let a, let c): (written, strength) = ("\(a.text(within: 5))^\(NumberFormat.full(c))", 4)
        }
        return strength < outer ? "(\(written))" : written
    }

    /// Functions whose slope jumps where some quantity crosses 0: relu's and abs's argument, the
    /// difference of max's or min's two arguments.
    static let kinked: Set<String> = ["relu", "abs", "max", "min"]

    /// Every call of a kinked function, outermost first, with the quantity at `inputs` whose sign
    /// picks its slope (the argument, or the first argument minus the second): where it is 0, the
    /// expression has a kink.
    func kinks(_ inputs: [String: Double]) -> [(call: Expression, name: String, crossing: Double)] {
        var found: [(call: Expression, name: String, crossing: Double)] = []
        func visit(_ e: Expression) {
            switch e {
            case .number, .variable: break
            case .call(let name, let arguments):
                if Self.kinked.contains(name) {
                    let values = arguments.map { $0.evaluate(inputs) }
                    found.append((e, name, values.count == 2 ? values[0] - values[1] : values[0]))
                }
                for a in arguments { visit(a) }
            case .negate(let a), .power(let a, _): visit(a)
            case .chain(let first, let links): visit(first); for link in links { visit(link.operand) }
            }
        }
        visit(self)
        return found
    }
}

/// A syntax error, `offset` characters into the expression.
struct ExpressionError: Error {
    let offset: Int
    let message: String
}

/// Recursive descent over: sum := product (('+'|'-') product)*; product := unary (('*'|'/') unary)*;
/// unary := '-' unary | power; power := atom (('^'|'**') unary)?;
/// atom := number | name | name(sum (',' sum)*) | (sum), a call with as many arguments as its function takes.
/// Sums and products are loops; only nesting recurses, and it is refused past `maximumDepth`.
struct ExpressionParser {
    /// Levels of nesting an expression may have: each parenthesis, function call, sign and
    /// exponent is one, so `b` in `-(a + tanh(b))^2` is three deep. Far more than any lesson
    /// needs, and a bound on how deep the parser and every walk of the tree recurse.
    static let maximumDepth = 200
    /// Numbers, names, operators, signs, functions and exponents an expression may have in all:
    /// a step shows every node of the graph, in two tables and a drawing, and checks the
    /// gradient of every input against a finite difference that evaluates the whole expression.
    static let maximumParts = 1000

    private let characters: [Character]
    private var position = 0
    private var depth = 0
    private var parts = 0

    static func parse(_ text: String) throws(ExpressionError) -> Expression {
        var parser = ExpressionParser(characters: Array(text))
        let result = try parser.sum()
        parser.skipSpaces()
        guard parser.position == parser.characters.count else {
            throw ExpressionError(offset: parser.position, message: "unexpected '\(parser.characters[parser.position])'")
        }
        return result
    }

    private init(characters: [Character]) { self.characters = characters }

    private mutating func skipSpaces() {
        while position < characters.count, characters[position] == " " { position += 1 }
    }

    private mutating func take(_ c: Character) -> Bool {
        skipSpaces()
        guard position < characters.count, characters[position] == c else { return false }
        position += 1
        return true
    }

    /// `**` is the power operator, not two products.
    private var atDoubleStar: Bool {
        position + 1 < characters.count && characters[position] == "*" && characters[position + 1] == "*"
    }

    /// Counts one more part, starting at `offset`; past `maximumParts` the expression is refused.
    private mutating func count(at offset: Int) throws(ExpressionError) {
        parts += 1
        guard parts <= Self.maximumParts else {
            throw ExpressionError(offset: offset, message: "the expression has more than \(Self.maximumParts) parts "
                                  + "(numbers, names, operators and functions); split it into smaller steps")
        }
    }

    /// Parses one level of nesting opened at `offset` (by a parenthesis, a call, a sign or an
    /// exponent); past `maximumDepth` levels the expression is refused.
    private mutating func nested<T>(at offset: Int, _ body: (inout ExpressionParser) throws(ExpressionError) -> T) throws(ExpressionError) -> T {
        guard depth < Self.maximumDepth else {
            throw ExpressionError(offset: offset, message: "the expression nests more than \(Self.maximumDepth) levels deep "
                                  + "(each parenthesis, function call, sign and exponent is a level); write it with fewer")
        }
        depth += 1
        defer { depth -= 1 }
        return try body(&self)
    }

    private mutating func sum() throws(ExpressionError) -> Expression {
        let first = try product()
        var links: [Expression.Link] = []
        while true {
            skipSpaces()
            let here = position
            guard take("+") || take("-") else { break }
            try count(at: here)
            links.append(Expression.Link(op: characters[here], operand: try product()))
        }
        return links.isEmpty ? first : .chain(first, links)
    }

    private mutating func product() throws(ExpressionError) -> Expression {
        let first = try unary()
        var links: [Expression.Link] = []
        while true {
            skipSpaces()
            let here = position
            guard !atDoubleStar, take("*") || take("/") else { break }
            try count(at: here)
            links.append(Expression.Link(op: characters[here], operand: try unary()))
        }
        return links.isEmpty ? first : .chain(first, links)
    }

    private mutating func unary() throws(ExpressionError) -> Expression {
        skipSpaces()
        let here = position
        guard take("-") else { return try power() }
        try count(at: here)
        return .negate(try nested(at: here) { parser throws(ExpressionError) in try parser.unary() })
    }

    private mutating func power() throws(ExpressionError) -> Expression {
        let base = try atom()
        skipSpaces()
        let powerStart = position
        if take("^") {
        } else if atDoubleStar {
            position += 2
        } else {
            return base
        }
        try count(at: powerStart)
        skipSpaces()
        let exponentStart = position
        let exponent = try nested(at: powerStart) { parser throws(ExpressionError) in try parser.unary() }
        guard let constant = exponent.constantValue else {
            throw ExpressionError(offset: exponentStart, message: "the exponent after '\(characters[powerStart])' must be a number")
        }
        guard constant.isFinite else {
            throw ExpressionError(offset: exponentStart, message: "the exponent after '\(characters[powerStart])' is "
                                  + "\(NumberFormat.full(constant)); it must be a finite number")
        }
        return .power(base, constant)
    }

    private mutating func atom() throws(ExpressionError) -> Expression {
        skipSpaces()
        guard position < characters.count else { throw ExpressionError(offset: position, message: "the expression ends too early") }
        let start = position
        let c = characters[position]
        if c == "(" {
            position += 1
            let inner = try nested(at: start) { parser throws(ExpressionError) in try parser.sum() }
            guard take(")") else { throw ExpressionError(offset: position, message: "missing ')' for the '(' at \(start + 1)") }
            return inner
        }
        try count(at: start)
        if c.isNumber || c == "." {
            while position < characters.count, characters[position].isNumber || characters[position] == "."
                    || ((characters[position] == "e" || characters[position] == "E") && position + 1 < characters.count
                        && (characters[position + 1].isNumber || characters[position + 1] == "-" || characters[position + 1] == "+")) {
                if characters[position] == "e" || characters[position] == "E" { position += 1 }
                position += 1
            }
            let written = String(characters[start..<position])
            guard let value = Double(written) else {
                throw ExpressionError(offset: start, message: "'\(written)' is not a number")
            }
            guard value.isFinite else {
                throw ExpressionError(offset: start, message: "'\(written)' is too large for a Double")
            }
            return .number(value)
        }
        if c.isLetter || c == "_" {
            while position < characters.count, characters[position].isLetter || characters[position].isNumber || characters[position] == "_" {
                position += 1
            }
            let name = String(characters[start..<position])
            if take("(") {
                guard let arity = Expression.arity(of: name) else {
                    let near = Suggestions.closest(to: name, among: Expression.functions).first.map { "did you mean '\($0)'? " } ?? ""
                    throw ExpressionError(offset: start, message: "unknown function '\(name)'; \(near)functions: \(Expression.functionList)")
                }
                return .call(name, try arguments(of: name, arity: arity, at: start))
            }
            return .variable(name)
        }
        throw ExpressionError(offset: start, message: "unexpected '\(c)'")
    }

    /// The arguments of a call whose '(' was just read, separated by commas, exactly `arity` of them.
    private mutating func arguments(of name: String, arity: Int, at start: Int) throws(ExpressionError) -> [Expression] {
        let usage = arity == 1 ? "\(name)(x)" : "\(name)(a, b)"
        var arguments: [Expression] = []
        while true {
            arguments.append(try nested(at: start) { parser throws(ExpressionError) in try parser.sum() })
            skipSpaces()
            let here = position
            if take(")") { break }
            guard take(",") else {
                throw ExpressionError(offset: position, message: "missing ')' after the argument\(arity == 1 ? "" : "s") of \(name)")
            }
            guard arguments.count < arity else {
                throw ExpressionError(offset: here, message: "\(name) takes \(arity == 1 ? "one argument" : "\(arity) arguments"), as in \(usage)")
            }
        }
        guard arguments.count == arity else {
            throw ExpressionError(offset: start, message: "\(name) takes \(arity) arguments, as in \(usage); it was given \(arguments.count)")
        }
        return arguments
    }
}

extension Expression {
    /// The value of an expression without variables.
    var constantValue: Double? { variables.isEmpty ? evaluate([:]) : nil }

    /// The value on plain Doubles, with the same math functions as the engine.
    func evaluate(_ inputs: [String: Double]) -> Double {
        switch self {
        case .number(let x): return x
        case .variable(let name): return inputs[name] ?? .nan
        case .negate(let a): return -a.evaluate(inputs)
        case .chain(let first, let links):
            var x = first.evaluate(inputs)
            for link in links { x = Self.apply(link.op, x, link.operand.evaluate(inputs)) }
            return x
        case .call(let name, let arguments):
            let x = arguments.map { $0.evaluate(inputs) }
            switch name {
            case "tanh": return DeterministicMath.tanh(x[0])
            case "exp": return DeterministicMath.exp(x[0])
            case "log": return DeterministicMath.log(x[0])
            case "sigmoid": return DeterministicMath.sigmoid(x[0])
            case "sqrt": return x[0].squareRoot()
            case "abs": return abs(x[0])
            case "max": return max(x[0], x[1])
            case "min": return min(x[0], x[1])
            default: return max(0, x[0])
            }
        case .power(let a, let c): return Foundation.pow(a.evaluate(inputs), c)
        }
    }

    /// `x op y` for the four operators of a chain.
    private static func apply(_ op: Character, _ x: Double, _ y: Double) -> Double {
        switch op {
        case "+": return x + y
        case "-": return x - y
        case "*": return x * y
        default: return x / y
        }
    }

    /// Records the expression on `tape` through `Value`, as a learner would write it by hand:
    /// `a * 2` is one `*c` node, and constants fold away. `inputs` holds one leaf per variable.
    /// A chain records left to right, `a - b + c` as `(a - b) + c`.
    func record(_ inputs: [String: Value], on tape: Tape) -> Recorded {
        switch self {
        case .number(let x):
            return .constant(x)
        case .variable(let name):
            return inputs[name].map(Recorded.value) ?? .constant(.nan)
        case .negate(let a):
            switch a.record(inputs, on: tape) {
            case .constant(let x): return .constant(-x)
            case .value(let v): return .value(-v)
            }
        case .chain(let first, let links):
            var result = first.record(inputs, on: tape)
            for link in links { result = Self.combine(link.op, result, link.operand.record(inputs, on: tape), tape: tape) }
            return result
        case .call(let name, let arguments):
            let recorded = arguments.map { $0.record(inputs, on: tape) }
            // A call whose arguments are all constants folds away; a constant beside a value (max(a, 0))
            // becomes a leaf named by its number, as `2 / a` does.
            let values = recorded.compactMap { argument -> Value? in if case .value(let v) = argument { v } else { nil } }
            guard let v = values.first else { return .constant(evaluate([:])) }
            let operands = recorded.map { argument in
                switch argument {
                case .value(let v): return v
                case .constant(let c): return Value(c, on: tape, label: NumberFormat.full(c))
                }
            }
            switch name {
            case "tanh": return .value(v.tanh())
            case "exp": return .value(v.exp())
            case "log": return .value(v.log())
            case "sigmoid": return .value(v.sigmoid())
            case "sqrt": return .value(v.sqrt())
            case "abs": return .value(v.abs())
            case "max": return .value(operands[0].max(operands[1]))
            case "min": return .value(operands[0].min(operands[1]))
            default: return .value(v.relu())
            }
        case .power(let a, let c):
            switch a.record(inputs, on: tape) {
            case .constant: return .constant(evaluate([:]))
            case .value(let v): return .value(v.pow(c))
            }
        }
    }

    enum Recorded {
        case constant(Double)
        case value(Value)
    }

    private static func combine(_ op: Character, _ a: Recorded, _ b: Recorded, tape: Tape) -> Recorded {
        switch (a, b) {
        case (.constant(let x), .constant(let y)):
            return .constant(apply(op, x, y))
        case (.value(let x), .value(let y)):
            switch op {
            case "+": return .value(x + y)
            case "-": return .value(x - y)
            case "*": return .value(x * y)
            default: return .value(x / y)
            }
        case (.value(let x), .constant(let c)):
            switch op {
            case "+": return .value(x + c)
            case "-": return .value(x - c)
            case "*": return .value(x * c)
            default: return .value(x / c)
            }
        case (.constant(let c), .value(let y)):
            switch op {
            case "+": return .value(c + y)
            case "-": return .value(c - y)
            case "*": return .value(c * y)
            default: return .value(Value(c, on: tape, label: NumberFormat.full(c)) / y)
            }
        }
    }
}
