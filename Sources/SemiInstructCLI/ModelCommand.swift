// `semi-instruct model ...`: look inside a model, tokenize with it, generate with it, quantize it.
import ArgumentParser
import Kernels

struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect a model, tokenize text with it, generate text or embed texts with it, or quantize it.",
        subcommands: [ModelInfo.self, ModelTokenize.self, ModelGenerate.self, ModelEmbed.self, ModelQuantize.self])
}

/// The MODEL argument every model subcommand takes.
struct ModelArgument: ParsableArguments {
    @Argument(help: "A GGUF file, a model directory (GGUF, or config.json with safetensors or pytorch_model.bin), a cached model's short name (smollm2), or a Hugging Face id ORG/NAME in the local Hugging Face cache.")
    var model: String

    @Option(help: "Threads for the engine.")
    var threads: Int = 2

    @Option(help: "Activations of the decoding products: int8 (fastest) or float (closest to a float reference).")
    var precision: String = "int8"

    var activationPrecision: ActivationPrecision { ActivationPrecision(rawValue: precision) ?? .int8 }

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard ActivationPrecision(rawValue: precision) != nil else {
            throw ValidationError("--precision \(precision) is not one of int8, float")
        }
    }
}
