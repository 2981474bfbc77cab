import Foundation
import Testing
import Yams

/// The shard options of `build` as a scheduler drives them, `merge`'s refusals, and the Kubernetes job files.
@Suite struct ShardCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func environment(_ extra: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(extra) { $1 }
    }

    @Test func aKubernetesPodBuildsTheShardItsIndexNames() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-shard-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let recipe = Self.root.appendingPathComponent("recipes/quickstart.yaml").path
        let run = dir.appendingPathComponent("run").path
        let input = Self.root.appendingPathComponent("samples/python/lists.py").path

        // The index from JOB_COMPLETION_INDEX, the count from --shards: the pod's shard folder, and no marker yet
        // (it stopped after collect).
        let pod = try BuiltBinary.run(["build", recipe, "--input", input, "--run", run, "--until", "collect", "--shards", "2"],
                                      environment: Self.environment(["JOB_COMPLETION_INDEX": "1"]))
        #expect(pod.status == 0, "\(pod.error)")
        let shard = dir.appendingPathComponent("run/shards/0001-of-0002")
        #expect(FileManager.default.fileExists(atPath: shard.appendingPathComponent("run.sqlite").path))
        #expect(!FileManager.default.fileExists(atPath: shard.appendingPathComponent("complete.json").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run/run.sqlite").path))

        // Kubernetes does not give the count: without --shards (or the recipe's `shards`) the pod refuses to guess.
        let countless = try BuiltBinary.run(["build", recipe, "--input", input, "--run", run, "--until", "collect"],
                                            environment: Self.environment(["JOB_COMPLETION_INDEX": "1"]))
        #expect(countless.status != 0 && countless.error.contains("--shards N"), "\(countless.error)")
        for bad in [["--shard", "2/2"], ["--shard", "1/2", "--shards", "3"], ["--shards", "2"]] {
            let refused = try BuiltBinary.run(["build", recipe, "--input", input, "--run", run, "--until", "collect"] + bad)
            #expect(refused.status != 0 && !refused.error.isEmpty, "\(bad)")
        }

        // merge names what is wrong: an unfinished shard, and a folder with no shards at all.
        let unfinished = try BuiltBinary.run(["merge", run])
        #expect(unfinished.status != 0 && unfinished.error.contains("missing 1 of 2 shards: 0000-of-0002"), "\(unfinished.error)")
        let empty = try BuiltBinary.run(["merge", dir.path])
        #expect(empty.status != 0 && empty.error.contains("no shards under"), "\(empty.error)")
    }

    /// A Job file's spec and its container's command.
    static func job(_ name: String) throws -> (spec: [String: Any], command: [String]) {
        let text = try String(contentsOf: Self.root.appendingPathComponent("deploy/k8s/\(name)"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(document["kind"] as? String == "Job")
        let spec = try #require(document["spec"] as? [String: Any])
        let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        return (spec, try #require(container["command"] as? [String]))
    }

    /// The Indexed Job's count is given twice (completions, --shards) and both jobs must use one run directory.
    @Test func theKubernetesJobsAgreeOnCountAndRun() throws {
        let shards = try Self.job("shards-job.yaml"), merge = try Self.job("merge-job.yaml")
        #expect(shards.spec["completionMode"] as? String == "Indexed")
        let count = try #require(shards.command.firstIndex(of: "--shards").map { shards.command[$0 + 1] })
        #expect(shards.spec["completions"] as? Int == Int(count))
        #expect(Array(shards.command.prefix(2)) == ["semi-instruct", "build"] && Array(merge.command.prefix(2)) == ["semi-instruct", "merge"])
        let run = try #require(shards.command.firstIndex(of: "--run").map { shards.command[$0 + 1] })
        #expect(merge.command[2] == run)
    }

    /// The two Jobs' commands run as their pods would (no cluster here): each index of the Indexed Job with its
    /// JOB_COMPLETION_INDEX and the volume's /data at a temporary folder, then the merge Job; the merged run's funnel
    /// is that of one process. The recipe's code is too short for prefilter, so no model is loaded.
    @Test func theKubernetesJobsCommandsBuildAndMergeAsOneProcess() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-k8s-\(UUID().uuidString)")
        let data = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let code = (0..<6).map { "def f\($0)(x):\n    return x + \($0)\n" }.joined(separator: "\n")
        try code.write(to: data.appendingPathComponent("code.py"), atomically: true, encoding: .utf8)
        try "name: k8s\ninputs:\n  - path: code.py\nprefilter:\n  min_lines: 40\n".write(to: data.appendingPathComponent("recipe.yaml"),
                                                                                        atomically: true, encoding: .utf8)
        // The pod sees the volume at /data.
        func onVolume(_ command: [String]) -> [String] {
            command.dropFirst().map { $0.hasPrefix("/data") ? data.path + $0.dropFirst("/data".count) : $0 }
        }
        /// The table of stages `build` and `merge` print, without the paths under it.
        func funnel(_ output: String) -> [Substring] {
            output.split(separator: "\n").filter { !$0.hasPrefix("database:") && !$0.hasPrefix("run:") && !$0.hasPrefix("dataset:") }
        }
        let shards = try Self.job("shards-job.yaml"), merge = try Self.job("merge-job.yaml")
        let count = try #require(shards.spec["completions"] as? Int)
        for index in 0..<count {
            let pod = try BuiltBinary.run(onVolume(shards.command), environment: Self.environment(["JOB_COMPLETION_INDEX": String(index)]))
            #expect(pod.status == 0 && pod.error.contains("shard \(index)/\(count)"), "index \(index): \(pod.error)")
            let folder = String(format: "%04d-of-%04d", index, count)
            #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("run/shards/\(folder)/complete.json").path))
        }
        let merged = try BuiltBinary.run(onVolume(merge.command))
        #expect(merged.status == 0, "\(merged.error)")
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("run/dataset.jsonl").path))
        let whole = try BuiltBinary.run(["build", data.appendingPathComponent("recipe.yaml").path, "--run", dir.appendingPathComponent("whole").path,
                                         "--shard", "none", "--quiet"])
        #expect(whole.status == 0, "\(whole.error)")
        #expect(funnel(merged.output) == funnel(whole.output) && funnel(whole.output).contains { $0.hasPrefix("prefilter") && $0.contains("too-short 6") },
                "\(merged.output)\n---\n\(whole.output)")
    }
}

