import Foundation
import Hummingbird

/// An error answered to the client as OpenAI's error object:
/// `{"error": {"message", "type", "param", "code"}}` with an HTTP status.
struct APIError: Error, Equatable, CustomStringConvertible {
    /// The HTTP status code (400, 404, 413, 429, 500, 503).
    var status: Int
    var message: String
    /// `invalid_request_error` for the client's mistakes, `server_error` otherwise.
    var type: String
    /// The request field at fault, when there is one.
    var param: String?
    /// A machine-readable code (`model_not_found`, `context_length_exceeded`, ...).
    var code: String?

    var description: String { message }

    /// A 400 error about `param`.
    static func invalid(_ message: String, param: String?, code: String? = nil) -> APIError {
        APIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// A 404 error for a model this server does not serve (OpenAI's `model_not_found`).
    static func modelNotFound(_ message: String) -> APIError {
        APIError(status: 404, message: message, type: "invalid_request_error", param: "model", code: "model_not_found")
    }

    /// A 429 error: the engine's queue is full; the client should retry later.
    static func queueFull(_ message: String) -> APIError {
        APIError(status: 429, message: message, type: "requests", param: nil, code: "rate_limit_exceeded")
    }

    /// A 500 error for a failure inside the server.
    static func server(_ message: String) -> APIError {
        APIError(status: 500, message: message, type: "server_error", param: nil, code: nil)
    }

    /// The JSON body.
    var body: Data {
        struct Envelope: Encodable {
            struct Body: Encodable {
                var message: String
                var type: String
                var param: String?
                var code: String?

                func encode(to encoder: any Encoder) throws {
                    var c = encoder.container(keyedBy: CodingKeys.self)
                    try c.encode(message, forKey: .message)
                    try c.encode(type, forKey: .type)
                    try c.encode(param, forKey: .param)  // explicit null, as OpenAI sends
                    try c.encode(code, forKey: .code)
                }

                enum CodingKeys: String, CodingKey { case message, type, param, code }
            }
            var error: Body
        }
        let envelope = Envelope(error: .init(message: message, type: type, param: param, code: code))
        return (try? JSONEncoder().encode(envelope)) ?? Data("{\"error\": {\"message\": \"internal error\"}}".utf8)
    }

    /// The HTTP response.
    var response: Response {
        Response(status: HTTPResponse.Status(code: status),
                 headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Maps a JSON decoding failure to a 400 error naming the field.
    static func decoding(_ error: any Error) -> APIError {
        if let api = error as? APIError { return api }
        guard let decoding = error as? DecodingError else {
            return .invalid("the request body could not be read (\(error)); send a JSON object", param: nil)
        }
        func path(_ context: DecodingError.Context) -> String? {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            guard !keys.isEmpty else { return nil }
            return keys.reduce("") { $0.isEmpty || $1.hasPrefix("[") ? $0 + $1 : $0 + "." + $1 }
        }
        switch decoding {
        case let .keyNotFound(key, context):
            let parent = path(context)
            let name = parent.map { "\($0).\(key.stringValue)" } ?? key.stringValue
            return .invalid("missing required parameter '\(name)'", param: name)
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            let name = path(context)
            return .invalid("'\(name ?? "body")' has the wrong type: expected \(Self.describe(type)); fix the request", param: name)
        case let .dataCorrupted(context):
            if let name = path(context) {
                return .invalid("'\(name)' is invalid: \(context.debugDescription)", param: name)
            }
            return .invalid("the request body is not valid JSON (\(context.underlyingError.map { "\($0)" } ?? context.debugDescription)); send a JSON object", param: nil)
        @unknown default:
            return .invalid("the request body could not be decoded (\(decoding)); send a JSON object", param: nil)
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type, is UInt64.Type: return "an integer"
        case is Float.Type, is Double.Type: return "a number"
        case is Bool.Type: return "a boolean"
        default: return "\(type)"
        }
    }
}
