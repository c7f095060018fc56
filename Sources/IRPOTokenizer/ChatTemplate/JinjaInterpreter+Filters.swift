import Foundation

/// Filters, tests and string/dict methods of the Jinja subset.
extension JinjaInterpreter {
    static let supportedFilters = [
        "trim", "strip", "length", "count", "tojson", "upper", "lower", "capitalize", "title", "first", "last", "join",
        "default", "d", "string", "int", "float", "list", "replace", "items", "map", "select", "reject", "selectattr",
        "rejectattr", "reverse", "safe", "abs", "unique", "min", "max", "sum", "indent", "wordcount", "e", "escape",
    ]

    func applyFilter(_ name: String, to value: JinjaValue, _ positional: [JinjaValue], _ keywords: [(String, JinjaValue)],
                     line: Int) throws -> JinjaValue {
        func fail(_ message: String) -> ChatTemplateError { ChatTemplateError(.runtime, "filter \(name): \(message)", line: line) }
        func argument(_ index: Int, _ key: String) -> JinjaValue? {
            if index < positional.count { return positional[index] }
            return keywords.first { $0.0 == key }?.1
        }
        func text() throws -> String {
            switch value {
            case .string(let string): return string
            case .undefined: return ""
            default: return value.printed
            }
        }
        switch name {
        case "trim", "strip":
            if let characters = argument(0, "chars"), case .string(let set) = characters {
                return .string(Self.strip(try text(), characters: Set(set.unicodeScalars), leading: true, trailing: true))
            }
            return .string(Self.strip(try text(), characters: nil, leading: true, trailing: true))
        case "length", "count":
            switch value {
            case .string(let string): return .int(string.count)
            case .array(let items): return .int(items.count)
            case .object(let object): return .int(object.keys.count)
            case .undefined: return .int(0)
            default: throw fail("object of type '\(value.typeName)' has no len()")
            }
        case "tojson":
            var indent: Int?
            if case .int(let spaces) = argument(0, "indent") ?? .none { indent = spaces }
            return .string(try value.json(indent: indent))
        case "upper": return .string(try text().uppercased())
        case "lower": return .string(try text().lowercased())
        case "capitalize":
            let string = try text()
            return .string(string.prefix(1).uppercased() + string.dropFirst().lowercased())
        case "title": return .string(Self.title(try text()))
        case "first":
            return try value.iterated(line: line).first ?? .undefined("first of empty sequence")
        case "last":
            return try value.iterated(line: line).last ?? .undefined("last of empty sequence")
        case "join":
            let separator = argument(0, "d")?.printed ?? ""
            var items = try value.iterated(line: line)
            if let attribute = argument(1, "attribute") {
                items = try items.map { try self.attribute(of: $0, attribute.printed, line: line) }
            }
            return .string(items.map(\.printed).joined(separator: separator))
        case "default", "d":
            let fallback = argument(0, "default_value") ?? .string("")
            let boolean = argument(1, "boolean")?.truthy ?? false
            return (boolean ? value.truthy : value.isDefined) ? value : fallback
        case "string": return .string(value.printed)
        case "int":
            switch value {
            case .int: return value
            case .double(let number): return .int(Int(number))
            case .bool(let flag): return .int(flag ? 1 : 0)
            case .string(let string): return .int(Int(string.trimmingCharacters(in: .whitespaces)) ?? 0)
            default: return .int(0)
            }
        case "float":
            if let number = value.numeric { return .double(number) }
            if case .string(let string) = value { return .double(Double(string) ?? 0) }
            return .double(0)
        case "list": return .array(try value.iterated(line: line))
        case "replace":
            guard case .string(let old) = argument(0, "old") ?? .none, case .string(let new) = argument(1, "new") ?? .none else {
                throw fail("needs two strings")
            }
            return .string(try text().replacingOccurrences(of: old, with: new))
        case "items":
            guard case .object(let object) = value else { throw fail("needs a mapping") }
            return .array(object.keys.map { .array([.string($0), object[$0] ?? .none]) })
        case "map":
            let items = try value.iterated(line: line)
            if let attribute = keywords.first(where: { $0.0 == "attribute" })?.1 {
                let fallback = keywords.first { $0.0 == "default" }?.1
                return .array(try items.map { item in
                    let member = try self.attribute(of: item, attribute.printed, line: line)
                    if !member.isDefined, let fallback { return fallback }
                    return member
                })
            }
            guard case .string(let filterName) = positional.first ?? .none else { throw fail("needs a filter name or attribute=") }
            return .array(try items.map { try applyFilter(filterName, to: $0, Array(positional.dropFirst()), [], line: line) })
        case "select", "reject":
            let items = try value.iterated(line: line)
            let keep = name == "select"
            return .array(try items.filter { item in
                guard case .string(let test) = positional.first ?? .none else { return item.truthy == keep }
                return try applyTest(test, to: item, Array(positional.dropFirst()), line: line) == keep
            })
        case "selectattr", "rejectattr":
            let items = try value.iterated(line: line)
            let keep = name == "selectattr"
            guard case .string(let attributeName) = positional.first ?? .none else { throw fail("needs an attribute name") }
            return .array(try items.filter { item in
                let member = try self.attribute(of: item, attributeName, line: line)
                guard positional.count > 1, case .string(let test) = positional[1] else { return member.truthy == keep }
                return try applyTest(test, to: member, Array(positional.dropFirst(2)), line: line) == keep
            })
        case "reverse":
            if case .string(let string) = value { return .string(String(string.reversed())) }
            return .array(try value.iterated(line: line).reversed())
        case "safe": return value
        case "e", "escape":
            return .string(try text().replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&#34;")
                .replacingOccurrences(of: "'", with: "&#39;"))
        case "abs":
            switch value {
            case .int(let number): return .int(abs(number))
            case .double(let number): return .double(abs(number))
            default: throw fail("needs a number")
            }
        case "unique":
            var result: [JinjaValue] = []
            for item in try value.iterated(line: line) where !result.contains(where: { $0.equals(item) }) { result.append(item) }
            return .array(result)
        case "min", "max", "sum":
            let items = try value.iterated(line: line)
            if name == "sum" {
                return try items.reduce(JinjaValue.int(0)) { try binary("+", $0, $1, line: line) }
            }
            guard var best = items.first else { return .undefined("\(name) of empty sequence") }
            for item in items.dropFirst() where try binary(name == "min" ? "<" : ">", item, best, line: line).truthy { best = item }
            return best
        case "indent":
            var width = "    "
            if let argument = argument(0, "width") {
                if case .int(let count) = argument { width = String(repeating: " ", count: count) } else { width = argument.printed }
            }
            let first = argument(1, "first")?.truthy ?? false
            let blank = argument(2, "blank")?.truthy ?? false
            let lines = try text().components(separatedBy: "\n")
            return .string(lines.enumerated().map { index, line in
                if index == 0 && !first { return line }
                if line.isEmpty && !blank { return line }
                return width + line
            }.joined(separator: "\n"))
        case "wordcount":
            return .int(try text().split(whereSeparator: { $0.isWhitespace }).count)
        default:
            throw ChatTemplateError(.unsupported, "filter '\(name)'", line: line)
        }
    }

