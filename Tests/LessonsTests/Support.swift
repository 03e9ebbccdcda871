// Helpers shared by the lessons tests: temporary lesson folders beside a link to the real
// Sources/ and Dataset/, the package's own folders, and reading what a step reported.
import Foundation
import Testing
@testable import Lessons

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A folder `root/Lessons` holding `chapters` (file name -> text), with `root/Sources` and
/// `root/Dataset` linked to the package's and a `Package.swift` of its own, so `root` is the
/// package the lessons find (PackageRoot) and code regions and the dataset resolve there.
func makeLessons(_ chapters: [String: String], extraFiles: [String: String] = [:]) throws -> String {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("lessons-test-\(UUID().uuidString)").path
    let lessons = root + "/Lessons"
    try FileManager.default.createDirectory(atPath: lessons, withIntermediateDirectories: true)
    try "// swift-tools-version:6.0\n".write(toFile: root + "/Package.swift", atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: root + "/Sources", withDestinationPath: packageRoot + "/Sources")
    try FileManager.default.createSymbolicLink(atPath: root + "/Dataset", withDestinationPath: packageRoot + "/Dataset")
    for (name, text) in chapters { try text.write(toFile: lessons + "/" + name, atomically: true, encoding: .utf8) }
    for (name, text) in extraFiles { try text.write(toFile: root + "/" + name, atomically: true, encoding: .utf8) }
    return lessons
}

/// Runs every chapter of `directory`.
func runLessons(_ directory: String) throws -> RunRecord {
    let runner = LessonRunner(lessonsDirectory: directory)
    return runner.run(try runner.chapters())
}

/// A chapter holding one step fence with `body`.
func chapter(_ fences: String...) -> String {
    "# Test chapter\n\nSome prose.\n\n" + fences.map { "```step " + $0 + "\n```\n" }.joined(separator: "\nMore prose.\n\n")
}

/// The single step of a one-step chapter run with the standard steps.
func runStep(_ fence: String) throws -> StepRecord {
    try #require(try runLessons(try makeLessons(["01-test.md": chapter(fence)])).steps.first)
}

/// A number the step reported.
func number(_ step: StepRecord, _ name: String) -> Double? {
    guard case .number(let x)? = step.values.first(where: { $0.name == name })?.value else { return nil }
    return x
}

/// The steps of a run's JSON object, in order.
func jsonSteps(_ json: [String: Any]) -> [[String: Any]] {
    let chapters = json["chapters"] as? [[String: Any]] ?? []
    return chapters.flatMap { ($0["segments"] as? [[String: Any]] ?? []).compactMap { $0["step"] as? [String: Any] } }
}
