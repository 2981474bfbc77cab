// One fuzz run: every damaged file is written to the same scratch path and parsed in this process. Parsing
// must return (the file loaded) or throw an error that names the file and quotes it briefly; a trap or a
// huge allocation ends the test process, which is how a crash fails the run.
import Foundation
import Testing

struct FuzzTally: CustomStringConvertible {
    let format: String
    var rounds = 0
    var loaded = 0
    var errors = 0
    var slowest: Duration = .zero

    var description: String {
        "fuzz \(format): \(rounds) mutations, \(loaded) loaded, \(errors) errors, slowest parse \(slowest)"
    }
}

enum FuzzRun {
    /// An error quoting file text at length would show up as a message longer than this past the path.
    static let longestMessageBeyondPath = 600
    /// A parse of a file of a few kilobytes that takes this long has sized something from a damaged field.
    static let slowestParse = Duration.seconds(3)
    /// FUZZ_TRACE=1 prints every round's outcome, to compare two runs or find the round that failed.
    static let tracing = ProcessInfo.processInfo.environment["FUZZ_TRACE"] != nil

    static func run(_ format: String, rounds: Int, mutator: inout Mutator, fileName: String,
                    parse: (URL) throws -> Void) throws -> FuzzTally {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(format)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent(fileName)
        var tally = FuzzTally(format: format)
        let clock = ContinuousClock()
        for round in 0..<rounds {
            // A fresh file each round (rename over the old one), so no earlier map sees its bytes change.
            try Data(mutator.next()).write(to: url, options: .atomic)
            let start = clock.now
            do {
                try parse(url)
                tally.loaded += 1
                if tracing { print("fuzz \(format) round \(round): loaded") }
            } catch {
                tally.errors += 1
                let message = error.localizedDescription
                if tracing { print("fuzz \(format) round \(round): \(message)") }
                #expect(message.contains(url.path), "\(format) round \(round): the error does not name the file: \(message.prefix(300))")
                #expect(message.count <= url.path.count + longestMessageBeyondPath,
                        "\(format) round \(round): a \(message.count)-character error: \(message.prefix(300))")
            }
            let elapsed = clock.now - start
            tally.slowest = max(tally.slowest, elapsed)
            #expect(elapsed < slowestParse, "\(format) round \(round) took \(elapsed)")
            tally.rounds += 1
        }
        print(tally)
        return tally
    }
}
