// swift-tools-version:6.0
// A package that uses GPT From Scratch as a library, the way another project would: it depends on
// the package by path (one folder up twice) and uses only the public API of Autograd and GPT.
import PackageDescription

let package = Package(
    name: "TrainTinyModel",
    dependencies: [
        .package(name: "GPTFromScratch", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "TrainTinyModel",
            dependencies: [
                .product(name: "Autograd", package: "GPTFromScratch"),
                .product(name: "GPT", package: "GPTFromScratch"),
            ]
        ),
    ]
)
