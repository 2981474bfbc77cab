// The model a `model` or `bench` command works on, with the engine's threads and activation precision.
import ArgumentParser
import Engine
import Kernels

public struct ModelArgument: ParsableArguments {
    public init() {}

    @Argument(help: "A GGUF file, a model directory (GGUF, or config.json with safetensors or pytorch_model.bin), a cached model's short name (smollm2), or a Hugging Face id ORG/NAME in the local Hugging Face cache.")
    public var model: String

    @Option(help: "Threads for the engine.")
    public var threads: Int = 2

    @Option(help: "Activations of the decoding products: int8 (fastest) or float (closest to a float reference).")
    public var precision = ActivationPrecision.int8

    public func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}

/// `--prompt-precision`, for the commands that read prompts through the engine.
public struct PromptPrecisionOption: ParsableArguments {
    public init() {}

    @Option(help: "Activations of the prompt tokens' products: float (as precise as a float prefill), bf16 (weights and activations rounded to bfloat16, FP32 sums: faster where the CPU has AVX-512 BF16, float elsewhere) or int8 (2-3x faster prompts on K-quant and other packed weights; exactly int8 decoding's arithmetic); float whenever --precision is float.")
    public var promptPrecision = PromptPrecision.float
}

/// `--kv-cache` and `--kv-memory-mib`, for the commands that run the batch engine.
public struct KVCacheOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(help: "KV cache precision: f32, or f16 (half the memory a position, keys and values rounded to half precision).")
    public var kvCache = KVPrecision.f32

    @Option(help: "KV cache memory bound, in MiB (default: room for every parallel sequence at 2048 positions and one request of the whole context, within a quarter of the machine's or the control group's memory, at least 512 MiB).")
    public var kvMemoryMib: Int?

    public func validate() throws {
        if let kvMemoryMib, kvMemoryMib < 1 { throw ValidationError("--kv-memory-mib must be at least 1") }
    }

    /// The batch engine's options with these and `maxSequences`.
    public func batchOptions(maxSequences: Int) -> BatchOptions {
        BatchOptions(maxSequences: maxSequences, kvMemoryBytes: kvMemoryMib.map { $0 << 20 }, kvPrecision: kvCache)
    }
}
