import Foundation
import Yams

extension ConfigValue {
    /// Parses a YAML document into the same value tree a JSON config gives, so YAML configs get
    /// the same keys, type checks, unknown-key suggestions and validation.
    ///
    /// Bounded: the text's size (`PipelineLimits.maxConfigBytes`), its nesting (estimated before
    /// parsing, so a deep document never reaches the recursive parser; `maxConfigDepth`) and the
    /// number of values after aliases are expanded (`maxConfigNodes`, which stops "billion
    /// laughs" documents).
    /// - Throws: `PipelineError` naming the file (and line) for syntax errors, duplicate keys,
    ///   non-string keys, YAML types a config does not use (timestamps, binary), or a limit.
    static func parseYAML(_ text: String, file: String) throws -> ConfigValue {
        try ConfigBounds.checkSize(text.utf8.count, file: file)
        if let deep = ConfigBounds.yamlDepthExceeding(text, limit: PipelineLimits.maxConfigDepth) {
            throw ConfigBounds.depthError(file: file, line: deep.line)
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw PipelineError("\(file) is not valid YAML (\(error)); fix the syntax (indent with spaces, `key: value`)")
        }
        guard let node else { return .object([:]) }
        var nodes = 0
        return try convert(node, file: file, path: "", depth: 1, nodes: &nodes)
    }

    private static func convert(_ node: Node, file: String, path: String, depth: Int, nodes: inout Int) throws -> ConfigValue {
        nodes += 1
        guard nodes <= PipelineLimits.maxConfigNodes else { throw ConfigBounds.nodeError(file: file) }
        guard depth <= PipelineLimits.maxConfigDepth else { throw ConfigBounds.depthError(file: file, line: node.mark?.line) }
        let place = path.isEmpty ? file : "\(file), key `\(path)`"
        let line = node.mark.map { " (line \($0.line))" } ?? ""
        switch node {
        case let .scalar(scalar):
            switch Tag.Name(rawValue: node.tag.description) {
            case .null: return .null
            case .bool:
                guard let value = node.bool else { throw PipelineError("\(place)\(line): \(scalar.string) is not a boolean; write true or false") }
                return .bool(value)
            case .int:
                guard let value = node.int else { throw PipelineError("\(place)\(line): \(scalar.string) is not an integer") }
                return .number(Double(value))
            case .float:
                guard let value = node.float else { throw PipelineError("\(place)\(line): \(scalar.string) is not a number") }
                return .number(value)
            case .str: return .string(scalar.string)
            default:
                throw PipelineError("\(place)\(line): value \(scalar.string) has YAML type \(node.tag.description), which a config does not use; quote it to make it a string")
            }
        case let .sequence(sequence):
            return .array(try sequence.enumerated().map { index, element in
                try convert(element, file: file, path: "\(path)[\(index)]", depth: depth + 1, nodes: &nodes)
            })
        case let .mapping(mapping):
            var object: [String: ConfigValue] = [:]
            for (keyNode, valueNode) in mapping {
                guard case let .scalar(keyScalar) = keyNode else {
                    throw PipelineError("\(place)\(line): a key is not a plain name; config keys are strings like `seed_model`")
                }
                let key = keyScalar.string
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                guard object[key] == nil else {
                    throw PipelineError("\(file)\(keyNode.mark.map { " (line \($0.line))" } ?? ""): key `\(childPath)` appears twice; keep one")
                }
                object[key] = try convert(valueNode, file: file, path: childPath, depth: depth + 1, nodes: &nodes)
            }
            return .object(object)
        }
    }
}
