import Foundation

/// Variables visible at a point of the template; `for` bodies get their own scope (Jinja's rule that
/// a `set` inside a loop does not leak out of it).
final class JinjaScope {
    var variables: [String: JinjaValue] = [:]
    let parent: JinjaScope?
    init(parent: JinjaScope?) { self.parent = parent }

    func lookup(_ name: String) -> JinjaValue? { variables[name] ?? parent?.lookup(name) }
}

/// Renders a parsed template, within `JinjaLimits` (output size, steps, list lengths, value
/// nesting) and with checked integer arithmetic.
struct JinjaInterpreter {
    enum Flow { case normal, breakLoop, continueLoop }

    static let globals: Set<String> = ["raise_exception", "namespace", "range", "dict", "strftime_now"]

    var output = ""
    /// The step counter of the whole render.
    let budget: JinjaBudget

    init(budget: JinjaBudget = JinjaBudget()) {
        self.budget = budget
    }

    /// Appends rendered text, failing once the output passes `JinjaLimits.maxStringBytes`.
    private mutating func emit(_ text: String, line: Int?) throws {
        output += text
        guard output.utf8.count <= JinjaLimits.maxStringBytes else {
            throw ChatTemplateError(.runtime, "the rendered prompt passes \(JinjaLimits.maxStringBytes) bytes (the limit)", line: line)
        }
    }

    mutating func run(_ nodes: [JinjaNode], scope: JinjaScope) throws -> Flow {
        for node in nodes {
            let flow = try execute(node, scope: scope)
            if flow != .normal { return flow }
        }
        return .normal
    }

