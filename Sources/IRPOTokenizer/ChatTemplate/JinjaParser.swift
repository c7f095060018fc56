/// A Jinja expression.
indirect enum JinjaExpression {
    case literal(JinjaValue)
    case name(String)
    case list([JinjaExpression])
    case tuple([JinjaExpression])
    case dictionary([(JinjaExpression, JinjaExpression)])
    case attribute(JinjaExpression, String)
    case `subscript`(JinjaExpression, JinjaExpression)
    case slice(JinjaExpression, JinjaExpression?, JinjaExpression?, JinjaExpression?)
    case call(JinjaExpression, [JinjaExpression], [(String, JinjaExpression)])
    case filter(JinjaExpression, String, [JinjaExpression], [(String, JinjaExpression)])
    case test(JinjaExpression, String, [JinjaExpression], negated: Bool)
    case unary(String, JinjaExpression)
    case binary(String, JinjaExpression, JinjaExpression)
    case conditional(then: JinjaExpression, condition: JinjaExpression, otherwise: JinjaExpression?)
}

/// A Jinja statement or piece of output.
indirect enum JinjaNode {
    case text(String)
    case output(JinjaExpression, line: Int)
    case ifBlock([(JinjaExpression, [JinjaNode])], otherwise: [JinjaNode], line: Int)
    case forBlock(targets: [String], iterable: JinjaExpression, filter: JinjaExpression?, body: [JinjaNode],
                  otherwise: [JinjaNode], line: Int)
    case set(name: String, attribute: String?, JinjaExpression, line: Int)
    case setBlock(name: String, body: [JinjaNode])
    case breakLoop
    case continueLoop
}

/// Tokens of the expression language.
enum JinjaToken: Equatable {
    case name(String)
    case string(String)
    case integer(Int)
    case float(Double)
    case symbol(String)
}

enum JinjaExpressionLexer {
    static let symbols = ["==", "!=", "<=", ">=", "//", "**", "<", ">", "+", "-", "*", "/", "%", "~", "|", ".", ",",
                          ":", "(", ")", "[", "]", "{", "}", "="]

    static func tokens(_ source: String, line: Int) throws -> [JinjaToken] {
        let s = Array(source.unicodeScalars)
        var tokens: [JinjaToken] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1; continue }
            if c.properties.isAlphabetic || c == "_" {
                var j = i
                while j < s.count, s[j].properties.isAlphabetic || s[j] == "_" || ("0"..."9").contains(s[j]) { j += 1 }
                var view = String.UnicodeScalarView(); view.append(contentsOf: s[i..<j])
                tokens.append(.name(String(view)))
                i = j
                continue
            }
            if ("0"..."9").contains(c) {
                var j = i
                var isFloat = false
                while j < s.count, ("0"..."9").contains(s[j]) || s[j] == "_" || (s[j] == "." && !isFloat && j + 1 < s.count
                        && ("0"..."9").contains(s[j + 1])) {
                    if s[j] == "." { isFloat = true }
                    j += 1
                }
                var view = String.UnicodeScalarView(); view.append(contentsOf: s[i..<j].filter { $0 != "_" })
                let text = String(view)
                if isFloat, let value = Double(text) { tokens.append(.float(value)) }
                else if let value = Int(text) { tokens.append(.integer(value)) }
                else { throw ChatTemplateError(.syntax, "bad number \(text)", line: line) }
                i = j
                continue
            }
            if c == "'" || c == "\"" {
                var j = i + 1
                var view = String.UnicodeScalarView()
                while j < s.count, s[j] != c {
                    if s[j] == "\\", j + 1 < s.count {
                        j += 1
                        switch s[j] {
                        case "n": view.append("\n")
                        case "t": view.append("\t")
                        case "r": view.append("\r")
                        case "0": view.append("\0")
                        case "\\", "'", "\"": view.append(s[j])
                        case "u", "x":
                            let digits = s[j] == "u" ? 4 : 2
                            guard j + digits < s.count else { throw ChatTemplateError(.syntax, "bad escape", line: line) }
                            var hex = String.UnicodeScalarView(); hex.append(contentsOf: s[(j + 1)...(j + digits)])
                            guard let code = UInt32(String(hex), radix: 16), let scalar = Unicode.Scalar(code) else {
                                throw ChatTemplateError(.syntax, "bad escape \\\(s[j])\(String(hex))", line: line)
                            }
                            view.append(scalar)
                            j += digits
                        default: view.append("\\"); view.append(s[j])
                        }
                    } else {
                        view.append(s[j])
                    }
                    j += 1
                }
                guard j < s.count else { throw ChatTemplateError(.syntax, "unterminated string", line: line) }
                tokens.append(.string(String(view)))
                i = j + 1
                continue
            }
            var matched = false
            for symbol in symbols {
                let scalars = Array(symbol.unicodeScalars)
                if i + scalars.count <= s.count, Array(s[i..<(i + scalars.count)]) == scalars {
                    tokens.append(.symbol(symbol))
                    i += scalars.count
                    matched = true
                    break
                }
            }
            guard matched else { throw ChatTemplateError(.syntax, "unexpected character \"\(c)\"", line: line) }
        }
        return tokens
    }
}

