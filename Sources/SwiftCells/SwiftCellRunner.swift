// Compiles and runs one Swift cell of a lesson. The program for a cell is the chapter's earlier
// cells that ran, then the cell itself, in one `main.swift`: the cell sees what they defined, and
// its output depends on nothing but the cells above it, so a chapter gives the same output every
// run. The earlier cells run again, silenced (a cell is a process of its own; nothing survives from
// one to the next), which costs their run time, never a second compile of them. `#sourceLocation`
// marks every cell's lines with the chapter's file and line, so the compiler's errors, a crash's
// backtrace and an `expect` call all name the place in the Markdown where the author wrote it.
import Foundation
import GPT
import LessonOutput

/// One Swift cell: its code, and where it was written.
public struct SwiftCell: Sendable, Equatable {
    /// The cell's lines, as written (one `\n` between lines).
    public var code: String
    /// The chapter file the code is in; empty for a cell that has no file yet (a notebook's new cell).
    public var file: String
    /// The line of the file the code's first line is.
    public var firstLine: Int

    public init(code: String, file: String, firstLine: Int) {
        self.code = code
        self.file = file
        self.firstLine = firstLine
    }

    /// The file the compiler and the crash reports name.
    public var shownFile: String { file.isEmpty ? "new Swift cell" : file }
}

/// How one cell went.
public struct CellRun: Sendable {
    /// What it printed and what it showed, in the order it did.
    public var outputs: [StepOutput] = []
    /// What it stated with `expect`.
    public var expectations: [CellExpectation] = []
    /// Why it did not run to the end, or nil when it did.
    public var failure: CellFailure?
    /// Seconds spent compiling (0 when the compiled cell came from the cache).
    public var compileSeconds = 0.0
    /// True when the compiled cell came from the cache.
    public var cached = false
    /// Seconds the cell's process ran (the earlier cells it re-ran included).
    public var runSeconds = 0.0
}

/// What stopped a cell.
public enum CellFailure: Sendable, Equatable {
    /// There is no compiler or no built package to compile against.
    case toolchain(ToolchainProblem)
    /// The compiler's errors, in its order.
    case compile([CompilerDiagnostic])
    /// A runtime error (a failed precondition, an index out of range) or a signal, with where in
    /// the chapter the crash happened when the backtrace says.
    case crashed(message: String, line: Int?, column: Int?)
    /// The program called `exit` with a status other than 0.
    case exited(Int32)
    /// It passed a limit and was stopped.
    case limit(PassedLimit)
    /// It could not be started.
    case notStarted(String)
}

/// One error or warning of the Swift compiler, where it points.
public struct CompilerDiagnostic: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    /// "error", "warning" or "note".
    public var severity: String
    public var message: String
}

/// What cells may use: `run` for the cell's own process, `compile` for the compiler.
public struct CellLimits: Sendable, Equatable {
    public var run = ProcessLimits(seconds: 10, memoryBytes: 512 << 20, outputBytes: 1 << 20)
    public var compile = ProcessLimits(seconds: 120, memoryBytes: nil, outputBytes: 1 << 20)

    public init() {}
}

/// Compiles cells against the package's own build, keeps what it compiled, and runs them.
public final class SwiftCellRunner: Sendable {
    /// Found once per process: the compiler and the build do not move while it runs.
    public let toolchain: Result<SwiftToolchain, ToolchainProblem>
    /// Where compiled cells are kept, by the hash of their program and of the build.
    public let cacheDirectory: String
    public let limits: CellLimits

    /// Set to a folder to keep compiled cells there instead of in the build folder.
    public static let cacheVariable = "GPT_CELL_CACHE"

    public init(toolchain: Result<SwiftToolchain, ToolchainProblem> = SwiftToolchain.find(), cacheDirectory: String? = nil,
                limits: CellLimits = CellLimits()) {
        self.toolchain = toolchain
        let buildFolder = (try? toolchain.get().buildDirectory) ?? NSTemporaryDirectory()
        self.cacheDirectory = cacheDirectory ?? ProcessInfo.processInfo.environment[Self.cacheVariable]
            ?? "\(buildFolder)/swift-cells"
        self.limits = limits
    }

