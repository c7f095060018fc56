import Foundation
import Hummingbird
import IRPOGeneration

/// Routes requests to the OpenAI endpoints and answers every failure as an OpenAI error object.
///
/// Routes: `GET /v1/models`, `POST /v1/completions`, `POST /v1/chat/completions`, `GET /health`.
/// Anything else is a 404 (unknown path) or 405 (known path, wrong method).
struct OpenAIResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let model: ServedModel
    let configuration: OpenAIServerConfiguration
    let scheduler: EngineScheduler
    let validator: RequestValidator
    /// When the server started (the `created` time of the model).
    let startTime: Int

    init(model: ServedModel, configuration: OpenAIServerConfiguration, scheduler: EngineScheduler, unseeded: UnseededStreams) {
        self.model = model
        self.configuration = configuration
        self.scheduler = scheduler
        validator = RequestValidator(model: model, configuration: configuration, unseeded: unseeded)
        startTime = Int(Date().timeIntervalSince1970)
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        do {
            var path = request.uri.path
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            let routes: [String: HTTPRequest.Method] = [
                "/v1/models": .get, "/v1/completions": .post, "/v1/chat/completions": .post, "/health": .get,
            ]
            guard let method = routes[path] else {
                throw APIError(status: 404, message: "Invalid URL (\(request.method) \(path)); this server answers GET /v1/models, POST /v1/completions and POST /v1/chat/completions",
                               type: "invalid_request_error", param: nil, code: "not_found")
            }
            guard request.method == method else {
                throw APIError(status: 405, message: "\(path) accepts \(method) only, not \(request.method)",
                               type: "invalid_request_error", param: nil, code: "method_not_allowed")
            }
            switch path {
            case "/v1/models":
                return try json(WireFormat.ModelList(data: [
                    .init(id: configuration.modelName, created: startTime, maxModelLength: model.contextLength),
                ]))
            case "/health":
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: "{\"status\":\"ok\"}")))
            case "/v1/completions":
                let body = try decode(CompletionRequest.self, from: try await readBody(request))
                return try await completions(body)
            default:
                let body = try decode(ChatCompletionRequest.self, from: try await readBody(request))
                return try await chatCompletions(body)
            }
        } catch let error as APIError {
            return error.response
        } catch {
            return APIError.server("the server failed on this request: \(error)").response
        }
    }

    /// The request body, at most `maxBodyBytes`.
    private func readBody(_ request: Request) async throws -> Data {
        let limit = configuration.maxBodyBytes
        let tooLarge = APIError(status: 413, message: "the request body exceeds this server's limit of \(limit) bytes; send fewer or shorter prompts",
                                type: "invalid_request_error", param: nil, code: "request_too_large")
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw tooLarge }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge
        }
    }

    private func decode<Body: Decodable>(_ type: Body.Type, from data: Data) throws -> Body {
        guard !data.isEmpty else {
            throw APIError.invalid("the request body is empty; send a JSON object", param: nil)
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw APIError.decoding(error)
        }
    }

    func json<Value: Encodable>(_ value: Value) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: try WireFormat.encode(value))))
    }

    /// Admits one request to the engine's queue (see `EngineScheduler.admit()`).
    /// - Throws: a 429 `APIError` when the queue is full.
    func admit() throws {
        do {
            try scheduler.admit()
        } catch let error as EngineScheduler.QueueFull {
            throw APIError.queueFull(error.description)
        }
    }

    /// Runs `plan` on the engine; failures become 400 (request problems), 429 (queue full) or
    /// 500 errors.
    /// - Parameter admitted: whether `admit()` was already called for this request.
    func generate(_ plan: GenerationPlan, admitted: Bool = false,
                  onToken: (@Sendable (GenerationEvent) -> Void)? = nil) async throws -> [[GenerationResult]] {
        if !admitted { try admit() }
        do {
            return try await scheduler.generate(prompts: plan.prompts, promptIDs: plan.promptIDs, parameters: plan.parameters,
                                                samplesPerPrompt: plan.n, admitted: true, onToken: onToken)
        } catch let error as GenerationError {
            throw APIError.invalid("\(error)", param: nil)
        } catch let error as ServerError {
            throw APIError(status: 503, message: error.message, type: "server_error", param: nil, code: "unavailable")
        } catch {
            throw APIError.server("generation failed: \(error)")
        }
    }

    /// The text of a result (generation always decodes with the model's tokenizer).
    func text(of result: GenerationResult) -> String {
        result.text ?? model.tokenizer.decode(result.tokens.map(Int.init))
    }

    /// The decoded text of each token, for log-probabilities.
    func tokenStrings(_ tokens: [Int32]) -> [String] {
        tokens.map { model.tokenizer.decode([Int($0)]) }
    }

    static func newID(prefix: String) -> String {
        prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    static var now: Int { Int(Date().timeIntervalSince1970) }
}
