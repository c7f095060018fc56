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
struct JinjaExpressionParser {
    var tokens: [JinjaToken]
    var index = 0
    let line: Int

    init(_ source: String, line: Int) throws {
        tokens = try JinjaExpressionLexer.tokens(source, line: line)
        self.line = line
    }

    var atEnd: Bool { index >= tokens.count }
    func peek(_ offset: Int = 0) -> JinjaToken? { index + offset < tokens.count ? tokens[index + offset] : nil }
    func error(_ message: String) -> ChatTemplateError { ChatTemplateError(.syntax, message, line: line) }

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
        let value = try parseOr()
        if allowConditional, acceptName("if") {
            let condition = try parseOr()
            let otherwise = acceptName("else") ? try parseExpression() : nil
            return .conditional(then: value, condition: condition, otherwise: otherwise)
        }
        return value
    }

    /// An expression, or a tuple when it is followed by commas (`for a, b in ...`, `set x = 1, 2`).
    mutating func parseTupleOrExpression() throws -> JinjaExpression {
        let first = try parseExpression()
        guard peek() == .symbol(",") else { return first }
        var items = [first]
        while accept(",") {
            if atEnd { break }
            items.append(try parseExpression())
        }
        return .tuple(items)
    }

    mutating func parseOr() throws -> JinjaExpression {
        var left = try parseAnd()
        while acceptName("or") { left = .binary("or", left, try parseAnd()) }
        return left
    }

    mutating func parseAnd() throws -> JinjaExpression {
        var left = try parseNot()
        while acceptName("and") { left = .binary("and", left, try parseNot()) }
        return left
    }

    mutating func parseNot() throws -> JinjaExpression {
        if acceptName("not") { return .unary("not", try parseNot()) }
        return try parseComparison()
    }

    mutating func parseComparison() throws -> JinjaExpression {
        var left = try parseMath1()
        while true {
            if case .symbol(let op) = peek(), ["==", "!=", "<", ">", "<=", ">="].contains(op) {
                index += 1
                left = .binary(op, left, try parseMath1())
            } else if acceptName("in") {
                left = .binary("in", left, try parseMath1())
            } else if peek() == .name("not"), peek(1) == .name("in") {
                index += 2
                left = .binary("not in", left, try parseMath1())
            } else {
                return left
            }
        }
    }

    mutating func parseMath1() throws -> JinjaExpression {
        var left = try parseConcat()
        while true {
            if accept("+") { left = .binary("+", left, try parseConcat()) }
            else if accept("-") { left = .binary("-", left, try parseConcat()) }
            else { return left }
        }
    }

    mutating func parseConcat() throws -> JinjaExpression {
        var left = try parseMath2()
        while accept("~") { left = .binary("~", left, try parseMath2()) }
        return left
    }

    mutating func parseMath2() throws -> JinjaExpression {
        var left = try parsePow()
        while true {
            if case .symbol(let op) = peek(), ["*", "/", "//", "%"].contains(op) {
                index += 1
                left = .binary(op, left, try parsePow())
            } else {
                return left
            }
        }
    }

    mutating func parsePow() throws -> JinjaExpression {
        var left = try parseUnary()
        while accept("**") { left = .binary("**", left, try parseUnary()) }
        return left
    }

    mutating func parseUnary() throws -> JinjaExpression {
        if accept("-") { return .unary("-", try parseUnary()) }
        if accept("+") { return .unary("+", try parseUnary()) }
        return try parseFilters(try parsePostfix(try parsePrimary()))
    }

    mutating func parseArguments() throws -> ([JinjaExpression], [(String, JinjaExpression)]) {
        var positional: [JinjaExpression] = []
        var keywords: [(String, JinjaExpression)] = []
        while !accept(")") {
            if !positional.isEmpty || !keywords.isEmpty { try expect(",") }
            if accept(")") { break }
            if case .name(let name) = peek(), peek(1) == .symbol("=") {
                index += 2
                keywords.append((name, try parseExpression()))
            } else {
                positional.append(try parseExpression())
            }
        }
        return (positional, keywords)
    }

    mutating func parsePostfix(_ base: JinjaExpression) throws -> JinjaExpression {
        var value = base
        while true {
            if accept(".") {
                if case .integer(let number) = peek() {
                    index += 1
                    value = .subscript(value, .literal(.int(number)))
                } else {
                    value = .attribute(value, try expectName())
                }
            } else if accept("[") {
                var parts: [JinjaExpression?] = [nil]
                var isSlice = false
                while !accept("]") {
                    if accept(":") { isSlice = true; parts.append(nil); continue }
                    guard parts[parts.count - 1] == nil else { throw error("expected ] or :") }
                    parts[parts.count - 1] = try parseExpression()
                }
                if isSlice {
                    guard parts.count <= 3 else { throw error("a slice has at most two colons") }
                    value = .slice(value, parts[0], parts.count > 1 ? parts[1] : nil, parts.count > 2 ? parts[2] : nil)
                } else {
                    guard let key = parts[0] else { throw error("empty subscript") }
                    value = .subscript(value, key)
                }
            } else if accept("(") {
                let (positional, keywords) = try parseArguments()
                value = .call(value, positional, keywords)
            } else {
                return value
            }
        }
    }

    mutating func parseFilters(_ base: JinjaExpression) throws -> JinjaExpression {
        var value = base
        while true {
            if accept("|") {
                var name = try expectName()
                while accept(".") { name += "." + (try expectName()) }
                var positional: [JinjaExpression] = [], keywords: [(String, JinjaExpression)] = []
                if accept("(") { (positional, keywords) = try parseArguments() }
                value = .filter(value, name, positional, keywords)
            } else if acceptName("is") {
                let negated = acceptName("not")
                let name = try expectName()
                var arguments: [JinjaExpression] = []
                if accept("(") {
                    let (positional, _) = try parseArguments()
                    arguments = positional
                } else if let next = peek(), Self.startsTestArgument(next) {
                    arguments = [try parsePostfix(try parsePrimary())]
                }
                value = .test(value, name, arguments, negated: negated)
            } else {
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
            while !accept("]") {
                if !items.isEmpty { try expect(","); if accept("]") { break } }
                items.append(try parseExpression())
            }
            return .list(items)
        case .symbol("{"):
            var pairs: [(JinjaExpression, JinjaExpression)] = []
            while !accept("}") {
                if !pairs.isEmpty { try expect(","); if accept("}") { break } }
                let key = try parseExpression()
                try expect(":")
                pairs.append((key, try parseExpression()))
            }
            return .dictionary(pairs)
        default:
            throw error("unexpected \(token)")
        }
    }
}
