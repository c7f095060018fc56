/// The counters of one render, shared by the interpreters of nested `set` blocks.
final class JinjaBudget {
    private(set) var steps = 0

    /// Counts `count` steps.
    /// - Throws: a runtime `ChatTemplateError` once `JinjaLimits.maxSteps` is passed.
    func charge(_ count: Int = 1, line: Int?) throws {
        steps = steps.addingReportingOverflow(max(0, count)).partialValue
        guard steps >= 0, steps <= JinjaLimits.maxSteps else {
            throw ChatTemplateError(.runtime, "rendering takes more than \(JinjaLimits.maxSteps) steps (the limit); the template loops too long for a chat prompt", line: line)
        }
    }

    static func tooLong(_ bytes: Int, line: Int?) -> ChatTemplateError {
        ChatTemplateError(.runtime, "the template builds a string of \(bytes) bytes, over the limit of \(JinjaLimits.maxStringBytes) bytes", line: line)
    }

    static func tooMany(_ count: Int, line: Int?) -> ChatTemplateError {
        ChatTemplateError(.runtime, "the template builds a list of \(count) items, over the limit of \(JinjaLimits.maxListCount)", line: line)
    }

    /// Counts the work of scanning `value`: one step per 64 bytes of a string, per 16 items of
    /// a list, so string and list operations in a loop cannot run for hours within the step limit
    /// (a render scans at most about 64 MB of text).
    func chargeScan(_ value: JinjaValue, line: Int?) throws {
        switch value {
        case .string(let text): try charge(text.utf8.count / 64, line: line)
        case .array(let items): try charge(items.count / 16, line: line)
        case .object(let object): try charge(object.keys.count / 16, line: line)
        default: break
        }
    }

    /// Checks a string size (in UTF-8 bytes) against `JinjaLimits.maxStringBytes`.
    static func checkBytes(_ bytes: Int, line: Int?) throws {
        guard bytes <= JinjaLimits.maxStringBytes else { throw tooLong(bytes, line: line) }
    }

    /// Checks a list length against `JinjaLimits.maxListCount`.
    static func checkCount(_ count: Int, line: Int?) throws {
        guard count <= JinjaLimits.maxListCount else { throw tooMany(count, line: line) }
    }

    /// Checks the size of a value a filter, call or operator returned.
    static func checkSize(_ value: JinjaValue, line: Int?) throws {
        switch value {
        case .string(let text): try checkBytes(text.utf8.count, line: line)
        case .array(let items): try checkCount(items.count, line: line)
        case .object(let object): try checkCount(object.keys.count, line: line)
        default: break
        }
    }

    /// Checks that `value` nests lists, dictionaries and namespaces at most
    /// `JinjaLimits.maxValueDepth` deep, and (with `allowNamespaces` false) holds no namespace, so
    /// namespaces never chain. Visited items count as steps.
    func checkShape(_ value: JinjaValue, allowNamespaces: Bool, line: Int?) throws {
        func visit(_ value: JinjaValue, _ depth: Int) throws {
            switch value {
            case .array(let items):
                guard depth < JinjaLimits.maxValueDepth else { throw Self.tooDeep(line: line) }
                try charge(items.count, line: line)
                for item in items { try visit(item, depth + 1) }
            case .object(let object):
                guard depth < JinjaLimits.maxValueDepth else { throw Self.tooDeep(line: line) }
                try charge(object.keys.count, line: line)
                for value in object.values.values { try visit(value, depth + 1) }
            case .namespace, .method:
                guard allowNamespaces else {
                    throw ChatTemplateError(.unsupported, "a namespace or method stored inside a namespace, list or dictionary", line: line)
                }
            default: break
            }
        }
        try visit(value, 0)
    }

    static func tooDeep(line: Int?) -> ChatTemplateError {
        ChatTemplateError(.runtime, "the template nests lists and dictionaries deeper than \(JinjaLimits.maxValueDepth) levels (the limit)", line: line)
    }
}
