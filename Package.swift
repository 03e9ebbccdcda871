// swift-tools-version:6.0
// GPT From Scratch: a scalar autograd engine, a character-level GPT built on it,
// and the tools that teach it and use it to classify log lines.
import PackageDescription

// Our own debug builds and tests compile the engine and the model with optimisation (the Makefile
// sets GPT_FAST_DEBUG=1): the lessons and the tests train models, which runs many times slower
// without it. It is opt-in because SwiftPM refuses unsafe flags in a package that others depend on
// by version, so a plain `swift build`, and any package that depends on this one, gets standard
// settings. No build is tied to the CPU that made it: release builds are portable, and they are
// the builds every speed figure in the README is measured on.
let fastDebug = Context.environment["GPT_FAST_DEBUG"] == "1"
let optimizedEvenInDebug: [SwiftSetting] = fastDebug ? [.unsafeFlags(["-O"], .when(configuration: .debug))] : []
let optimizedCEvenInDebug: [CSetting] = fastDebug ? [.unsafeFlags(["-O2"], .when(configuration: .debug))] : []

let package = Package(
    name: "GPTFromScratch",
    products: [
        .library(name: "Autograd", targets: ["Autograd"]),
        .library(name: "GPT", targets: ["GPT"]),
        .executable(name: "gpt", targets: ["gpt"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // gpt serve's HTTP server: Hummingbird on SwiftNIO, whose HTTP/1.1 parser is linear and bounded.
        // The server's own channel handlers use NIO, its HTTP types and service lifecycle directly.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Reference documentation: `swift package generate-documentation --target Autograd` (or GPT).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // Tests only: random inputs with shrinking for Swift Testing (the engine's differential tests).
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // Public API, in dependency order: engine <- model <- command line.
        // The engine's own math needs only libm's rounding and sqrt; a program that uses the engine
        // without Foundation would otherwise not link on Linux.
        .target(name: "Autograd", dependencies: ["EngineKernels"], swiftSettings: optimizedEvenInDebug,
                linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]),
        // The engine's linear-layer loops in C, compiled for any x86-64 and again for AVX2 CPUs,
        // the version chosen when the program runs: Swift compiles a build for one CPU only.
        .target(name: "EngineKernels", cSettings: optimizedCEvenInDebug),
        .target(name: "GPT", dependencies: ["Autograd", "EngineKernels", "InferenceKernels"], swiftSettings: optimizedEvenInDebug),
        // Classification's linear layers in C, compiled for any x86-64 and again for AVX2 CPUs,
        // the version chosen when the program runs: Swift compiles a build for one CPU only.
        .target(name: "InferenceKernels", dependencies: ["EngineKernels"], cSettings: optimizedCEvenInDebug),
        // What a lesson step shows (tables, graphs, heatmaps, charts) as values: the lessons draw
        // them, and a Swift cell's own process makes them through Cells.
        .target(name: "LessonOutput", dependencies: ["Autograd"]),
        // The library a lesson's Swift cells import (with Autograd and GPT): show(...) and expect(...).
        .target(name: "Cells", dependencies: ["Autograd", "LessonOutput"],
                // It flushes and redirects C's stdout, a global that Swift 6 mode refuses to touch.
                swiftSettings: [.swiftLanguageMode(.v5)]),
        // Compiles and runs Swift cells against this package's own build, each in its own process.
        .target(name: "SwiftCells", dependencies: ["GPT", "LessonOutput"]),  // GPT: for its FNV-1a hash
        .target(
            name: "Lessons",
            dependencies: [
                "Autograd", "GPT", "LessonOutput", "SwiftCells", "CCMarkGFM",
                // Not called here: depending on it makes every build of the lessons build the
                // library their Swift cells import, where the cells find it (SwiftToolchain).
                "Cells",
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),

        // The C library cmark-gfm from Debian; only Sources/Lessons/Markdown/CMark.swift imports it.
        .systemLibrary(
            name: "CCMarkGFM",
            pkgConfig: "libcmark-gfm",
            providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"]), .brew(["cmark-gfm"])]
        ),
        .target(
            name: "Server",
            dependencies: [
                "GPT",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // `gpt notebook`: the lessons as a live page, served by Server's HTTP layer.
        .target(
            name: "Notebook",
            dependencies: [
                "GPT", "Lessons", "Server",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        .executableTarget(
            name: "gpt",
            dependencies: [
                "GPT", "Lessons", "Server", "Notebook",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Tests mirror Sources/; TestSupport holds what several of them share.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "AutogradTests",
            dependencies: ["Autograd", "EngineKernels", "TestSupport", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "GPTTests", dependencies: ["GPT", "InferenceKernels", "TestSupport"], exclude: ["Fixtures"]),  // read by path, not bundled
        .testTarget(name: "LessonsTests", dependencies: ["Lessons", "Autograd", "TestSupport"]),
        .testTarget(name: "SwiftCellsTests", dependencies: ["SwiftCells", "LessonOutput", "Lessons", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["gpt", "GPT"]),  // GPT: to load what `gpt import` writes
        .testTarget(name: "ServerTests", dependencies: ["Server", "TestSupport"]),
        .testTarget(name: "NotebookTests", dependencies: ["Notebook", "Lessons", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
