// The JSON API: what a request may contain, what a response says, and the error for each kind of
// bad input. The web page checks its lines with the same rules, so both answer alike.
//
//   POST /api/classify  {"lines": ["disk full on /var", ...]}
//     200  {"results": [{"message", "label", "probabilities": {"ERROR", "INFO", "WARNING"}, "warnings"}]}
//     400  the body is not JSON, or "lines" is missing or not an array of strings
//     413  the body is larger than the limit (1 MiB by default)
//     422  no lines, too many lines (1000 by default), an empty line, or a line with characters
//          the model never saw (the model would have to leave them out, so the label would be for
//          other text than was sent)
//   GET /api/model  the model's config, vocabulary and parameter count
//
// Every error is {"error": what failed, "hint": what to do, "index": the line, when one is at fault}.
import Foundation
import GPT

/// How many lines one request may ask for, and how many of them the page shows in full. The
/// server's other limits (body size, timeouts, connections) are its `ServerLimits`.
public struct LineLimits: Sendable, Equatable {
    /// Most lines in one request, to the API or from the page's form.
    public var maxLines = 1000
    /// Lines the page shows with their bars and attention; the others get their label only. Each
    /// one in full is some 20 KB of page and an attention pass: 1,000 of them made an 18 MB page.
    public var detailedLines = 50

    public init(maxLines: Int = 1000, detailedLines: Int = 50) {
        self.maxLines = maxLines
        self.detailedLines = detailedLines
    }
}

/// The body of POST /api/classify.
struct ClassifyRequest: Decodable {
    let lines: [String]
}

/// The body of a 200 answer to POST /api/classify.
/// Each line is the same record `gpt classify --json` prints for it (ClassificationRecord.swift).
struct ClassifyResponse: Encodable {
    let results: [Classification]
}

/// The body of GET /api/model.
struct ModelSummary: Encodable, Sendable {
    let config: GPTConfig
    let vocabSize: Int
    let parameterCount: Int
    /// Every character the model knows, in token id order (the BOS token is not a character).
    let vocabulary: String
    let labels: [String]
    let limits: Limits

    struct Limits: Encodable, Sendable {
        let maxBodyBytes: Int
        let maxLines: Int
    }

    init(_ trained: TrainedModel, limits: ServerLimits, lines: LineLimits) {
        config = trained.model.config
        vocabSize = trained.tokenizer.vocabSize
        parameterCount = trained.model.parameterCount
        vocabulary = trained.tokenizer.vocabularyString
        labels = LogLabel.allCases.map(\.rawValue)
        self.limits = Limits(maxBodyBytes: limits.maxBodyBytes, maxLines: lines.maxLines)
    }
}

// MARK: Reading and checking a request

extension ClassifyRequest {
    /// The request in `body`, or a 400 that says what is wrong with the JSON.
    static func decode(_ body: Data) throws(APIError) -> ClassifyRequest {
        let hint = #"send a JSON object such as {"lines": ["disk full on /var"]}"#
        do {
            return try JSONDecoder().decode(ClassifyRequest.self, from: body)
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError(status: 400, "the JSON object has no \"\(key.stringValue)\" key", hint: hint)
        } catch let DecodingError.typeMismatch(_, context) {
            throw APIError(status: 400, "\(path(context.codingPath)) must be \(expected(at: context.codingPath))", hint: hint)
        } catch let DecodingError.valueNotFound(_, context) {
            throw APIError(status: 400, "\(path(context.codingPath)) is null; it must be \(expected(at: context.codingPath))",
                           hint: hint)
        } catch {
            throw APIError(status: 400, "the request body is not valid JSON", hint: hint)
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        guard !codingPath.isEmpty else { return "the request body" }
        return codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }.joined()
    }

    /// What belongs at `codingPath` in {"lines": ["...", ...]}.
    private static func expected(at codingPath: [any CodingKey]) -> String {
        switch codingPath.count {
        case 0: "a JSON object with a \"lines\" array"
        case 1: "an array of strings"
        default: "a string"
        }
    }
}

/// Problems with the lines of a request (empty, too many, unknown characters), as 422 errors.
struct LineChecker: Sendable {
    let tokenizer: Tokenizer
    let limits: LineLimits

    /// An error when there are no lines or more than the limit.
    func checkCount(_ count: Int) throws(APIError) {
        if count == 0 {
            throw APIError(status: 422, "there are no lines to classify", hint: "give at least one log line")
        }
        if count > limits.maxLines {
            throw APIError(status: 422, "\(count) lines is more than the limit of \(limits.maxLines) per request",
                           hint: "split them into requests of at most \(limits.maxLines) lines")
        }
    }

    /// An error when the line at `index` is empty or has characters the model never saw.
    func check(_ line: String, index: Int) throws(APIError) {
        if let problem = problem(with: line) {
            throw APIError(status: 422, "lines[\(index)] \(problem.reason)", hint: problem.hint, index: index)
        }
    }

    /// Why `line` cannot be classified as sent, with what to do about it; nil when it can. The
    /// problems are the classifier's own (LineProblem); the API refuses unknown characters rather
    /// than classifying the line without them.
    func problem(with line: String) -> (reason: String, hint: String)? {
        guard let problem = tokenizer.problems(with: line).first else { return nil }
        switch problem {
        case .empty: return (problem.reason, "give the text of a log line, or leave the line out")
        case .nothingKnown, .unknownCharacters:
            return (problem.reason, "remove or replace them; GET /api/model lists the characters the model knows")
        }
    }
}
