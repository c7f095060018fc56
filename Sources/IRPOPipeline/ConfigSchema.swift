import Yams

/// The keys of one run config section, in the order they are documented, and the checks that
/// involve more than one of them. It reads a section (rejecting unknown keys with the nearest
/// valid one), checks it, writes it back, and documents it; `RunConfig.schema` is the whole file.
struct ConfigSchema<Section> {
    /// The keys, in documentation order.
    var keys: [ConfigKey<Section>]
    /// Checks across keys, after each key's own (the string is the section's dotted path).
    var rules: (Section, String) throws -> Void = { _, _ in }

    /// Every key's name.
    var names: [String] { keys.map(\.name) }

    /// Reads every key of `reader` over `section`'s values, then rejects unknown keys.
    /// - Throws: `PipelineError` naming the key path and value at fault.
    func read(_ reader: inout ConfigReader, into section: inout Section) throws {
        for key in keys { try key.read(&reader, &section) }
        try reader.rejectUnknownKeys()
    }

    /// Checks every key (nested sections included), then the rules.
    /// - Parameter path: the section's dotted path ("" at the top).
    /// - Throws: `PipelineError` naming the key path and value at fault.
    func check(_ section: Section, path: String) throws {
        for key in keys { try key.check(section, Self.join(path, key.name)) }
        try rules(section, path)
    }

    /// The section as a config file would write it (every key, null for unset optional ones).
    func value(of section: Section) -> ConfigValue {
        var object: [String: ConfigValue] = [:]
        for key in keys { object[key.name] = key.write(section) }
        return .object(object)
    }

    /// The section as an ordered mapping, for `irpo run --print-config`.
    func yaml(of section: Section) -> ConfigYAMLNode {
        .mapping(keys.map { key in (key.name, key.yaml?(section) ?? .value(key.write(section))) })
    }

    /// The docs tables of this section (its own keys first, then each nested section's, unless flattened).
    /// - Parameters:
    ///   - section: the value whose settings are the documented defaults.
    ///   - path: the section's dotted path ("" at the top).
    func tables(of section: Section, path: String) -> [ConfigKeyTable] {
        var own = ConfigKeyTable(path: path, rows: [])
        var nested: [ConfigKeyTable] = []
        for key in keys {
            let keyPath = Self.join(path, key.name)
            if let subTables = key.tables?(section, keyPath) {
                if key.flatten { own.rows += subTables.flatMap(\.rows) } else { nested += subTables }
            } else {
                own.rows.append(ConfigKeyRow(key: keyPath, type: key.type,
                                             defaultText: key.defaultText ?? key.write(section).docsText, meaning: key.meaning))
            }
        }
        return (own.rows.isEmpty ? [] : [own]) + nested
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

/// An ordered config tree, for printing a config in the order its keys are documented.
indirect enum ConfigYAMLNode {
    /// A leaf value (null, boolean, number, string, list or map).
    case value(ConfigValue)
    /// A section, keys in order.
    case mapping([(String, ConfigYAMLNode)])

    /// Yams' node: sections as block mappings, lists and maps in flow style, strings quoted.
    var node: Node {
        switch self {
        case let .mapping(pairs):
            return Node(pairs.map { (Node($0.0), $0.1.node) }, .implicit, .block)
        case let .value(value):
            return Self.node(value)
        }
    }

    private static func node(_ value: ConfigValue) -> Node {
        switch value {
        case .null: return Node("null", .implicit, .plain)
        case let .bool(flag): return Node(flag ? "true" : "false", .implicit, .plain)
        case .number: return Node(value.description, .implicit, .plain)
        case let .string(text): return Node(text, .implicit, .doubleQuoted)
        case let .array(values): return Node(values.map { Self.node($0) }, .implicit, .flow)
        case let .object(fields): return Node(fields.keys.sorted().map { (Node($0), Self.node(fields[$0] ?? .null)) }, .implicit, .flow)
        }
    }

    /// The tree as YAML text.
    /// - Throws: Yams' emitter error (not expected for a config's values).
    func text() throws -> String { try Yams.serialize(node: node, width: -1, allowUnicode: true) }
}
