// `semi-instruct serve`: the embedded engine behind an OpenAI-compatible HTTP API, so other machines (and other
// tools) can use it as they use vLLM or llama-server. Routes are in ModelServer+Routes, streaming in
// ModelServer+Streaming. SIGTERM or SIGINT stops new connections and lets requests in flight finish.
import Foundation
import Hummingbird
import Logging

public struct ServerSettings: Sendable, Equatable {
    public var host: String
    /// 0 picks a free port (the listening line says which).
    public var port: Int
    /// When set, every route but /health needs `Authorization: Bearer KEY`.
    public var apiKey: String?
    public var limits: RequestLimits

    public init(host: String = "127.0.0.1", port: Int = 8080, apiKey: String? = nil, limits: RequestLimits = RequestLimits()) {
        self.host = host; self.port = port; self.apiKey = apiKey; self.limits = limits
    }
}

public final class ModelServer: Sendable {
    public let models: ServedModels
    public let settings: ServerSettings
    let metrics = ServerMetrics()
    /// Seconds since 1970 when the server started (`created` in answers).
    let started = Int(Date().timeIntervalSince1970)

    public init(models: ServedModels, settings: ServerSettings) {
        self.models = models
        self.settings = settings
    }

    /// Serves until SIGTERM or SIGINT; `onListening` gets the port once connections are accepted.
    public func run(logger: Logger, onListening: @escaping @Sendable (Int) -> Void) async throws {
        let application = Application(
            router: router(),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "semi-instruct"),
            onServerRunning: { [settings] channel in onListening(channel.localAddress?.port ?? settings.port) },
            logger: logger)
        try await application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: AccessMiddleware(apiKey: settings.apiKey, metrics: metrics))
        router.get("health") { _, _ in Self.json(#"{"status":"ok"}"#) }
        router.get("metrics") { [metrics, models] _, _ in
            let engine = models.generator?.engine
            let text = metrics.exposition(engine: engine?.batchStatistics, unfinished: engine?.unfinishedRequests ?? 0)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("v1/models") { [self] _, _ in try Self.json(modelList()) }
        router.post("v1/chat/completions") { [self] request, _ in try await chatCompletion(request) }
        router.post("v1/completions") { [self] request, _ in try await textCompletion(request) }
        router.post("v1/embeddings") { [self] request, _ in try await embeddings(request) }
        return router
    }

    func modelList() -> ModelListBody {
        ModelListBody(data: models.names.map { .init(id: $0, created: started, ownedBy: "semi-instruct") })
    }

    /// The request's body as `T`, within the body limit; a body that does not decode is a 400 naming the field.
    func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: settings.limits.maxBodyBytes) } catch {
            throw APIError(.contentTooLarge, "The body is larger than this server's limit of \(settings.limits.maxBodyBytes) bytes")
        }
        do { return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView)) } catch {
            throw APIError.undecodable(error)
        }
    }

    static func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return json(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// Checks the API key (all but /health) and counts every request in the metrics, by endpoint and status.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let apiKey: String?
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock(), start = clock.now
        // Unknown paths count together, so a scan of random URLs cannot grow the metrics without bound.
        let endpoint = Self.endpoints.contains(request.uri.path) ? request.uri.path : "other"
        metrics.started()
        do {
            if let apiKey, request.uri.path != "/health", !Self.authorized(request.headers[.authorization], key: apiKey) {
                throw APIError.unauthorized
            }
            let response = try await next(request, context)
            metrics.finished(endpoint: endpoint, status: Int(response.status.code), duration: clock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.finished(endpoint: endpoint, status: Int(status), duration: clock.now - start)
            throw error
        }
    }

    static let endpoints: Set = ["/health", "/metrics", "/v1/models", "/v1/chat/completions", "/v1/completions", "/v1/embeddings"]

    /// `Bearer KEY`, compared in time that does not depend on where the first difference is.
    static func authorized(_ header: String?, key: String) -> Bool {
        let given = Array((header ?? "").utf8), wanted = Array("Bearer \(key)".utf8)
        var difference = given.count ^ wanted.count
        for index in wanted.indices { difference |= Int(wanted[index] ^ (index < given.count ? given[index] : 0)) }
        return difference == 0
    }
}
