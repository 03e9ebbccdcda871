// What a running step sees: its invocation, its parameters already checked against their types,
// and the shared lesson state. Errors it raises point at the step or at one parameter.

/// The inputs of one step run.
public struct StepContext {
    public let invocation: StepInvocation
    public let definition: StepDefinition
    public let state: LessonState
    /// The number of the chapter the step is in.
    public var chapter = 0

    /// The parameter's text: the one written in the step, else its default.
    public func text(_ name: String) -> String {
        invocation.parameter(name)?.value ?? definition.parameter(name)?.defaultValue ?? ""
    }

    /// A number parameter (checked by `validate` before the step runs).
    public func number(_ name: String) throws(LessonError) -> Double {
        let value = text(name)
        guard let number = Double(value) else { throw error(in: name, "'\(value)' is not a number") }
        return number
    }

    public func integer(_ name: String) throws(LessonError) -> Int {
        let value = text(name)
        guard let number = Int(value) else { throw error(in: name, "'\(value)' is not a whole number") }
        return number
    }

    public func flag(_ name: String) -> Bool { text(name) == "true" }

    /// Parameters the step does not declare: an expression's named inputs.
    public var namedInputs: [Parameter] {
        invocation.parameters.filter { definition.parameter($0.name) == nil }
    }

    /// An error at the step's fence.
    public func error(_ message: String, hint: String? = nil) -> LessonError {
        LessonError(at: invocation.location, step: invocation.id, message, hint: hint)
    }

    /// An error at the value of parameter `name` (at the fence when the value is a default),
    /// `offset` characters into the value.
    public func error(in name: String, offset: Int = 0, _ message: String, hint: String? = nil) -> LessonError {
        guard let parameter = invocation.parameter(name) else {
            return LessonError(at: invocation.location, step: invocation.id, "parameter '\(name)': \(message)", hint: hint)
        }
        var location = parameter.valueLocation
        location.column += offset
        return LessonError(at: location, step: invocation.id, "parameter '\(name)': \(message)", hint: hint)
    }

    /// Checks every written parameter against the definition: known name, right type; and that
    /// required ones are present. Runs before the step, so a typo fails fast and in place.
    static func validate(_ invocation: StepInvocation, against definition: StepDefinition) throws(LessonError) {
        if let first = problems(invocation, against: definition).first { throw first }
    }

    /// Every problem `validate` finds, in the order of the lines, then each missing parameter.
    static func problems(_ invocation: StepInvocation, against definition: StepDefinition) -> [LessonError] {
        var problems: [LessonError] = []
        for parameter in invocation.parameters {
            guard let spec = definition.parameter(parameter.name) else {
                if definition.takesNamedInputs {
                    if let problem = typeProblem(parameter.value, .number) {
                        problems.append(LessonError(at: parameter.valueLocation, step: invocation.id, "input '\(parameter.name)' \(problem)",
                                                    hint: "named inputs of an expression are finite numbers, as in 'a: -3.5'; "
                                                        + Suggestions.validList(definition.parameters.map(\.name), kind: "parameter")))
                    }
                    continue
                }
                problems.append(LessonError(at: parameter.location, step: invocation.id, "unknown parameter '\(parameter.name)'",
                                            hint: Suggestions.hint(for: parameter.name, among: definition.parameters.map(\.name), kind: "parameter")))
                continue
            }
            if let problem = typeProblem(parameter.value, spec.type) {
                problems.append(LessonError(at: parameter.valueLocation, step: invocation.id,
                                            "parameter '\(parameter.name)' \(problem)", hint: "'\(spec.name)' takes \(spec.type.name): \(spec.summary)"))
            }
        }
        for spec in definition.parameters where spec.defaultValue == nil && invocation.parameter(spec.name) == nil {
            problems.append(LessonError(at: invocation.location, step: invocation.id, "missing parameter '\(spec.name)'",
                                        hint: "add a line '\(spec.name): ...' (\(spec.type.name)): \(spec.summary)"))
        }
        return problems
    }

    /// Why `value` is not of `type`, or nil when it is.
    static func typeProblem(_ value: String, _ type: ParameterType) -> String? {
        switch type {
        case .number:
            return Double(value).map { $0.isFinite ? nil : "must be finite" } ?? "must be a number, not '\(value)'"
        case .integer(let range):
            guard let number = Int(value) else { return "must be a whole number, not '\(value)'" }
            return range.contains(number) ? nil : "is \(number), outside \(range.lowerBound)...\(range.upperBound)"
        case .choice(let words):
            guard words.contains(value) else {
                let near = Suggestions.closest(to: value, among: words).first.map { " (did you mean '\($0)'?)" } ?? ""
                return "is '\(value)', not one of \(words.joined(separator: ", "))\(near)"
            }
            return nil
        case .flag:
            return value == "true" || value == "false" ? nil : "must be true or false, not '\(value)'"
        case .text, .expression:
            return value.isEmpty ? "is empty" : nil
        }
    }
}
