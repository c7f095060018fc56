/// One key of a run config section, spelled once: its name, how it is read into the section's
/// value, how it is written back (`config.json`, `irpo run --print-config`), how it is checked,
/// and its row in docs/configuration.md (type, default, meaning).
///
/// A section's keys make a `ConfigSchema`; the factories below bind a key to a stored property
/// by key path, so the property, its key and its bounds appear together once.
struct ConfigKey<Section> {
    /// The key as written in a config file (snake case).
    var name: String
    /// The value's type and bounds as the docs write them ("integer in 1...100").
    var type: String
    /// What the key does (the docs' meaning column, markdown).
    var meaning: String
    /// The default as the docs write it; nil: the default value as a config would write it.
    var defaultText: String?
    /// Reads the key (absent or null: the section keeps its current value).
    var read: (inout ConfigReader, inout Section) throws -> Void
    /// The value as a config file would write it.
    var write: (Section) -> ConfigValue
    /// Checks the value; the string is the key's dotted path, for messages.
    var check: (Section, String) throws -> Void
    /// For a nested section: its docs tables (given the section value and the key's path).
    var tables: ((Section, String) -> [ConfigKeyTable])?
    /// For a nested section: its keys as a YAML mapping.
    var yaml: ((Section) -> ConfigYAMLNode)?
    /// For a nested section: document its keys in the parent's table instead of a table of their own.
    var flatten = false

    /// This key with another type text in the docs.
    func typed(_ text: String) -> ConfigKey {
        var copy = self
        copy.type = text
        return copy
    }

    /// This key with an extra check after its own.
    func checked(_ extra: @escaping (Section, String) throws -> Void) -> ConfigKey {
        var copy = self
        let first = check
        copy.check = { section, path in
            try first(section, path)
            try extra(section, path)
        }
        return copy
    }
}

/// The message of a value outside what its key accepts.
func configValueError(_ path: String, _ value: Any, _ expected: String) -> PipelineError {
    PipelineError("config key `\(path)` has value \(value), expected \(expected)")
}

extension ConfigKey {
    private static func leaf(_ name: String, type: String, meaning: String, defaultText: String?,
                             read: @escaping (inout ConfigReader, inout Section) throws -> Void,
                             write: @escaping (Section) -> ConfigValue,
                             check: @escaping (Section, String) throws -> Void = { _, _ in }) -> ConfigKey {
        ConfigKey(name: name, type: type, meaning: meaning, defaultText: defaultText, read: read, write: write, check: check)
    }

    /// Checks an integer against `range`; the error names both bounds ("an integer in 1...65536").
    static func checkInt(_ value: Int, _ range: ClosedRange<Int>, path: String, note: String) throws {
        guard range.contains(value) else {
            throw configValueError(path, value, "an integer in \(range.lowerBound)...\(range.upperBound)\(note)")
        }
    }

    /// An integer in `range`; `note` ends the error message (" (0 = off)").
    static func int(_ name: String, _ field: WritableKeyPath<Section, Int>, _ range: ClosedRange<Int>, note: String = "",
                    default defaultText: String? = nil, _ meaning: String) -> ConfigKey {
        leaf(name, type: "integer in \(range.lowerBound)...\(range.upperBound)", meaning: meaning, defaultText: defaultText,
             read: { reader, section in section[keyPath: field] = try reader.int(name, default: section[keyPath: field]) },
             write: { .number(Double($0[keyPath: field])) },
             check: { section, path in try Self.checkInt(section[keyPath: field], range, path: path, note: note) })
    }

    /// An integer in `range`, or null (the default, "all").
    static func optionalInt(_ name: String, _ field: WritableKeyPath<Section, Int?>, _ range: ClosedRange<Int>,
                            note: String = " (or null for all)", default defaultText: String? = "all", _ meaning: String) -> ConfigKey {
        leaf(name, type: "integer in \(range.lowerBound)...\(range.upperBound)", meaning: meaning, defaultText: defaultText,
             read: { reader, section in section[keyPath: field] = try reader.optionalInt(name) ?? section[keyPath: field] },
             write: { $0[keyPath: field].map { .number(Double($0)) } ?? .null },
             check: { section, path in
                 if let value = section[keyPath: field] { try Self.checkInt(value, range, path: path, note: note) }
             })
    }

    /// A number accepted by `rule`.
    static func double(_ name: String, _ field: WritableKeyPath<Section, Double>, _ rule: ConfigNumberRule,
                       default defaultText: String? = nil, _ meaning: String) -> ConfigKey {
        leaf(name, type: rule.typeText, meaning: meaning, defaultText: defaultText,
             read: { reader, section in section[keyPath: field] = try reader.double(name, default: section[keyPath: field]) },
             write: { .number($0[keyPath: field]) },
             check: { section, path in
                 let value = section[keyPath: field]
                 guard rule.accepts(value) else { throw configValueError(path, value, rule.expected) }
             })
    }

