import Foundation
import Testing
import GPT

// The `gpt` command run as a process, the way people use it: every subcommand's output, its JSON,
// and its errors (exit status and a message that says what to do). Each test works in a folder of
// its own. The binary is the one built next to this test bundle (`swift build` before `swift test`).

/// What a finished run of `gpt` printed and how it ended.
struct Run {
    let status: Int32
    let stdout: String
    let stderr: String
    /// False when the process died of a signal (a crash) rather than exiting.
    let exited: Bool

    var lines: [String] { stdout.split(separator: "\n").map(String.init) }

    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(stdout.utf8))
    }
}

/// A folder of its own for one test, removed when the test ends.
final class Workspace {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("gpt-cli-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func write(_ text: String, to name: String) -> String {
        let target = file(name)
        try! Data(text.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }
}

enum GPTBinary {
    /// The package root: the folder above Tests/.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()  // CLITests
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The `gpt` built with this test bundle: in the same build folder as the bundle, whatever
    /// scratch path the build used; `.build/debug/gpt` when the bundle's folder cannot be told.
    static let path: String? = {
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            bundleFolder.appendingPathComponent("gpt").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("gpt").path,
            packageRoot.appendingPathComponent(".build/debug/gpt").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Runs `gpt` with `arguments` in `directory`, feeding it `input`, and stops it after `timeout` seconds.
    static func run(_ arguments: [String], in directory: String, input: String? = nil, timeout: Double = 60,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        guard let path else {
            Issue.record("""
                the gpt binary was not found next to the test bundle (\(CommandLine.arguments[0])) \
                nor at .build/debug/gpt; build it first with `swift build`
                """, sourceLocation: sourceLocation)
            throw CancellationError()
        }
        // Output goes to files, not pipes: a pipe's buffer fills up on large output and blocks the child.
        let id = UUID().uuidString
        let outPath = directory + "/.stdout-\(id)", errPath = directory + "/.stderr-\(id)"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        process.standardInput = stdin
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        stdin.fileHandleForWriting.write(Data((input ?? "").utf8))
        try stdin.fileHandleForWriting.close()
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            finished.wait()
            Issue.record("gpt \(arguments.joined(separator: " ")) ran longer than \(timeout) s", sourceLocation: sourceLocation)
        }
        try out.close()
        try err.close()
        let read = { (file: String) in String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self) }
        return Run(status: process.terminationStatus, stdout: read(outPath), stderr: read(errPath),
                   exited: process.terminationReason == .exit)
    }
}

extension GPTBinary {
    /// Starts `gpt` with `arguments`, its output thrown away, and SIGINT and SIGTERM at their
    /// default action, as a shell starts a command: the test runner may ignore both, and a child
    /// inherits what its parent ignores. Returns the process id, for kill and waitpid.
    static func spawnWithDefaultSignals(_ arguments: [String]) throws -> pid_t {
        let binary = try #require(path, "build gpt first with `swift build`")
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, binary, &actions, &attributes, argv, environ)
        try #require(result == 0, "posix_spawn failed: \(String(cString: strerror(result)))")
        return pid
    }
}

/// Small made-up lines: each label has its own words.
private func smallDataset(count: Int = 60) -> String {
    let outcomes = [("ok", "INFO"), ("slow", "WARNING"), ("failed", "ERROR")]
    let services = ["api", "db", "web", "cron"]
    return (0..<count).map { i in
        let (word, label) = outcomes[i % 3]
        return "\(services[(i / 3) % 4]) job \(i) \(word) -> \(label)"
    }.joined(separator: "\n") + "\n"
}

/// The flags of a model small enough to train in a moment.
private let tinyModel = ["--n-embd", "8", "--n-head", "2", "--block-size", "32"]

@Suite struct CLITests {
    let workspace = Workspace()

    private func gpt(_ arguments: [String], input: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        try GPTBinary.run(arguments, in: workspace.path, input: input, sourceLocation: sourceLocation)
    }