/// Recursive-descent parser for Jinja expressions, with Jinja's precedence: conditional, or, and, not,
/// comparisons, `+ -`, `~`, `* / // %`, `**`, unary minus, then postfix (attributes, subscripts, calls),
/// filters and tests.
///
/// Bounded: the parser's own recursion (nested parentheses, lists, arguments, `not`, unary signs)
/// and the depth of the tree it builds (long operator chains nest too) stay within
/// `JinjaLimits.maxExpressionDepth`, so neither parsing nor evaluating nor freeing a tree can
/// overflow the stack.
struct JinjaExpressionParser {
    var tokens: [JinjaToken]
    var index = 0
    let line: Int
    /// Nested sub-expressions being parsed.
    private var recursion = 0
    /// The tree depth of the expression the last parse function returned.
    private var lastDepth = 0

    init(_ source: String, line: Int) throws {
        tokens = try JinjaExpressionLexer.tokens(source, line: line)
        self.line = line
    }

    var atEnd: Bool { index >= tokens.count }
    func peek(_ offset: Int = 0) -> JinjaToken? { index + offset < tokens.count ? tokens[index + offset] : nil }
    func error(_ message: String) -> ChatTemplateError { ChatTemplateError(.syntax, message, line: line) }

    private func tooDeep() -> ChatTemplateError {
        error("the expression nests deeper than \(JinjaLimits.maxExpressionDepth) levels (the limit); simplify it")
    }

    /// Enters one more nested sub-expression.
    private mutating func enter() throws {
        recursion += 1
        guard recursion <= JinjaLimits.maxExpressionDepth else { throw tooDeep() }
    }

    /// The depth of a node over children at most `depth` deep.
    private func grow(_ depth: Int) throws -> Int {
        guard depth < JinjaLimits.maxExpressionDepth else { throw tooDeep() }
        return depth + 1
    }

    mutating func accept(_ symbol: String) -> Bool {
        if peek() == .symbol(symbol) { index += 1; return true }
        return false
    }
    mutating func acceptName(_ name: String) -> Bool {
        if peek() == .name(name) { index += 1; return true }
        return false
    }
    mutating func expect(_ symbol: String) throws {
        guard accept(symbol) else { throw error("expected \"\(symbol)\"") }
    }
    mutating func expectName() throws -> String {
        guard case .name(let name) = peek() else { throw error("expected a name") }
        index += 1
        return name
    }

    mutating func parseExpression(allowConditional: Bool = true) throws -> JinjaExpression {
        try enter()
        defer { recursion -= 1 }
        let value = try parseOr()
        var depth = lastDepth
        if allowConditional, acceptName("if") {
            let condition = try parseOr()
            depth = max(depth, lastDepth)
            var otherwise: JinjaExpression?
            if acceptName("else") {
                otherwise = try parseExpression()
                depth = max(depth, lastDepth)
            }
            lastDepth = try grow(depth)
            return .conditional(then: value, condition: condition, otherwise: otherwise)
        }
        lastDepth = depth
        return value
    }

