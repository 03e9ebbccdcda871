// How classifications look as JSON, in one place: `gpt classify --json`, `gpt eval --json` and the
// web API all write these, so the same line gets the same object everywhere:
//   {"label": "ERROR", "message": "...", "probabilities": {"ERROR": 0.92, "INFO": 0.01, "WARNING": 0.07},
//    "warnings": []}

/// P(label) for each label, written as an object keyed by the label's name.
public struct LabelProbabilities: Sendable, Equatable, Encodable {
    public let values: [LogLabel: Double]

    public init(_ values: [LogLabel: Double]) { self.values = values }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: LabelKey.self)
        for label in LogLabel.allCases {
            if let p = values[label] { try container.encode(p, forKey: LabelKey(label)) }
        }
    }

    private struct LabelKey: CodingKey {
        let stringValue: String
        init(_ label: LogLabel) { stringValue = label.rawValue }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }
}

extension Classification: Encodable {
    private enum CodingKeys: String, CodingKey { case message, label, probabilities, warnings }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(message, forKey: .message)
        try container.encode(label.rawValue, forKey: .label)
        try container.encode(LabelProbabilities(probabilities), forKey: .probabilities)
        try container.encode(warnings, forKey: .warnings)
    }
}

extension GreedyClassification: Encodable {
    private enum CodingKeys: String, CodingKey { case message, label, generated, warnings }

    /// The label is "UNCERTAIN" when the generated text spells none.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(message, forKey: .message)
        try container.encode(label?.rawValue ?? "UNCERTAIN", forKey: .label)
        try container.encode(generated, forKey: .generated)
        try container.encode(warnings, forKey: .warnings)
    }
}

extension Mistake: Encodable {
    private enum CodingKeys: String, CodingKey { case message, line, label, predicted, probabilities }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(example.message, forKey: .message)
        try container.encode(example.lineNumber, forKey: .line)
        try container.encode(example.label.rawValue, forKey: .label)
        try container.encode(predicted.rawValue, forKey: .predicted)
        try container.encode(LabelProbabilities(probabilities), forKey: .probabilities)
    }
}

/// A classification under a confidence floor: below it the label is "UNCERTAIN", and the
/// likeliest label is still given (`gpt classify --min-confidence P`).
public struct ConfidentClassification: Sendable, Encodable {
    public let classification: Classification
    public let minimumConfidence: Double

    public init(_ classification: Classification, minimumConfidence: Double) {
        self.classification = classification
        self.minimumConfidence = minimumConfidence
    }

    /// True when the likeliest label's probability is below the floor.
    public var isUncertain: Bool { (classification.probabilities[classification.label] ?? 0) < minimumConfidence }

    /// The label to show: the likeliest one, or "UNCERTAIN".
    public var shownLabel: String { isUncertain ? "UNCERTAIN" : classification.label.rawValue }

    private enum CodingKeys: String, CodingKey { case message, label, likeliest, probabilities, warnings }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(classification.message, forKey: .message)
        try container.encode(shownLabel, forKey: .label)
        try container.encode(classification.label.rawValue, forKey: .likeliest)
        try container.encode(LabelProbabilities(classification.probabilities), forKey: .probabilities)
        try container.encode(classification.warnings, forKey: .warnings)
    }
}
