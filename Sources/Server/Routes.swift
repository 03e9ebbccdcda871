// Requests to responses: the page, its form post, and the JSON API. Sockets, connections and
// HTTP parsing are FlyingFox's; this type only sees parsed requests.
import FlyingFox
import Foundation
import GPT

/// Answers every request the server receives.
struct Routes: HTTPHandler {
    let pool: ClassifierPool
    let summary: ModelSummary
    let checker: LineChecker
    let limits: ServerLimits

    init(_ trained: TrainedModel, limits: ServerLimits) {
        pool = ClassifierPool(trained)
        summary = ModelSummary(trained, limits: limits)
        checker = LineChecker(tokenizer: trained.tokenizer, limits: limits)
        self.limits = limits
    }

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        switch (request.method, request.path) {
        case (.GET, "/"): return page(PageView(model: .init(summary), input: "", error: nil, results: []))
        case (.POST, "/"): return await formPost(request)
        case (.GET, "/api/model"): return json(summary)
        case (.POST, "/api/classify"): return await classify(request)
        case (_, "/"), (_, "/api/model"), (_, "/api/classify"):
            let allowed = request.path == "/" ? "GET, POST" : request.path == "/api/model" ? "GET" : "POST"
            var response = json(APIError(status: 405, "\(request.method.rawValue) is not allowed on \(request.path)",
                                         hint: "use \(allowed)"))
            response.headers[HTTPHeader("Allow")] = allowed
            return response
        default:
            return json(APIError(status: 404, "there is nothing at \(request.path)",
                                 hint: "the page is at /, the API at POST /api/classify and GET /api/model"))
        }
    }

    // MARK: The JSON API

    private func classify(_ request: HTTPRequest) async -> HTTPResponse {
        do throws(APIError) {
            let body = try await readBody(request)
            let lines = try ClassifyRequest.decode(body).lines
            try checker.checkCount(lines.count)
            for (index, line) in lines.enumerated() { try checker.check(line, index: index) }
            let results = try pool.withClassifier { classifier throws(APIError) in
                try lines.enumerated().map { index, line throws(APIError) in
                    do throws(ClassificationError) { return LineResult(try classifier.classify(line)) } catch {
                        throw APIError(status: 422, "lines[\(index)]: \(error.reason)", index: index)
                    }
                }
            }
            return json(ClassifyResponse(results: results))
        } catch {
            return json(error)
        }
    }

    // MARK: The page

    private func formPost(_ request: HTTPRequest) async -> HTTPResponse {
        var input = ""
        do throws(APIError) {
            let body = try await readBody(request)
            input = try FormBody.field("lines", in: body)
            let lines = input.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline).map(String.init)
                .filter { !$0.allSatisfy(\.isWhitespace) }
            try checker.checkCount(lines.count)
            return page(PageView(model: .init(summary), input: input, error: nil, results: view(lines)))
        } catch {
            return page(PageView(model: .init(summary), input: input, error: error.error, results: []), status: error.status)
        }
    }

    /// Each line's result, or the reason it has none; one bad line does not hide the others.
    private func view(_ lines: [String]) -> [PageView.Line] {
        pool.withClassifier { classifier in
            lines.enumerated().map { index, line in
                if let problem = checker.problem(with: line) {
                    return PageView.Line(message: line, problem: "This line \(problem.reason): \(problem.hint).",
                                         warnings: [], classified: nil)
                }
                do throws(ClassificationError) {
                    let classification = try classifier.classify(line)
                    let attention = try classifier.attention(line)
                    let classified = PageView.Classified(classification, attention: attention,
                                                         withMatrix: index < PageView.Classified.matrixLines)
                    return PageView.Line(message: line, problem: nil, warnings: classification.warnings, classified: classified)
                } catch {
                    return PageView.Line(message: line, problem: error.reason, warnings: [], classified: nil)
                }
            }
        }
    }

    // MARK: Bodies and responses

    /// The whole body, or 413 once it is known to pass the limit (before reading it, when the
    /// client said its length).
    private func readBody(_ request: HTTPRequest) async throws(APIError) -> Data {
        if let count = request.bodySequence.count, count > limits.maxBodyBytes { throw .tooLarge(limits) }
        var body = Data()
        do {
            for try await chunk in request.bodySequence {
                body.append(chunk)
                if body.count > limits.maxBodyBytes { throw APIError.tooLarge(limits) }
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(status: 400, "the request body could not be read: \(error.localizedDescription)")
        }
        return body
    }

    private func json(_ value: some Encodable, status: Int = 200) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return HTTPResponse(statusCode: statusCode(status), headers: [.contentType: "application/json; charset=utf-8"],
                                body: try encoder.encode(value))
        } catch {
            return HTTPResponse(statusCode: .internalServerError, headers: [.contentType: "application/json; charset=utf-8"],
                                body: Data(#"{"error": "the response could not be encoded as JSON"}"#.utf8))
        }
    }

    private func json(_ error: APIError) -> HTTPResponse { json(error, status: error.status) }

    private func page(_ view: PageView, status: Int = 200) -> HTTPResponse {
        HTTPResponse(statusCode: statusCode(status), headers: [
            .contentType: "text/html; charset=utf-8",
            // Nothing is loaded from anywhere; the inline style and script are the page's own.
            HTTPHeader("Content-Security-Policy"):
                "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; form-action 'self'",
        ], body: Data(view.render().utf8))
    }
}

/// The status line for the codes this server answers with.
private func statusCode(_ code: Int) -> HTTPStatusCode {
    switch code {
    case 200: .ok
    case 400: .badRequest
    case 404: .notFound
    case 405: .methodNotAllowed
    case 413: .payloadTooLarge
    case 422: .unprocessableContent
    default: .internalServerError
    }
}

/// The fields of an HTML form post (application/x-www-form-urlencoded).
enum FormBody {
    /// The value of `name` ("" when the form has no such field), or 400 when the body is not a form.
    static func field(_ name: String, in body: Data) throws(APIError) -> String {
        guard let text = String(data: body, encoding: .utf8) else {
            throw APIError(status: 400, "the form is not UTF-8 text")
        }
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard decode(parts[0]) == name else { continue }
            guard let value = decode(parts.count > 1 ? parts[1] : "") else {
                throw APIError(status: 400, "the form's \(name) field is not valid percent-encoded text")
            }
            return value
        }
        return ""
    }

    /// A form value: "+" is a space, "%XX" a byte.
    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
