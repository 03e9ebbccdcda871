// The JSON API over a real loopback connection: the same numbers as `gpt classify`, a 4xx JSON
// error for every kind of bad input (after which the server still answers), and concurrent clients.
import Foundation
import GPT
import Server
import Testing

@Suite(.timeLimit(.minutes(5)))
struct APITests {
    static let lines = [
        "disk full on /var/lib/db",
        "user alice logged in from 10.0.0.7",
        "slow query took 2300 ms on orders",
        "backup of orders failed: permission denied",
        // Longer than the block of 64: only its start is read, with a warning.
        String(repeating: "health check passed for api on node-1 ", count: 4),
    ]

    /// The same three probabilities to 1e-12. The classifier's softmax adds its terms in
    /// dictionary order, which varies between dictionaries, so two runs on the same weights can
    /// differ in the last bit; a wrong or mixed-up answer differs by far more.
    static func close(_ a: [String: Double], _ b: [String: Double]) -> Bool {
        Set(a.keys) == Set(b.keys) && a.allSatisfy { key, p in abs(p - (b[key] ?? .nan)) <= 1e-12 }
    }

    @Test func modelDescribesConfigVocabularyAndParameters() async throws {
        let trained = try Fixture.model()
        try await Fixture.withServer { client in
            let reply = try await client.get("/api/model")
            #expect(reply.status == 200)
            #expect(reply.contentType.hasPrefix("application/json"))
            let object = try reply.object()
            let config = try #require(object["config"] as? [String: Any])
            #expect(config["nEmbd"] as? Int == 16)
            #expect(config["blockSize"] as? Int == 64)
            #expect(config["nLayer"] as? Int == trained.model.config.nLayer)
            #expect(object["vocabSize"] as? Int == trained.tokenizer.vocabSize)
            #expect(object["parameterCount"] as? Int == trained.model.parameterCount)
            #expect(object["vocabulary"] as? String == trained.tokenizer.vocabularyString)
        }
    }

    @Test func answersWithTheNumbersOfGPTClassify() async throws {
        let expected = try Fixture.runGPT(["classify", "--json", "--model", Fixture.modelPath.get()] + Self.lines)
        let cli = try #require(try JSONSerialization.jsonObject(with: expected) as? [[String: Any]])
        let served = try await Fixture.withServer { client in try await client.classify(lines: Self.lines) }
        #expect(served.count == Self.lines.count)
        for (api, command) in zip(served, cli) {
            #expect(api["message"] as? String == command["message"] as? String)
            #expect(api["label"] as? String == command["label"] as? String)
            let apiP = try #require(api["probabilities"] as? [String: Double])
            let cliP = try #require(command["probabilities"] as? [String: Double])
            #expect(Self.close(apiP, cliP), "\(apiP) vs \(cliP)")
            #expect(Set(apiP.keys) == ["INFO", "WARNING", "ERROR"])
        }
        let longWarnings = try #require(served.last?["warnings"] as? [String])
        #expect(longWarnings.contains { $0.contains("longer than the model's block") })
    }

    /// Each bad request, the status it must get, and words its error must contain.
    static let badRequests: [(name: String, body: Data, status: Int, says: String)] = [
        ("malformed JSON", Data(#"{"lines": ["disk full"#.utf8), 400, "not valid JSON"),
        ("not an object", Data(#"["disk full"]"#.utf8), 400, "JSON object"),
        ("no lines key", Data(#"{"line": ["disk full"]}"#.utf8), 400, #"no "lines" key"#),
        ("lines not an array", Data(#"{"lines": "disk full"}"#.utf8), 400, "array of strings"),
        ("a number among the lines", Data(#"{"lines": ["disk full", 42]}"#.utf8), 400, "lines[1] must be a string"),
        ("null line", Data(#"{"lines": [null]}"#.utf8), 400, "lines[0] is null"),
        ("no lines", Data(#"{"lines": []}"#.utf8), 422, "no lines"),
        ("an empty line", Data(#"{"lines": ["disk full", "  "]}"#.utf8), 422, "lines[1] is empty"),
        ("unknown characters", Data(#"{"lines": ["disk full ☃ on /vär"]}"#.utf8), 422, "never saw"),
        ("too many lines", Data(#"{"lines": [\#(Array(repeating: #""disk full""#, count: 1001).joined(separator: ","))]}"#.utf8),
         422, "1001 lines is more than the limit of 1000"),
        ("a body over 1 MiB", Data(repeating: UInt8(ascii: " "), count: (1 << 20) + 1), 413, "larger than 1048576 bytes"),
    ]

    @Test func badInputGetsA4xxJSONErrorAndTheServerKeepsServing() async throws {
        try await Fixture.withServer { client in
            for bad in Self.badRequests {
                let reply = try await client.post("/api/classify", body: bad.body)
                #expect(reply.status == bad.status, "\(bad.name): \(reply.text)")
                #expect(reply.contentType.hasPrefix("application/json"), "\(bad.name)")
                let error = try reply.error()
                #expect(error.contains(bad.says), "\(bad.name): \(error)")
                #expect(try reply.object()["hint"] is String, "\(bad.name) has a hint")
                let good = try await client.classify(lines: ["disk full on /var/lib/db"])
                #expect(good.count == 1, "still serving after \(bad.name)")
            }
        }
    }

    @Test func unknownCharactersAreNamedWithTheLine() async throws {
        try await Fixture.withServer { client in
            let reply = try await client.classify(["lines": ["disk full", "naïve ☃"]])
            let object = try reply.object()
            #expect(reply.status == 422)
            #expect(object["index"] as? Int == 1)
            let error = try #require(object["error"] as? String)
            #expect(error.contains(#""ï""#) && error.contains(#""☃""#))
        }
    }

    @Test func wrongPathsAndMethodsGetJSONErrors() async throws {
        try await Fixture.withServer { client in
            let missing = try await client.get("/nothing-here")
            #expect(missing.status == 404)
            #expect(try missing.error().contains("/nothing-here"))
            let wrongMethod = try await client.get("/api/classify")
            #expect(wrongMethod.status == 405)
            #expect(try wrongMethod.error().contains("GET is not allowed"))
            #expect(try wrongMethod.object()["hint"] as? String == "use POST")
        }
    }

    @Test func concurrentClientsGetTheirOwnAnswers() async throws {
        let lines = (0..<24).map { "job \($0) " + Self.lines[$0 % 4] }
        try await Fixture.withServer { client in
            // One request, one classifier: the reference.
            let alone = try await client.classify(lines: lines)
            var expected: [String: [String: Double]] = [:]
            for result in alone { expected[result["message"] as? String ?? ""] = result["probabilities"] as? [String: Double] }
            // Twelve requests at once, each classifying two lines with a classifier of its own.
            let answers = try await withThrowingTaskGroup(of: [(String, [String: Double])].self) { group in
                for start in stride(from: 0, to: lines.count, by: 2) {
                    let batch = Array(lines[start..<start + 2])
                    group.addTask {
                        try await client.classify(lines: batch).map { result in
                            (result["message"] as? String ?? "", result["probabilities"] as? [String: Double] ?? [:])
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(answers.count == lines.count)
            for (line, probabilities) in answers {
                #expect(Self.close(probabilities, expected[line] ?? [:]), "\(line): \(probabilities) vs \(expected[line] ?? [:])")
            }
        }
    }
}
