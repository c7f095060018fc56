/// The bounds the server puts on what one request (or one configuration) may ask for, in one
/// place. Every limit answers a clear error naming the value and the limit; docs/limits.md lists
/// them all.
public enum ServerLimits {
    /// Most samples per prompt (`n`) one request may ask for.
    public static let maxSamplesPerPrompt = 128
    /// Most prompts in one `/v1/completions` request.
    public static let maxPromptsPerRequest = 256
    /// Most `stop` sequences per request (OpenAI allows 4), each at most `maxStopBytes` long: every
    /// generated token is checked against them.
    public static let maxStopSequences = 64
    /// Longest `stop` sequence, in UTF-8 bytes.
    public static let maxStopBytes = 1024
    /// Default of `OpenAIServerConfiguration.maxQueuedRequests`: requests admitted to the engine
    /// (waiting or running) before new ones are answered 429.
    public static let defaultMaxQueuedRequests = 256
    /// Largest `OpenAIServerConfiguration.maxQueuedRequests`.
    public static let maxQueuedRequests = 65_536
    /// Largest `OpenAIServerConfiguration.maxBatchSize` (KV-cache slots of one engine round).
    public static let maxBatchSize = 1024
    /// Largest `OpenAIServerConfiguration.maxBodyBytes` (256 MiB).
    public static let maxBodyBytes = 1 << 28
    /// Default of `OpenAIServerConfiguration.idleTimeoutSeconds`: a connection that sends nothing
    /// (no request, or headers that never complete) for this long is closed.
    public static let defaultIdleTimeoutSeconds: Double = 30
    /// Largest `OpenAIServerConfiguration.idleTimeoutSeconds` (one day).
    public static let maxIdleTimeoutSeconds: Double = 86_400
    /// Default of `OpenAIServerConfiguration.maxConnections`: connections open at once; more
    /// are closed as soon as they are accepted.
    public static let defaultMaxConnections = 512
    /// Largest `OpenAIServerConfiguration.maxConnections`.
    public static let maxConnections = 65_536
    /// Largest `OpenAIServerConfiguration.maxChoicesPerRequest`.
    public static let maxChoicesPerRequest = maxSamplesPerPrompt * maxPromptsPerRequest
}
