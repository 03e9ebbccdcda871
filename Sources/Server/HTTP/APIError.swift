// The one shape of every refusal the server sends: {"error": what failed, "hint": what to do,
// "index": the item at fault}, with its status. Routes, the site checks and the connection guard
// all answer with it, so a client reads every 4xx and 5xx the same way.
import Foundation
import HTTPTypes
import Hummingbird

/// A request the server will not answer with a result, and the status that says why.
public struct APIError: Error, Equatable, Encodable, Sendable {
    public let status: Int
    public let error: String
    public let hint: String?
    /// The item at fault (a line of a request, counting from 0), when one is.
    public let index: Int?

    public init(status: Int, _ error: String, hint: String? = nil, index: Int? = nil) {
        self.status = status
        self.error = error
        self.hint = hint
        self.index = index
    }

    private enum CodingKeys: String, CodingKey { case error, hint, index }

    /// The error as the JSON body every refusal has.
    var json: Data { JSONBody.encode(self) ?? Data(#"{"error": "the error could not be encoded as JSON"}"#.utf8) }

    static let contentType = "application/json; charset=utf-8"

    /// The head fields of a refusal that ends its connection, written below the routes: the JSON
    /// body's type and length, and the security headers every response has.
    var closingFields: HTTPFields {
        var fields: HTTPFields = [.contentType: Self.contentType, .contentLength: String(json.count), .connection: "close"]
        SecurityHeaders.add(to: &fields)
        return fields
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(status: 413, "the request body is larger than \(limit) bytes", hint: "send fewer or shorter lines per request")
    }
}

/// JSON as the server writes it: keys sorted, slashes as they are.
enum JSONBody {
    static func encode(_ value: some Encodable) -> Data? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try? encoder.encode(value)
    }
}

extension Response {
    /// `value` as JSON with `status` (500 with a JSON error when it cannot be encoded).
    public static func json(_ value: some Encodable, status: Int = 200) -> Response {
        guard let data = JSONBody.encode(value) else {
            return json(APIError(status: 500, "the response could not be encoded as JSON"))
        }
        return Response(status: .init(status), headers: [.contentType: APIError.contentType], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    public static func json(_ error: APIError) -> Response {
        Response(status: .init(error.status), headers: [.contentType: APIError.contentType], body: .init(byteBuffer: ByteBuffer(bytes: error.json)))
    }
}

extension HTTPResponse.Status {
    /// The status for `code`, with its reason phrase for the codes this server sends.
    init(_ code: Int) {
        switch code {
        case 200: self = .ok
        case 400: self = .badRequest
        case 403: self = .forbidden
        case 404: self = .notFound
        case 405: self = .methodNotAllowed
        case 408: self = .requestTimeout
        case 413: self = .contentTooLarge
        case 421: self = .misdirectedRequest
        case 422: self = .unprocessableContent
        case 431: self = .requestHeaderFieldsTooLarge
        case 503: self = .serviceUnavailable
        case 500: self = .internalServerError
        default: self = .init(code: code)
        }
    }
}