    /// A number accepted by `rule`, or null.
    static func optionalDouble(_ name: String, _ field: WritableKeyPath<Section, Double?>, _ rule: ConfigNumberRule,
                               default defaultText: String?, _ meaning: String) -> ConfigKey {
        leaf(name, type: rule.typeText, meaning: meaning, defaultText: defaultText,
             read: { reader, section in section[keyPath: field] = try reader.optionalDouble(name) ?? section[keyPath: field] },
             write: { $0[keyPath: field].map { .number($0) } ?? .null },
             check: { section, path in
                 if let value = section[keyPath: field], !rule.accepts(value) { throw configValueError(path, value, rule.expected) }
             })
    }

    /// A number stored as a `Float` (written back as the shortest decimal that reads as the same Float).
    static func float(_ name: String, _ field: WritableKeyPath<Section, Float>, _ rule: ConfigNumberRule,
                      default defaultText: String? = nil, _ meaning: String) -> ConfigKey {
        leaf(name, type: rule.typeText, meaning: meaning, defaultText: defaultText,
             read: { reader, section in
                 section[keyPath: field] = Float(try reader.double(name, default: Double(section[keyPath: field])))
             },
             write: { section in
                 let value = section[keyPath: field]
                 return .number(Double("\(value)") ?? Double(value))
             },
             check: { section, path in
                 let value = Double(section[keyPath: field])
                 guard rule.accepts(value) else { throw configValueError(path, value, rule.expected) }
             })
    }

    /// true or false.
    static func bool(_ name: String, _ field: WritableKeyPath<Section, Bool>, _ meaning: String) -> ConfigKey {
        leaf(name, type: "boolean", meaning: meaning, defaultText: nil,
             read: { reader, section in section[keyPath: field] = try reader.bool(name, default: section[keyPath: field]) },
             write: { .bool($0[keyPath: field]) })
    }

    /// A string.
    static func string(_ name: String, _ field: WritableKeyPath<Section, String>, type: String = "string",
                       default defaultText: String? = nil, _ meaning: String) -> ConfigKey {
        leaf(name, type: type, meaning: meaning, defaultText: defaultText,
             read: { reader, section in section[keyPath: field] = try reader.string(name, default: section[keyPath: field]) },
             write: { .string($0[keyPath: field]) })
    }

    /// A string, or null.
    static func optionalString(_ name: String, _ field: WritableKeyPath<Section, String?>, type: String = "string",
                               default defaultText: String? = "", _ meaning: String) -> ConfigKey {
        leaf(name, type: type, meaning: meaning, defaultText: defaultText,
             read: { reader, section in section[keyPath: field] = try reader.optionalString(name) ?? section[keyPath: field] },
             write: { $0[keyPath: field].map { .string($0) } ?? .null })
    }

    /// A list of strings (one string is a list of one).
    static func strings(_ name: String, _ field: WritableKeyPath<Section, [String]>, type: String = "list of strings",
                        default defaultText: String? = nil, _ meaning: String) -> ConfigKey {
        leaf(name, type: type, meaning: meaning, defaultText: defaultText,
             read: { reader, section in section[keyPath: field] = try reader.strings(name, default: section[keyPath: field]) },
             write: { .array($0[keyPath: field].map { .string($0) }) })
    }

    /// A list of strings, or null.
    static func optionalStrings(_ name: String, _ field: WritableKeyPath<Section, [String]?>, type: String = "list of strings",
                                default defaultText: String?, _ meaning: String) -> ConfigKey {
        leaf(name, type: type, meaning: meaning, defaultText: defaultText,
             read: { reader, section in section[keyPath: field] = try reader.optionalStrings(name) ?? section[keyPath: field] },
             write: { $0[keyPath: field].map { .array($0.map { .string($0) }) } ?? .null })
    }

    /// A list of numbers (one number is a list of one).
    static func doubles(_ name: String, _ field: WritableKeyPath<Section, [Double]>, type: String = "number or list of numbers",
                        default defaultText: String? = nil, _ meaning: String) -> ConfigKey {
        leaf(name, type: type, meaning: meaning, defaultText: defaultText,
             read: { reader, section in section[keyPath: field] = try reader.doubles(name, default: section[keyPath: field]) },
             write: { .array($0[keyPath: field].map { .number($0) }) })
    }

