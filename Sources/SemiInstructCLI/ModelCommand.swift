// `semi-instruct model ...`: look inside a model, tokenize with it, generate with it.
import ArgumentParser

struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect a model, tokenize text with it, or generate text with it.",
        subcommands: [ModelInfo.self, ModelTokenize.self, ModelGenerate.self])
}

/// The MODEL argument every model subcommand takes.
struct ModelArgument: ParsableArguments {
    @Argument(help: "A GGUF file, a directory holding one, or a cached model's short name (smollm2).")
    var model: String

    @Option(help: "Threads for the engine.")
    var threads: Int = 2

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}
