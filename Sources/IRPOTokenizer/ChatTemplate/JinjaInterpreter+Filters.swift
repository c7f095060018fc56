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
        try budget.chargeScan(value, line: line)
        func argument(_ index: Int, _ key: String) -> JinjaValue? {
            if index < positional.count { return positional[index] }
            return keywords.first { $0.0 == key }?.1
        }
        func text() throws -> String {
            switch value {
            case .string(let string): return string
            case .undefined: return ""
            default: return try value.bounded(line: line)
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
            if case .int(let spaces) = argument(0, "indent") ?? .none {
                guard (0...JinjaLimits.maxIndentWidth).contains(spaces) else {
                    throw fail("indent \(spaces) is outside 0...\(JinjaLimits.maxIndentWidth)")
                }
                indent = spaces
            }
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
            let separator = try argument(0, "d")?.bounded(line: line) ?? ""
            var items = try value.iterated(line: line)
            if let attribute = argument(1, "attribute") {
                let name = try attribute.bounded(line: line)
                items = try items.map { try self.attribute(of: $0, name, line: line) }
            }
            // Built piece by piece, so a list repeating one long string fails at the limit.
            var joined = ""
            for (index, item) in items.enumerated() {
                if index > 0 { joined += separator }
                joined += try item.bounded(line: line)
                try JinjaBudget.checkBytes(joined.utf8.count, line: line)
            }
            return .string(joined)
        case "default", "d":
            let fallback = argument(0, "default_value") ?? .string("")
            let boolean = argument(1, "boolean")?.truthy ?? false
            return (boolean ? value.truthy : value.isDefined) ? value : fallback
        case "string": return .string(try value.bounded(line: line))
        case "int":
            switch value {
            case .int: return value
            case .double(let number):
                // Int(x) traps outside Int's range (and on NaN); Python raises there too.
                guard number.isFinite, let integer = Int(exactly: number.rounded(.towardZero)) else {
                    throw fail("cannot convert \(JinjaValue.pythonFloat(number)) to an integer")
                }
                return .int(integer)
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
            return .string(try Self.replacing(try text(), old, new, line: line))
        case "items":
            guard case .object(let object) = value else { throw fail("needs a mapping") }
            let pairs = JinjaValue.array(object.keys.map { .array([.string($0), object[$0] ?? .none]) })
            try budget.checkShape(pairs, allowNamespaces: true, line: line)
            return pairs
        case "map":
            let items = try value.iterated(line: line)
            if let attribute = keywords.first(where: { $0.0 == "attribute" })?.1 {
                let fallback = keywords.first { $0.0 == "default" }?.1
                return .array(try items.map { item in
                    let member = try self.attribute(of: item, try attribute.bounded(line: line), line: line)
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
            case .int(let number):
                guard number != .min else { throw fail("integer overflow in abs(\(number))") }
                return .int(abs(number))
            case .double(let number): return .double(abs(number))
            default: throw fail("needs a number")
            }
        case "unique":
            var result: [JinjaValue] = []
            for item in try value.iterated(line: line) {
                try budget.charge(result.count + 1, line: line)
                if !result.contains(where: { $0.equals(item) }) { result.append(item) }
            }
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
                if case .int(let count) = argument {
                    guard count <= JinjaLimits.maxIndentWidth else {
                        throw fail("width \(count) is over the limit of \(JinjaLimits.maxIndentWidth)")
                    }
                    width = String(repeating: " ", count: max(0, count))
                } else {
                    width = try argument.bounded(line: line)
                }
            }
            let first = argument(1, "first")?.truthy ?? false
            let blank = argument(2, "blank")?.truthy ?? false
            let source = try text()
            let lines = source.components(separatedBy: "\n")
            // Check the size before building it.
            let indented = lines.enumerated().filter { index, line in (index > 0 || first) && (!line.isEmpty || blank) }.count
            let (added, overflow) = indented.multipliedReportingOverflow(by: width.utf8.count)
            guard !overflow else { throw JinjaBudget.tooLong(Int.max, line: line) }
            try JinjaBudget.checkBytes(source.utf8.count + added, line: line)
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
        try budget.chargeScan(receiver, line: line)
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
            case .array(let items): candidates = try items.map { try $0.bounded(line: line) }
            default: throw ChatTemplateError(.runtime, "\(name) needs a string", line: line)
            }
            return .bool(candidates.contains { name == "startswith" ? text.hasPrefix($0) : text.hasSuffix($0) })
        case "split":
            if case .string(let separator) = arguments.first ?? .none {
                try budget.charge(text.utf8.count / 64 + 1, line: line)
            return .array(text.components(separatedBy: separator).map { .string($0) })
            }
            return .array(text.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })
        case "replace":
            guard arguments.count >= 2, case .string(let old) = arguments[0], case .string(let new) = arguments[1] else {
                throw ChatTemplateError(.runtime, "replace needs two strings", line: line)
            }
            return .string(try Self.replacing(text, old, new, line: line))
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

    /// `text` with every `old` replaced by `new`, refusing (before building it) a result over
    /// `JinjaLimits.maxStringBytes`.
    static func replacing(_ text: String, _ old: String, _ new: String, line: Int) throws -> String {
        guard !old.isEmpty else { return text }
        if new.utf8.count > old.utf8.count {
            let occurrences = text.components(separatedBy: old).count - 1
            let (growth, overflow) = occurrences.multipliedReportingOverflow(by: new.utf8.count - old.utf8.count)
            guard !overflow else { throw JinjaBudget.tooLong(Int.max, line: line) }
            try JinjaBudget.checkBytes(text.utf8.count + growth, line: line)
        }
        return text.replacingOccurrences(of: old, with: new)
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
