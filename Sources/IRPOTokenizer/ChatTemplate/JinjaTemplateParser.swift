/// Parses template segments into a tree of statements.
struct JinjaTemplateParser {
    let segments: [TemplateSegment]
    var index = 0
    /// Statement bodies being parsed (the template itself is 1); at most
    /// `JinjaLimits.maxBlockDepth` nested blocks.
    private var depth = 0

    init(segments: [TemplateSegment]) {
        self.segments = segments
    }

    static let unsupportedStatements: Set<String> = [
        "macro", "call", "filter", "include", "import", "from", "extends", "block", "raw", "with", "autoescape", "do",
        "trans", "print",
    ]

    /// - Throws: `ChatTemplateError` for syntax errors, unsupported statements, or a template over
    ///   `JinjaLimits.maxTemplateBytes` or nested past the block and expression limits.
    static func parse(_ source: String) throws -> [JinjaNode] {
        guard source.utf8.count <= JinjaLimits.maxTemplateBytes else {
            throw ChatTemplateError(.syntax, "the template has \(source.utf8.count) bytes, over the limit of \(JinjaLimits.maxTemplateBytes)")
        }
        var parser = JinjaTemplateParser(segments: try JinjaLexer.segments(source))
        let (nodes, terminator) = try parser.parseBody(until: [])
        if let terminator {
            throw ChatTemplateError(.syntax, "unexpected {% \(terminator.keyword) %}", line: terminator.line)
        }
        return nodes
    }

    struct Terminator {
        let keyword: String
        var parser: JinjaExpressionParser
        let line: Int
    }

    /// Parses nodes until a statement whose keyword is in `terminators` (returned) or the end.
    mutating func parseBody(until terminators: Set<String>) throws -> ([JinjaNode], Terminator?) {
        depth += 1
        defer { depth -= 1 }
        guard depth <= JinjaLimits.maxBlockDepth + 1 else {
            var line: Int?
            if index > 0, case .statement(_, let at) = segments[index - 1] { line = at }
            throw ChatTemplateError(.syntax, "statements nest deeper than \(JinjaLimits.maxBlockDepth) levels (the limit)", line: line)
        }
        var nodes: [JinjaNode] = []
        while index < segments.count {
            let segment = segments[index]
            index += 1
            switch segment {
            case .text(let text):
                nodes.append(.text(text))
            case .expression(let source, let line):
                var parser = try JinjaExpressionParser(source, line: line)
                let expression = try parser.parseExpression()
                guard parser.atEnd else { throw parser.error("unexpected \(parser.peek().map { "\($0)" } ?? "")") }
                nodes.append(.output(expression, line: line))
            case .statement(let source, let line):
                var parser = try JinjaExpressionParser(source, line: line)
                let keyword = try parser.expectName()
                if terminators.contains(keyword) {
                    return (nodes, Terminator(keyword: keyword, parser: parser, line: line))
                }
                nodes.append(try parseStatement(keyword, &parser, line: line))
            }
        }
        if !terminators.isEmpty {
            throw ChatTemplateError(.syntax, "missing {% \(terminators.sorted().joined(separator: " / ")) %}")
        }
        return (nodes, nil)
    }

    mutating func parseStatement(_ keyword: String, _ parser: inout JinjaExpressionParser, line: Int) throws -> JinjaNode {
        func finish(_ parser: JinjaExpressionParser) throws {
            guard parser.atEnd else { throw parser.error("unexpected \(parser.peek().map { "\($0)" } ?? "") in {% \(keyword) %}") }
        }
        switch keyword {
        case "if":
            var branches: [(JinjaExpression, [JinjaNode])] = []
            var condition = try parser.parseExpression()
            try finish(parser)
            while true {
                let (body, terminator) = try parseBody(until: ["elif", "else", "endif"])
                branches.append((condition, body))
                guard var terminator else { throw ChatTemplateError(.syntax, "missing {% endif %}", line: line) }
                switch terminator.keyword {
                case "elif":
                    condition = try terminator.parser.parseExpression()
                    try finish(terminator.parser)
                case "else":
                    try finish(terminator.parser)
                    let (otherwise, end) = try parseBody(until: ["endif"])
                    guard end != nil else { throw ChatTemplateError(.syntax, "missing {% endif %}", line: line) }
                    return .ifBlock(branches, otherwise: otherwise, line: line)
                default:
                    return .ifBlock(branches, otherwise: [], line: line)
                }
            }
        case "for":
            var targets = [try parser.expectName()]
            while parser.accept(",") { targets.append(try parser.expectName()) }
            guard parser.acceptName("in") else { throw parser.error("expected \"in\" in {% for %}") }
            let iterable = try parser.parseExpression(allowConditional: false)
            let filter = parser.acceptName("if") ? try parser.parseExpression(allowConditional: false) : nil
            if parser.acceptName("recursive") {
                throw ChatTemplateError(.unsupported, "recursive for loops", line: line)
            }
            try finish(parser)
            let (body, terminator) = try parseBody(until: ["else", "endfor"])
            guard let terminator else { throw ChatTemplateError(.syntax, "missing {% endfor %}", line: line) }
            var otherwise: [JinjaNode] = []
            if terminator.keyword == "else" {
                let (elseBody, end) = try parseBody(until: ["endfor"])
                guard end != nil else { throw ChatTemplateError(.syntax, "missing {% endfor %}", line: line) }
                otherwise = elseBody
            }
            return .forBlock(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: line)
        case "set":
            let name = try parser.expectName()
            var attribute: String?
            if parser.accept(".") { attribute = try parser.expectName() }
            if parser.atEnd {
                guard attribute == nil else { throw parser.error("block set of an attribute") }
                let (body, end) = try parseBody(until: ["endset"])
                guard end != nil else { throw ChatTemplateError(.syntax, "missing {% endset %}", line: line) }
                return .setBlock(name: name, body: body)
            }
            if parser.peek() == .symbol(",") {
                throw ChatTemplateError(.unsupported, "tuple assignment in {% set %}", line: line)
            }
            try parser.expect("=")
            let value = try parser.parseTupleOrExpression()
            try finish(parser)
            return .set(name: name, attribute: attribute, value, line: line)
        case "break":
            try finish(parser)
            return .breakLoop
        case "continue":
            try finish(parser)
            return .continueLoop
        case "generation":
            // transformers' AssistantTracker: marks assistant text; renders its body unchanged.
            let (body, end) = try parseBody(until: ["endgeneration"])
            guard end != nil else { throw ChatTemplateError(.syntax, "missing {% endgeneration %}", line: line) }
            return .ifBlock([(.literal(.bool(true)), body)], otherwise: [], line: line)
        default:
            if Self.unsupportedStatements.contains(keyword) {
                throw ChatTemplateError(.unsupported, "{% \(keyword) %} statement", line: line)
            }
            throw ChatTemplateError(.syntax, "unknown statement {% \(keyword) %}", line: line)
        }
    }
}