    func applyTest(_ name: String, to value: JinjaValue, _ arguments: [JinjaValue], line: Int) throws -> Bool {
        switch name {
        case "defined": return value.isDefined
        case "undefined": return !value.isDefined
        case "none": if case .none = value { return true }; return false
        case "string": if case .string = value { return true }; return false
        case "number": switch value { case .int, .double: return true; default: return false }
        case "integer": if case .int = value { return true }; return false
        case "float": if case .double = value { return true }; return false
        case "boolean": if case .bool = value { return true }; return false
        case "true": if case .bool(true) = value { return true }; return false
        case "false": if case .bool(false) = value { return true }; return false
        case "mapping": switch value { case .object, .namespace: return true; default: return false }
        case "sequence", "iterable":
            switch value { case .array, .string, .object: return true; default: return false }
        case "callable": switch value { case .function, .method: return true; default: return false }
        case "even", "odd":
            guard case .int(let number) = value else { throw ChatTemplateError(.runtime, "test \(name) needs an integer", line: line) }
            return (number % 2 == 0) == (name == "even")
        case "divisibleby":
            guard case .int(let number) = value, case .int(let divisor) = arguments.first ?? .none, divisor != 0 else {
                throw ChatTemplateError(.runtime, "test divisibleby needs integers", line: line)
            }
            return number % divisor == 0
        case "eq", "equalto", "==", "sameas": return value.equals(arguments.first ?? .none)
        case "ne", "!=": return !value.equals(arguments.first ?? .none)
        case "lt", "<", "gt", ">", "le", "<=", "ge", ">=":
            let op = ["lt": "<", "gt": ">", "le": "<=", "ge": ">="][name] ?? name
            return try binary(op, value, arguments.first ?? .none, line: line).truthy
        case "in": return try binary("in", value, arguments.first ?? .none, line: line).truthy
        case "lower": if case .string(let text) = value { return text == text.lowercased() }; return false
        case "upper": if case .string(let text) = value { return text == text.uppercased() }; return false
        default:
            throw ChatTemplateError(.unsupported, "test '\(name)'", line: line)
        }
    }

