/// What a model says about its tokenizer beyond tokenizer.json: the special tokens and the chat template
/// (from tokenizer_config.json, or GGUF `tokenizer.ggml.*_token_id` and `tokenizer.chat_template`).
public struct TokenizerConfiguration: Sendable, Equatable {
    /// Beginning-of-sequence token and id.
    public var bosToken: String?
    public var bosTokenID: Int?
    /// End-of-sequence token and id.
    public var eosToken: String?
    public var eosTokenID: Int?
    /// Unknown and padding token ids.
    public var unknownTokenID: Int?
    public var paddingTokenID: Int?
    /// The Jinja chat template, if the model has one.
    public var chatTemplate: String?

    /// Creates a configuration.
    public init(bosToken: String? = nil, bosTokenID: Int? = nil, eosToken: String? = nil, eosTokenID: Int? = nil,
                unknownTokenID: Int? = nil, paddingTokenID: Int? = nil, chatTemplate: String? = nil) {
        self.bosToken = bosToken
        self.bosTokenID = bosTokenID
        self.eosToken = eosToken
        self.eosTokenID = eosTokenID
        self.unknownTokenID = unknownTokenID
        self.paddingTokenID = paddingTokenID
        self.chatTemplate = chatTemplate
    }

    /// Reads tokenizer_config.json: `bos_token`, `eos_token`, `unk_token`, `pad_token` (strings or
    /// `{"content": ...}` objects) and `chat_template` (a string, or a list of named templates, of which
    /// `default` is used).
    init(tokenizerConfig json: JSONReader?, resolve: (String) -> Int?) throws {
        self.init()
        guard let json else { return }
        func token(_ key: String) throws -> String? {
            guard let value = try json.optional(key) else { return nil }
            if let string = value.value as? String { return string }
            return try value.optionalString("content")
        }
        bosToken = try token("bos_token")
        eosToken = try token("eos_token")
        bosTokenID = bosToken.flatMap(resolve)
        eosTokenID = eosToken.flatMap(resolve)
        unknownTokenID = try token("unk_token").flatMap(resolve)
        paddingTokenID = try token("pad_token").flatMap(resolve)
        if let template = try json.optional("chat_template") {
            if let string = template.value as? String {
                chatTemplate = string
            } else {
                for entry in try template.array() where try entry.string("name") == "default" {
                    chatTemplate = try entry.string("template")
                }
            }
        }
    }
}
