// The three classes a log line can have. Their raw values are exactly what the dataset files and
// the model's output spell after " -> ".

/// The severity of a log line: what the model learns to write after the message.
public enum LogLabel: String, CaseIterable, Sendable, Codable {
    case info = "INFO"
    case warning = "WARNING"
    case error = "ERROR"

    /// The valid labels as a person would list them: "INFO, WARNING or ERROR".
    static var spelledOut: String {
        let names = allCases.map(\.rawValue)
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}
