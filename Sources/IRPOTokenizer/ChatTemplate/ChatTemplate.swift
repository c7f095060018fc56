/// A chat template (the Jinja `chat_template` of tokenizer_config.json or GGUF `tokenizer.chat_template`),
/// rendered the way transformers' `apply_chat_template(..., tokenize=False)` renders it: Jinja with
/// `trim_blocks` and `lstrip_blocks`, `raise_exception`, and `tojson` as `json.dumps(ensure_ascii=False)`.
///
/// The interpreter covers a Jinja subset: `if/elif/else`, `for` (with `loop`, filters and `else`),
/// `set` (also `ns.attr` and block set), `namespace`, `break/continue`, expressions with Python semantics,
/// slicing, and common filters and tests. Anything else is a `ChatTemplateError` of kind `.unsupported`
/// naming the construct, at parse time for statements and at render time for filters and tests.
///
/// Sendable: the parsed tree is immutable and holds only literals (a namespace object exists only while
/// rendering, in the render call's own scope).
/// Unchecked Sendable: the parsed tree is immutable and holds only literals.
public struct ChatTemplate: @unchecked Sendable {
    /// The template source.
    public let source: String
    private let nodes: [JinjaNode]

    /// Parses `source`; throws `ChatTemplateError` for syntax errors and unsupported statements.
    public init(_ source: String) throws {
        self.source = source
        nodes = try JinjaTemplateParser.parse(source)
    }

    /// Renders the template.
    /// - Parameters:
    ///   - messages: the conversation: dictionaries with at least "role" and "content" (JSON-like values).
    ///   - addGenerationPrompt: end with the header of an assistant turn.
    ///   - bosToken, eosToken: the tokenizer's special tokens, as transformers passes them.
    ///   - tools: tool schemas (`tools` is `none` when absent, as in transformers).
    ///   - context: more template variables (e.g. `date_string`).
    public func render(messages: [[String: Any]], addGenerationPrompt: Bool, bosToken: String? = nil,
                       eosToken: String? = nil, tools: [[String: Any]]? = nil, context: [String: Any] = [:]) throws -> String {
        let scope = JinjaScope(parent: nil)
        for (key, value) in context { scope.variables[key] = JinjaValue(any: value) }
        scope.variables["messages"] = .array(messages.map { message in
            // Keep role and content first, as a Python dict literal would.
            let ordered = ["role", "content"].filter { message[$0] != nil } + message.keys.filter { $0 != "role" && $0 != "content" }.sorted()
            return .object(JinjaObject(ordered.map { ($0, JinjaValue(any: message[$0])) }))
        })
        scope.variables["add_generation_prompt"] = .bool(addGenerationPrompt)
        scope.variables["tools"] = tools.map { JinjaValue(any: $0) } ?? JinjaValue.none
        scope.variables["documents"] = JinjaValue.none
        if let bosToken { scope.variables["bos_token"] = .string(bosToken) }
        if let eosToken { scope.variables["eos_token"] = .string(eosToken) }
        var interpreter = JinjaInterpreter()
        _ = try interpreter.run(nodes, scope: scope)
        return interpreter.output
    }

    /// Renders role/content messages.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String? = nil,
                       eosToken: String? = nil) throws -> String {
        try render(messages: messages.map { ["role": $0.role, "content": $0.content] },
                   addGenerationPrompt: addGenerationPrompt, bosToken: bosToken, eosToken: eosToken)
    }
}

/// One message of a conversation.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

extension Tokenizer {
    /// Renders the model's chat template (from tokenizer_config.json or the GGUF) with this tokenizer's
    /// BOS and EOS tokens. Throws when the model has no chat template.
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String {
        guard let source = configuration.chatTemplate else {
            throw TokenizerError(file: self.source, "has no chat template (tokenizer_config.json chat_template or "
                + "GGUF tokenizer.chat_template); format the prompt yourself or use a model with one")
        }
        return try ChatTemplate(source).render(messages, addGenerationPrompt: addGenerationPrompt,
                                               bosToken: configuration.bosToken, eosToken: configuration.eosToken)
    }
}
