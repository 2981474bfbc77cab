// What can go wrong with a model on another machine, each naming the URL. `unauthorized`, `unknownModel` and
// `missingAPIKey` stop a run (no request can succeed); `failed` and `malformedResponse` fail one request.
import Foundation

public enum RemoteModelError: LocalizedError, Equatable, Sendable {
    case invalidEndpoint(String)
    /// The recipe names an environment variable for the API key, and it is not set.
    case missingAPIKey(variable: String)
    /// 401 or 403: the key is missing, wrong or not allowed.
    case unauthorized(url: String, status: Int, message: String)
    /// The server does not serve the model the recipe names.
    case unknownModel(url: String, model: String, message: String)
    /// 404 for the API path itself: the endpoint is not an OpenAI-compatible API's base.
    case notFound(url: String, message: String)
    /// Still failing after every retry, or refused outright (a 4xx other than 401, 403, 404, 408, 409 and 429).
    /// `status` 0 is a transport failure: refused or dropped connection, timeout.
    case failed(url: String, status: Int, attempts: Int, message: String)
    /// A success status whose body is not what the API promises, on every attempt.
    case malformedResponse(url: String, attempts: Int, detail: String)

    /// Whether the whole run must stop rather than one request fail.
    public var stopsTheRun: Bool {
        switch self {
        case .invalidEndpoint, .missingAPIKey, .unauthorized, .unknownModel, .notFound: true
        case .failed, .malformedResponse: false
        }
    }

    public var errorDescription: String? {
        switch self {
        case let .invalidEndpoint(text):
            "endpoint \(text) is not an http:// or https:// URL (give the API's base, e.g. http://gpu-box:8000/v1)"
        case let .missingAPIKey(variable):
            "the recipe takes the API key from $\(variable), which is not set"
        case let .unauthorized(url, status, message):
            "\(url): HTTP \(status): the server refuses the API key (\(message))"
        case let .unknownModel(url, model, message):
            "\(url): the server does not serve the model '\(model)' (\(message))"
        case let .notFound(url, message):
            "\(url): HTTP 404 (\(message)): is the endpoint the API's base, e.g. http://gpu-box:8000/v1?"
        case let .failed(url, status, attempts, message):
            status == 0 ? "\(url): no answer after \(attempts) attempt(s): \(message)"
                : "\(url): HTTP \(status) after \(attempts) attempt(s): \(message)"
        case let .malformedResponse(url, attempts, detail):
            "\(url): the answer is not an OpenAI-style response after \(attempts) attempt(s): \(detail)"
        }
    }
}
