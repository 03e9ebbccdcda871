// `gpt dataset`: writes the synthetic log dataset; the defaults reproduce Dataset/logs_5000.txt.
import ArgumentParser
import GPT

struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Generate synthetic log lines '<message> -> <LABEL>' (defaults reproduce Dataset/logs_5000.txt)."
    )

    @Option(help: "How many unique lines, 1 to \(LogGenerator.maxCount).")
    var count: Int = 5000

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 42

    @Option(name: .shortAndLong, help: "Where to write the lines ('-' for standard output).")
    var output: String = "-"

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard count <= LogGenerator.maxCount else {
            throw ValidationError("--count is \(count); it must be at most \(LogGenerator.maxCount)")
        }
    }

    func run() throws {
        let text = LogGenerator.text(count: count, seed: seed)
        if output == "-" {
            print(text, terminator: "")
        } else {
            try AtomicFile.write(text, to: output)
            Terminal.warn("wrote \(count) lines to \(output)")
        }
    }
}
