// The `gpt` command: one root with a subcommand per job.
import ArgumentParser

@main
struct GPTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpt",
        abstract: "A GPT built from a scalar autograd engine, trained to classify log lines.",
        subcommands: [TrainCommand.self, EvalCommand.self, ClassifyCommand.self, BenchCommand.self, DatasetCommand.self, ImportCommand.self,
                      ServeCommand.self, NotebookCommand.self] + lessonSubcommands
    )
}