    /// An expression, or a tuple when it is followed by commas (`for a, b in ...`, `set x = 1, 2`).
    mutating func parseTupleOrExpression() throws -> JinjaExpression {
        let first = try parseExpression()
        guard peek() == .symbol(",") else { return first }
        var depth = lastDepth
        var items = [first]
        while accept(",") {
            if atEnd { break }
            items.append(try parseExpression())
            depth = max(depth, lastDepth)
        }
        lastDepth = try grow(depth)
        return .tuple(items)
    }

    /// A left-associative chain `operand (op operand)*`; `next` returns the operator it accepted.
    private mutating func chain(_ operand: (inout Self) throws -> JinjaExpression,
                                _ next: (inout Self) -> String?) throws -> JinjaExpression {
        var left = try operand(&self)
        var depth = lastDepth
        while let op = next(&self) {
            let right = try operand(&self)
            depth = try grow(max(depth, lastDepth))
            left = .binary(op, left, right)
        }
        lastDepth = depth
        return left
    }

    mutating func parseOr() throws -> JinjaExpression {
        try chain({ try $0.parseAnd() }, { $0.acceptName("or") ? "or" : nil })
    }

    mutating func parseAnd() throws -> JinjaExpression {
        try chain({ try $0.parseNot() }, { $0.acceptName("and") ? "and" : nil })
    }

    mutating func parseNot() throws -> JinjaExpression {
        if acceptName("not") {
            try enter()
            defer { recursion -= 1 }
            let operand = try parseNot()
            lastDepth = try grow(lastDepth)
            return .unary("not", operand)
        }
        return try parseComparison()
    }

    mutating func parseComparison() throws -> JinjaExpression {
        try chain({ try $0.parseMath1() }, { parser in
            if case .symbol(let op) = parser.peek(), ["==", "!=", "<", ">", "<=", ">="].contains(op) {
                parser.index += 1
                return op
            } else if parser.acceptName("in") {
                return "in"
            } else if parser.peek() == .name("not"), parser.peek(1) == .name("in") {
                parser.index += 2
                return "not in"
            }
            return nil
        })
    }

    mutating func parseMath1() throws -> JinjaExpression {
        try chain({ try $0.parseConcat() }, { parser in
            if parser.accept("+") { return "+" }
            if parser.accept("-") { return "-" }
            return nil
        })
    }

    mutating func parseConcat() throws -> JinjaExpression {
        try chain({ try $0.parseMath2() }, { $0.accept("~") ? "~" : nil })
    }

    mutating func parseMath2() throws -> JinjaExpression {
        try chain({ try $0.parsePow() }, { parser in
            if case .symbol(let op) = parser.peek(), ["*", "/", "//", "%"].contains(op) {
                parser.index += 1
                return op
            }
            return nil
        })
    }

    mutating func parsePow() throws -> JinjaExpression {
        try chain({ try $0.parseUnary() }, { $0.accept("**") ? "**" : nil })
    }

    mutating func parseUnary() throws -> JinjaExpression {
        for sign in ["-", "+"] where accept(sign) {
            try enter()
            defer { recursion -= 1 }
            let operand = try parseUnary()
            lastDepth = try grow(lastDepth)
            return .unary(sign, operand)
        }
        return try parseFilters(try parsePostfix(try parsePrimary()))
    }

    /// Call arguments up to `)`; `lastDepth` becomes the deepest argument's depth (0 for none).
    mutating func parseArguments() throws -> ([JinjaExpression], [(String, JinjaExpression)]) {
        var positional: [JinjaExpression] = []
        var keywords: [(String, JinjaExpression)] = []
        var depth = 0
        while !accept(")") {
            if !positional.isEmpty || !keywords.isEmpty { try expect(",") }
            if accept(")") { break }
            if case .name(let name) = peek(), peek(1) == .symbol("=") {
                index += 2
                keywords.append((name, try parseExpression()))
            } else {
                positional.append(try parseExpression())
            }
            depth = max(depth, lastDepth)
        }
        lastDepth = depth
        return (positional, keywords)
    }

