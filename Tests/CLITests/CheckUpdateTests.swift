// `gpt check --update` as a teacher runs it: wrong expectations rewritten with a diff naming
// file:line, exit status 0 when nothing is left failing, and a plain `gpt check` passing after.
import Foundation
import Testing

@Suite struct CheckUpdateTests {
    let workspace = Workspace()

    @Test func updateRewritesWrongExpectationsShowsTheDiffAndTheNextCheckPasses() throws {
        let folder = workspace.file("lessons")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let file = folder + "/01-try.md"
        let text = "# Try\n\nProse stays.\n\n```step backward\nexpr: sigmoid(a) * max(a, b)\na: 1\nb: -2\n"
            + "expect out = 0.5 ± 1e-6\nexpect grad.b = 0\n```\n"
        try text.write(toFile: file, atomically: true, encoding: .utf8)

        let failing = try GPTBinary.run(["check", "--lessons", folder], in: workspace.path)
        #expect(failing.status == 1, "\(failing.stdout)")

        let update = try GPTBinary.run(["check", "--update", "--lessons", folder], in: workspace.path)
        #expect(update.status == 0, "\(update.stdout)\(update.stderr)")
        // sigmoid(1) * max(1, -2) = 0.7310585786300049, to the 7 decimals 1e-6 needs.
        #expect(update.stdout.contains("lessons/01-try.md:9:1: updated out: 0.5 -> 0.7310586"), "\(update.stdout)")
        #expect(update.stdout.contains("@@ -9,1 +9,1 @@\n-expect out = 0.5 ± 1e-6\n+expect out = 0.7310586 ± 1e-6"), "\(update.stdout)")
        #expect(update.stdout.contains("updated 1 expectation in 1 file"))
        #expect(update.stdout.contains("OK with the updated expectations (before the update: 0 steps passed, 1 failed"), "\(update.stdout)")
        let written = try String(contentsOfFile: file, encoding: .utf8)
        #expect(written == text.replacingOccurrences(of: "expect out = 0.5 ± 1e-6", with: "expect out = 0.7310586 ± 1e-6"))

        let again = try GPTBinary.run(["check", "--lessons", folder], in: workspace.path)
        #expect(again.status == 0, "\(again.stdout)")
    }
}
