// A chapter as the runner sees it: its prose, and its steps with their parameters and
// expectations, each carrying the place in the file it was written.
import LessonOutput

/// One chapter file, `Lessons/NN-slug.md`, parsed.
public struct Chapter: Sendable, Equatable {
    /// The `NN` of the file name: chapters run in this order.
    public var number: Int
    /// The `slug` of the file name, for `gpt run <slug>`.
    public var slug: String
    /// The text of the chapter's first heading.
    public var title: String
    /// Path of the file, as given to the parser; errors name it.
    public var file: String
    /// Prose and steps in file order.
    public var segments: [Segment]
    /// What the parser found wrong outside any one step, in file order: errors (a step fence
    /// nested in a list, which cannot run) and warnings (a fence that looks like a misspelt step,
    /// raw HTML the walkthrough leaves out). A step's own problems are its `parseErrors`.
    public var diagnostics: [LessonError] = []

    public enum Segment: Sendable, Equatable {
        /// GitHub-flavoured Markdown, exactly as written between two steps.
        case prose(String)
        case step(StepInvocation)
    }

    /// The chapter's steps in order.
    public var steps: [StepInvocation] {
        segments.compactMap { if case .step(let step) = $0 { step } else { nil } }
    }
}

/// A `step` fence: which step to run, with what, and what it must produce.
public struct StepInvocation: Sendable, Equatable {
    /// The id after `step` in the info string.
    public var id: String
    /// Where the opening fence is.
    public var location: SourceLocation
    /// Where the id is, for "unknown step" errors.
    public var idLocation: SourceLocation
    /// `key: value` lines, in order.
    public var parameters: [Parameter]
    /// `expect name = value` lines, in order.
    public var expectations: [Expectation]
    /// The code of a Swift cell (a ```swift run fence, whose id is `swift`), its lines as written;
    /// nil for every other step. Its first line is the line after the fence.
    public var code: String?
    /// Why the fence cannot be read as written, line by line, in file order: the runner fails the
    /// step with these instead of running it, and the parser goes on to the rest of the chapter.
    public var parseErrors: [LessonError] = []

    /// A step to run; the locations matter only for one read from a file (a notebook's new step has none).
    public init(id: String, location: SourceLocation = .nowhere, idLocation: SourceLocation = .nowhere,
                parameters: [Parameter], expectations: [Expectation]) {
        self.id = id
        self.location = location
        self.idLocation = idLocation
        self.parameters = parameters
        self.expectations = expectations
    }

    /// The value given for `name`, if any.
    public func parameter(_ name: String) -> Parameter? { parameters.first { $0.name == name } }
}

/// One `key: value` line of a step.
public struct Parameter: Sendable, Equatable {
    public var name: String
    public var value: String
    /// Where the key starts.
    public var location: SourceLocation
    /// Where the value starts, for errors inside it (such as an expression's syntax).
    public var valueLocation: SourceLocation

    public init(name: String, value: String, location: SourceLocation = .nowhere, valueLocation: SourceLocation = .nowhere) {
        self.name = name
        self.value = value
        self.location = location
        self.valueLocation = valueLocation
    }
}

/// One `expect name = value [± tolerance]` line of a step.
public struct Expectation: Sendable, Equatable {
    /// The name of a value the step reports (`out`, `grad.a`, `loss`).
    public var name: String
    public var expected: ExpectedValue
    public var location: SourceLocation

    public init(name: String, expected: ExpectedValue, location: SourceLocation = .nowhere) {
        self.name = name
        self.expected = expected
        self.location = location
    }
}

extension SourceLocation {
    /// The location of something that was not read from a file, such as a step a notebook added.
    public static let nowhere = SourceLocation(file: "", line: 0, column: 0)
}
