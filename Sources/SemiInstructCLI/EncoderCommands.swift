// Temporary command groups for the encoder's subcommands, until `model` and `bench` are merged.
import ArgumentParser

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Work with models: embed texts.", subcommands: [ModelEmbed.self])
}