    mutating func execute(_ node: JinjaNode, scope: JinjaScope) throws -> Flow {
        switch node {
        case .text(let text):
            try emit(text, line: nil)
        case .output(let expression, let line):
            try emit(try evaluate(expression, scope: scope, line: line).bounded(line: line), line: line)
        case .ifBlock(let branches, let otherwise, let line):
            for (condition, body) in branches where try evaluate(condition, scope: scope, line: line).truthy {
                return try run(body, scope: scope)
            }
            return try run(otherwise, scope: scope)
        case .forBlock(let targets, let iterable, let filter, let body, let otherwise, let line):
            var items = try evaluate(iterable, scope: scope, line: line).iterated(line: line)
            if let filter {
                items = try items.filter { item in
                    let filterScope = JinjaScope(parent: scope)
                    try bind(targets, to: item, in: filterScope, line: line)
                    return try evaluate(filter, scope: filterScope, line: line).truthy
                }
            }
            if items.isEmpty { return try run(otherwise, scope: scope) }
            for (index, item) in items.enumerated() {
                try budget.charge(line: line)
                let iterationScope = JinjaScope(parent: scope)
                try bind(targets, to: item, in: iterationScope, line: line)
                iterationScope.variables["loop"] = .object(JinjaObject([
                    ("index", .int(index + 1)), ("index0", .int(index)),
                    ("revindex", .int(items.count - index)), ("revindex0", .int(items.count - index - 1)),
                    ("first", .bool(index == 0)), ("last", .bool(index == items.count - 1)),
                    ("length", .int(items.count)),
                    ("previtem", index > 0 ? items[index - 1] : .undefined("loop.previtem")),
                    ("nextitem", index + 1 < items.count ? items[index + 1] : .undefined("loop.nextitem")),
                ]))
                let flow = try run(body, scope: iterationScope)
                if flow == .breakLoop { break }
            }
        case .set(let name, let attribute, let expression, let line):
            let value = try evaluate(expression, scope: scope, line: line)
            if let attribute {
                guard case .namespace(let namespace) = scope.lookup(name) ?? .undefined(name) else {
                    throw ChatTemplateError(.runtime, "cannot assign attribute on non-namespace object '\(name)'", line: line)
                }
                try budget.checkShape(value, allowNamespaces: false, line: line)
                namespace.object[attribute] = value
            } else {
                scope.variables[name] = value
            }
        case .setBlock(let name, let body):
            var inner = JinjaInterpreter(budget: budget)
            _ = try inner.run(body, scope: scope)
            scope.variables[name] = .string(inner.output)
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    func bind(_ targets: [String], to item: JinjaValue, in scope: JinjaScope, line: Int) throws {
        if targets.count == 1 {
            scope.variables[targets[0]] = item
            return
        }
        let parts = try item.iterated(line: line)
        guard parts.count == targets.count else {
            throw ChatTemplateError(.runtime, "cannot unpack \(parts.count) values into \(targets.count) loop variables", line: line)
        }
        for (target, part) in zip(targets, parts) { scope.variables[target] = part }
    }

    func evaluate(_ expression: JinjaExpression, scope: JinjaScope, line: Int) throws -> JinjaValue {
        func fail(_ message: String) -> ChatTemplateError { ChatTemplateError(.runtime, message, line: line) }
        try budget.charge(line: line)
        switch expression {
        case .literal(let value):
            return value
        case .name(let name):
            if let value = scope.lookup(name) { return value }
            if Self.globals.contains(name) { return .function(name) }
            return .undefined(name)
        case .list(let items), .tuple(let items):
            let value = JinjaValue.array(try items.map { try evaluate($0, scope: scope, line: line) })
            try budget.checkShape(value, allowNamespaces: true, line: line)
            return value
        case .dictionary(let pairs):
            var object = JinjaObject()
            for (keyExpression, valueExpression) in pairs {
                guard case .string(let key) = try evaluate(keyExpression, scope: scope, line: line) else {
                    throw ChatTemplateError(.unsupported, "dictionary keys that are not strings", line: line)
                }
                object[key] = try evaluate(valueExpression, scope: scope, line: line)
            }
            try budget.checkShape(.object(object), allowNamespaces: true, line: line)
            return .object(object)
        case .attribute(let base, let name):
            let value = try evaluate(base, scope: scope, line: line)
            return try attribute(of: value, name, line: line)
        case .`subscript`(let base, let keyExpression):
            let value = try evaluate(base, scope: scope, line: line)
            let key = try evaluate(keyExpression, scope: scope, line: line)
            if case .string = value { try budget.chargeScan(value, line: line) }
            if case .string(let name) = key, case .object = value { return try attribute(of: value, name, line: line) }
            if case .string(let name) = key, case .namespace = value { return try attribute(of: value, name, line: line) }
            switch (value, key) {
            case (.undefined(let name), _):
                throw fail("'\(name)' is undefined")
            case (.array(let items), .int(let index)):
                let position = index < 0 ? items.count + index : index
                guard position >= 0, position < items.count else { return .undefined("list index \(index)") }
                return items[position]
            case (.string(let text), .int(let index)):
                let characters = Array(text)
                let position = index < 0 ? characters.count + index : index
                guard position >= 0, position < characters.count else { return .undefined("string index \(index)") }
                return .string(String(characters[position]))
            default:
                return .undefined("\(value.typeName)[\(String(try key.bounded(repr: true, line: line).prefix(200)))]")
            }
        case .slice(let base, let startExpression, let stopExpression, let stepExpression):
            let value = try evaluate(base, scope: scope, line: line)
            func bound(_ expression: JinjaExpression?) throws -> Int? {
                guard let expression else { return nil }
                let value = try evaluate(expression, scope: scope, line: line)
                if case .none = value { return nil }
                guard case .int(let number) = value else { throw fail("slice indices must be integers") }
                return number
            }
            let step = try bound(stepExpression) ?? 1
            guard step != 0 else { throw fail("slice step cannot be zero") }
            let start = try bound(startExpression), stop = try bound(stopExpression)
            try budget.chargeScan(value, line: line)
            switch value {
            case .array(let items):
                return .array(Self.slice(items, start, stop, step))
            case .string(let text):
                return .string(String(Self.slice(Array(text), start, stop, step)))
            default:
                throw fail("cannot slice \(value.typeName)")
            }
        case .call(let callee, let positionalExpressions, let keywordExpressions):
            let function = try evaluate(callee, scope: scope, line: line)
            let positional = try positionalExpressions.map { try evaluate($0, scope: scope, line: line) }
            let keywords = try keywordExpressions.map { ($0.0, try evaluate($0.1, scope: scope, line: line)) }
            let result = try call(function, positional, keywords, line: line)
            try JinjaBudget.checkSize(result, line: line)
            return result
        case .filter(let base, let name, let positionalExpressions, let keywordExpressions):
            let value = try evaluate(base, scope: scope, line: line)
            let positional = try positionalExpressions.map { try evaluate($0, scope: scope, line: line) }
            let keywords = try keywordExpressions.map { ($0.0, try evaluate($0.1, scope: scope, line: line)) }
            let result = try applyFilter(name, to: value, positional, keywords, line: line)
            try JinjaBudget.checkSize(result, line: line)
            return result
        case .test(let base, let name, let argumentExpressions, let negated):
            let value = try evaluate(base, scope: scope, line: line)
            let arguments = try argumentExpressions.map { try evaluate($0, scope: scope, line: line) }
            return .bool(try applyTest(name, to: value, arguments, line: line) != negated)
        case .unary(let op, let operandExpression):
            let operand = try evaluate(operandExpression, scope: scope, line: line)
            switch (op, operand) {
            case ("not", _): return .bool(!operand.truthy)
            case ("-", .int(let value)):
                guard value != .min else { throw fail("integer overflow in -(\(value))") }
                return .int(-value)
            case ("-", .double(let value)): return .double(-value)
            case ("+", .int), ("+", .double): return operand
            default: throw fail("bad operand type for unary \(op): '\(operand.typeName)'")
            }
        case .binary(let op, let leftExpression, let rightExpression):
            let left = try evaluate(leftExpression, scope: scope, line: line)
            if op == "and" { return left.truthy ? try evaluate(rightExpression, scope: scope, line: line) : left }
            if op == "or" { return left.truthy ? left : try evaluate(rightExpression, scope: scope, line: line) }
            let right = try evaluate(rightExpression, scope: scope, line: line)
            let result = try binary(op, left, right, line: line)
            try JinjaBudget.checkSize(result, line: line)
            return result
        case .conditional(let then, let condition, let otherwise):
            if try evaluate(condition, scope: scope, line: line).truthy { return try evaluate(then, scope: scope, line: line) }
            guard let otherwise else { return .undefined("conditional") }
            return try evaluate(otherwise, scope: scope, line: line)
        }
    }

    static func slice<T>(_ items: [T], _ start: Int?, _ stop: Int?, _ step: Int) -> [T] {
        let count = items.count
        func clamp(_ value: Int?, _ defaultValue: Int, lower: Int, upper: Int) -> Int {
            guard var value else { return defaultValue }
            if value < 0 { value += count }
            return min(max(value, lower), upper)
        }
        var result: [T] = []
        // A huge step must end the slice, not overflow the index.
        if step > 0 {
            var index = clamp(start, 0, lower: 0, upper: count)
            let end = clamp(stop, count, lower: 0, upper: count)
            while index < end {
                result.append(items[index])
                let (next, overflow) = index.addingReportingOverflow(step)
                if overflow { break }
                index = next
            }
        } else {
            var index = clamp(start, count - 1, lower: -1, upper: count - 1)
            let end = clamp(stop, -1, lower: -1, upper: count - 1)
            while index > end {
                result.append(items[index])
                let (next, overflow) = index.addingReportingOverflow(step)
                if overflow { break }
                index = next
            }
        }
        return result
    }

    func attribute(of value: JinjaValue, _ name: String, line: Int) throws -> JinjaValue {
        switch value {
        case .undefined(let undefinedName):
            throw ChatTemplateError(.runtime, "'\(undefinedName)' is undefined (reading .\(name))", line: line)
        case .object(let object):
            if let member = object[name] { return member }
            if ["items", "keys", "values", "get"].contains(name) { return .method(value, name) }
            return .undefined(name)
        case .namespace(let namespace):
            return namespace.object[name] ?? .undefined(name)
        case .string:
            if Self.stringMethods.contains(name) { return .method(value, name) }
            return .undefined(name)
        default:
            return .undefined(name)
        }
    }

    static let stringMethods: Set<String> = ["strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize",
                                             "startswith", "endswith", "split", "replace", "find", "count"]

    func call(_ function: JinjaValue, _ positional: [JinjaValue], _ keywords: [(String, JinjaValue)], line: Int) throws -> JinjaValue {
        switch function {
        case .function("raise_exception"):
            throw ChatTemplateError(.raised, String(try positional.first?.bounded(line: line).prefix(4096) ?? ""))
        case .function("namespace"):
            var object = JinjaObject()
            if case .object(let initial) = positional.first ?? .none { object = initial }
            for (key, value) in keywords { object[key] = value }
            try budget.checkShape(.object(object), allowNamespaces: false, line: line)
            return .namespace(JinjaNamespace(object))
        case .function("dict"):
            let object = JinjaValue.object(JinjaObject(keywords))
            try budget.checkShape(object, allowNamespaces: true, line: line)
            return object
        case .function("range"):
            let numbers = try positional.map { value -> Int in
                guard case .int(let number) = value else { throw ChatTemplateError(.runtime, "range() needs integers", line: line) }
                return number
            }
            let (start, stop, step) = numbers.count == 1 ? (0, numbers[0], 1)
                : (numbers[0], numbers.count > 1 ? numbers[1] : 0, numbers.count > 2 ? numbers[2] : 1)
            guard step != 0 else { throw ChatTemplateError(.runtime, "range() step cannot be zero", line: line) }
            // The length, computed without overflow, is checked before anything is allocated.
            let count = Self.rangeCount(start: start, stop: stop, step: step)
            guard count <= UInt64(JinjaLimits.maxListCount) else {
                throw ChatTemplateError(.runtime, "range(\(start), \(stop), \(step)) has \(count) items, over the limit of \(JinjaLimits.maxListCount)", line: line)
            }
            try budget.charge(Int(count), line: line)
            // Every item lies between start and stop, so wrapping arithmetic gives it exactly
            // (stride(from:to:by:) would trap stepping past Int.max).
            return .array((0..<Int(count)).map { .int(start &+ $0 &* step) })
        case .function("strftime_now"):
            guard case .string(let format) = positional.first ?? .none else {
                throw ChatTemplateError(.runtime, "strftime_now needs a format string", line: line)
            }
            var now = time(nil)
            var parts = tm()
            localtime_r(&now, &parts)
            var buffer = [Int8](repeating: 0, count: 256)
            let length = strftime(&buffer, buffer.count, format, &parts)
            return .string(String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        case .method(let receiver, let name):
            return try callMethod(receiver, name, positional, line: line)
        case .undefined(let name):
            throw ChatTemplateError(.runtime, "'\(name)' is undefined (called as a function)", line: line)
        default:
            throw ChatTemplateError(.runtime, "'\(function.typeName)' object is not callable", line: line)
        }
    }

    /// The number of items of `range(start, stop, step)` (`step` non-zero), exact for any Ints.
    static func rangeCount(start: Int, stop: Int, step: Int) -> UInt64 {
        // Distances fit in UInt64 even between Int.min and Int.max.
        if step > 0 {
            guard stop > start else { return 0 }
            let distance = UInt64(bitPattern: Int64(stop) &- Int64(start))
            let stride = UInt64(step)
            return (distance - 1) / stride + 1
        } else {
            guard stop < start else { return 0 }
            let distance = UInt64(bitPattern: Int64(start) &- Int64(stop))
            let stride = step == .min ? UInt64(1) << 63 : UInt64(-step)
            return (distance - 1) / stride + 1
        }
    }

    /// Python's `a ** b` for integers `b >= 0`, by squaring; nil when the result overflows.
    static func power(_ base: Int, _ exponent: Int) -> Int? {
        var result = 1, factor = base, remaining = exponent
        while remaining > 0 {
            if remaining & 1 == 1 {
                let (product, overflow) = result.multipliedReportingOverflow(by: factor)
                guard !overflow else { return nil }
                result = product
            }
            remaining >>= 1
            if remaining > 0 {
                let (square, overflow) = factor.multipliedReportingOverflow(by: factor)
                guard !overflow else { return nil }
                factor = square
            }
        }
        return result
    }

    /// Python's floor division and modulo of integers (`b != 0`); nil on overflow (`Int.min // -1`).
    static func floorDivision(_ a: Int, _ b: Int) -> (quotient: Int, remainder: Int)? {
        let (quotient, overflow) = a.dividedReportingOverflow(by: b)
        guard !overflow else { return nil }
        let remainder = a - quotient * b
        if remainder != 0 && ((remainder < 0) != (b < 0)) { return (quotient - 1, remainder + b) }
        return (quotient, remainder)
    }

    func binary(_ op: String, _ left: JinjaValue, _ right: JinjaValue, line: Int) throws -> JinjaValue {
        try budget.chargeScan(left, line: line)
        try budget.chargeScan(right, line: line)
        func fail() -> ChatTemplateError {
            ChatTemplateError(.runtime, "unsupported operand types for \(op): '\(left.typeName)' and '\(right.typeName)'", line: line)
        }
        switch op {
        case "==": return .bool(left.equals(right))
        case "!=": return .bool(!left.equals(right))
        case "~":
            let a = try left.bounded(line: line), b = try right.bounded(line: line)
            try JinjaBudget.checkBytes(a.utf8.count + b.utf8.count, line: line)
            return .string(a + b)
        case "in", "not in":
            let contained: Bool
            switch right {
            case .string(let text):
                guard case .string(let needle) = left else { throw fail() }
                contained = needle.isEmpty || text.contains(needle)
            case .array(let items):
                try budget.charge(items.count, line: line)
                contained = items.contains { $0.equals(left) }
            case .object(let object):
                guard case .string(let key) = left else { contained = false; break }
                contained = object[key] != nil
            case .undefined: contained = false
            default: throw fail()
            }
            return .bool(contained == (op == "in"))
        case "<", ">", "<=", ">=":
            let order: Int
            if case .string(let a) = left, case .string(let b) = right {
                order = a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : a == b ? 0 : 1
            } else if let a = left.numeric, let b = right.numeric {
                order = a < b ? -1 : a == b ? 0 : 1
            } else {
                throw fail()
            }
            switch op {
            case "<": return .bool(order < 0)
            case ">": return .bool(order > 0)
            case "<=": return .bool(order <= 0)
            default: return .bool(order >= 0)
            }
        case "+":
            switch (left, right) {
            case (.string(let a), .string(let b)):
                try JinjaBudget.checkBytes(a.utf8.count + b.utf8.count, line: line)
                return .string(a + b)
            case (.array(let a), .array(let b)):
                try JinjaBudget.checkCount(a.count + b.count, line: line)
                return .array(a + b)
            default: break
            }
        case "*":
            switch (left, right) {
            case (.string(let text), .int(let count)), (.int(let count), .string(let text)):
                // The size is checked before the string is built.
                let (bytes, overflow) = text.utf8.count.multipliedReportingOverflow(by: max(0, count))
                guard !overflow, bytes <= JinjaLimits.maxStringBytes else {
                    throw ChatTemplateError(.runtime, "'...' * \(count) builds a string of \(overflow ? "more than \(Int.max)" : "\(bytes)") bytes, over the limit of \(JinjaLimits.maxStringBytes)", line: line)
                }
                return .string(String(repeating: text, count: max(0, count)))
            case (.array(let items), .int(let count)):
                let (total, overflow) = items.count.multipliedReportingOverflow(by: max(0, count))
                guard !overflow, total <= JinjaLimits.maxListCount else {
                    throw ChatTemplateError(.runtime, "[...] * \(count) builds a list of \(overflow ? "more than \(Int.max)" : "\(total)") items, over the limit of \(JinjaLimits.maxListCount)", line: line)
                }
                return .array(Array([[JinjaValue]](repeating: items, count: max(0, count)).joined()))
            default: break
            }
        default: break
        }
        // Arithmetic on numbers (bool counts as int, as in Python).
        func integer(_ value: JinjaValue) -> Int? {
            switch value {
            case .int(let number): return number
            case .bool(let flag): return flag ? 1 : 0
            default: return nil
            }
        }
        if let a = integer(left), let b = integer(right) {
            func checked(_ result: (partialValue: Int, overflow: Bool)) throws -> JinjaValue {
                guard !result.overflow else { throw ChatTemplateError(.runtime, "integer overflow in \(a) \(op) \(b)", line: line) }
                return .int(result.partialValue)
            }
            switch op {
            case "+": return try checked(a.addingReportingOverflow(b))
            case "-": return try checked(a.subtractingReportingOverflow(b))
            case "*": return try checked(a.multipliedReportingOverflow(by: b))
            case "/":
                guard b != 0 else { throw ChatTemplateError(.runtime, "division by zero", line: line) }
                return .double(Double(a) / Double(b))
            case "//", "%":
                guard b != 0 else { throw ChatTemplateError(.runtime, "integer division or modulo by zero", line: line) }
                guard let (quotient, remainder) = Self.floorDivision(a, b) else {
                    throw ChatTemplateError(.runtime, "integer overflow in \(a) \(op) \(b)", line: line)
                }
                return .int(op == "//" ? quotient : remainder)
            case "**":
                guard b >= 0 else { return .double(pow(Double(a), Double(b))) }
                guard let result = Self.power(a, b) else {
                    throw ChatTemplateError(.runtime, "integer overflow in \(a) ** \(b)", line: line)
                }
                return .int(result)
            default: break
            }
        }
        guard let a = left.numeric, let b = right.numeric else { throw fail() }
        switch op {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/":
            guard b != 0 else { throw ChatTemplateError(.runtime, "float division by zero", line: line) }
            return .double(a / b)
        case "//":
            guard b != 0 else { throw ChatTemplateError(.runtime, "float division by zero", line: line) }
            return .double((a / b).rounded(.down))
        case "%":
            guard b != 0 else { throw ChatTemplateError(.runtime, "float modulo", line: line) }
            return .double(a - (a / b).rounded(.down) * b)
        case "**": return .double(pow(a, b))
        default: throw fail()
        }
    }
}