    /// Attributes, subscripts and calls after `base` (whose depth is `lastDepth`).
    mutating func parsePostfix(_ base: JinjaExpression) throws -> JinjaExpression {
        var value = base
        var depth = lastDepth
        while true {
            if accept(".") {
                if case .integer(let number) = peek() {
                    index += 1
                    value = .subscript(value, .literal(.int(number)))
                } else {
                    value = .attribute(value, try expectName())
                }
                depth = try grow(depth)
            } else if accept("[") {
                var parts: [JinjaExpression?] = [nil]
                var isSlice = false
                var inner = 0
                while !accept("]") {
                    if accept(":") { isSlice = true; parts.append(nil); continue }
                    guard parts[parts.count - 1] == nil else { throw error("expected ] or :") }
                    parts[parts.count - 1] = try parseExpression()
                    inner = max(inner, lastDepth)
                }
                if isSlice {
                    guard parts.count <= 3 else { throw error("a slice has at most two colons") }
                    value = .slice(value, parts[0], parts.count > 1 ? parts[1] : nil, parts.count > 2 ? parts[2] : nil)
                } else {
                    guard let key = parts[0] else { throw error("empty subscript") }
                    value = .subscript(value, key)
                }
                depth = try grow(max(depth, inner))
            } else if accept("(") {
                let (positional, keywords) = try parseArguments()
                value = .call(value, positional, keywords)
                depth = try grow(max(depth, lastDepth))
            } else {
                lastDepth = depth
                return value
            }
        }
    }

    /// Filters and tests after `base` (whose depth is `lastDepth`).
    mutating func parseFilters(_ base: JinjaExpression) throws -> JinjaExpression {
        var value = base
        var depth = lastDepth
        while true {
            if accept("|") {
                var name = try expectName()
                while accept(".") { name += "." + (try expectName()) }
                var positional: [JinjaExpression] = [], keywords: [(String, JinjaExpression)] = []
                var inner = 0
                if accept("(") {
                    (positional, keywords) = try parseArguments()
                    inner = lastDepth
                }
                value = .filter(value, name, positional, keywords)
                depth = try grow(max(depth, inner))
            } else if acceptName("is") {
                let negated = acceptName("not")
                let name = try expectName()
                var arguments: [JinjaExpression] = []
                var inner = 0
                if accept("(") {
                    let (positional, _) = try parseArguments()
                    arguments = positional
                    inner = lastDepth
                } else if let next = peek(), Self.startsTestArgument(next) {
                    try enter()
                    defer { recursion -= 1 }
                    arguments = [try parsePostfix(try parsePrimary())]
                    inner = lastDepth
                }
                value = .test(value, name, arguments, negated: negated)
                depth = try grow(max(depth, inner))
            } else {
                lastDepth = depth
                return value
            }
        }
    }

    static func startsTestArgument(_ token: JinjaToken) -> Bool {
        switch token {
        case .string, .integer, .float: return true
        case .name(let name): return !["and", "or", "if", "else", "in", "not", "is"].contains(name)
        case .symbol(let symbol): return symbol == "[" || symbol == "{"
        }
    }

    mutating func parsePrimary() throws -> JinjaExpression {
        guard let token = peek() else { throw error("unexpected end of expression") }
        index += 1
        lastDepth = 1
        switch token {
        case .string(var text):
            while case .string(let more) = peek() { text += more; index += 1 }  // adjacent literals concatenate
            return .literal(.string(text))
        case .integer(let value): return .literal(.int(value))
        case .float(let value): return .literal(.double(value))
        case .name(let name):
            switch name {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(name)
            }
        case .symbol("("):
            if accept(")") { return .tuple([]) }
            let inner = try parseTupleOrExpression()
            try expect(")")
            return inner
        case .symbol("["):
            var items: [JinjaExpression] = []
            var depth = 0
            while !accept("]") {
                if !items.isEmpty { try expect(","); if accept("]") { break } }
                items.append(try parseExpression())
                depth = max(depth, lastDepth)
            }
            lastDepth = try grow(depth)
            return .list(items)
        case .symbol("{"):
            var pairs: [(JinjaExpression, JinjaExpression)] = []
            var depth = 0
            while !accept("}") {
                if !pairs.isEmpty { try expect(","); if accept("}") { break } }
                let key = try parseExpression()
                depth = max(depth, lastDepth)
                try expect(":")
                pairs.append((key, try parseExpression()))
                depth = max(depth, lastDepth)
            }
            lastDepth = try grow(depth)
            return .dictionary(pairs)
        default:
            throw error("unexpected \(token)")
        }
    }
}
