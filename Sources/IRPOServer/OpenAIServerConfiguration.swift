import IRPOModel

/// Settings of an `OpenAIServer`.
///
/// Every field has a default, so `OpenAIServerConfiguration(modelName: "tiny")` serves on
/// 127.0.0.1:8000; set `port` to 0 to bind any free port (read it back from `OpenAIServer.start()`).
public struct OpenAIServerConfiguration: Sendable, Equatable {
    /// Address to bind; the default keeps the server on the loopback interface.
    public var host: String
    /// TCP port; `0` binds a free port chosen by the system.
    public var port: Int
    /// The model id shown by `GET /v1/models`; requests naming another model get a 404 error
    /// (`model_not_found`).
    public var modelName: String
    /// Largest accepted request body; bigger bodies get a 413 error.
    public var maxBodyBytes: Int
    /// Most samples the engine decodes together (KV-cache slots of one engine round).
    public var maxBatchSize: Int
    /// `max_tokens` of requests that do not set it (lowered to what fits in the context).
    public var defaultMaxTokens: Int
    /// Most choices one request may ask for (prompts x `n`).
    public var maxChoicesPerRequest: Int
    /// Most requests admitted to the engine at once (waiting in the queue or running); further
    /// requests get a 429 error (`rate_limit_exceeded`) until one finishes.
    public var maxQueuedRequests: Int
    /// Seconds a connection may stay idle (between requests, or while its request has not
    /// arrived) before it is closed; a request being answered is never cut.
    public var idleTimeoutSeconds: Double
    /// Most connections open at once; further connections are closed as soon as they are accepted.
    public var maxConnections: Int
    /// How the engine's decode kernel holds the weights: `.f32` (exact) or `.q8_0` (the linear
    /// weights quantised to Q8_0 for decoding: faster, completions of the quantised model).
    public var decodeWeights: DecodeWeightFormat = .f32

    /// Creates a configuration; every argument but the model name is optional.
    public init(host: String = "127.0.0.1", port: Int = 8000, modelName: String, maxBodyBytes: Int = 1 << 20,
                maxBatchSize: Int = 32, defaultMaxTokens: Int = 256, maxChoicesPerRequest: Int = 1024,
                maxQueuedRequests: Int = ServerLimits.defaultMaxQueuedRequests,
                idleTimeoutSeconds: Double = ServerLimits.defaultIdleTimeoutSeconds,
                maxConnections: Int = ServerLimits.defaultMaxConnections) {
        self.host = host
        self.port = port
        self.modelName = modelName
        self.maxBodyBytes = maxBodyBytes
        self.maxBatchSize = maxBatchSize
        self.defaultMaxTokens = defaultMaxTokens
        self.maxChoicesPerRequest = maxChoicesPerRequest
        self.maxQueuedRequests = maxQueuedRequests
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxConnections = maxConnections
    }

    /// Checks every field.
    /// - Throws: `ServerError` naming the field, its value and the valid range.
    public func validate() throws {
        guard !host.isEmpty else { throw ServerError("server host is empty; pass an address such as 127.0.0.1") }
        guard (0...65_535).contains(port) else { throw ServerError("server port \(port) is outside 0...65535; pass 0 for any free port") }
        guard !modelName.isEmpty else { throw ServerError("server model name is empty; pass --name") }
        guard (1...ServerLimits.maxBodyBytes).contains(maxBodyBytes) else {
            throw ServerError("max body bytes \(maxBodyBytes) is outside 1...\(ServerLimits.maxBodyBytes); pass --max-body-bytes in that range")
        }
        guard maxBatchSize >= 1 else { throw ServerError("max batch size \(maxBatchSize) must be >= 1; pass --max-batch 1 or more") }
        guard maxBatchSize <= ServerLimits.maxBatchSize else {
            throw ServerError("max batch size \(maxBatchSize) is over the limit of \(ServerLimits.maxBatchSize); pass a smaller --max-batch")
        }
        guard defaultMaxTokens >= 1 else { throw ServerError("default max_tokens \(defaultMaxTokens) must be >= 1") }
        guard (1...ServerLimits.maxChoicesPerRequest).contains(maxChoicesPerRequest) else {
            throw ServerError("max choices per request \(maxChoicesPerRequest) is outside 1...\(ServerLimits.maxChoicesPerRequest)")
        }
        guard (1...ServerLimits.maxQueuedRequests).contains(maxQueuedRequests) else {
            throw ServerError("max queued requests \(maxQueuedRequests) is outside 1...\(ServerLimits.maxQueuedRequests); pass --max-queued in that range")
        }
        guard idleTimeoutSeconds.isFinite, idleTimeoutSeconds > 0, idleTimeoutSeconds <= ServerLimits.maxIdleTimeoutSeconds else {
            throw ServerError("idle timeout \(idleTimeoutSeconds) s is outside (0, \(ServerLimits.maxIdleTimeoutSeconds)]; pass --idle-timeout in that range")
        }
        guard (1...ServerLimits.maxConnections).contains(maxConnections) else {
            throw ServerError("max connections \(maxConnections) is outside 1...\(ServerLimits.maxConnections); pass --max-connections in that range")
        }
    }
}
