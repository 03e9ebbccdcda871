// Reading a request body within `ServerLimits.maxBodyBytes`, with the JSON error for each way it
// can fail: too large (413), too slow (408, see ConnectionGuard), or cut off (400).
import Foundation
import Hummingbird

extension Request {
    /// The whole body, or 413 once it is known to pass `limit` bytes: before reading it when the
    /// client declared its length, else as soon as the bytes read pass the limit.
    public func collectBody(limit: Int) async throws(APIError) -> Data {
        if let declared = headers[.contentLength].flatMap(Int.init), declared > limit { throw .tooLarge(limit) }
        var body = Data()
        do {
            for try await chunk in self.body {
                body.append(contentsOf: chunk.readableBytesView)
                if body.count > limit { throw APIError.tooLarge(limit) }
            }
        } catch let error as APIError {
            throw error
        } catch let timeout as RequestBodyTimeout {
            throw APIError(status: 408, "the request body did not arrive within \(timeout.limit)",
                           hint: "send the whole body at once, right after the headers")
        } catch {
            throw APIError(status: 400, "the request body could not be read: \(error)")
        }
        return body
    }
}
