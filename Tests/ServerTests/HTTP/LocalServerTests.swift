// Starting a server: an address it cannot listen on is refused with the hint its cause calls for
// (the server once blamed the port for every failure).
import Foundation
import Server
import Testing

@Suite(.timeLimit(.minutes(1)))
struct LocalServerTests {
    /// The error `run()` throws for a server on `host`:`port`.
    static func failure(host: String, port: UInt16) async throws -> ServerError {
        let server = try LogServer(Fixture.model(), host: host, port: port)
        do {
            try await server.run()
        } catch let error as ServerError {
            return error
        }
        throw FixtureError(description: "a server on \(host) port \(port) started")
    }

    @Test func aPortInUseSaysSo() async throws {
        try await Fixture.withServer { client in
            let error = try await Self.failure(host: "127.0.0.1", port: UInt16(client.port))
            #expect(error.reason.contains("port \(client.port): Address already in use"), "\(error)")
            #expect(error.hint?.contains("another server is using the port") == true)
        }
    }

    @Test func anAddressNotOfThisMachineSaysSo() async throws {
        // 192.0.2.1 is set aside for documentation: no machine has it, and nothing is sent to it.
        let error = try await Self.failure(host: "192.0.2.1", port: 0)
        #expect(error.hint?.contains("192.0.2.1 is not an address of this machine") == true, "\(error)")
    }

    @Test func somethingThatIsNotAnAddressIsRefusedAtOnce() {
        #expect(throws: ServerError.self) { try LogServer(Fixture.model(), host: "not an address", port: 0) }
    }
}