    private func gpt(_ arguments: String..., input: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        try gpt(arguments, input: input, sourceLocation: sourceLocation)
    }

    /// Trains a tiny model on the small dataset and returns its path and the data's path.
    private func trainTinyModel(steps: Int = 30) throws -> (model: String, data: String) {
        let data = workspace.write(smallDataset(), to: "logs.txt")
        let model = workspace.file("m.safetensors")
        let run = try GPTBinary.run(["train", "--data", data, "--steps", String(steps), "-o", model] + tinyModel,
                                    in: workspace.path)
        try #require(run.status == 0, "gpt train failed: \(run.stderr)")
        return (model, data)
    }

    // MARK: help and dataset

    @Test func helpListsTheSubcommands() throws {
        let run = try gpt("--help")
        #expect(run.status == 0)
        for name in ["train", "eval", "classify", "bench", "dataset"] {
            #expect(run.stdout.contains("  \(name) "), "--help does not list \(name)")
        }
    }

    @Test func datasetPrintsTheRequestedNumberOfWellFormedLines() throws {
        let run = try gpt("dataset", "--count", "5", "--seed", "1")
        #expect(run.status == 0)
        #expect(run.lines.count == 5)
        #expect(run.stdout.hasSuffix("\n"))
        let line = /^(.+) -> (INFO|WARNING|ERROR)$/
        for text in run.lines {
            let match = try #require(text.wholeMatch(of: line), "not a '<message> -> <LABEL>' line: \(text)")
            #expect(!match.1.trimmingCharacters(in: .whitespaces).isEmpty)
        }
        #expect(try gpt("dataset", "--count", "5", "--seed", "1").stdout == run.stdout)
        #expect(try gpt("dataset", "--count", "5", "--seed", "2").stdout != run.stdout)
    }

