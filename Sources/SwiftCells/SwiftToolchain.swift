// Where a Swift cell's compiler and the package's built modules are. A cell is compiled against
// the very build of `Autograd`, `GPT` and `Cells` that the running `gpt` (or test) was linked from:
// their `.swiftmodule` files in the build folder's `Modules/`, their object files beside them. It
// must be compiled by the Swift compiler that built them (a module built by one compiler cannot be
// imported by another), which the build's own manifest names.
import Foundation

/// The compiler and the built modules Swift cells use.
public struct SwiftToolchain: Sendable, Equatable {
    /// The `swiftc` to run.
    public var swiftc: String
    /// The build folder, such as `.build/x86_64-unknown-linux-gnu/debug`: it holds `Modules/`.
    public var buildDirectory: String
    /// The object files of the modules a cell links.
    public var objects: [String]

    /// The modules a cell imports, with what they are built from.
    public static let modules = ["Autograd", "GPT", "LessonOutput", "Cells"]
    /// The C modules they import in turn: a cell links their objects, and its compiler reads
    /// their module maps (the build writes one beside each) to load the Swift modules above.
    public static let cModules = ["EngineKernels", "InferenceKernels"]

    /// The module maps of `cModules`, in the build folder.
    public var moduleMaps: [String] { Self.cModules.map { "\(buildDirectory)/\($0).build/module.modulemap" } }

    /// Set to a `swiftc` to use instead of the build's own.
    public static let compilerVariable = "GPT_SWIFTC"
    /// Set to a build folder (one holding `Modules/Cells.swiftmodule`) to use instead of the
    /// folder of the running program.
    public static let buildVariable = "GPT_CELL_BUILD"

    /// Finds the toolchain, or says what is missing and how to provide it.
    public static func find(environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<SwiftToolchain, ToolchainProblem> {
        let executableFolder = (Self.executablePath() as NSString).deletingLastPathComponent
        let build = environment[buildVariable] ?? executableFolder
        let moduleFile = "\(build)/Modules/Cells.swiftmodule"
        guard FileManager.default.fileExists(atPath: moduleFile) else {
            return .failure(ToolchainProblem(
                message: "Swift cells need the package's built modules, and \(moduleFile) is not there",
                hint: "run gpt from the package's build folder (`swift build`, then .build/debug/gpt), "
                    + "or set \(buildVariable) to a folder that holds Modules/Cells.swiftmodule"))
        }
        var objects: [String] = []
        for module in modules + cModules {
            let found = BuildFiles.objects(of: module, in: build)
            guard !found.isEmpty else {
                let folder = "\(build)/\(module).build"
                return .failure(ToolchainProblem(message: "Swift cells need the object files of \(module), and \(folder) has none",
                                                 hint: "build the package again (`swift build`)"))
            }
            objects += found
        }
        let compilers = [environment[compilerVariable], manifestCompiler(buildDirectory: build), pathCompiler(environment)]
        guard let swiftc = compilers.compactMap({ $0 }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            let named = environment[compilerVariable].map { " (\(compilerVariable)=\($0) is not an executable file)" } ?? ""
            return .failure(ToolchainProblem(
                message: "Swift cells need the Swift compiler (swiftc) that built this package, and none was found\(named)",
                hint: "install the Swift toolchain the package was built with, or set \(compilerVariable) to its swiftc; "
                    + "every other kind of step still runs"))
        }
        return .success(SwiftToolchain(swiftc: swiftc, buildDirectory: build, objects: objects))
    }

    /// What a compiled cell depends on besides its own text: the compiler and every file it
    /// links or imports, by size and time of change. A rebuilt package gives a new identity, so
    /// no cell compiled against the old one is reused.
    public func identity() -> String {
        BuildFiles.fingerprint([swiftc] + objects + Self.modules.map { "\(buildDirectory)/Modules/\($0).swiftmodule" } + moduleMaps)
    }

    /// The running program's own path.
    static func executablePath() -> String {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        return CommandLine.arguments.first.map { ($0 as NSString).standardizingPath } ?? ""
    }

    /// The compiler the build's manifest (`.build/debug.yaml` for `.build/<triple>/debug`) ran.
    static func manifestCompiler(buildDirectory: String) -> String? {
        let configuration = (buildDirectory as NSString).lastPathComponent
        let buildRoot = ((buildDirectory as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        let candidates = ["\(buildRoot)/\(configuration).yaml",
                          "\((buildDirectory as NSString).deletingLastPathComponent)/\(configuration).yaml"]
        for manifest in candidates {
            guard let handle = FileHandle(forReadingAtPath: manifest) else { continue }
            defer { try? handle.close() }
            // The compiler appears in the first commands: the first megabyte holds it.
            let head = String(decoding: handle.readData(ofLength: 1 << 20), as: UTF8.self)
            guard let end = head.range(of: "/swiftc\"") else { continue }
            guard let start = head[..<end.lowerBound].lastIndex(of: "\"") else { continue }
            return String(head[head.index(after: start)..<end.lowerBound]) + "/swiftc"
        }
        return nil
    }

    /// `swiftc` on the PATH.
    static func pathCompiler(_ environment: [String: String]) -> String? {
        (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/swiftc" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// Why Swift cells cannot run here.
public struct ToolchainProblem: Error, Sendable, Equatable {
    public var message: String
    public var hint: String
}

/// The files of a build, as whatever depends on the build (a compiled cell, a trained model)
/// tells one build from another.
public enum BuildFiles {
    /// The object files of `module` in the build folder `build` (`<build>/<module>.build/*.o`), sorted.
    public static func objects(of module: String, in build: String) -> [String] {
        let folder = "\(build)/\(module).build"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".o") }.sorted().map { "\(folder)/\($0)" }
    }

    /// One line per file, its path, size and time of change: a rebuilt file gives another line.
    public static func fingerprint(_ paths: [String]) -> String {
        paths.map { path in
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes?[.size] as? Int) ?? -1
            let changed = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(path) \(size) \(changed)"
        }.joined(separator: "\n")
    }
}