    /// A list of numbers, or null.
    static func optionalDoubles(_ name: String, _ field: WritableKeyPath<Section, [Double]?>, type: String = "number or list of numbers",
                                default defaultText: String? = nil, _ meaning: String) -> ConfigKey {
        leaf(name, type: type, meaning: meaning, defaultText: defaultText,
             read: { reader, section in section[keyPath: field] = try reader.optionalDoubles(name) ?? section[keyPath: field] },
             write: { $0[keyPath: field].map { .array($0.map { .number($0) }) } ?? .null })
    }

    /// An integer or a list of integers, or null; `check` validates the values.
    static func optionalInts(_ name: String, _ field: WritableKeyPath<Section, [Int]?>, type: String = "integer or list of integers",
                             default defaultText: String? = nil, _ meaning: String) -> ConfigKey {
        leaf(name, type: type, meaning: meaning, defaultText: defaultText,
             read: { reader, section in section[keyPath: field] = try reader.optionalInts(name) ?? section[keyPath: field] },
             write: { $0[keyPath: field].map { .array($0.map { .number(Double($0)) }) } ?? .null })
    }

    /// One of `T`'s raw values; another names the valid ones and the nearest.
    static func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ field: WritableKeyPath<Section, T>,
                                                          _ meaning: String) -> ConfigKey where T.RawValue == String {
        leaf(name, type: "one of " + T.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", "), meaning: meaning, defaultText: nil,
             read: { reader, section in section[keyPath: field] = try reader.choice(name, default: section[keyPath: field]) },
             write: { .string($0[keyPath: field].rawValue) })
    }

    /// A closed integer range, `[low, high]` or one integer `n` for `[n, n]`.
    static func intRange(_ name: String, _ field: WritableKeyPath<Section, ClosedRange<Int>>, type: String,
                         _ meaning: String) -> ConfigKey {
        leaf(name, type: type, meaning: meaning, defaultText: nil,
             read: { reader, section in section[keyPath: field] = try reader.intRange(name, default: section[keyPath: field]) },
             write: { section in
                 let range = section[keyPath: field]
                 return .array([.number(Double(range.lowerBound)), .number(Double(range.upperBound))])
             })
    }

    /// A key read, written and documented by hand (`type`, default text and meaning for the docs).
    static func custom(_ name: String, type: String, default defaultText: String?, _ meaning: String,
                       read: @escaping (inout ConfigReader, inout Section) throws -> Void,
                       write: @escaping (Section) -> ConfigValue,
                       check: @escaping (Section, String) throws -> Void = { _, _ in }) -> ConfigKey {
        leaf(name, type: type, meaning: meaning, defaultText: defaultText, read: read, write: write, check: check)
    }

    /// A nested section with its own schema (absent: the section keeps its defaults).
    /// - Parameter flatten: document its keys in the parent's table.
    static func section<Sub>(_ name: String, _ field: WritableKeyPath<Section, Sub>, _ schema: ConfigSchema<Sub>,
                             flatten: Bool = false) -> ConfigKey {
        ConfigKey(name: name, type: "section", meaning: "", defaultText: nil,
                  read: { reader, section in
                      var nested = try reader.section(name)
                      var value = section[keyPath: field]
                      try schema.read(&nested, into: &value)
                      section[keyPath: field] = value
                  },
                  write: { schema.value(of: $0[keyPath: field]) },
                  check: { section, path in try schema.check(section[keyPath: field], path: path) },
                  tables: { section, path in schema.tables(of: section[keyPath: field], path: path) },
                  yaml: { schema.yaml(of: $0[keyPath: field]) },
                  flatten: flatten)
    }

    /// A section that may be absent (nil). Present, its absent keys take `template`'s values.
    /// - Parameters:
    ///   - emptyIsAbsent: an empty section (`{}`) means nil too (else it means `template`).
    ///   - flatten: document its keys in the parent's table.
    static func optionalSection<Sub>(_ name: String, _ field: WritableKeyPath<Section, Sub?>, _ schema: ConfigSchema<Sub>,
                                     template: Sub, emptyIsAbsent: Bool, flatten: Bool = false) -> ConfigKey {
        ConfigKey(name: name, type: "section", meaning: "", defaultText: nil,
                  read: { reader, section in
                      var nested = try reader.section(name)
                      guard !nested.object.isEmpty || (!emptyIsAbsent && reader.isPresent(name)) else { return }
                      var value = section[keyPath: field] ?? template
                      try schema.read(&nested, into: &value)
                      section[keyPath: field] = value
                  },
                  write: { section in section[keyPath: field].map { schema.value(of: $0) } ?? .null },
                  check: { section, path in
                      if let value = section[keyPath: field] { try schema.check(value, path: path) }
                  },
                  tables: { _, path in schema.tables(of: template, path: path) },
                  yaml: { section in section[keyPath: field].map { schema.yaml(of: $0) } ?? .value(.null) },
                  flatten: flatten)
    }
}
