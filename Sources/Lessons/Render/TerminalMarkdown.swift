// A chapter's prose for a terminal: cmark-gfm's tree of the Markdown drawn as text, so a learner
// reads **bold** as bold instead of its asterisks. Headings bold, code in its own colour, lists
// with bullets or numbers, quotes behind a bar, links as their text and address, pipe tables in
// aligned columns, fenced code indented. Without colour the words stay and the marks that carry
// meaning are kept (`code` in backticks, a rule under a heading). Every literal goes through
// `VisibleText`; raw HTML is left out, as the HTML walkthrough leaves it out.

/// Draws Markdown prose as terminal text.
struct TerminalMarkdown {
    /// Use ANSI colours and bold.
    var colour: Bool

    /// `markdown` drawn for the terminal; the text as written (made visible) if it cannot be parsed.
    func render(_ markdown: String) -> String {
        guard let document = try? CMark.parse(markdown) else { return VisibleText.lines(markdown) }
        return blocks(document.children, tight: false).joined(separator: "\n")
    }

    // MARK: Blocks, each a list of lines

    /// Blocks one after the other, a blank line between them unless `tight` (a tight list's item).
    private func blocks(_ nodes: [MarkdownNode], tight: Bool) -> [String] {
        var lines: [String] = []
        for node in nodes {
            let drawn = block(node)
            if drawn.isEmpty { continue }
            if !lines.isEmpty && !tight { lines.append("") }
            lines += drawn
        }
        return lines
    }

    private func block(_ node: MarkdownNode) -> [String] {
        switch node.type {
        case "paragraph":
            return split(inline(node.children, active: []))
        case "heading":
            return heading(node)
        case "code_block":
            var code = split(VisibleText.lines(node.literal))
            if code.last == "" { code.removeLast() }  // the line break that ends the last line
            return code.map { $0.isEmpty ? "" : "    " + styled($0, Style.code) }
        case "block_quote":
            return blocks(node.children, tight: false).map { styled("│", Style.faint) + " " + $0 }
        case "list":
            return list(node)
        case "table":
            return table(node)
        case "thematic_break":
            return [styled(String(repeating: "─", count: 72), Style.faint)]
        case "html_block":
            return []  // the walkthrough leaves raw HTML out; `gpt check` warns about it
        default:
            return split(VisibleText.lines(node.plainText))
        }
    }

    /// Bold with colour (underlined too at level 1); without, the text with a rule under it.
    private func heading(_ node: MarkdownNode) -> [String] {
        let code = node.headingLevel == 1 ? Style.bold + ";" + Style.underline : Style.bold
        let text = inline(node.children, active: colour ? [code] : [])
        if colour { return [styled(text, code)] }
        return [text, String(repeating: node.headingLevel == 1 ? "=" : "-", count: max(3, Self.width(text)))]
    }

    /// Each item behind its bullet or number, its later lines indented under its first.
    private func list(_ node: MarkdownNode) -> [String] {
        let style = node.list ?? MarkdownNode.ListStyle(start: nil, tight: true)
        var lines: [String] = []
        for (offset, item) in node.children.enumerated() {
            let marker = style.start.map { "\($0 + offset)." } ?? "•"
            let body = blocks(item.children, tight: style.tight)
            if !lines.isEmpty && !style.tight { lines.append("") }
            let indent = String(repeating: " ", count: marker.count + 1)
            lines += body.enumerated().map { index, line in
                index == 0 ? marker + " " + line : (line.isEmpty ? "" : indent + line)
            }
            if body.isEmpty { lines.append(marker) }
        }
        return lines
    }

    /// Columns padded to their widest cell and aligned as the delimiter row says; the header
    /// row underlined with colour, ruled without.
    private func table(_ node: MarkdownNode) -> [String] {
        let rows = node.children.map { row in
            row.children.map { inline($0.children, active: colour && row.type == "table_header" ? [Style.underline] : []) }
        }
        let header = node.children.map { $0.type == "table_header" }
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { $0.count > column ? Self.width($0[column]) : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            (0..<columns).map { column in
                let cell = column < cells.count ? cells[column] : ""
                let pad = max(0, widths[column] - Self.width(cell))
                switch column < node.alignments.count ? node.alignments[column] : "" {
                case "r": return String(repeating: " ", count: pad) + cell
                case "c": return String(repeating: " ", count: pad / 2) + cell + String(repeating: " ", count: pad - pad / 2)
                default: return cell + String(repeating: " ", count: pad)
                }
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var lines: [String] = []
        for (cells, isHeader) in zip(rows, header) {
            guard isHeader else { lines.append(line(cells)); continue }
            if colour {
                lines.append(styled(line(cells), Style.underline))
            } else {
                lines += [line(cells), widths.map { String(repeating: "-", count: max(1, $0)) }.joined(separator: "  ")]
            }
        }
        return lines
    }

    // MARK: Inlines

    /// The text of inline nodes, styled. `active` holds the styles of the enclosing nodes, which
    /// each inner style puts back when it ends (a terminal's reset ends them all).
    private func inline(_ nodes: [MarkdownNode], active: [String]) -> String {
        nodes.map { inline($0, active: active) }.joined()
    }

    private func inline(_ node: MarkdownNode, active: [String]) -> String {
        switch node.type {
        case "text":
            return VisibleText.lines(node.literal)
        case "softbreak", "linebreak":
            return "\n"
        case "code":
            let code = VisibleText.line(node.literal)
            return colour ? styled(code, Style.code, inside: active) : "`" + code + "`"
        case "emph":
            return wrapped(node, Style.italic, active: active)
        case "strong":
            return wrapped(node, Style.bold, active: active)
        case "strikethrough":
            return colour ? wrapped(node, Style.struck, active: active) : "~~" + inline(node.children, active: active) + "~~"
        case "link":
            let text = wrapped(node, Style.underline, active: active)
            let url = VisibleText.line(node.url)
            let plain = VisibleText.line(node.plainText)
            return plain == url || "mailto:" + plain == url || url.isEmpty ? text : text + " (" + url + ")"
        case "image":
            return "[image: " + VisibleText.line(node.plainText) + "] (" + VisibleText.line(node.url) + ")"
        case "html_inline":
            return ""  // left out, as in the walkthrough
        default:
            return inline(node.children, active: active)
        }
    }

    /// The node's children in `code`, inside the styles already active.
    private func wrapped(_ node: MarkdownNode, _ code: String, active: [String]) -> String {
        guard colour else { return inline(node.children, active: active) }
        return styled(inline(node.children, active: active + [code]), code, inside: active)
    }

    // MARK: Styles

    /// ANSI SGR codes of the prose.
    enum Style {
        static let bold = "1", faint = "2", italic = "3", underline = "4", struck = "9", code = "36"
    }

    private func styled(_ text: String, _ code: String, inside active: [String] = []) -> String {
        TerminalRenderer.styled(text, code, colour: colour, inside: active)
    }

    private func split(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// Characters a terminal shows: the renderer's own escape sequences take no room. (Text from
    /// the chapter holds none: `VisibleText` has written its escapes out.)
    static func width(_ text: String) -> Int {
        var count = 0, inEscape = false
        for character in text {
            if inEscape {
                if character == "m" { inEscape = false }
            } else if character == "\u{1B}" {
                inEscape = true
            } else {
                count += 1
            }
        }
        return count
    }
}