    @Test func datasetWithDefaultsIsTheShippedFileByteForByte() throws {
        let shipped = try #require(FileManager.default.contents(
            atPath: GPTBinary.packageRoot.appendingPathComponent("Dataset/logs_5000.txt").path))
        let run = try gpt("dataset")
        #expect(run.status == 0)
        #expect(Data(run.stdout.utf8) == shipped)
        // -o writes the same bytes to a file.
        let written = workspace.file("out.txt")
        #expect(try gpt("dataset", "-o", written).status == 0)
        #expect(FileManager.default.contents(atPath: written) == shipped)
    }

    @Test func datasetRejectsACountBelowOne() throws {
        let run = try gpt("dataset", "--count", "0")
        #expect(run.status != 0)
        #expect(run.stderr.contains("--count must be at least 1"))
    }

    // MARK: writing files

    @Test func trainRefusesToWriteTheModelOverItsData() throws {
        let data = workspace.write(smallDataset(), to: "logs.txt")
        try FileManager.default.linkItem(atPath: data, toPath: workspace.file("same.txt"))
        for output in [data, "./logs.txt", workspace.file("same.txt")] {
            let run = try gpt(["train", "--data", "logs.txt", "--steps", "5", "-o", output] + tinyModel)
            #expect(run.exited)
            #expect(run.status == 1)
            #expect(run.stderr.contains("this is the --data file"), "\(run.stderr)")
            #expect(run.stderr.contains("HINT: choose another output path"))
            #expect(!run.stdout.contains("training on"), "refused before training")
        }
        #expect(FileManager.default.contents(atPath: data) == Data(smallDataset().utf8))
    }

    @Test func outputsThatAreNotRegularFilesAreRefused() throws {
        let pipe = workspace.file("pipe")
        try #require(mkfifo(pipe, 0o600) == 0)
        let data = workspace.write(smallDataset(), to: "logs.txt")
        for arguments in [["dataset", "--count", "5", "-o", pipe], ["train", "--data", data, "-o", pipe] + tinyModel,
                          ["dataset", "-o", workspace.path]] {
            let run = try gpt(arguments)
            #expect(run.exited)
            #expect(run.status == 1, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(arguments[0] == "dataset" && arguments.last == workspace.path
                                        ? "is a directory" : "is a named pipe (FIFO); only a regular file is replaced"), "\(run.stderr)")
            #expect(run.stderr.contains("HINT:"))
        }
        var status = stat()
        #expect(lstat(pipe, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO, "the pipe is still a pipe")
    }

    @Test func reportRefusesToWriteOverAChapter() throws {
        let lessons = workspace.file("Lessons")
        try FileManager.default.createDirectory(atPath: lessons, withIntermediateDirectories: true)
        let chapter = lessons + "/01-values.md"
        let text = try String(contentsOfFile: GPTBinary.packageRoot.appendingPathComponent("Lessons/01-values.md").path, encoding: .utf8)
        try text.write(toFile: chapter, atomically: false, encoding: .utf8)
        let run = try gpt("report", "--lessons", lessons, "-o", chapter, "1")
        #expect(run.exited)
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(chapter): this is the chapter 1 file, which this command reads"), "\(run.stderr)")
        #expect(try String(contentsOfFile: chapter, encoding: .utf8) == text)
    }

    /// Ctrl-C (or SIGTERM) in the middle of a long write: the temporary file goes, nothing takes
    /// the output's name, and the process still ends by the signal. Deterministic: the signal is
    /// sent once the temporary file exists, and ten million lines take many seconds to write.
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalDuringAWriteLeavesNoTemporaryFile(signal: Int32) throws {
        let output = workspace.file("big.txt")
        let pid = try GPTBinary.spawnWithDefaultSignals(["dataset", "--count", "10000000", "-o", output])
        var status: Int32 = 0
        let started = Date()
        var temporary: String?
        while temporary == nil && waitpid(pid, &status, WNOHANG) == 0 && Date().timeIntervalSince(started) < 60 {
            temporary = try FileManager.default.contentsOfDirectory(atPath: workspace.path)
                .first { $0.hasPrefix(".big.txt.") && $0.hasSuffix(".tmp") }
            if temporary == nil { usleep(2_000) }
        }
        guard let name = temporary else {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            Issue.record("no temporary file appeared")
            return
        }
        kill(pid, signal)
        try #require(waitpid(pid, &status, 0) == pid)
        #expect(status & 0x7F == signal, "gpt ended with wait status \(status), not by signal \(signal)")
        let left = try FileManager.default.contentsOfDirectory(atPath: workspace.path)
        #expect(!left.contains(name), "\(name) was left behind")
        #expect(!left.contains("big.txt"))
    }

    // MARK: train

    @Test func trainWritesTheModelAndReportsItsLosses() throws {
        let data = workspace.write(smallDataset(), to: "logs.txt")
        let model = workspace.file("m.safetensors")
        let run = try gpt(["train", "--data", data, "--steps", "30", "-o", model] + tinyModel)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: model))
        let losses = try #require(run.stdout.firstMatch(of: /train loss (\d+\.\d+), validation loss (\d+\.\d+)/))
        #expect(Double(losses.1)! > 0 && Double(losses.2)! > 0)
        #expect(run.stdout.contains("model written to \(model)"))
        #expect(run.stdout.contains("training on \(data): 60 lines"))
        #expect(run.stdout.contains("30 steps"))
        // It says which weights it kept and the temperature it fitted, and writes the temperature.
        let kept = try #require(run.stdout.firstMatch(of: /kept the weights of step (\d+), the lowest/))
        #expect((1...30).contains(Int(kept.1)!))
        let fitted = try #require(run.stdout.firstMatch(of: /temperature (\d+\.\d+), fitted on the validation part/))
        let written = try TrainedModel.read(path: model)
        #expect(String(format: "%.3f", written.temperature) == String(fitted.1))
        #expect(written.notes["best_step"] == String(kept.1))
        // And the cap, from its mistakes on the validation lines, also written.
        let cap = try #require(run.stdout.firstMatch(of: /no answer surer than (\d\.\d+): the model got (\d+) of the (\d+) distinct/))
        let (wrong, distinct) = (Int(cap.2)!, Int(cap.3)!)
        #expect(written.unseenErrorRate == TemperatureScaling.unseenErrorRate(mistakes: wrong, distinct: distinct))
        #expect(String(format: "%.4f", 1 - written.unseenErrorRate) == String(cap.1))
    }

    @Test func trainLeavesOutRepeatsAndTakesItsStepsFromPasses() throws {
        // Each line three times: 48 distinct training lines, so the default 15 passes ask for 720
        // steps, and the floor makes them 2,000; --passes 100 asks for 4,800.
        let data = workspace.write(String(repeating: smallDataset(), count: 3), to: "thrice.txt")
        let model = workspace.file("m.safetensors")
        let run = try gpt(["train", "--data", data, "--passes", "100", "--patience", "0", "--block-size", "32",
                           "--n-embd", "4", "--n-head", "1", "--n-layer", "1", "-o", model])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("100.0 passes over the distinct training lines"), "\(run.stdout)")
        #expect(run.stdout.contains("trained on 48 distinct training lines (96 repeats of them left out"), "\(run.stdout)")
        #expect(run.stdout.contains("4800 steps planned (100.0 passes over them, within"), "\(run.stdout)")
        #expect(run.stdout.contains("trained 4800 steps"), "--patience 0 never stops early: \(run.stdout)")
    }

    @Test func trainNamesTheLineOfAMalformedFile() throws {
        let data = workspace.write("api ok -> INFO\ndb slow -> WARNING\nthis line has no label\nweb failed -> ERROR\n", to: "bad.txt")
        let run = try gpt(["train", "--data", data, "--steps", "5", "-o", workspace.file("m.safetensors")] + tinyModel)
        #expect(run.status != 0)
        #expect(run.exited)
        #expect(run.stderr.contains("bad.txt:3"), "the error should name line 3: \(run.stderr)")
        #expect(run.stderr.contains("HINT"))
        #expect(!FileManager.default.fileExists(atPath: workspace.file("m.safetensors")))
    }

    @Test func trainRejectsAnImpossibleShape() throws {
        let data = workspace.write(smallDataset(), to: "logs.txt")
        let run = try gpt("train", "--data", data, "--steps", "5", "--n-embd", "10", "--n-head", "3")
        #expect(run.status != 0)
        #expect(run.stderr.contains("not divisible by n_head 3"))
    }

    @Test(arguments: [
        (["--n-embd", "4611686018427387904"], "n_embd is 4611686018427387904; it must be at most 2048"),
        (["--block-size", "4611686018427387904"], "block_size is 4611686018427387904; it must be at most 4096"),
        (["--n-layer", "4611686018427387904"], "n_layer is 4611686018427387904; it must be at most 256"),
        (["--n-embd", "128", "--n-head", "128"], "n_head is 128; it must be at most 64"),
        (["--n-embd", "2048", "--n-head", "64", "--n-layer", "256"],
         "a model of n_embd 2048, n_head 64, n_layer 256, block_size 96 and 2 tokens needs about 13944037858 tape nodes"),
        (["--steps", "100000000000"], "steps is 100000000000; it must be at most 10000000"),
    ])
    func sizesBeyondTheirBoundsAreRefusedBeforeAnythingIsAllocated(flags: [String], message: String) throws {
        // These once crashed: an overflow (SIGILL), an allocation that failed (SIGSEGV, SIGABRT).
        let data = workspace.write(smallDataset(), to: "logs.txt")
        let model = workspace.file("m.safetensors")
        for command in [["train", "-o", model], ["bench"]] {
            let run = try gpt(command + ["--data", data] + flags)
            #expect(run.exited, "gpt \(command[0]) crashed: \(run.stderr)")
            #expect(run.status == 64, "gpt \(command[0]) \(flags): \(run.stderr)")
            #expect(run.stderr.contains("Error: " + message), "\(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: model))
    }

    @Test func everySizeFlagStatesItsBoundInItsHelp() throws {
        let train = try gpt("train", "--help").stdout
        for range in ["1 to 10000000", "8 to 4096", "1 to 2048", "1 to 64", "1 to 256", "67108864"] {
            #expect(train.contains(range), "gpt train --help does not say \(range)")
        }
        #expect(try gpt("dataset", "--help").stdout.contains("How many unique lines, 1 to 10000000."))
        #expect(try gpt("bench", "--help").stdout.contains("0 to 10000000"))
    }

    @Test func datasetAndBenchRefuseCountsBeyondTheirBounds() throws {
        let dataset = try gpt("dataset", "--count", "100000000000")
        #expect(dataset.exited)
        #expect(dataset.status == 64)
        #expect(dataset.stderr.contains("Error: --count is 100000000000; it must be at most 10000000"), "\(dataset.stderr)")
        let bench = try gpt("bench", "--warmup", "9223372036854775807")
        #expect(bench.status == 64)
        #expect(bench.stderr.contains("Error: --warmup is 9223372036854775807; it must be at most 10000000"), "\(bench.stderr)")
    }

    // MARK: data

    /// A named pipe and standard input have no size and can be read only once; both were refused
    /// with a false "permission" error. Training reads its data once (the fingerprint written into
    /// the model comes from the same bytes), and eval recognises the pipe's data as the training file.
    @Test func trainAndEvalReadANamedPipeAndStandardInput() throws {
        let text = smallDataset()
        let fromStdin = try gpt(["train", "--data", "/dev/stdin", "--steps", "5", "-o", "stdin.safetensors"] + tinyModel, input: text)
        #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
        #expect(fromStdin.stdout.contains("training on /dev/stdin: 60 lines"))

        let pipe = workspace.file("pipe")
        try #require(mkfifo(pipe, 0o600) == 0)
        func feed() {
            Thread {
                let handle = FileHandle(forWritingAtPath: pipe)  // blocks until gpt opens the pipe
                handle?.write(Data(text.utf8))
                try? handle?.close()
            }.start()
        }
        feed()
        let train = try gpt(["train", "--data", pipe, "--steps", "5", "-o", "pipe.safetensors"] + tinyModel)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("training on \(pipe): 60 lines"))
        feed()
        let eval = try gpt("eval", "--model", "pipe.safetensors", "--data", pipe, "--json")
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try #require(try eval.json() as? [String: Any])
        #expect((report["evaluated_on"] as? String)?.hasPrefix("the test part of \(pipe)") == true)
        #expect(report["count"] as? Int == 6)
    }

    /// A file whose lines end in a lone CR: one line per example to train and to classify alike.
    @Test func loneCarriageReturnsEndLinesForTrainAndClassify() throws {
        let lines = smallDataset().split(separator: "\n")
        let data = workspace.write(lines.joined(separator: "\r") + "\r", to: "cr.txt")
        let train = try gpt(["train", "--data", data, "--steps", "5", "-o", "m.safetensors"] + tinyModel)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("training on \(data): 60 lines"), "\(train.stdout)")
        let classify = try gpt("classify", "--model", "m.safetensors", "--file", data, "--json")
        #expect(classify.status == 0, "\(classify.stderr)")
        let records = try #require(try classify.json() as? [[String: Any]])
        #expect(records.compactMap { $0["message"] as? String } == lines.map { String($0.split(separator: " -> ")[0]) })
    }

    @Test func evalWithNothingToEvaluateSaysSoAndFails() throws {
        // Four lines hold out no test part: this printed "accuracy 0.00%" and exited 0.
        let data = workspace.write(smallDataset(count: 4), to: "four.txt")
        let train = try gpt(["train", "--data", data, "--steps", "3", "-o", "m.safetensors"] + tinyModel)
        try #require(train.status == 0, "\(train.stderr)")
        let run = try gpt("eval", "--model", "m.safetensors", "--data", data)
        #expect(run.exited)
        #expect(run.status == 1)
        #expect(run.stderr.contains("error: nothing to evaluate: \(data) is the model's training file, and its 4 line(s) are too few"),
                "\(run.stderr)")
        #expect(run.stderr.contains("HINT: evaluate on other labelled lines with --data FILE"))
        #expect(!run.stdout.contains("accuracy"))
    }

    // MARK: classify

    @Test func classifyPrintsALabelAndThreeProbabilities() throws {
        let (model, _) = try trainTinyModel()
        let run = try gpt("classify", "--model", model, "api job 7 ok", "db job 8 failed")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.lines.count == 2)
        let shape = /^(INFO|WARNING|ERROR) +INFO (\d\.\d{3})  WARNING (\d\.\d{3})  ERROR (\d\.\d{3})  (.+)$/
        for (line, message) in zip(run.lines, ["api job 7 ok", "db job 8 failed"]) {
            let match = try #require(line.wholeMatch(of: shape), "unexpected line: \(line)")
            let sum = Double(match.2)! + Double(match.3)! + Double(match.4)!
            #expect(abs(sum - 1) <= 0.002, "probabilities rounded to 3 decimals sum to \(sum)")
            #expect(match.5 == message)
        }
    }

    @Test func classifyJSONHasTheMessageLabelAndProbabilities() throws {
        let (model, _) = try trainTinyModel()
        let run = try gpt("classify", "--model", model, "--json", "web job 3 slow")
        #expect(run.status == 0, "\(run.stderr)")
        let records = try #require(try run.json() as? [[String: Any]])
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(Set(record.keys) == ["message", "label", "probabilities", "warnings"])
        #expect(record["message"] as? String == "web job 3 slow")
        let label = try #require(record["label"] as? String)
        let probabilities = try #require(record["probabilities"] as? [String: Double])
        #expect(Set(probabilities.keys) == ["INFO", "WARNING", "ERROR"])
        #expect(abs(probabilities.values.reduce(0, +) - 1) <= 1e-9)
        #expect(probabilities[label] == probabilities.values.max())
    }

    @Test func classifyReadsMessagesFromStandardInput() throws {
        let (model, _) = try trainTinyModel()
        let run = try gpt("classify", "--model", model, "--file", "-", "--json",
                          input: "api job 1 ok\n\n   \ncron job 2 failed\n")
        #expect(run.status == 0, "\(run.stderr)")
        let records = try #require(try run.json() as? [[String: Any]])
        #expect(records.map { $0["message"] as? String } == ["api job 1 ok", "cron job 2 failed"])
        #expect(run.stderr.isEmpty, "\(run.stderr)")
    }

    @Test func classifyReadsAFileWithWindowsLineEnds() throws {
        let (model, _) = try trainTinyModel()
        let file = workspace.write("api job 1 ok\r\ncron job 2 failed\r\n", to: "messages.txt")
        let run = try gpt("classify", "--model", model, "--file", file, "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let records = try #require(try run.json() as? [[String: Any]])
        #expect(records.map { $0["message"] as? String } == ["api job 1 ok", "cron job 2 failed"])
        #expect(!run.stderr.contains("never saw"), "\(run.stderr)")
    }

    @Test func classifyTakesDatasetLinesByTheirMessage() throws {
        let (model, _) = try trainTinyModel()
        let file = workspace.write("api job 1 ok -> INFO\ncron -> job 2 failed -> ERROR\nweb job 3 -> later\n", to: "lines.txt")
        let run = try gpt("classify", "--model", model, "--file", file, "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let records = try #require(try run.json() as? [[String: Any]])
        // The label after the last arrow goes; an arrow followed by anything else stays.
        #expect(records.map { $0["message"] as? String } == ["api job 1 ok", "cron -> job 2 failed", "web job 3 -> later"])
    }

    @Test func classifyOfAnEmptyMessageIsAnError() throws {
        let (model, _) = try trainTinyModel()
        let run = try gpt("classify", "--model", model, "")
        #expect(run.status != 0)
        #expect(run.exited)
        #expect(run.stderr.contains("the message is empty"))
        #expect(try gpt("classify", "--model", model).status != 0, "no message at all")
    }

    @Test func classifyWarnsAboutUnknownCharactersAndStillAnswers() throws {
        let (model, _) = try trainTinyModel()
        let run = try gpt("classify", "--model", model, "api job \u{2713} ok", String(repeating: "api job ", count: 40) + "ok")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.lines.count == 2)
        #expect(run.stderr.contains("never saw in training: \"\u{2713}\"; they were left out"), "\(run.stderr)")
        #expect(run.stderr.contains("longer than the model's block of 32"))
    }

    @Test func classifyGreedyPrintsALabelOrUncertainWithTheGeneratedText() throws {
        let (model, _) = try trainTinyModel()
        let run = try gpt("classify", "--model", model, "--greedy", "api job 5 ok")
        #expect(run.status == 0, "\(run.stderr)")
        let line = try #require(run.lines.first)
        #expect(line.wholeMatch(of: /^(INFO|WARNING|ERROR|UNCERTAIN) +generated ".*"  api job 5 ok$/) != nil, "\(line)")
        let json = try gpt("classify", "--model", model, "--greedy", "--json", "api job 5 ok")
        let records = try #require(try json.json() as? [[String: Any]])
        #expect(Set(try #require(records.first).keys) == ["message", "label", "generated", "warnings"])
    }

    @Test func aCorruptModelFileIsAClearErrorNotACrash() throws {
        let model = workspace.write("definitely not safetensors", to: "m.safetensors")
        for arguments in [["classify", "--model", model, "api ok"], ["eval", "--model", model, "--data", model]] {
            let run = try GPTBinary.run(arguments, in: workspace.path)
            #expect(run.exited, "gpt \(arguments[0]) crashed: \(run.stderr)")
            #expect(run.status != 0)
            #expect(run.stderr.contains(model))
            #expect(run.stderr.contains("truncated"), "\(run.stderr)")
        }
        // A model cut short.
        let (trained, _) = try trainTinyModel()
        let bytes = try #require(FileManager.default.contents(atPath: trained))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: trained))
        let run = try gpt("classify", "--model", trained, "api ok")
        #expect(run.exited)
        #expect(run.status != 0)
        #expect(run.stderr.contains("truncated"), "\(run.stderr)")
    }

    // MARK: eval

    @Test func evalJSONHasTheScores() throws {
        let (model, data) = try trainTinyModel()
        let run = try gpt("eval", "--model", model, "--data", data, "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try run.json() as? [String: Any])
        for key in ["accuracy", "macro_f1", "confusion", "per_class", "mistakes", "count"] {
            #expect(report[key] != nil, "no \(key) in \(report.keys.sorted())")
        }
        // The training file is recognised: only its test part (a tenth) is evaluated.
        let count = try #require(report["count"] as? Int)
        #expect(count == 6)
        let confusion = try #require(report["confusion"] as? [[Int]])
        #expect(confusion.joined().reduce(0, +) == count)
        let accuracy = try #require(report["accuracy"] as? Double)
        #expect(abs(accuracy - Double((0..<3).map { confusion[$0][$0] }.reduce(0, +)) / Double(count)) <= 1e-12)
        let perClass = try #require(report["per_class"] as? [String: [String: Any]])
        #expect(Set(perClass.keys) == ["INFO", "WARNING", "ERROR"])
        #expect((report["evaluated_on"] as? String)?.contains("test part") == true)
        // The model's temperature, and the log-loss and ECE as they would be without it.
        let temperature = try #require(report["temperature"] as? Double)
        let written = try TrainedModel.read(path: model)
        // (Foundation's JSON reader on Linux can miss the last bit of a printed Double.)
        #expect(abs(temperature - written.temperature) <= 1e-15 * written.temperature && temperature >= 1,
                "\(temperature) vs \(written.temperature)")
        // The cap on the probabilities, as the model file holds it.
        let rate = try #require(report["unseen_error_rate"] as? Double)
        #expect(abs(rate - written.unseenErrorRate) <= 1e-15 * written.unseenErrorRate && rate > 0 && rate <= 1,
                "\(rate) vs \(written.unseenErrorRate)")
        for key in ["log_loss", "unscaled_log_loss", "expected_calibration_error", "unscaled_expected_calibration_error"] {
            #expect(report[key] is Double, "no \(key) in \(report.keys.sorted())")
        }
        if temperature == 1 && rate == 0 { #expect(report["log_loss"] as? Double == report["unscaled_log_loss"] as? Double) }

        // Another file is evaluated whole.
        let other = workspace.write(smallDataset(count: 12), to: "other.txt")
        let whole = try #require(try gpt("eval", "--model", model, "--data", other, "--json").json() as? [String: Any])
        #expect(whole["count"] as? Int == 12)
    }

    @Test func evalPrintsAReadableReport() throws {
        let (model, data) = try trainTinyModel()
        let run = try gpt("eval", "--model", model, "--data", data)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("accuracy"))
        #expect(run.stdout.contains("macro-F1"))
        #expect(run.stdout.contains("confusion (rows: actual, columns: predicted)"))
    }

    @Test func evalWithoutAModelSaysToTrainOne() throws {
        // The workspace holds no model.safetensors.
        let run = try gpt("eval")
        #expect(run.status != 0)
        #expect(run.exited)
        #expect(run.stderr.contains("gpt train"), "\(run.stderr)")
        #expect(run.stderr.contains("model.safetensors"))
    }

    // MARK: bench

    @Test func benchJSONHasTheFigures() throws {
        let data = workspace.write(smallDataset(), to: "logs.txt")
        let run = try gpt(["bench", "--steps", "5", "--warmup", "1", "--json", "--data", data] + tinyModel)
        #expect(run.status == 0, "\(run.stderr)")
        let figures = try #require(try run.json() as? [String: Any])
        for key in ["ms_per_step_median", "steps_per_s", "nodes_per_step", "peak_rss_mb", "config"] {
            #expect(figures[key] != nil, "no \(key) in \(figures.keys.sorted())")
        }
        #expect((figures["ms_per_step_median"] as? Double ?? 0) > 0)
        #expect((figures["nodes_per_step"] as? Double ?? 0) > 0)
        #expect(figures["steps"] as? Int == 5)
        let config = try #require(figures["config"] as? [String: Any])
        #expect(config["n_embd"] as? Int == 8)
        #expect(config["n_head"] as? Int == 2)
        #expect(config["block_size"] as? Int == 32)
    }

    @Test func benchClassifyCountsEveryLineAndItsRate() throws {
        let (model, data) = try trainTinyModel()
        let run = try gpt("bench", "--classify", "--model", model, "--data", data, "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let figures = try #require(try run.json() as? [String: Any])
        #expect(figures["lines"] as? Int == 60)
        #expect(figures["failures"] as? Int == 0)
        let seconds = try #require(figures["seconds"] as? Double), rate = try #require(figures["lines_per_s"] as? Double)
        #expect(seconds > 0 && abs(rate * seconds - 60) < 1e-6 * 60, "\(rate) lines/s over \(seconds) s")
    }

    @Test func serveWithoutItsModelNamesTheMissingFile() throws {
        let run = try gpt("serve", "--model", "no-such.safetensors", "--port", "0")
        #expect(run.status != 0 && run.exited, "\(run.stdout)")
        #expect(run.stderr.contains("no-such.safetensors"), "\(run.stderr)")
    }
}
