// `gpt serve`: a local web page and JSON API that classify log lines with a trained model.
// Ctrl-C (or SIGTERM) stops it, letting open requests finish (ServingLoop).
import ArgumentParser
import Foundation
import GPT
import Server

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a web page and JSON API that classify log lines with a trained model.",
        discussion: """
            GET / is a page with a text box: each line gets its label, the three label \
            probabilities and the last layer's attention over its characters. POST \
            /api/classify takes {"lines": ["...", ...]} and answers with the label and \
            probabilities of each line (the numbers 'gpt classify --json' prints); GET /api/model \
            describes the model. Bad input gets a 4xx JSON error: malformed JSON or wrong types \
            (400), a body over 1 MiB (413), no lines, more than 1000 lines, an empty line or \
            characters the model never saw (422).

            The server answers only requests whose Host header names 127.0.0.1, localhost, [::1] \
            or the --host address (421 otherwise), refuses POSTs from other sites' pages (403), \
            and bounds every client: \(ServerLimits().summary). With --host other than a \
            loopback address it warns that other machines can reach it.
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Address to listen on: 127.0.0.1 serves this machine only; another address serves the machines that reach this one by it.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 for any free port).")
    var port: UInt16 = 8080

    func run() throws {
        ServingLoop.blockStopSignals()
        let server = try LogServer(try modelOptions.load(), host: host, port: port,
                                   report: { Terminal.warn("serve: \($0)") })
        let host = host
        try ServingLoop.serve(run: { try await server.run() }, stop: { await server.stop() }, stopping: "stopping the server") {
            guard let port = try? await server.listeningPort() else { return }
            let shown = host.contains(":") ? "[\(host)]" : host
            print("Serving the log classifier on http://\(shown):\(port)/  (Ctrl-C to stop)")
            fflush(nil)  // a pipe buffers stdout; whoever started the server waits for this line
        }
    }
}
