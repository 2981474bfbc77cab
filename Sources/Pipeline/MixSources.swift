// The sources `mix` reads: a finished run (its verified samples) or instruction data in Alpaca, ShareGPT or messages
// form, each record made one conversation. A record of no known form is rejected naming its line.
import Dedup
import Foundation
import Store

/// One conversation: an optional system prompt, then turns that alternate user / assistant, ending with the assistant.
public struct MixItem: Sendable, Equatable {
    public var source: String
    /// The record's 1-based line in its file (for a run: the sample's row in its export).
    public var line: Int
    public var system: String?
    public var turns: [(role: String, content: String)]

    public static func == (a: MixItem, b: MixItem) -> Bool {
        a.source == b.source && a.line == b.line && a.system == b.system
            && a.turns.map(\.role) == b.turns.map(\.role) && a.turns.map(\.content) == b.turns.map(\.content)
    }

    /// The whole conversation as one text: what exact and semantic dedup compare.
    public var text: String { turns.map(\.content).joined(separator: "\n\n") }
}

public struct MixSource: Sendable {
    public var name: String
    public var path: String
    public var items: [MixItem]
    public var rejected: [(line: Int, reason: String)]
}

enum MixReader {
    /// Reads a run directory (its kept samples as `messages`) or a JSONL / JSON array / .jsonl.gz file.
    static func read(name: String, path: String, scratch: URL) throws -> MixSource {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PipelineError.input(path: path, message: "mix source '\(name)': no such file or directory")
        }
        var file = URL(fileURLWithPath: path)
        if isDirectory.boolValue {
            let database = file.appendingPathComponent("run.sqlite")
            guard FileManager.default.fileExists(atPath: database.path) else {
                throw PipelineError.input(path: path, message: "mix source '\(name)': a directory must be a finished run (no run.sqlite)")
            }
            let store = try RunDatabase(existingRunAt: database.path)
            file = scratch.appendingPathComponent("\(name).messages.jsonl")
            _ = try DatasetExport.export(store: store, to: file, options: DatasetExportOptions(format: .messages), recorded: false)
        }
        var items: [MixItem] = []
        var rejected: [(line: Int, reason: String)] = []
        _ = try RecordReader.forEach(file) { record in
            switch conversation(record.bytes) {
            case let .success((system, turns)): items.append(MixItem(source: name, line: record.line, system: system, turns: turns))
            case let .failure(problem): rejected.append((record.line, problem.reason))
            }
        }
        return MixSource(name: name, path: path, items: items, rejected: rejected)
    }

    struct Problem: Error { var reason: String }

    /// Alpaca (`instruction`, optional `input`, `output`, optional `system`), ShareGPT (`conversations` of
    /// `from`/`value`) or messages (`messages` of `role`/`content`).
    static func conversation(_ bytes: [UInt8]) -> Result<(String?, [(role: String, content: String)]), Problem> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            return .failure(Problem(reason: "not a JSON object"))
        }
        var system: String?
        var turns: [(role: String, content: String)] = []
        if let instruction = object["instruction"] as? String, let output = object["output"] as? String {
            let input = (object["input"] as? String) ?? ""
            system = object["system"] as? String
            turns = [("user", input.isEmpty ? instruction : instruction + "\n\n" + input), ("assistant", output)]
        } else if let list = object["conversations"] as? [[String: Any]] ?? object["messages"] as? [[String: Any]] {
            let roles = ["human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"]
            for (position, turn) in list.enumerated() {
                guard let said = (turn["from"] ?? turn["role"]) as? String, let role = roles[said],
                      let content = (turn["value"] ?? turn["content"]) as? String else {
                    return .failure(Problem(reason: "turn \(position + 1) has no known role (from/role) with text (value/content)"))
                }
                if role == "system" {
                    guard position == 0 else { return .failure(Problem(reason: "a system turn after the first")) }
                    system = content
                } else {
                    turns.append((role, content))
                }
            }
        } else {
            return .failure(Problem(reason: "neither Alpaca (instruction, output), ShareGPT (conversations) nor messages"))
        }
        guard !turns.isEmpty, turns.count % 2 == 0,
              turns.enumerated().allSatisfy({ $0.element.role == ($0.offset % 2 == 0 ? "user" : "assistant") }) else {
            return .failure(Problem(reason: "turns must alternate user and assistant, starting with the user and ending with the assistant"))
        }
        guard turns.allSatisfy({ !$0.content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) else {
            return .failure(Problem(reason: "an empty turn"))
        }
        return .success((system, turns))
    }
}