    /// The runner every lesson in this process shares.
    public static let shared = SwiftCellRunner()

    /// Compiles `cell` after `above` (the chapter's earlier cells that ran) and runs it in `directory`.
    public func run(_ cell: SwiftCell, after above: [SwiftCell], in directory: String) -> CellRun {
        var result = CellRun()
        let toolchain: SwiftToolchain
        switch self.toolchain {
        case .success(let found): toolchain = found
        case .failure(let problem):
            result.failure = .toolchain(problem)
            return result
        }
        let program = Self.program(cell, after: above)
        let compiled = compile(program, cell: cell, with: toolchain)
        result.compileSeconds = compiled.seconds
        result.cached = compiled.cached
        for warning in compiled.diagnostics where warning.severity == "warning" && Self.isInside(warning, cell) {
            result.outputs.append(.text(["warning at line \(warning.line):\(warning.column): \(warning.message)"]))
        }
        guard let executable = compiled.executable else {
            // The cell's own errors first: a name it declares again is also an error at the
            // earlier cell's line ("ambiguous use"), but the mistake is in the cell being run.
            let errors = compiled.diagnostics.filter { $0.severity == "error" }
            let own = errors.filter { Self.isInside($0, cell) }, others = errors.filter { !Self.isInside($0, cell) }
            result.failure = compiled.failure ?? .compile(own + others)
            return result
        }
        let marker = Self.randomMarker()
        let outcome = LimitedProcess.run(executable, [],
                                         environment: [CellMessage.markerVariable: marker, CellMessage.directoryVariable: directory,
                                                       "SWIFT_BACKTRACE": Self.backtraceSettings],
                                         limits: limits.run)
        result.runSeconds = outcome.seconds
        let messages = Self.split(String(decoding: outcome.output, as: UTF8.self), marker: marker)
        result.outputs += messages.outputs
        result.expectations = messages.expectations
        let errors = String(decoding: outcome.errors, as: UTF8.self)
        switch outcome.ending {
        case .exited(0):
            if !errors.isEmpty { result.outputs.append(.console(errors)) }
        case .exited(let code):
            if !errors.isEmpty { result.outputs.append(.console(errors)) }
            result.failure = .exited(code)
        case .signalled(let signal):
            let crash = Self.crash(in: errors, signal: signal, cell: cell)
            result.failure = .crashed(message: crash.message, line: crash.line, column: crash.column)
        case .stopped(let limit):
            result.failure = .limit(limit)
        case .notStarted(let why):
            result.failure = .notStarted(why)
        }
        return result
    }

    // MARK: The program

    /// `main.swift` for `cell`: imports, the cells above (silenced), then the cell.
    static func program(_ cell: SwiftCell, after above: [SwiftCell]) -> String {
        var text = "import Autograd\nimport GPT\nimport Cells\n"
        text += "Cells.CellProgram.start(silencingCellsAbove: \(!above.isEmpty))\n"
        for earlier in above { text += located(earlier) }
        text += "Cells.CellProgram.beginCell()\n"
        text += located(cell)
        text += "Cells.CellProgram.end()\n"
        return text
    }

    private static func located(_ cell: SwiftCell) -> String {
        "#sourceLocation(file: \(literal(cell.shownFile)), line: \(max(1, cell.firstLine)))\n\(cell.code)\n#sourceLocation()\n"
    }

