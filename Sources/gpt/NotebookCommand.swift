// `gpt notebook`: the chapters as a live page in the browser. Like `gpt serve`, Ctrl-C (or SIGTERM)
// stops it cleanly (ServingLoop).
import ArgumentParser
import Foundation
import Lessons
import Notebook
import Server

struct NotebookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notebook",
        abstract: "Serve the lessons as a live notebook: change any step and see what follows.",
        discussion: """
            Each chapter is a page: its prose, and each step as a cell with its parameters as a form. \
            Changing a value re-runs that step and every later step that reads what it builds; the \
            others keep their outputs. Steps that train wait for their Run button, and anything not \
            up to date says so. Cells can be added and removed, and a chapter saved, with your values, \
            as Markdown in the lesson format (`gpt run` and `gpt check` run it) or as the HTML \
            walkthrough. When a chapter file changes on disk, open pages update.

            The notebook can write files, so it answers only requests that carry the random token \
            in the address it prints (or the cookie that address sets), and, like `gpt serve`, only \
            requests that name this server in their Host header and come from its own pages. \
            Limits: \(NotebookLimits().summary).
            """
    )

    @OptionGroup var folder: LessonFolderOptions

    @Option(help: "Address to listen on: 127.0.0.1 serves this machine only.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 for any free port).")
    var port: UInt16 = 8080

    @Flag(help: "Open the notebook in the default browser once it listens.")
    var open = false

    func run() throws {
        ServingLoop.blockStopSignals()
        let server = try NotebookServer(runner: try folder.runner(), host: host, port: port,
                                        report: { Terminal.warn("notebook: \($0)") })
        let open = open
        try ServingLoop.serve(run: { try await server.run() }, stop: { await server.stop() }, stopping: "stopping the notebook") {
            guard let port = try? await server.listeningPort() else { return }
            let address = server.address(port: port)
            print("The notebook is at \(address)  (Ctrl-C to stop)")
            print("The address holds its password: share it with no one. The chapters run once now; the page is ready when they have.")
            fflush(nil)  // a pipe buffers stdout; whoever started the notebook waits for this line
            if open { Self.openInBrowser(address) }
        }
    }

    /// Asks the desktop to open `address`; says so when it cannot.
    static func openInBrowser(_ address: String) {
        let opener = ["/usr/bin/xdg-open", "/usr/bin/open"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let opener else {
            Terminal.warn("notebook: no browser opener (xdg-open) here: open the address above yourself")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: opener)
        process.arguments = [address]
        do { try process.run() } catch { Terminal.warn("notebook: \(opener) failed: \(error); open the address above yourself") }
    }
}
