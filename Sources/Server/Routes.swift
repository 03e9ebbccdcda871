// Requests to responses: the page, its script, its form post, and the JSON API. Connections,
// parsing, limits and the Host and Origin checks are LocalServer's; this type only sees requests
// that passed them.
import Foundation
import GPT
import HTTPTypes
import Hummingbird

/// Answers every request that reaches the classifier's routes.
struct Routes: HTTPResponder {
    let pool: ClassifierPool
    let summary: ModelSummary
    let checker: LineChecker
    let limits: ServerLimits
    let lines: LineLimits

    init(_ trained: TrainedModel, limits: ServerLimits, lines: LineLimits) {
        pool = ClassifierPool(trained)
        summary = ModelSummary(trained, limits: limits, lines: lines)
        checker = LineChecker(tokenizer: trained.tokenizer, limits: lines)
        self.limits = limits
        self.lines = lines
    }

    /// Each path and the methods it takes.
    static let allowed = ["/": "GET, POST", "/page.js": "GET", "/api/model": "GET", "/api/classify": "POST"]

    func respond(to request: Request, context: BasicRequestContext) async -> Response {
        let path = request.uri.path
        switch (request.method, path) {
        case (.get, "/"): return page(PageView(model: .init(summary), input: "", error: nil))
        case (.post, "/"): return await formPost(request)
        case (.get, "/page.js"): return Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"],
                                                 body: .init(byteBuffer: ByteBuffer(string: PageScript.text)))
        case (.get, "/api/model"): return .json(summary)
        case (.post, "/api/classify"): return await classify(request)
        default:
            guard let allowed = Self.allowed[path] else {
                return .json(APIError(status: 404, "there is nothing at \(path)",
                                      hint: "the page is at /, the API at POST /api/classify and GET /api/model"))
            }
            var response = Response.json(APIError(status: 405, "\(request.method.rawValue) is not allowed on \(path)",
                                                  hint: "use \(allowed)"))
            response.headers[.allow] = allowed
            return response
        }
    }

    // MARK: The JSON API

    private func classify(_ request: Request) async -> Response {
        do throws(APIError) {
            let body = try await request.collectBody(limit: limits.maxBodyBytes)
            let lines = try ClassifyRequest.decode(body).lines
            try checker.checkCount(lines.count)
            for (index, line) in lines.enumerated() { try checker.check(line, index: index) }
            let results = try pool.withClassifier { classifier throws(APIError) in
                try lines.enumerated().map { index, line throws(APIError) in
                    do throws(ClassificationError) { return try classifier.classify(line) } catch {
                        throw APIError(status: 422, "lines[\(index)]: \(error.reason)", index: index)
                    }
                }
            }
            return .json(ClassifyResponse(results: results))
        } catch {
            return .json(error)
        }
    }

    // MARK: The page

    private func formPost(_ request: Request) async -> Response {
        var input = ""
        do throws(APIError) {
            let body = try await request.collectBody(limit: limits.maxBodyBytes)
            input = try FormBody.field("lines", in: body)
            let lines = input.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline).map(String.init)
                .filter { !$0.allSatisfy(\.isWhitespace) }
            try checker.checkCount(lines.count)
            return page(view(lines, input: input))
        } catch {
            return page(PageView(model: .init(summary), input: input, error: error.error), status: error.status)
        }
    }

    /// The page for `lines`: the first `detailedLines` in full, the rest with their label only.
    private func view(_ lines: [String], input: String) -> PageView {
        pool.withClassifier { classifier in
            var view = PageView(model: .init(summary), input: input, error: nil)
            for (index, line) in lines.enumerated() {
                let detailed = index < self.lines.detailedLines
                view.add(result(of: line, classifier, attention: detailed, matrix: index < PageView.Classified.matrixLines),
                         detailed: detailed)
            }
            return view
        }
    }

    /// One line's result, or the reason it has none (one bad line does not hide the others); with
    /// its attention only when it is shown in full.
    private func result(of line: String, _ classifier: LogClassifier, attention: Bool, matrix: Bool) -> PageView.Line {
        if let problem = checker.problem(with: line) {
            return PageView.Line(message: line, problem: "This line \(problem.reason): \(problem.hint).", warnings: [], classified: nil)
        }
        do throws(ClassificationError) {
            // A line shown in full gets its bars and its attention from one pass (explain); the
            // rest only need a label, from the fast pass the API uses.
            let classified: PageView.Classified, classification: Classification
            if attention {
                let explanation = try classifier.explain(line)
                classification = explanation.classification
                classified = PageView.Classified(classification, attention: explanation.attention, withMatrix: matrix)
            } else {
                classification = try classifier.classify(line)
                classified = PageView.Classified(classification)
            }
            return PageView.Line(message: line, problem: nil, warnings: classification.warnings, classified: classified)
        } catch {
            return PageView.Line(message: line, problem: error.reason, warnings: [], classified: nil)
        }
    }

    // MARK: Responses

    /// The page's policy: nothing loads from anywhere but this server, scripts only from /page.js.
    /// Styles may be inline: the bars and the heatmap set their widths and shades in style attributes.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; "
        + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    private func page(_ view: PageView, status: Int = 200) -> Response {
        Response(status: .init(status), headers: [
            .contentType: "text/html; charset=utf-8",
            .contentSecurityPolicy: Self.contentSecurityPolicy,
        ], body: .init(byteBuffer: ByteBuffer(string: view.render())))
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
