import Foundation
import Hummingbird
import IRPOGeneration
import NIOCore
import ServiceLifecycle

/// An OpenAI-compatible HTTP server over the local engine (`irpo serve`).
///
/// Endpoints: `GET /v1/models`, `POST /v1/completions` (prompt as a string, an array of strings,
/// an array of token ids or an array of id arrays), `POST /v1/chat/completions` (messages rendered
/// with the model's chat template), `GET /health`. Requests and responses follow OpenAI's JSON
/// shapes, with `stream: true` as server-sent events ending in `data: [DONE]`; every error is
/// OpenAI's `{"error": {"message", "type", "param", "code"}}` (400 invalid request, 404 unknown
/// route or model, 413 body too large, 429 engine queue full). Request sizes are bounded by
/// `ServerLimits` and the model's context; idle connections are closed after
/// `idleTimeoutSeconds` and at most `maxConnections` are open at once. Extensions: `top_k`, `min_p`, `repetition_penalty`, and
/// `irpo_prompt_id`.
///
/// Reproducibility: with `seed` S, choice `p * n + i` (sample `i` of prompt `p`) is exactly what
/// the local engine gives for `(S, promptID[p], i)`: the same text, tokens and finish reason as
/// `LocalInferenceBackend.complete(prompts:promptIDs:parameters:samplesPerPrompt:)` with
/// `parameters.seed = S` and the same `promptIDs`. `promptID[p]` is the request's
/// `irpo_prompt_id` (one integer per prompt; a single integer for one prompt) or else `p`. A
/// negative seed maps to its 64-bit two's complement. Requests without a seed are random: they
/// get the server's random seed and prompt ids no other request uses.
///
/// Batching: requests wait in a queue and the engine thread runs rounds that batch every waiting
/// request with the same sampling parameters and `n` (up to `maxBatchSize` samples) into one
/// `Generator` call; the event loops never run the engine.
///
/// ```swift
/// let server = try OpenAIServer(modelPath: "runs/demo/m0/model",
///                               configuration: .init(port: 0, modelName: "demo"))
/// let port = try await server.start()   // http://127.0.0.1:\(port)/v1
/// ...
/// await server.shutdown()
/// ```
/// Unchecked Sendable: its mutable state is read and written only while holding `lock`; the rest is immutable.
public final class OpenAIServer: @unchecked Sendable {
    /// The settings.
    public let configuration: OpenAIServerConfiguration
    /// The served model.
    public let model: ServedModel
    let scheduler: EngineScheduler
    let responder: OpenAIResponder
    /// The open-connection cap (`configuration.maxConnections`).
    let connections: ConnectionLimiter

    private let lock = NSLock()
    private var serviceGroup: ServiceGroup?
    private var serviceTask: Task<Void, any Error>?
    private var boundPort: Int?
    private var hasShutDown = false

    /// A server for a model in memory.
    /// - Throws: `ServerError` for an invalid configuration.
    public init(model: ServedModel, configuration: OpenAIServerConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
        self.model = model
        scheduler = EngineScheduler(model: model, maxBatchSize: configuration.maxBatchSize,
                                    maxQueuedRequests: configuration.maxQueuedRequests, decodeWeights: configuration.decodeWeights)
        responder = OpenAIResponder(model: model, configuration: configuration, scheduler: scheduler, unseeded: UnseededStreams())
        connections = ConnectionLimiter(limit: configuration.maxConnections)
    }

    /// A server for the model at `modelPath` (see `ServedModel.load(path:)`).
    public convenience init(modelPath: String, configuration: OpenAIServerConfiguration) throws {
        try self.init(model: try ServedModel.load(path: modelPath), configuration: configuration)
    }

    /// The port the server listens on, once started.
    public var port: Int? { lock.withLock { boundPort } }

    /// The base URL of the API (`http://host:port/v1`), once started.
    public var baseURL: URL? {
        port.flatMap { URL(string: "http://\(configuration.host):\($0)/v1") }
    }

    /// The Hummingbird application (tests drive it with HummingbirdTesting).
    func makeApplication(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> Application<OpenAIResponder> {
        // Validated: at most a day, so the nanoseconds fit.
        let idleTimeout = TimeAmount.nanoseconds(Int64(configuration.idleTimeoutSeconds * 1e9))
        let connections = self.connections
        return Application(
            responder: responder,
            server: .http1(configuration: .init(additionalChannelHandlers: [connections.makeHandler()], idleTimeout: idleTimeout)),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                                    serverName: "irpo"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) }
        )
    }

    /// Starts the engine thread and the HTTP server in the background.
    /// - Returns: the bound port (useful with `port: 0`).
    /// - Throws: `ServerError` when the server is already running or cannot bind.
    @discardableResult
    public func start() async throws -> Int {
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = makeApplication { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: app.logger))
        let refusal: String? = lock.withLock {
            if hasShutDown { return "this server was shut down; create a new OpenAIServer to serve again" }
            guard serviceGroup == nil else { return "the server is already running; call shutdown() first" }
            serviceGroup = group
            return nil
        }
        if let refusal { throw ServerError(refusal) }
        scheduler.start()
        let task = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        lock.withLock { serviceTask = task }
        for await port in ports {
            lock.withLock { boundPort = port }
            return port
        }
        // The server ended before listening.
        let reason: String
        do {
            try await task.value
            reason = "it stopped"
        } catch {
            reason = "\(error)"
        }
        await shutdown()
        throw ServerError("could not listen on \(configuration.host):\(configuration.port) (\(reason)); pick another --port or --host")
    }

    /// Stops the HTTP server gracefully (open requests finish) and the engine thread. A server
    /// runs once: to serve again, create a new `OpenAIServer`.
    public func shutdown() async {
        let (group, task) = lock.withLock {
            defer {
                hasShutDown = true
                serviceGroup = nil
                serviceTask = nil
                boundPort = nil
            }
            return (serviceGroup, serviceTask)
        }
        await group?.triggerGracefulShutdown()
        _ = try? await task?.value
        scheduler.stop()
    }

    /// Serves until SIGINT or SIGTERM (for the CLI).
    /// - Parameter onListening: called with the bound port once the server accepts connections.
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        scheduler.start()
        defer { scheduler.stop() }
        try await makeApplication { port in onListening(port) }.runService()
    }

    /// Engine counters since the server started.
    public var engineStatistics: EngineStatistics { scheduler.statistics }
}
