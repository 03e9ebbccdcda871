// swift-tools-version:6.0
// GPT From Scratch: a scalar autograd engine, a character-level GPT built on it,
// and the tools that teach it and use it to classify log lines.
import PackageDescription

let package = Package(
    name: "GPTFromScratch",
    products: [
        .library(name: "Autograd", targets: ["Autograd"]),
        .library(name: "GPT", targets: ["GPT"]),
        .executable(name: "gpt", targets: ["gpt"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Public API, in dependency order: engine <- model <- command line.
        .target(name: "Autograd"),
        .target(name: "GPT", dependencies: ["Autograd"]),
        .executableTarget(
            name: "gpt",
            dependencies: [
                "GPT",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Tests mirror Sources/.
        .testTarget(name: "AutogradTests", dependencies: ["Autograd"]),
        .testTarget(name: "GPTTests", dependencies: ["GPT"]),
        .testTarget(name: "CLITests", dependencies: ["gpt"]),
    ],
    swiftLanguageModes: [.v6]
)
