// Writing chapters back: every real chapter comes back byte for byte, an edit rewrites only the
// step it touched, every written value reads back as it was, and what cannot be written so is an
// error naming the step and the parameter. The reading back here compares with ==, locations
// cleared, not with the writer's own comparison.
import Foundation
import Testing
import TestSupport
@testable import Lessons

@Suite struct ChapterWriterTests {
    static let realChapters: [(name: String, text: String)] = {
        let directory = packageRoot + "/Lessons"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { ChapterParser.chapterName($0) != nil }.sorted()
            .compactMap { name in (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)).map { (name, $0) } }
    }()

    /// Two adjacent steps, a comment, odd spacing and `+-`: what only the original text keeps.
    let small = """
    # Small

    Prose first.

    ```step forward
    # the product of two inputs
    expr: a*b
    a:  2
    b: -3
    expect out = -6
    expect nodes = 3 +- 0.5
    ```

    ```step backward
    expr: tanh(a)
    a: 1
    expect grad.a = 0.41997434161402614 ± 1e-9
    ```

    The end.

    """

    // MARK: Unedited chapters

    @Test func everyRealChapterComesBackByteForByte() throws {
        #expect(Self.realChapters.count >= 6)
        for (name, text) in Self.realChapters {
            let segments = try parsed(text)
            #expect(segments.filter(isStep).count >= 4, "\(name)")
            let written = try ChapterWriter.write(segments, original: text)
            #expect(written == text, "\(name) changed: first difference at \(firstDifference(written, text))")
        }
    }

    @Test func everyRealChapterWrittenWithoutItsOriginalReadsBackTheSame() throws {
        for (name, text) in Self.realChapters {
            let segments = try parsed(text)
            let written = try ChapterWriter.write(segments)
            #expect(try cleared(parsed(written)) == cleared(segments), "\(name)")
        }
    }

    @Test func writtenWithoutTheOriginalAStepIsCanonical() throws {
        let written = try ChapterWriter.write(try parsed(small))
        #expect(written == """
        # Small

        Prose first.

        ```step forward
        expr: a*b
        a: 2
        b: -3
        expect out = -6
        expect nodes = 3 ± 0.5
        ```

        ```step backward
        expr: tanh(a)
        a: 1
        expect grad.a = 0.41997434161402614 ± 1e-9
        ```

        The end.

        """)
    }

    @Test(arguments: ["\r\n", "\r"])
    func otherLineBreaksComeBackByteForByte(_ lineBreak: String) throws {
        let text = small.replacingOccurrences(of: "\n", with: lineBreak)
        #expect(try ChapterWriter.write(try parsed(text), original: text) == text)
        // An edited step is written with the file's line breaks too.
        var edited = try parsed(text)
        edited[1] = .step(try step(edited[1]) { $0.parameters[1].value = "5" })
        let written = try ChapterWriter.write(edited, original: text)
        #expect(written.contains("```step forward\(lineBreak)expr: a*b\(lineBreak)a: 5\(lineBreak)"))
        #expect(!written.replacingOccurrences(of: lineBreak, with: "").contains("\n"))
    }

    @Test func blankLinesAroundStepsComeBack() throws {
        let text = "\n \n```step forward\na: 1\n```\n\t\n\n```step forward\na: 2\n```\n# Title\n\n```step code\nfile: x\n```"
        #expect(try ChapterWriter.write(try parsed(text), original: text) == text)
    }

    @Test func aFenceLeftOpenAtTheEndIsClosed() throws {
        let text = "# T\n\n~~~~step forward\nexpr: a\na: 1\n"
        #expect(try ChapterWriter.write(try parsed(text), original: text) == "# T\n\n```step forward\nexpr: a\na: 1\n```\n")
        // A longer fence closed by a longer run is closed, and kept.
        let closed = "# T\n\n~~~~step forward\na: 1\n~~~~~~  \n"
        #expect(try ChapterWriter.write(try parsed(closed), original: closed) == closed)
    }

    /// The parser reads past a step with a broken line; the writer keeps that step as the file
    /// had it, and refuses to write it afresh, which would drop the line it could not read.
    @Test func aBrokenStepIsKeptAsWrittenAndNeverRewritten() throws {
        let text = "# T\n\n```step forward\nexpr: a\na: 1\nexpect out == 1\n```\n\nProse.\n"
        let segments = try ChapterParser.parse(text, file: "x.md", number: 1, slug: "x").segments
        #expect(try ChapterWriter.write(segments, original: text) == text)
        #expect(throws: ChapterWriteError.self) { try ChapterWriter.write(segments) }
    }

    @Test func textThatIsNoChapterIsNoOriginal() throws {
        let written = try ChapterWriter.write(try parsed(small), original: "no heading, ```step")
        #expect(written == (try ChapterWriter.write(try parsed(small))))
    }

    // MARK: Edits

    @Test func anEditedValueRewritesOnlyItsStep() throws {
        var edited = try parsed(small)
        edited[1] = .step(try step(edited[1]) { $0.parameters[1].value = "5" })
        #expect(try ChapterWriter.write(edited, original: small) == small.replacingOccurrences(of: """
        ```step forward
        # the product of two inputs
        expr: a*b
        a:  2
        b: -3
        expect out = -6
        expect nodes = 3 +- 0.5
        ```
        """, with: """
        ```step forward
        expr: a*b
        a: 5
        b: -3
        expect out = -6
        expect nodes = 3 ± 0.5
        ```
        """))
    }

    @Test func anAddedParameterIsWrittenInItsPlace() throws {
        var edited = try parsed(small)
        edited[2] = .step(try step(edited[2]) { $0.parameters.insert(Parameter(name: "b", value: "0.5"), at: 1) })
        let written = try ChapterWriter.write(edited, original: small)
        #expect(written.contains("```step backward\nexpr: tanh(a)\nb: 0.5\na: 1\nexpect grad.a = 0.41997434161402614 ± 1e-9\n```\n\nThe end.\n"))
        #expect(try cleared(parsed(written)) == cleared(edited))
    }

    @Test func aRemovedParameterIsGone() throws {
        var edited = try parsed(small)
        edited[1] = .step(try step(edited[1]) { $0.parameters.removeAll { $0.name == "b" } })
        let written = try ChapterWriter.write(edited, original: small)
        #expect(written.contains("```step forward\nexpr: a*b\na: 2\nexpect out = -6\n"))
        #expect(try readBackStep(written, 1).parameters.map(\.name) == ["expr", "a"])
    }

    @Test func anEmptyValueIsWrittenWithoutATrailingSpace() throws {
        var edited = try parsed(small)
        edited[1] = .step(try step(edited[1]) { $0.parameters[0].value = "" })
        let written = try ChapterWriter.write(edited, original: small)
        #expect(written.contains("\nexpr:\na: 2\n"))
        #expect(try readBackStep(written, 1).parameters[0].value == "")
    }

    @Test func aNewStepBetweenTwoStepsGetsBlankLinesAroundIt() throws {
        var edited = try parsed(small)
        let scratch = StepInvocation(id: "forward", parameters: [Parameter(name: "expr", value: "a + 1"), Parameter(name: "a", value: "2")],
                                     expectations: [Lessons.Expectation(name: "out", expected: .number(3, tolerance: 0))])
        edited.insert(.step(scratch), at: 2)
        let written = try ChapterWriter.write(edited, original: small)
        #expect(written == small.replacingOccurrences(of: "```\n\n```step backward", with: """
        ```

        ```step forward
        expr: a + 1
        a: 2
        expect out = 3
        ```

        ```step backward
        """))
        #expect(try cleared(parsed(written)) == cleared(edited))
    }

    @Test func aNewStepAndProseBetweenProseAndAStepKeepTheProse() throws {
        var edited = try parsed(small)
        edited.insert(.step(StepInvocation(id: "code", parameters: [Parameter(name: "file", value: "Sources/x.swift")], expectations: [])), at: 1)
        edited.insert(.prose("A note of my own."), at: 2)
        let written = try ChapterWriter.write(edited, original: small)
        #expect(written == small.replacingOccurrences(of: "Prose first.\n\n```step forward",
                                                      with: "Prose first.\n\n```step code\nfile: Sources/x.swift\n```\nA note of my own.\n```step forward"))
        #expect(try cleared(parsed(written)) == cleared(edited))
    }

    @Test func newProseAtTheEndEndsTheFile() throws {
        var edited = try parsed(small)
        edited.append(.prose("No line break after me."))
        let written = try ChapterWriter.write(edited, original: small)
        #expect(written == small + "\nNo line break after me.")
        #expect(try cleared(parsed(written)) == cleared(ChapterWriter.normalized(edited)))
        #expect(ChapterWriter.normalized(edited).count == edited.count - 1)
    }

    @Test func aRemovedStepTakesOnlyItsLines() throws {
        var edited = try parsed(small)
        edited.remove(at: 2)
        #expect(try ChapterWriter.write(edited, original: small)
                == small.replacingOccurrences(of: "```step backward\nexpr: tanh(a)\na: 1\nexpect grad.a = 0.41997434161402614 ± 1e-9\n```\n\n", with: ""))
    }

    @Test func removingAStepBetweenProseJoinsTheProse() throws {
        let (_, text) = try #require(Self.realChapters.first)
        var edited = try parsed(text)
        let first = try #require(edited.firstIndex(where: isStep))
        let removed = try step(edited[first]) { _ in }
        edited.remove(at: first)
        let written = try ChapterWriter.write(edited, original: text)
        // The file without the fence's lines: the blank lines before and after it both stay.
        var lines = text.components(separatedBy: "\n")
        let closing = try #require(lines[removed.location.line...].firstIndex(of: "```"))
        lines.removeSubrange((removed.location.line - 1)...closing)
        #expect(written == lines.joined(separator: "\n"))
        let back = try parsed(written)
        #expect(cleared(back) == cleared(ChapterWriter.normalized(edited)))
        #expect(back.count == edited.count - 1)
    }

    @Test func stepsWithOneContentKeepTheirTextsInOrder() throws {
        let text = "# T\n\n```step f\n# one\na: 1\n```\n\n```step f\n# two\na: 1\n```\n"
        #expect(try ChapterWriter.write(try parsed(text), original: text) == text)
    }

    // MARK: Swift cells

    /// Two Swift cells, one indented and with blank lines and a comment inside, around a step.
    let withSwift = """
    # Swift

    Prose first.

    ```swift run
    let tape = Tape()
    let a = Value(2, on: tape, label: "a")

      // a comment, indented
    print(a.data)
    ```
    ```step forward
    expr: a
    a: 1
    ```

    ```swift run
    print("second")
    ```

    The end.

    """

    @Test func swiftCellsComeBackByteForByte() throws {
        #expect(try ChapterWriter.write(try parsed(withSwift), original: withSwift) == withSwift)
        let crlf = withSwift.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try ChapterWriter.write(try parsed(crlf), original: crlf) == crlf)
    }

    @Test func anEditedSwiftCellIsWrittenAsItsCodeAndNothingElseMoves() throws {
        var edited = try parsed(withSwift)
        edited[1] = .step(try step(edited[1]) { $0.code = "let b = 3\n\nprint(b * b)" })
        let written = try ChapterWriter.write(edited, original: withSwift)
        #expect(written == withSwift.replacingOccurrences(of: """
        let tape = Tape()
        let a = Value(2, on: tape, label: "a")

          // a comment, indented
        print(a.data)
        """, with: "let b = 3\n\nprint(b * b)")
            // A step written anew is followed by a blank line: the original's spacing went with its text.
            .replacingOccurrences(of: "```\n```step forward", with: "```\n\n```step forward"))
        #expect(try cleared(parsed(written)) == cleared(edited))
    }

    @Test func swiftCellsAreToldApartByTheirCode() throws {
        // Swapped, each keeps its own text: a cell's original is the one with its code.
        var swapped = try parsed(withSwift)
        swapped.swapAt(1, 3)
        let written = try ChapterWriter.write(swapped, original: withSwift)
        #expect(try cleared(parsed(written)) == cleared(ChapterWriter.normalized(swapped)))
        #expect(written.contains("Prose first.\n\n```swift run\nprint(\"second\")\n```\n\n```step forward"))
    }

    @Test func aNewSwiftCellGetsARunFence() throws {
        var edited = try parsed(small)
        var cell = StepInvocation(id: ChapterParser.swiftCellID, parameters: [], expectations: [])
        cell.code = "print(1 + 1)\n    print(\"indented\")"
        edited.insert(.step(cell), at: 2)
        var empty = cell
        empty.code = ""
        edited.append(.step(empty))
        let written = try ChapterWriter.write(edited, original: small)
        #expect(written.contains("```\n\n```swift run\nprint(1 + 1)\n    print(\"indented\")\n```\n\n```step backward"))
        #expect(written.hasSuffix("The end.\n\n```swift run\n```\n"))
        #expect(try cleared(parsed(written)) == cleared(edited))
    }

    @Test(arguments: [
        ("```\nnot the end", "````swift run\n```\nnot the end\n````"),
        ("   ````text\nx\n   ````", "`````swift run\n   ````text\nx\n   ````\n`````"),
        ("let s = \"```\"", "```swift run\nlet s = \"```\"\n```"),
    ])
    func codeThatHoldsAFenceGetsALongerOne(_ code: String, fence: String) throws {
        var cell = StepInvocation(id: ChapterParser.swiftCellID, parameters: [], expectations: [])
        cell.code = code
        let segments: [Chapter.Segment] = [.prose("# T"), .step(cell)]
        let written = try ChapterWriter.write(segments)
        #expect(written == "# T\n" + fence + "\n")
        #expect(try cleared(parsed(written)) == cleared(segments))
    }

    @Test func swiftCellsThatCannotBeWrittenAreRefused() {
        var cell = StepInvocation(id: ChapterParser.swiftCellID, parameters: [], expectations: [])
        cell.code = "print(1)\r\nprint(2)"
        expectRefusal([.prose("# T"), .step(cell)], segment: 1, step: "swift", name: nil, "carriage return")
        cell.code = "print(1)"
        cell.parameters = [Parameter(name: "a", value: "1")]
        expectRefusal([.prose("# T"), .step(cell)], segment: 1, step: "swift", name: "a", "no 'key: value' parameters")
        var forward = StepInvocation(id: "forward", parameters: [], expectations: [])
        forward.code = "print(1)"
        expectRefusal([.prose("# T"), .step(forward)], segment: 1, step: "forward", name: nil, "holds Swift code")
    }

    // MARK: Values

    @Test func unicodeAndMarkupInValuesAreWrittenAsTheyAre() throws {
        let values = ["<script>alert('x')</script>", "héllo wörld 👩‍👩‍👧", "e\u{301} vs \u{E9}", "\u{202E}reversed", "a: b: c",
                      "# not a comment", "``` not a fence", "tanh(a) ± 1", "&amp; \\n", "\u{1B}[31mred", "x\ty"]
        let step = StepInvocation(id: "forward", parameters: values.enumerated().map { Parameter(name: "p\($0)", value: $1) },
                                  expectations: [Lessons.Expectation(name: "label", expected: .text("<script>alert(1)</script>"))])
        let written = try ChapterWriter.write([.prose("# Title\n"), .step(step)])
        #expect(written.contains("p0: <script>alert('x')</script>\n"))
        #expect(written.contains("expect label = <script>alert(1)</script>\n"))
        let back = try readBackStep(written, 1)
        #expect(back.parameters.map(\.value) == values)
        #expect(back.parameters.map { Array($0.value.unicodeScalars) } == values.map { Array($0.unicodeScalars) })
        #expect(back.expectations.map(\.expected) == [.text("<script>alert(1)</script>")])
    }

    @Test func unicodeParameterNamesAreNames() throws {
        let step = StepInvocation(id: "forward", parameters: [Parameter(name: "größe_٣", value: "1")], expectations: [])
        #expect(try readBackStep(try ChapterWriter.write([.prose("# T"), .step(step)]), 1).parameters.map(\.name) == ["größe_٣"])
    }

    @Test(arguments: [
        (ExpectedValue.number(-6, tolerance: 0), "expect out = -6"),
        (.number(0.7071067812, tolerance: 1e-4), "expect out = 0.7071067812 ± 0.0001"),
        (.number(0.7071067812, tolerance: 1e-5), "expect out = 0.7071067812 ± 1e-5"),
        (.number(24.70408163265306, tolerance: 1e-12), "expect out = 24.70408163265306 ± 1e-12"),
        (.number(0.1 + 0.2, tolerance: 0.5), "expect out = 0.30000000000000004 ± 0.5"),
        (.number(1e20, tolerance: 1e+300), "expect out = 1e+20 ± 1e+300"),
        (.number(5e-324, tolerance: 0), "expect out = 5e-324"),
        (.number(.infinity, tolerance: .infinity), "expect out = inf ± inf"),
        (.number(-.infinity, tolerance: 0), "expect out = -inf"),
        (.text("r"), "expect out = r"),
        (.text("ERROR"), "expect out = ERROR"),
        (.text("a = b"), "expect out = a = b"),
        (.text("4"), "expect out = \"4\""),
        (.text("nan"), "expect out = \"nan\""),
        (.text("1e-9"), "expect out = \"1e-9\""),
        (.text(" a b "), "expect out = \" a b \""),
        (.text(""), "expect out = \"\""),
        (.text("\"q\""), "expect out = \"\"q\"\""),
        (.text("\"half"), "expect out = \"half"),
        (.text("é ✓"), "expect out = é ✓"),
    ])
    func expectationsAreWrittenSoTheyReadBack(_ expected: ExpectedValue, line: String) throws {
        let step = StepInvocation(id: "forward", parameters: [], expectations: [Lessons.Expectation(name: "out", expected: expected)])
        let written = try ChapterWriter.write([.prose("# T\n"), .step(step)])
        #expect(written == "# T\n\n```step forward\n\(line)\n```\n")
        #expect(try readBackStep(written, 1).expectations.map(\.expected) == [expected])
    }

    @Test func nanAndNegativeZeroReadBackAsThemselves() throws {
        let step = StepInvocation(id: "forward", parameters: [], expectations: [
            Lessons.Expectation(name: "a", expected: .number(.nan, tolerance: 0)),
            Lessons.Expectation(name: "b", expected: .number(-0.0, tolerance: 0)),
        ])
        let written = try ChapterWriter.write([.prose("# T\n"), .step(step)])
        #expect(written.contains("expect a = nan\nexpect b = -0\n"))
        let back = try readBackStep(written, 1).expectations.map(\.expected)
        guard case .number(let a, _) = back[0], case .number(let b, _) = back[1] else { Issue.record("not numbers: \(back)"); return }
        #expect(a.isNaN)
        #expect(b == 0 && b.sign == .minus)
    }

    /// Any Double, written, reads back with the same bits (NaN as a NaN).
    @Test func everyNumberReadsBackExactly() {
        var random = SplitMix64(seed: 0x5EED_0F_D0_0B1E)
        var checked = 0
        for _ in 0..<20_000 {
            let x = Double(bitPattern: random.next())
            let text = ChapterWriter.number(x)
            guard let back = Double(text) else { Issue.record("\(text) is no number"); continue }
            if x.isNaN { #expect(back.isNaN) } else { #expect(back.bitPattern == x.bitPattern, "\(x) written \(text) read \(back)") }
            checked += 1
        }
        #expect(checked == 20_000)
        #expect(ChapterWriter.number(21) == "21" && ChapterWriter.number(1e-9) == "1e-9" && ChapterWriter.number(-1.5) == "-1.5")
    }

    // MARK: What the writer refuses

    @Test(arguments: [
        (Parameter(name: "expr", value: "a +\nb"), "expr", "the value of parameter 'expr' holds a line break"),
        (Parameter(name: "expr", value: "a\r\nb"), "expr", "holds a line break"),
        (Parameter(name: "expr", value: "a\rb"), "expr", "holds a line break"),
        (Parameter(name: "a", value: " 2"), "a", "the value of parameter 'a' begins or ends with a space"),
        (Parameter(name: "a", value: "2\t"), "a", "begins or ends with a space"),
        (Parameter(name: "a", value: "2\u{A0}"), "a", "begins or ends with a space"),
        (Parameter(name: "a", value: "2\0"), "a", "holds a NUL character"),
        (Parameter(name: "n embd", value: "2"), "n embd", "'n embd' is not a parameter name"),
        (Parameter(name: "a:b", value: "2"), "a:b", "is not a parameter name"),
        (Parameter(name: "#a", value: "2"), "#a", "is not a parameter name"),
        (Parameter(name: "", value: "2"), "", "is not a parameter name"),
    ])
    func unwritableParametersAreRefused(_ parameter: Parameter, name: String, message: String) {
        let step = StepInvocation(id: "forward", parameters: [Parameter(name: "x", value: "1"), parameter], expectations: [])
        expectRefusal([.prose("# T\n"), .step(step)], segment: 1, step: "forward", name: name, message)
    }

    @Test func aParameterGivenTwiceIsRefused() {
        let step = StepInvocation(id: "model", parameters: [Parameter(name: "seed", value: "1"), Parameter(name: "seed", value: "2")], expectations: [])
        expectRefusal([.prose("# T\n"), .step(step)], segment: 1, step: "model", name: "seed", "parameter 'seed' is given twice")
    }

    @Test(arguments: [("", "the step has no id"), ("two words", "holds a space"), ("a`b", "holds a backtick"),
                      ("a\nb", "holds a line break"), ("a&b", "holds '&'"), ("a\\-b", "holds a backslash"), ("a\u{7}", "U+7")])
    func unwritableIDsAreRefused(_ id: String, message: String) {
        let step = StepInvocation(id: id, parameters: [], expectations: [])
        expectRefusal([.prose("# T\n"), .step(step)], segment: 1, step: id, name: nil, message)
    }

    @Test(arguments: [
        (Lessons.Expectation(name: "grad a", expected: .number(1, tolerance: 0)), "cannot be the name of an expectation"),
        (Lessons.Expectation(name: "a=b", expected: .number(1, tolerance: 0)), "cannot be the name of an expectation"),
        (Lessons.Expectation(name: "", expected: .number(1, tolerance: 0)), "cannot be the name of an expectation"),
        (Lessons.Expectation(name: "a\nb", expected: .number(1, tolerance: 0)), "holds a line break"),
        (Lessons.Expectation(name: "out", expected: .number(1, tolerance: -1e-9)), "the tolerance of expectation 'out' is -1e-9"),
        (Lessons.Expectation(name: "out", expected: .number(1, tolerance: .nan)), "the tolerance of expectation 'out' is nan"),
        (Lessons.Expectation(name: "out", expected: .text("a ± b")), "holds '±' or '+-'"),
        (Lessons.Expectation(name: "out", expected: .text("1 +- 2")), "holds '±' or '+-'"),
        (Lessons.Expectation(name: "out", expected: .text("two\nlines")), "the expected text of 'out' holds a line break"),
        (Lessons.Expectation(name: "out", expected: .text("nul\0")), "holds a NUL character"),
    ])
    func unwritableExpectationsAreRefused(_ expectation: Lessons.Expectation, message: String) {
        let step = StepInvocation(id: "forward", parameters: [Parameter(name: "a", value: "1")], expectations: [expectation])
        expectRefusal([.prose("# T\n"), .step(step)], segment: 1, step: "forward", name: expectation.name, message)
    }

    @Test(arguments: [
        ("   \n\n", "the prose before step 'forward' is empty"),
        ("Line one\r\nline two", "holds a carriage return"),
        ("See:\n\n```step forward\nexpr: a\na: 1\n```\n", "the prose before step 'forward' holds a ```step fence"),
        ("Code:\n\n```swift\nlet x = 1\n", "the prose before step 'forward' does not end where it should"),
        ("Code:\n\n~~~\nlet x = 1\n", "does not end where it should"),
        ("<div>", "does not end where it should"),
        ("- item\n\n  ```step forward\n  ```\n", "would not read back: a step fence inside a list is not run"),
    ])
    func proseThatWouldReadDifferentlyIsRefused(_ prose: String, message: String) {
        let step = StepInvocation(id: "forward", parameters: [Parameter(name: "a", value: "1")], expectations: [])
        expectRefusal([.prose("# T\n"), .step(step), .prose(prose), .step(step), .prose("The end.\n")], segment: 2, step: nil, name: nil, message)
    }

    @Test func proseAfterTheLastStepIsNamedByIt() {
        let step = StepInvocation(id: "train", parameters: [], expectations: [])
        expectRefusal([.prose("# T\n"), .step(step), .prose("\n")], segment: 2, step: nil, name: nil, "the prose after step 'train' is empty")
    }

    @Test func aChapterWithoutAHeadingIsRefused() {
        let step = StepInvocation(id: "forward", parameters: [], expectations: [])
        expectRefusal([.step(step), .prose("No heading here.\n")], segment: 0, step: "forward", name: nil, "the chapter has no heading")
    }

    @Test func theErrorSaysWhereWhatAndAHint() throws {
        let step = StepInvocation(id: "forward", parameters: [Parameter(name: "expr", value: "a\u{1B}\nb")], expectations: [])
        do {
            _ = try ChapterWriter.write([.prose("# T\n"), .step(step)])
            Issue.record("wrote a value holding a line break")
        } catch {
            #expect(error.description == "cannot save the chapter: in step 'forward': the value of parameter 'expr' holds a line break, "
                        + "and each line of a step is a parameter or an expectation of its own\nHINT: join it into one line")
        }
        // Control characters quoted from the chapter are written out.
        let named = StepInvocation(id: "forward", parameters: [Parameter(name: "a\u{1B}", value: "1")], expectations: [])
        do {
            _ = try ChapterWriter.write([.prose("# T\n"), .step(named)])
            Issue.record("wrote a parameter name holding ESC")
        } catch {
            #expect(error.description.contains("in step 'forward': 'a\\u{1B}' is not a parameter name\nHINT: parameter names are"))
        }
    }

    // MARK: Random edits

    /// Real chapters edited at random with the parser fuzzer's pieces: whatever the writer writes
    /// reads back as the edited segments, or it throws. Nothing in between.
    @Test func fuzzRandomEditsReadBackOrAreRefused() {
        let chapters = Self.realChapters.compactMap { chapter in (try? parsed(chapter.text)).map { (chapter.name, chapter.text, $0) } }
        var written = 0
        Fuzz.run("chapter writer edits") { random in
            let (name, text, picked) = random.pick(chapters)
            var edited = picked
            for _ in 0..<(1 + random.below(3)) { edit(&edited, &random) }
            do {
                let output = try ChapterWriter.write(edited, original: random.chance(0.5) ? text : nil)
                written += 1
                let back = try parsed(output)
                return cleared(back, markingNaN: true) == cleared(ChapterWriter.normalized(edited), markingNaN: true) ? nil
                    : "\(name): the written chapter reads back differently: \(shown(output))"
            } catch let error as ChapterWriteError {
                return edited.indices.contains(error.segment) && !error.message.isEmpty ? nil : "error at segment \(error.segment) of \(edited.count)"
            } catch {
                return "\(name): \(error)"
            }
        }
        #expect(written > 0)
        print("chapter writer edits: \(written) written, the others refused")
    }

    /// Mutated chapters that parse, written unedited: they read back the same, and byte for byte
    /// when every line ends with LF and the last segment is prose. Only a fence left open is
    /// written anew, and it can only be the last segment: nothing else may be refused.
    @Test func fuzzMutatedChaptersComeBack() {
        Fuzz.run("chapter writer originals") { random in
            let text = ChapterParserFuzzTests.mutated(&random)
            guard let segments = try? parsed(text) else { return nil }
            let endsInProse = if case .prose? = segments.last { true } else { false }
            do {
                let output = try ChapterWriter.write(segments, original: text)
                guard cleared(try parsed(output), markingNaN: true) == cleared(segments, markingNaN: true) else {
                    return "reads back differently: \(shown(text))"
                }
                if !text.unicodeScalars.contains("\r"), endsInProse, output != text {
                    return "changed at \(firstDifference(output, text)): \(shown(text))"
                }
                return nil
            } catch {
                return endsInProse ? "unedited chapter refused: \(error): \(shown(text))" : nil
            }
        }
    }

    private func edit(_ segments: inout [Chapter.Segment], _ random: inout SplitMix64) {
        let piece = { (random: inout SplitMix64) in
            (0..<(1 + random.below(3))).map { _ in random.chance(0.5) ? random.pick(ChapterParserFuzzTests.pieces) : "a1" }.joined()
        }
        let stepIndices = segments.indices.filter { isStep(segments[$0]) }
        switch random.below(8) {
        case 0, 1:  // a parameter's value
            guard let index = pick(stepIndices, &random), case .step(var step) = segments[index], !step.parameters.isEmpty else { return }
            step.parameters[random.below(step.parameters.count)].value = piece(&random)
            segments[index] = .step(step)
        case 2:  // a new parameter, its name sometimes no name
            guard let index = pick(stepIndices, &random), case .step(var step) = segments[index] else { return }
            step.parameters.append(Parameter(name: random.chance(0.7) ? "p\(random.below(1000))" : piece(&random), value: piece(&random)))
            segments[index] = .step(step)
        case 3:  // an expectation
            guard let index = pick(stepIndices, &random), case .step(var step) = segments[index] else { return }
            let expected: ExpectedValue = random.chance(0.5) ? .text(piece(&random))
                : .number(Double(bitPattern: random.next()), tolerance: random.chance(0.5) ? 0 : Double(bitPattern: random.next()))
            step.expectations.append(Lessons.Expectation(name: random.chance(0.7) ? "out" : piece(&random), expected: expected))
            segments[index] = .step(step)
        case 4:  // a new step anywhere
            let id = random.chance(0.8) ? random.pick(["forward", "backward", "code"]) : piece(&random)
            segments.insert(.step(StepInvocation(id: id, parameters: [Parameter(name: "a", value: piece(&random))], expectations: [])),
                            at: random.below(segments.count + 1))
        case 6:  // a Swift cell's code, or a new Swift cell: pieces hold fences of every length
            let code = (0..<(1 + random.below(3))).map { _ in piece(&random) }.joined(separator: "\n")
            let cells = stepIndices.filter { if case .step(let step) = segments[$0] { step.code != nil } else { false } }
            if let index = pick(cells, &random), random.chance(0.5), case .step(var step) = segments[index] {
                step.code = code
                segments[index] = .step(step)
            } else {
                var cell = StepInvocation(id: ChapterParser.swiftCellID, parameters: [], expectations: [])
                cell.code = code
                segments.insert(.step(cell), at: random.below(segments.count + 1))
            }
        case 5:  // a step removed
            guard let index = pick(stepIndices, &random) else { return }
            segments.remove(at: index)
        default:  // prose with a piece inserted, or new prose
            let index = random.below(segments.count)
            if case .prose(let prose) = segments[index] {
                var scalars = Array(prose.unicodeScalars)
                scalars.insert(contentsOf: piece(&random).unicodeScalars, at: random.below(scalars.count + 1))
                var text = ""
                text.unicodeScalars.append(contentsOf: scalars)
                segments[index] = .prose(text)
            } else {
                segments.insert(.prose(piece(&random)), at: index + 1)
            }
        }
    }

    // MARK: Helpers

    private func pick(_ indices: [Int], _ random: inout SplitMix64) -> Int? {
        indices.isEmpty ? nil : random.pick(indices)
    }

    /// The segments of `text`, or the first problem the parser found in it: these tests write
    /// chapters that read without errors (a broken step is kept as written, see below).
    private func parsed(_ text: String) throws -> [Chapter.Segment] {
        let chapter = try ChapterParser.parse(text, file: "x.md", number: 1, slug: "x")
        if let problem = (chapter.diagnostics.filter { $0.severity == .error } + chapter.steps.flatMap(\.parseErrors)).first { throw problem }
        return chapter.segments
    }

    /// The `index`th segment of `text`, which must be a step.
    private func readBackStep(_ text: String, _ index: Int) throws -> StepInvocation {
        try step(try parsed(text)[index]) { _ in }
    }

    private func step(_ segment: Chapter.Segment, _ change: (inout StepInvocation) -> Void) throws -> StepInvocation {
        guard case .step(var step) = segment else { throw LessonError(at: .nowhere, "segment \(segment) is no step") }
        change(&step)
        return step
    }

    private func isStep(_ segment: Chapter.Segment) -> Bool {
        if case .step = segment { true } else { false }
    }

    /// The segments with every location cleared: what the writer promises to keep. Marking NaN
    /// replaces each NaN expected by one text, so that == finds two NaN equal.
    private func cleared(_ segments: [Chapter.Segment], markingNaN: Bool = false) -> [Chapter.Segment] {
        segments.map { segment in
            guard case .step(var step) = segment else { return segment }
            step.location = .nowhere
            step.idLocation = .nowhere
            for i in step.parameters.indices { step.parameters[i].location = .nowhere; step.parameters[i].valueLocation = .nowhere }
            for i in step.expectations.indices {
                step.expectations[i].location = .nowhere
                if markingNaN, case .number(let x, let t) = step.expectations[i].expected, x.isNaN || t.isNaN {
                    step.expectations[i].expected = .text("\0NaN \(x.isNaN) \(t.isNaN ? "nan" : "\(t)")")
                }
            }
            return .step(step)
        }
    }

    private func firstDifference(_ a: String, _ b: String) -> String {
        let offset = zip(a.utf8, b.utf8).prefix { $0 == $1 }.count
        return "byte \(offset): \(shown(String(decoding: a.utf8.dropFirst(offset).prefix(40), as: UTF8.self))) "
            + "instead of \(shown(String(decoding: b.utf8.dropFirst(offset).prefix(40), as: UTF8.self)))"
    }

    private func expectRefusal(_ segments: [Chapter.Segment], segment: Int, step: String?, name: String?, _ message: String,
                               sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        do {
            let written = try ChapterWriter.write(segments)
            Issue.record("wrote \(shown(written)) instead of refusing", sourceLocation: sourceLocation)
        } catch {
            #expect(error.segment == segment, sourceLocation: sourceLocation)
            #expect(error.step == step, sourceLocation: sourceLocation)
            #expect(error.name == name, sourceLocation: sourceLocation)
            #expect(error.message.contains(message), "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.hint?.isEmpty == false, sourceLocation: sourceLocation)
        }
    }
}
