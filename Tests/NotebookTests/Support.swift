// Helpers for the notebook tests: temporary lesson folders beside links to the package's
// Sources/ and Dataset/, and the numbers a step reported.
import Foundation
import Lessons

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A folder `root/Lessons` holding `chapters` (file name -> text), with `root/Sources` and
/// `root/Dataset` linked to the package's.
func makeNotebookLessons(_ chapters: [String: String]) throws -> String {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("notebook-test-\(UUID().uuidString)").path
    let lessons = root + "/Lessons"
    try FileManager.default.createDirectory(atPath: lessons, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: root + "/Sources", withDestinationPath: packageRoot + "/Sources")
    try FileManager.default.createSymbolicLink(atPath: root + "/Dataset", withDestinationPath: packageRoot + "/Dataset")
    for (name, text) in chapters { try text.write(toFile: lessons + "/" + name, atomically: true, encoding: .utf8) }
    return lessons
}

/// A number the step reported.
func number(_ step: StepRecord, _ name: String) -> Double? {
    guard case .number(let x)? = step.values.first(where: { $0.name == name })?.value else { return nil }
    return x
}
