// `gpt dataset`: writes the synthetic log dataset; the defaults reproduce Dataset/logs_5000.txt.
// Lines are written as they are drawn, so ten million of them never sit in memory at once.
import ArgumentParser
import Foundation
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

    @Option(name: .shortAndLong, help: "Where to write the lines ('-' for standard output); a file is replaced whole, once every line is written.")
    var output: String = "-"

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard count <= LogGenerator.maxCount else {
            throw ValidationError("--count is \(count); it must be at most \(LogGenerator.maxCount)")
        }
    }

    func run() throws {
        if output == "-" {
            do {
                try LogGenerator.write(count: count, seed: seed) { try FileHandle.standardOutput.write(contentsOf: Data($0)) }
            } catch {
                Terminal.warn("error: cannot write to standard output: \(error.localizedDescription)\n"
                              + "HINT: is the disk full, or did the reader stop? -o FILE writes to a file instead")
                throw ExitCode.failure
            }
        } else {
            try AtomicFile.write(to: output) { file in
                try LogGenerator.write(count: count, seed: seed) { try file.write($0) }
            }
            Terminal.warn("wrote \(count) lines to \(output)")
        }
    }
}
