// Errors as OpenAI-style clients expect them: a status and `{"error": {"message", "type", "param", "code"}}`, the
// param naming the request field that was wrong.
import Foundation
import Hummingbird

public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public init(_ status: HTTPResponse.Status, _ message: String, type: String = "invalid_request_error", param: String? = nil,
                code: String? = nil) {
        self.status = status; self.message = message; self.type = type; self.param = param; self.code = code
    }

    static func badField(_ param: String, _ message: String) -> APIError { APIError(.badRequest, message, param: param) }

    static func unknownModel(_ name: String, served: [String]) -> APIError {
        APIError(.notFound, "The model '\(name)' does not exist here; this server has \(served.joined(separator: ", "))",
                 param: "model", code: "model_not_found")
    }

    static let unauthorized = APIError(.unauthorized, "Invalid or missing API key (send 'Authorization: Bearer KEY')",
                                       code: "invalid_api_key")

    /// A body that is not the JSON the endpoint takes, with the path of the field the decoder stopped at.
    static func undecodable(_ error: any Error) -> APIError {
        guard let error = error as? DecodingError else { return APIError(.badRequest, "The body is not valid JSON: \(error)") }
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case let .keyNotFound(key, context):
            let field = path(context.codingPath + [key])
            return badField(field, "'\(field)' is required")
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            let field = path(context.codingPath)
            return badField(field, "'\(field)' must be \(Self.describe(type))")
        case let .dataCorrupted(context) where context.codingPath.isEmpty:
            return APIError(.badRequest, "The body is not valid JSON: \(context.debugDescription)")
        case let .dataCorrupted(context):
            let field = path(context.codingPath)
            return badField(field, "'\(field)' is not valid: \(context.debugDescription)")
        @unknown default:
            return APIError(.badRequest, "The body is not valid: \(error)")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is UInt64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "of type \(type)"
        }
    }

    /// `{"error": {...}}`, the body of the response and of an error event in a stream.
    var body: Data {
        (try? JSONEncoder().encode(ErrorObjectBody(error: .init(message: message, type: type, param: param, code: code)))) ?? Data()
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

struct ErrorObjectBody: Encodable {
    struct Detail: Encodable {
        var message: String
        var type: String
        var param: String?
        var code: String?
    }

    var error: Detail
}
