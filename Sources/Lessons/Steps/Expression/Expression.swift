// Arithmetic expressions an author writes as a step parameter, such as `tanh(x1*w1 + x2*w2 + b)`:
// parsed once, then evaluated two ways: on the tape (through `Value`, so the engine records and
// differentiates it) and on plain Doubles (for the finite-difference check of the gradients).
import Autograd
import Foundation

/// A parsed expression.
indirect enum Expression: Equatable {
    case number(Double)
    case variable(String)
    case negate(Expression)
    case binary(Character, Expression, Expression)
    /// A function of one argument: tanh, exp, log or relu.
    case call(String, Expression)
    /// base ^ exponent, where the exponent is a constant.
    case power(Expression, Double)

    static let functions = ["tanh", "exp", "log", "relu"]

    /// The names of the inputs, in order of first appearance.
    var variables: [String] {
        var seen: [String] = []
        func visit(_ e: Expression) {
            switch e {
            case .number: break
            case .variable(let name): if !seen.contains(name) { seen.append(name) }
            case .negate(let a), .call(_, let a), .power(let a, _): visit(a)
            case .binary(_, let a, let b): visit(a); visit(b)
            }
        }
        visit(self)
        return seen
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
        case .binary(let op, let a, let b):
            let level = op == "+" || op == "-" ? 1 : 2
            (written, strength) = ("\(a.text(within: level)) \(op) \(b.text(within: level + 1))", level)
        case .call(let name, let a): (written, strength) = ("\(name)(\(a.text(within: 0)))", 5)
        case .power(let a, let c): (written, strength) = ("\(a.text(within: 5))^\(NumberFormat.full(c))", 4)
        }
        return strength < outer ? "(\(written))" : written
    }

    /// Every relu in the expression, outermost first, with the value of its argument at `inputs`:
    /// where an argument is 0, the expression has a kink.
    func reluArguments(_ inputs: [String: Double]) -> [(relu: Expression, argument: Double)] {
        var found: [(relu: Expression, argument: Double)] = []
        func visit(_ e: Expression) {
            switch e {
            case .number, .variable: break
            case .call(let name, let a):
                if name == "relu" { found.append((e, a.evaluate(inputs))) }
                visit(a)
            case .negate(let a), .power(let a, _): visit(a)
            case .binary(_, let a, let b): visit(a); visit(b)
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
/// unary := '-' unary | power; power := atom (('^'|'**') unary)?; atom := number | name | name(sum) | (sum).
struct ExpressionParser {
    private let characters: [Character]
    private var position = 0

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

    private mutating func sum() throws(ExpressionError) -> Expression {
        var result = try product()
        while true {
            if take("+") { result = .binary("+", result, try product()) }
            else if take("-") { result = .binary("-", result, try product()) }
            else { return result }
        }
    }

    private mutating func product() throws(ExpressionError) -> Expression {
        var result = try unary()
        while true {
            skipSpaces()
            if position + 1 < characters.count, characters[position] == "*", characters[position + 1] == "*" { return result }
            if take("*") { result = .binary("*", result, try unary()) }
            else if take("/") { result = .binary("/", result, try unary()) }
            else { return result }
        }
    }

    private mutating func unary() throws(ExpressionError) -> Expression {
        if take("-") { return .negate(try unary()) }
        return try power()
    }

    private mutating func power() throws(ExpressionError) -> Expression {
        let base = try atom()
        skipSpaces()
        let powerStart = position
        if take("^") {
        } else if position + 1 < characters.count, characters[position] == "*", characters[position + 1] == "*" {
            position += 2
        } else {
            return base
        }
        skipSpaces()
        let exponentStart = position
        let exponent = try unary()
        guard let constant = exponent.constantValue else {
            throw ExpressionError(offset: exponentStart, message: "the exponent after '\(characters[powerStart])' must be a number")
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
            let inner = try sum()
            guard take(")") else { throw ExpressionError(offset: position, message: "missing ')' for the '(' at \(start + 1)") }
            return inner
        }
        if c.isNumber || c == "." {
            while position < characters.count, characters[position].isNumber || characters[position] == "."
                    || ((characters[position] == "e" || characters[position] == "E") && position + 1 < characters.count
                        && (characters[position + 1].isNumber || characters[position + 1] == "-")) {
                if characters[position] == "e" || characters[position] == "E" { position += 1 }
                position += 1
            }
            guard let value = Double(String(characters[start..<position])) else {
                throw ExpressionError(offset: start, message: "'\(String(characters[start..<position]))' is not a number")
            }
            guard value.isFinite else {
                throw ExpressionError(offset: start, message: "'\(String(characters[start..<position]))' is too large for a Double")
            }
            return .number(value)
        }
        if c.isLetter || c == "_" {
            while position < characters.count, characters[position].isLetter || characters[position].isNumber || characters[position] == "_" {
                position += 1
            }
            let name = String(characters[start..<position])
            if take("(") {
                guard Expression.functions.contains(name) else {
                    let near = Suggestions.closest(to: name, among: Expression.functions).first.map { "did you mean '\($0)'? " } ?? ""
                    throw ExpressionError(offset: start, message: "unknown function '\(name)'; \(near)functions: \(Expression.functions.joined(separator: ", "))")
                }
                let argument = try sum()
                guard take(")") else { throw ExpressionError(offset: position, message: "missing ')' after the argument of \(name)") }
                return .call(name, argument)
            }
            return .variable(name)
        }
        throw ExpressionError(offset: start, message: "unexpected '\(c)'")
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
        case .binary(let op, let a, let b):
            let x = a.evaluate(inputs), y = b.evaluate(inputs)
            switch op {
            case "+": return x + y
            case "-": return x - y
            case "*": return x * y
            default: return x / y
            }
        case .call(let name, let a):
            let x = a.evaluate(inputs)
            switch name {
            case "tanh": return DeterministicMath.tanh(x)
            case "exp": return DeterministicMath.exp(x)
            case "log": return DeterministicMath.log(x)
            default: return max(0, x)
            }
        case .power(let a, let c): return Foundation.pow(a.evaluate(inputs), c)
        }
    }

    /// Records the expression on `tape` through `Value`, as a learner would write it by hand:
    /// `a * 2` is one `*c` node, and constants fold away. `inputs` holds one leaf per variable.
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
        case .binary(let op, let a, let b):
            return Self.combine(op, a.record(inputs, on: tape), b.record(inputs, on: tape), tape: tape)
        case .call(let name, let a):
            switch a.record(inputs, on: tape) {
            case .constant: return .constant(evaluate([:]))
            case .value(let v):
                switch name {
                case "tanh": return .value(v.tanh())
                case "exp": return .value(v.exp())
                case "log": return .value(v.log())
                default: return .value(v.relu())
                }
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
            return .constant(Expression.binary(op, .number(x), .number(y)).evaluate([:]))
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