    /// `text` as a Swift string literal.
    static func literal(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    static func isInside(_ diagnostic: CompilerDiagnostic, _ cell: SwiftCell) -> Bool {
        let lines = cell.code.split(separator: "\n", omittingEmptySubsequences: false).count
        return diagnostic.file == cell.shownFile && (cell.firstLine..<(cell.firstLine + lines)).contains(diagnostic.line)
    }

    // MARK: Compiling, and the cache

    struct Compiled {
        var executable: String?
        var diagnostics: [CompilerDiagnostic] = []
        var failure: CellFailure?
        var seconds = 0.0
        var cached = false
    }

    /// The compiled program, from the cache when the same program was compiled against the same
    /// build before; otherwise compiled now into a fresh folder that replaces nothing until done.
    private func compile(_ program: String, cell: SwiftCell, with toolchain: SwiftToolchain) -> Compiled {
        let identity = toolchain.identity()
        let key = Self.hash(identity, program)
        let entry = "\(cacheDirectory)/\(key)"
        let fileManager = FileManager.default
        if fileManager.isExecutableFile(atPath: "\(entry)/cell"),
           (try? String(contentsOfFile: "\(entry)/main.swift", encoding: .utf8)) == program,
           (try? String(contentsOfFile: "\(entry)/build", encoding: .utf8)) == identity {
            return Compiled(executable: "\(entry)/cell", cached: true)
        }
        let work = "\(cacheDirectory)/compiling-\(key)-\(UInt64.random(in: 0...UInt64.max))"
        do {
            try fileManager.createDirectory(atPath: work, withIntermediateDirectories: true)
            try program.write(toFile: "\(work)/main.swift", atomically: false, encoding: .utf8)
            try identity.write(toFile: "\(work)/build", atomically: false, encoding: .utf8)
        } catch {
            return Compiled(failure: .notStarted("cannot write the cell's program in \(cacheDirectory): \(error.localizedDescription)"))
        }
        let arguments = ["-swift-version", "5", "-g", "-Onone", "-module-name", "Cell",
                         "-I", "\(toolchain.buildDirectory)/Modules", "-no-color-diagnostics", "-diagnostic-style", "llvm"]
            + toolchain.moduleMaps.flatMap { ["-Xcc", "-fmodule-map-file=\($0)"] }
            + toolchain.objects + ["-lm", "\(work)/main.swift", "-o", "\(work)/cell"]
        let outcome = LimitedProcess.run(toolchain.swiftc, arguments, limits: limits.compile)
        var compiled = Compiled(seconds: outcome.seconds)
        compiled.diagnostics = Self.diagnostics(String(decoding: outcome.errors + outcome.output, as: UTF8.self))
        switch outcome.ending {
        case .exited(0):
            // Another process may have finished the same cell first: either copy will do.
            if rename(work, entry) != 0 {
                try? fileManager.removeItem(atPath: work)
                guard fileManager.isExecutableFile(atPath: "\(entry)/cell") else {
                    compiled.failure = .notStarted("cannot keep the compiled cell in \(entry)")
                    return compiled
                }
            }
            compiled.executable = "\(entry)/cell"
        case .stopped(let limit):
            try? fileManager.removeItem(atPath: work)
            compiled.failure = .limit(limit)
        case .notStarted(let why):
            try? fileManager.removeItem(atPath: work)
            compiled.failure = .notStarted("cannot run \(toolchain.swiftc): \(why)")
        default:
            try? fileManager.removeItem(atPath: work)
            if !compiled.diagnostics.contains(where: { $0.severity == "error" }) {
                let text = String(decoding: outcome.errors + outcome.output, as: UTF8.self)
                compiled.diagnostics.append(CompilerDiagnostic(file: cell.shownFile, line: cell.firstLine, column: 1, severity: "error",
                                                               message: "the compiler failed: " + text.suffix(2000)))
            }
        }
        return compiled
    }

    /// The compiler's `file:line:column: severity: message` lines.
    static func diagnostics(_ text: String) -> [CompilerDiagnostic] {
        text.split(separator: "\n").compactMap { line in
            for severity in ["error", "warning", "note"] {
                guard let marker = line.range(of: ": \(severity): ") else { continue }
                let place = line[..<marker.lowerBound].split(separator: ":", omittingEmptySubsequences: false)
                guard place.count >= 3, let lineNumber = Int(place[place.count - 2]), let column = Int(place[place.count - 1]) else { continue }
                return CompilerDiagnostic(file: place.dropLast(2).joined(separator: ":"), line: lineNumber, column: column,
                                          severity: severity, message: String(line[marker.upperBound...]))
            }
            return nil
        }
    }

    /// The cache key: FNV-1a of the build and the program together, and of the program alone
    /// (128 bits: enough to tell programs apart; the entry's own copy of its program and build is
    /// compared before it is used, so a collision could only cost a compile).
    static func hash(_ identity: String, _ program: String) -> String {
        let both = FNV1a.hash(Array(identity.utf8) + [0] + Array(program.utf8)), alone = FNV1a.hash(program.utf8)
        return String(format: "%016llx%016llx", both, alone)
    }

    // MARK: Running

    /// Swift's own crash reporter, asked for the crashed thread only, in plain text: its frames
    /// name the chapter's file and line (the cell is compiled with `-g`).
    static let backtraceSettings = "enable=yes,interactive=no,color=no,threads=crashed,registers=none,images=none,sanitize=yes,output-to=stderr"

    static func randomMarker() -> String { String(format: "cell-%016llx", UInt64.random(in: 0...UInt64.max)) }

    /// The printed text and the messages of the cell's standard output, in order.
    static func split(_ text: String, marker: String) -> (outputs: [StepOutput], expectations: [CellExpectation]) {
        var outputs: [StepOutput] = [], expectations: [CellExpectation] = []
        var printed = ""
        func flush() {
            if !printed.isEmpty { outputs.append(.console(printed)) }
            printed = ""
        }
        let prefix = "\u{1E}\(marker) "
        var rest = Substring(text)
        while let found = rest.range(of: prefix) {
            printed += rest[..<found.lowerBound]
            let afterMarker = rest[found.upperBound...]
            let end = afterMarker.firstIndex(of: "\n") ?? afterMarker.endIndex
            switch CellMessage.read(afterMarker[..<end]) {
            case .output(let output)?:
                flush()
                outputs.append(output)
            case .expectation(let expectation)?:
                expectations.append(expectation)
            case nil:
                break  // a message cut short by the output limit
            }
            rest = end < afterMarker.endIndex ? afterMarker[afterMarker.index(after: end)...] : afterMarker[end...]
        }
        printed += rest
        flush()
        return (outputs, expectations)
    }

    /// The runtime's message ("Fatal error: Index out of range") and the first frame of the
    /// backtrace inside the cell's file.
    static func crash(in errors: String, signal: Int32, cell: SwiftCell) -> (message: String, line: Int?, column: Int?) {
        let lines = errors.split(separator: "\n")
        let fatal = lines.first { $0.contains("Fatal error") || $0.contains("Precondition failed") || $0.contains("Assertion failed") }
        var message = fatal.map { String($0) } ?? "the cell's process stopped with signal \(signal) (\(signalName(signal)))"
        if let fatal, let range = fatal.range(of: ": Fatal error") ?? fatal.range(of: ": Precondition failed")
            ?? fatal.range(of: ": Assertion failed") {
            // "Swift/ContiguousArrayBuffer.swift:692: Fatal error: ..." names the standard library's file: keep the words.
            message = String(fatal[fatal.index(range.lowerBound, offsetBy: 2)...])
        }
        let marker = " at \(cell.shownFile):"
        for line in lines {
            guard let found = line.range(of: marker) else { continue }
            let numbers = line[found.upperBound...].split(separator: ":").prefix(2).compactMap { Int($0.prefix { $0.isNumber }) }
            if numbers.count == 2 { return (message, numbers[0], numbers[1]) }
            if numbers.count == 1 { return (message, numbers[0], nil) }
        }
        return (message, nil, nil)
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGILL, SIGTRAP: return "a Swift runtime error"
        case SIGSEGV, SIGBUS: return "a bad memory access"
        case SIGABRT: return "aborted"
        case SIGFPE: return "an arithmetic error"
        case SIGKILL: return "killed"
        default: return "signal \(signal)"
        }
    }
}
