// `semi-instruct serve MODEL`: the embedded engine as an OpenAI-compatible server (chat and text completions,
// streamed or not, embeddings, /health, /metrics), so `build` on other machines (or any OpenAI client) can use it.
import ArgumentParser
import CommandOptions
import Engine
import Foundation
import Kernels
import Logging
import ModelServer
import Tokenizers

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a model over an OpenAI-compatible HTTP API (loopback only unless --host says otherwise).")

    @Argument(help: "The model for completions (as for `model generate`), or a sentence encoder (minilm) to serve embeddings only.")
    var model: String

    @Option(help: "The address to listen on; 0.0.0.0 listens on every interface.")
    var host = "127.0.0.1"

    @Option(help: "The port; 0 picks a free one (the listening line says which).")
    var port = 8080

    @Option(help: "Sequences decoded together; more requests wait for a place in the batch.")
    var parallel = 16

    @Option(help: "Threads for the engine.")
    var threads = 2

    @Option(help: "Activations of the prompt tokens' products: float (as precise as a float prefill), bf16 (weights and activations rounded to bfloat16, FP32 sums: faster where the CPU has AVX-512 BF16, float elsewhere) or int8 (2-3x faster prompts on K-quant and other packed weights; exactly int8 decoding's arithmetic).")
    var promptPrecision = PromptPrecision.float

    @Option(help: "Chat template to use instead of the model's own (chatml, minicpm).")
    var chatTemplate: String?

    @Option(help: "A sentence encoder (minilm) or decoder to serve /v1/embeddings beside the model.")
    var embedder: String?

    @Option(help: "The environment variable holding the API key clients must send (Authorization: Bearer KEY); unset, no key is asked.")
    var apiKeyEnv: String?

    @Option(help: "The most tokens one choice may generate.")
    var maxTokens = 4096

    @Option(help: "The largest request body, in bytes.")
    var maxBodyBytes = 8 << 20

    @OptionGroup var kvOptions: KVCacheOptions

    func validate() throws {
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxTokens >= 1, maxBodyBytes >= 1024 else {
            throw ValidationError("--max-tokens and --max-body-bytes (at least 1024) must be positive")
        }
        if let chatTemplate, ChatTemplate(name: chatTemplate) == nil {
            throw ValidationError("unknown chat template '\(chatTemplate)' (chatml, minicpm)")
        }
        if let apiKeyEnv, (ProcessInfo.processInfo.environment[apiKeyEnv] ?? "").isEmpty {
            throw ValidationError("--api-key-env names \(apiKeyEnv), which is not set or empty")
        }
    }

    func run() async throws {
        let models = try loadModels()
        let settings = ServerSettings(
            host: host, port: port, apiKey: apiKeyEnv.flatMap { ProcessInfo.processInfo.environment[$0] },
            limits: RequestLimits(maxTokens: maxTokens, maxChoices: max(parallel, 1), maxBodyBytes: maxBodyBytes))
        var logger = Logger(label: "semi-instruct.serve")
        logger.logLevel = .warning
        let server = ModelServer(models: models, settings: settings)
        let shownHost = host.contains(":") ? "[\(host)]" : host
        try await server.run(logger: logger) { bound in
            // Written unbuffered: whoever started the server waits for this line.
            let line = "semi-instruct serve: \(models.names.joined(separator: ", ")) on http://\(shownHost):\(bound)/v1 (\(parallel) at once)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        print("semi-instruct serve: stopped")
    }

    func loadModels() throws -> ServedModels {
        let servedEmbedder = try embedder.map { try EmbedderLoader.load($0, threads: threads) }
        if case .encoder = try EmbedderLoader.locate(model) {
            guard servedEmbedder == nil else { throw ValidationError("\(model) is a sentence encoder; give --embedder only beside a generator") }
            return ServedModels(generator: nil, embedder: try EmbedderLoader.load(model, threads: threads))
        }
        let loaded = try ModelLoader.load(model, threads: threads)
        let engine = LlamaGenerator(loaded, template: chatTemplate.flatMap(ChatTemplate.init(name:)), precision: .int8,
                                    promptPrecision: promptPrecision,
                                    batchOptions: kvOptions.batchOptions(maxSequences: parallel))
        return ServedModels(generator: .init(name: model, engine: engine), embedder: servedEmbedder)
    }
}
