// A Swift cell's form in the notebook: its code in a text box, numbered by the lines the compiler
// counts (the chapter's own, from the line after the fence), with the lines its last run's errors
// point at marked, and Run. The code goes to the server only on Run: a compile takes about a
// second, too long to redo on every keystroke as an expression's field does.
import Lessons

extension NotebookPage {
    /// The form of Swift cell `cell`; `error` is why its last posted code was refused.
    func codeBox(_ cell: NotebookCell, error: NotebookError?) -> String {
        let code = cell.invocation.code ?? ""
        let place = cell.invocation.swiftCodePlace
        let lineCount = code.split(separator: "\n", omittingEmptySubsequences: false).count
        let marked = Self.errorLines(of: cell.record, in: place.file)
        return Self.library.render([
            "id": cell.id, "code": code, "rows": max(3, lineCount + 1), "firstLine": place.firstLine,
            "numbers": (0..<lineCount).map { offset in
                ["number": place.firstLine + offset, "bad": marked.contains(place.firstLine + offset)]
            },
            "errorLines": marked.sorted().map(String.init).joined(separator: " "),
            "action": href("cell/\(cell.id)/code"), "reset": href("cell/\(cell.id)/reset"), "remove": href("cell/\(cell.id)/remove"),
            "resettable": cell.original != nil,
            "error": error.map { ["message": $0.description] } ?? false,
        ], withTemplate: "codeBox") ?? ""
    }

    /// The lines of `file` a failed run points at: the error's own place, and those of the other
    /// compiler errors its hint lists as "file:line:column: message".
    static func errorLines(of record: StepRecord?, in file: String) -> Set<Int> {
        guard let error = record?.error else { return [] }
        var lines: Set<Int> = error.location.file == file ? [error.location.line] : []
        for line in (error.hint ?? "").split(separator: "\n") where line.hasPrefix(file + ":") {
            if let number = Int(line.dropFirst(file.count + 1).prefix(while: \.isNumber)) { lines.insert(number) }
        }
        return lines
    }
}
