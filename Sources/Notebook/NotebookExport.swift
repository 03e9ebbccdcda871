// A chapter out of the notebook: as the self-contained HTML walkthrough with the current values
// (the same file `gpt report` writes), or as Markdown in the lesson format with the learner's
// values and added steps, which `gpt run` and `gpt check` then run unchanged.
import Foundation
import GPT
import Lessons

enum NotebookExport {
    /// The walkthrough of chapter `number` as it stands. A step that is not up to date is shown
    /// as skipped, with why, never with outputs that do not belong to its values.
    static func walkthrough(of number: Int, in timeline: Timeline) -> (html: String, name: String)? {
        guard let chapter = try? timeline.chapter(number) else { return nil }
        var index = 0
        let segments: [SegmentRecord] = chapter.segments.compactMap { segment -> SegmentRecord? in
            switch segment {
            case .prose(let markdown):
                return .prose(markdown)
            case .cell(let id):
                guard let cell = timeline.cells[id] else { return nil }
                index += 1
                return .step(Self.record(of: cell, index: index))
            }
        }
        let record = RunRecord(lessons: timeline.runner.lessonsDirectory, chapters: [
            ChapterRecord(number: chapter.number, slug: chapter.slug, title: chapter.title, file: chapter.file,
                          segments: segments, error: chapter.error),
        ])
        let html = HTMLRenderer().render(record, title: "\(chapter.title) (from the notebook)")
        return (html, "\(fileStem(chapter)).html")
    }

    /// What the walkthrough shows for `cell`: its record when it is up to date, else a skipped step that says why.
    static func record(of cell: NotebookCell, index: Int) -> StepRecord {
        let location = cell.invocation.location
        if cell.freshness == .fresh, var record = cell.record {
            record.index = index
            return record
        }
        var record = cell.record ?? StepRecord(id: cell.invocation.id, chapter: cell.chapter, index: index, location: location,
                                               status: .skipped, outputs: [], values: [], checks: [], error: nil)
        record.index = index
        record.status = .skipped
        record.outputs = []
        record.values = []
        record.checks = []
        record.error = LessonError(at: location, step: cell.invocation.id,
                                   "not up to date in the notebook: \(cell.staleReason ?? "it changed")",
                                   hint: "run it in the notebook before saving, to see its output here")
        return record
    }

    static func fileStem(_ chapter: NotebookChapter) -> String {
        String(format: "%02d", chapter.number) + "-" + chapter.slug
    }

    /// Chapter `number` as lesson-format Markdown, with the learner's values.
    static func markdown(of number: Int, in timeline: Timeline) throws(NotebookError) -> (text: String, name: String) {
        let chapter = try timeline.chapter(number)
        if let error = chapter.error {
            throw NotebookError(status: 422, "this chapter could not be read, so it cannot be saved: \(error.description)")
        }
        let segments: [Chapter.Segment] = chapter.segments.compactMap { segment in
            switch segment {
            case .prose(let markdown): return .prose(markdown)
            case .cell(let id): return timeline.cells[id].map { .step($0.invocation) }
            }
        }
        let text: String
        do {
            text = try ChapterWriter.write(segments, original: try? String(contentsOfFile: chapter.file, encoding: .utf8))
        } catch {
            throw NotebookError(status: 422, "the chapter cannot be written as Markdown: \(error)")
        }
        return (text, "\(fileStem(chapter)).md")
    }

    /// Writes `export` into `folder` (which must exist) atomically; refuses to replace a file
    /// unless asked, and never writes into the lessons folder the notebook serves (the page would
    /// reload with the learner's values as the chapter's own). Returns the path written.
    static func save(_ export: (text: String, name: String), toFolder folder: String, replacing: Bool,
                     lessons: String) throws(NotebookError) -> String {
        let folder = folder.trimmingCharacters(in: .whitespaces)
        guard !folder.isEmpty else {
            throw NotebookError(status: 422, "name a folder to save the chapter in", parameter: "folder")
        }
        guard folder.hasPrefix("/") else {
            throw NotebookError(status: 422, "'\(folder)' is not an absolute path", parameter: "folder",
                                hint: "give the whole path, as in /home/me/my-lessons: the notebook may run in another folder than you think")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw NotebookError(status: 422, "there is no folder \(folder)", parameter: "folder", hint: "make it first")
        }
        let real = { (path: String) in URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path }
        if real(folder) == real(lessons) {
            throw NotebookError(status: 422, "that is the lessons folder the notebook is showing", parameter: "folder",
                                hint: "save your version elsewhere; to change the chapter itself, edit its file (the page reloads)")
        }
        let path = (folder as NSString).appendingPathComponent(export.name)
        if FileManager.default.fileExists(atPath: path) && !replacing {
            throw NotebookError(status: 422, "\(path) already exists", parameter: "folder",
                                hint: "tick 'replace a file of that name' to write over it, or choose another folder")
        }
        do {
            try AtomicFile.write(export.text, to: path)
        } catch {
            throw NotebookError(status: 422, "cannot write \(path): \(error)", parameter: "folder")
        }
        return path
    }
}
