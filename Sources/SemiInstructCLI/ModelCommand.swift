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
