// The `semi-instruct` command: one small struct per subcommand, each wiring library objects.
import ArgumentParser
import Benchmarks

public enum SemiInstructVersion {
    public static let current = "0.1.0"
}

public struct SemiInstruct: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "semi-instruct",
        abstract: "Build verified instruction data for code models from natural code.",
        version: SemiInstructVersion.current,
        subcommands: [Build.self, Merge.self, Mix.self, DedupCommand.self, DecontaminateCommand.self, Inspect.self, Export.self, Report.self, ModelCommand.self, Serve.self, Exec.self, Doctor.self, Bench.self]
    )

    public init() {}
}

extension SemiInstruct {
    /// Parses the process arguments and runs the chosen subcommand, async or not.
    public static func runFromCommandLine() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
