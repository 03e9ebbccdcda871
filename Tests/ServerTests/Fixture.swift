// What the server tests share: a tiny model trained once, a server started on a free loopback
// port, a small HTTP client, and the `gpt` binary for comparing with `gpt classify`.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GPT
import Server
import TestSupport
import Testing

enum Fixture {
    /// Made-up log lines: enough for a model that has seen every label, few enough to train in seconds.
    static let dataset = """
        user alice logged in from 10.0.0.7 -> INFO
        backup of orders completed in 42 s -> INFO
        health check passed for api on node-1 -> INFO
        service web started on port 8080 -> INFO
        cache warmed in 120 ms -> INFO
        job nightly-report finished -> INFO
        config reloaded for gateway -> INFO
        user bob logged out -> INFO
        scheduled task cleanup ran -> INFO
        new session for user carol -> INFO
        disk usage at 91% on /var -> WARNING
        slow query took 2300 ms on orders -> WARNING
        retrying connection to db in 5 s -> WARNING
        certificate for mail.example.net expires in 6 days -> WARNING
        memory usage high on node-3 (87%) -> WARNING
        queue depth at 900 on jobs -> WARNING
        response time above 2 s for /api/users -> WARNING
        deprecated option used in config -> WARNING
        cpu load high on node-2 -> WARNING
        api rate limit close for user dave -> WARNING
        disk full on /var/lib/db -> ERROR
        connection to db refused on port 5432 -> ERROR
        service web crashed with exit code 137 -> ERROR
        login failed for user erin: account locked -> ERROR
        backup of orders failed: permission denied -> ERROR
        out of memory: killed process 4211 -> ERROR
        payment gateway timeout after 30 s -> ERROR
        cannot open /etc/app/config.yaml -> ERROR
        node-4 unreachable -> ERROR
        TLS handshake failed with mail.example.net -> ERROR
        """

    /// The path of the tiny model, trained on first use and shared by every test.
    static let modelPath: Result<String, FixtureError> = {
        do {
            var recipe = TrainingRecipe()
            recipe.steps = 40  // the tests compare answers, not accuracy: a few steps will do
            recipe.nEmbd = 16
            recipe.blockSize = 64
            let (trained, _) = try recipe.trainModel(on: LogDataset.parse(dataset, source: "test"), clock: { 0 })
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("server-tests-\(ProcessInfo.processInfo.processIdentifier).safetensors").path
            try trained.write(to: path)
            return .success(path)
        } catch {
            return .failure(FixtureError(description: "cannot train the test model: \(error)"))
        }
    }()

    /// A fresh copy of the tiny model (each caller gets its own).
    static func model() throws -> TrainedModel {
        try TrainedModel.read(path: modelPath.get())
    }

    /// Runs `body` with a client for a server on a free loopback port, and stops the server after.
    static func withServer<T>(limits: ServerLimits = ServerLimits(), lines: LineLimits = LineLimits(),
                              _ body: (Client) async throws -> T) async throws -> T {
        var limits = limits
        limits.shutdownGrace = .zero
        let server = try LogServer(try model(), host: "127.0.0.1", port: 0, limits: limits, lines: lines)
        let running = Task { try await server.run() }
        defer { running.cancel() }
        let port = try await server.listeningPort()
        do {
            let result = try await body(Client(port: port))
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// The `gpt` binary built next to this test bundle.
    static func gptBinary() throws -> URL {
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
                          Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        for folder in candidates {
            let binary = folder.appendingPathComponent("gpt")
            if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
        }
        throw FixtureError(description: "no gpt binary next to the tests in \(candidates.map(\.path)); "
                           + "HINT: run 'swift build' before 'swift test'")
    }

    /// Runs `gpt` with `arguments` and returns its standard output.
    static func runGPT(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = try gptBinary()
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(description: "gpt \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return data
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

/// A small HTTP client for one server on 127.0.0.1.
struct Client: Sendable {
    let port: Int

    /// A connection that sends bytes as they are given (RawConnection).
    func raw() throws -> RawConnection { try RawConnection(port: port) }

    struct Reply: Sendable {
        let status: Int
        let body: Data
        let contentType: String

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The body as a JSON object.
        func object() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw FixtureError(description: "the reply is not a JSON object: \(text)")
            }
            return object
        }

        /// The "error" of a JSON error reply.
        func error() throws -> String {
            try object()["error"] as? String ?? "(no error key in \(text))"
        }
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.connectionProxyDictionary = [:]
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration)
    }()

    func get(_ path: String) async throws -> Reply {
        try await send(URLRequest(url: try url(path)))
    }

    func post(_ path: String, body: Data, contentType: String = "application/json") async throws -> Reply {
        var request = URLRequest(url: try url(path))
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        return try await send(request)
    }

    /// POST /api/classify with `json` as the body.
    func classify(_ json: Any) async throws -> Reply {
        try await post("/api/classify", body: JSONSerialization.data(withJSONObject: json))
    }

    /// POST /api/classify with `lines`, expecting 200; the results in order.
    func classify(lines: [String]) async throws -> [[String: Any]] {
        let reply = try await classify(["lines": lines])
        guard reply.status == 200, let results = try reply.object()["results"] as? [[String: Any]] else {
            throw FixtureError(description: "POST /api/classify answered \(reply.status): \(reply.text)")
        }
        return results
    }

    private func url(_ path: String) throws -> URL {
        guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else {
            throw FixtureError(description: "not a URL path: \(path)")
        }
        return url
    }

    private func send(_ request: URLRequest) async throws -> Reply {
        let (body, response) = try await Client.session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw FixtureError(description: "not an HTTP response") }
        return Reply(status: http.statusCode, body: body,
                     contentType: http.value(forHTTPHeaderField: "Content-Type") ?? "")
    }
}
