// The registry's entries: a step's id, its one-line summary, the parameters it takes with their
// types and defaults, what shared state it needs and builds, and the Swift that runs it.

/// The type of a step parameter, as `gpt steps` lists it and the runner checks it.
public enum ParameterType: Sendable, Equatable {
    case number
    case integer(ClosedRange<Int>)
    case text
    /// An arithmetic expression over named inputs, such as `tanh(a*b + c)`.
    case expression
    /// One of a few words.
    case choice([String])
    case flag

    /// How `gpt steps` names the type.
    public var name: String {
        switch self {
        case .number: return "number"
        case .integer(let range): return "integer \(range.lowerBound)...\(range.upperBound)"
        case .text: return "text"
        case .expression: return "expression"
        case .choice(let words): return words.joined(separator: "|")
        case .flag: return "true|false"
        }
    }
}

/// A parameter a step accepts.
public struct ParameterSpec: Sendable, Equatable {
    public var name: String
    public var type: ParameterType
    /// The value used when the step does not give one; nil when the parameter is required.
    public var defaultValue: String?
    public var summary: String

    public init(_ name: String, _ type: ParameterType, default defaultValue: String?, _ summary: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.summary = summary
    }
}

/// Parts of the shared lesson state that steps build and use.
public enum Resource: String, Sendable, Codable, CaseIterable {
    /// The labelled log lines and the tokenizer over their characters.
    case dataset
    /// A GPT (trained or not) on the dataset's vocabulary.
    case model
    /// The model after a training run.
    case trainedModel = "trained model"
    /// The Swift cells above that ran (a Swift cell compiles after them).
    case swiftCells = "Swift cells above"
    /// The inputs an `inputs` step declared for the expression steps below it in its chapter.
    case declaredInputs = "inputs declared above"

    /// This resource and the ones it is built from.
    public var withPrerequisites: [Resource] {
        switch self {
        case .dataset: return [.dataset]
        case .model: return [.model, .dataset]
        case .trainedModel: return [.trainedModel, .model, .dataset]
        case .swiftCells: return [.swiftCells]
        case .declaredInputs: return [.declaredInputs]
        }
    }
}

/// One step the lessons can run.
public struct StepDefinition: Sendable {
    public var id: String
    /// One line for `gpt steps`.
    public var summary: String
    public var parameters: [ParameterSpec]
    /// True when the step also takes numbers under names of the author's choosing (an
    /// expression's inputs); other unknown names are still errors.
    public var takesNamedInputs: Bool
    /// State the step reads; the runner builds what is missing, or skips the step when the step
    /// that should have built it failed.
    public var needs: [Resource]
    /// State the step builds or changes; if the step fails, later steps that need it are skipped.
    public var provides: [Resource]
    /// True for steps that take seconds or more (they train a model): the notebook marks them
    /// stale with a Run button when their inputs change, instead of re-running them at once.
    public var runsLong: Bool
    public var run: @Sendable (StepContext) throws -> StepReport

    public init(id: String, summary: String, parameters: [ParameterSpec] = [], takesNamedInputs: Bool = false,
                needs: [Resource] = [], provides: [Resource] = [], runsLong: Bool = false,
                run: @escaping @Sendable (StepContext) throws -> StepReport) {
        self.runsLong = runsLong
        self.id = id
        self.summary = summary
        self.parameters = parameters
        self.takesNamedInputs = takesNamedInputs
        self.needs = needs
        self.provides = provides
        self.run = run
    }

    public func parameter(_ name: String) -> ParameterSpec? { parameters.first { $0.name == name } }
}

/// The steps lessons can name, by id.
public struct StepRegistry: Sendable {
    public private(set) var definitions: [StepDefinition]

    public init(_ definitions: [StepDefinition]) {
        self.definitions = []
        for definition in definitions { register(definition) }
    }

    /// Adds a step; an id registered twice is a programming error.
    public mutating func register(_ definition: StepDefinition) {
        precondition(self[definition.id] == nil, "step '\(definition.id)' is registered twice")
        definitions.append(definition)
    }

    public subscript(id: String) -> StepDefinition? { definitions.first { $0.id == id } }

    /// Every built-in step, chapter by chapter. New groups go here.
    public static let standard = StepRegistry(
        ExpressionSteps.all + SwiftCellSteps.all + SourceSteps.all + TokenSteps.all + AttentionSteps.all + GradientSteps.all + TrainingSteps.all + ClassifierSteps.all + ExerciseSteps.all)
}
