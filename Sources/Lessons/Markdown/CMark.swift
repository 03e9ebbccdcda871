// The one file that talks to cmark-gfm. It parses with source positions, walks the C tree once
// into `MarkdownNode` values, renders HTML with the GitHub extensions, and frees every C object
// with `defer`. Nothing outside this file sees a C pointer. The walk keeps its own stack instead
// of recursing, and refuses a tree deeper than `maximumDepth`, so every later walk of the Swift
// tree (and its Equatable and its deinit) recurses a bounded number of levels.
import CCMarkGFM
import Foundation

/// A node of a parsed Markdown document, with where it came from.
struct MarkdownNode: Sendable, Equatable {
    /// cmark's name for the node type: "heading", "code_block", "paragraph", "table", ...
    var type: String
    /// First line and column, 1-based, as cmark reports them.
    var start: (line: Int, column: Int)
    /// Last line and column, 1-based.
    var end: (line: Int, column: Int)
    /// Text of leaves (text, code, code blocks); empty elsewhere.
    var literal: String
    /// The info string of a fenced code block ("step forward"); empty elsewhere.
    var fenceInfo: String
    /// 1 to 6 for headings, 0 elsewhere.
    var headingLevel: Int
    var children: [MarkdownNode]
    /// Where a link or an image leads; empty elsewhere.
    var url = ""
    /// How a list numbers its items; nil for every node that is not a list.
    var list: ListStyle?
    /// A table's alignment per column: "l", "c", "r", or "" when the delimiter row gives none.
    var alignments: [String] = []

    /// The numbering and spacing of a list.
    struct ListStyle: Sendable, Equatable {
        /// The number of the first item of an ordered list; nil for a bullet list.
        var start: Int?
        /// True when no blank line separates the items.
        var tight: Bool
    }

    static func == (a: MarkdownNode, b: MarkdownNode) -> Bool {
        a.type == b.type && a.start == b.start && a.end == b.end && a.literal == b.literal
            && a.fenceInfo == b.fenceInfo && a.headingLevel == b.headingLevel && a.children == b.children
            && a.url == b.url && a.list == b.list && a.alignments == b.alignments
    }

    /// The text a reader sees in this node: the literals of its text and code leaves, concatenated.
    var plainText: String {
        switch type {
        case "text", "code": return literal
        case "softbreak", "linebreak": return " "
        default: return children.map(\.plainText).joined()
        }
    }
}

/// Parsing and rendering GitHub-flavoured Markdown with cmark-gfm.
enum CMark {
    /// The GitHub extensions every parse attaches. Tagfilter disarms raw tags such as <script>.
    private static let extensionNames = ["table", "strikethrough", "autolink", "tagfilter"]

    /// Levels of nesting a document may have below its root: each block quote, list, list item,
    /// paragraph, emphasis or link is one, so a word in emphasis in a quoted paragraph is four
    /// deep. Real prose nests a handful of levels.
    static let maximumDepth = 100

    /// A document nested deeper than `maximumDepth`: where the first node too deep starts.
    struct TooDeep: Error {
        let line: Int
        let column: Int
    }

    /// The document tree of `markdown`, with every node's source range.
    static func parse(_ markdown: String) throws(TooDeep) -> MarkdownNode {
        try withParser { parser throws(TooDeep) in
            cmark_parser_feed(parser, markdown, markdown.utf8.count)
            guard let document = cmark_parser_finish(parser) else { return emptyDocument }
            defer { cmark_node_free(document) }
            return try tree(document)
        }
    }

    /// `markdown` as an HTML fragment. Raw HTML in the source is not passed through (cmark's safe
    /// default), so prose cannot inject markup into the walkthrough.
    static func html(_ markdown: String) -> String {
        withParser { parser in
            cmark_parser_feed(parser, markdown, markdown.utf8.count)
            guard let document = cmark_parser_finish(parser) else { return "" }
            defer { cmark_node_free(document) }
            guard let rendered = cmark_render_html(document, CMARK_OPT_DEFAULT, cmark_parser_get_syntax_extensions(parser)) else {
                return ""
            }
            defer { free(rendered) }
            return String(cString: rendered)
        }
    }