    func callMethod(_ receiver: JinjaValue, _ name: String, _ arguments: [JinjaValue], line: Int) throws -> JinjaValue {
        func fail() -> ChatTemplateError { ChatTemplateError(.unsupported, "method '\(name)' of \(receiver.typeName)", line: line) }
        if case .object(let object) = receiver {
            switch name {
            case "items": return .array(object.keys.map { .array([.string($0), object[$0] ?? .none]) })
            case "keys": return .array(object.keys.map { .string($0) })
            case "values": return .array(object.keys.map { object[$0] ?? .none })
            case "get":
                guard case .string(let key) = arguments.first ?? .none else { return arguments.count > 1 ? arguments[1] : .none }
                return object[key] ?? (arguments.count > 1 ? arguments[1] : .none)
            default: throw fail()
            }
        }
        guard case .string(let text) = receiver else { throw fail() }
        func characters(_ index: Int) -> Set<Unicode.Scalar>? {
            guard index < arguments.count, case .string(let set) = arguments[index] else { return nil }
            return Set(set.unicodeScalars)
        }
        switch name {
        case "strip": return .string(Self.strip(text, characters: characters(0), leading: true, trailing: true))
        case "lstrip": return .string(Self.strip(text, characters: characters(0), leading: true, trailing: false))
        case "rstrip": return .string(Self.strip(text, characters: characters(0), leading: false, trailing: true))
        case "upper": return .string(text.uppercased())
        case "lower": return .string(text.lowercased())
        case "title": return .string(Self.title(text))
        case "capitalize": return .string(text.prefix(1).uppercased() + text.dropFirst().lowercased())
        case "startswith", "endswith":
            var candidates: [String] = []
            switch arguments.first ?? .none {
            case .string(let prefix): candidates = [prefix]
            case .array(let items): candidates = items.map(\.printed)
            default: throw ChatTemplateError(.runtime, "\(name) needs a string", line: line)
            }
            return .bool(candidates.contains { name == "startswith" ? text.hasPrefix($0) : text.hasSuffix($0) })
        case "split":
            if case .string(let separator) = arguments.first ?? .none {
                return .array(text.components(separatedBy: separator).map { .string($0) })
            }
            return .array(text.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })
        case "replace":
            guard arguments.count >= 2, case .string(let old) = arguments[0], case .string(let new) = arguments[1] else {
                throw ChatTemplateError(.runtime, "replace needs two strings", line: line)
            }
            return .string(text.replacingOccurrences(of: old, with: new))
        case "find":
            guard case .string(let needle) = arguments.first ?? .none else { throw fail() }
            guard let range = text.range(of: needle) else { return .int(-1) }
            return .int(text.distance(from: text.startIndex, to: range.lowerBound))
        case "count":
            guard case .string(let needle) = arguments.first ?? .none, !needle.isEmpty else { throw fail() }
            return .int(text.components(separatedBy: needle).count - 1)
        default: throw fail()
        }
    }

    /// Python's `str.strip()`: whitespace (or the given characters) from either end.
    static func strip(_ text: String, characters: Set<Unicode.Scalar>?, leading: Bool, trailing: Bool) -> String {
        var scalars = Substring(text).unicodeScalars
        func strips(_ scalar: Unicode.Scalar) -> Bool {
            if let characters { return characters.contains(scalar) }
            return scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
        }
        if leading { while let first = scalars.first, strips(first) { scalars.removeFirst() } }
        if trailing { while let last = scalars.last, strips(last) { scalars.removeLast() } }
        return String(scalars)
    }

    /// Python's `str.title()`: uppercase after every non-letter, lowercase elsewhere.
    static func title(_ text: String) -> String {
        var result = ""
        var previousIsLetter = false
        for character in text {
            result += previousIsLetter ? character.lowercased() : character.uppercased()
            previousIsLetter = character.isLetter
        }
        return result
    }
}