    private static let emptyDocument = MarkdownNode(type: "document", start: (1, 1), end: (1, 1), literal: "",
                                                    fenceInfo: "", headingLevel: 0, children: [])

    /// Runs `body` with a parser that has the GitHub extensions attached, and frees it afterwards.
    private static func withParser<T, E: Error>(_ body: (OpaquePointer) throws(E) -> T) throws(E) -> T {
        cmark_gfm_core_extensions_ensure_registered()
        guard let parser = cmark_parser_new(CMARK_OPT_SOURCEPOS) else { preconditionFailure("cmark-gfm could not allocate a parser") }
        defer { cmark_parser_free(parser) }
        for name in extensionNames {
            if let syntaxExtension = cmark_find_syntax_extension(name) {
                cmark_parser_attach_syntax_extension(parser, syntaxExtension)
            }
        }
        return try body(parser)
    }

    /// A C node and its subtree as Swift values, built depth first with an explicit stack: a
    /// node is finished once its last child is, then appended to its parent.
    private static func tree(_ root: OpaquePointer) throws(TooDeep) -> MarkdownNode {
        // Each open node, with the next child still to visit.
        var open: [(node: MarkdownNode, next: OpaquePointer?)] = [(node(root), cmark_node_first_child(root))]
        while let top = open.last {
            if let child = top.next {
                open[open.count - 1].next = cmark_node_next(child)
                let built = node(child)
                guard open.count <= maximumDepth else { throw tooDeep(built, inside: open.map(\.node)) }
                open.append((built, cmark_node_first_child(child)))
            } else {
                open.removeLast()
                guard !open.isEmpty else { return top.node }
                open[open.count - 1].node.children.append(top.node)
            }
        }
        return emptyDocument
    }

    /// Where the node too deep starts; an inline node without a position of its own is placed
    /// at the nearest enclosing node that has one.
    private static func tooDeep(_ node: MarkdownNode, inside ancestors: [MarkdownNode]) -> TooDeep {
        let placed = ([node] + ancestors.reversed()).first { $0.start.line > 0 } ?? node
        return TooDeep(line: max(1, placed.start.line), column: max(1, placed.start.column))
    }

    /// One C node as a Swift value, without its children.
    private static func node(_ pointer: OpaquePointer) -> MarkdownNode {
        let type = cmark_node_get_type(pointer)
        let literal = cmark_node_get_literal(pointer).map { String(cString: $0) } ?? ""
        let info = type == CMARK_NODE_CODE_BLOCK ? cmark_node_get_fence_info(pointer).map { String(cString: $0) } ?? "" : ""
        return MarkdownNode(
            type: cmark_node_get_type_string(pointer).map { String(cString: $0) } ?? "unknown",
            start: (Int(cmark_node_get_start_line(pointer)), Int(cmark_node_get_start_column(pointer))),
            end: (Int(cmark_node_get_end_line(pointer)), Int(cmark_node_get_end_column(pointer))),
            literal: literal,
            fenceInfo: info,
            headingLevel: type == CMARK_NODE_HEADING ? Int(cmark_node_get_heading_level(pointer)) : 0,
            children: [],
            url: type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE ? cmark_node_get_url(pointer).map { String(cString: $0) } ?? "" : "",
            list: type == CMARK_NODE_LIST ? listStyle(pointer) : nil,
            alignments: alignments(pointer))
    }

    private static func listStyle(_ pointer: OpaquePointer) -> MarkdownNode.ListStyle {
        let ordered = cmark_node_get_list_type(pointer) == CMARK_ORDERED_LIST
        return MarkdownNode.ListStyle(start: ordered ? Int(cmark_node_get_list_start(pointer)) : nil,
                                      tight: cmark_node_get_list_tight(pointer) != 0)
    }

    /// A GFM table's column alignments, from the table extension; none for every other node.
    private static func alignments(_ pointer: OpaquePointer) -> [String] {
        guard cmark_node_get_type_string(pointer).map({ String(cString: $0) }) == "table",
              let bytes = cmark_gfm_extensions_get_table_alignments(pointer) else { return [] }
        let columns = Int(cmark_gfm_extensions_get_table_columns(pointer))
        return (0..<columns).map { bytes[$0] == 0 ? "" : String(UnicodeScalar(bytes[$0])) }
    }
}
