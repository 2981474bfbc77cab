// Reads a YAML recipe over the defaults. Unknown keys and wrong types are errors naming the key and line.
import Decontamination
import Dedup
import Foundation
import RemoteModels
import Yams

public enum RecipeLoader {
    public static func load(path: String) throws -> Recipe {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineError.input(path: path, message: "recipe not found or unreadable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PipelineError.input(path: path, message: "recipe is not UTF-8")
        }
        var recipe = try parse(text, path: path)
        // Input paths are relative to the recipe file, so a recipe works from any directory.
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        for i in recipe.inputs.indices where recipe.inputs[i].path != "stdlib" && !recipe.inputs[i].path.hasPrefix("/") {
            recipe.inputs[i].path = base.appendingPathComponent(recipe.inputs[i].path).standardizedFileURL.path
        }
        for i in recipe.decontaminate.benchmarks.indices {
            if let file = recipe.decontaminate.benchmarks[i].path, !file.hasPrefix("/") {
                recipe.decontaminate.benchmarks[i].path = base.appendingPathComponent(file).standardizedFileURL.path
            }
        }
        recipe.dedup.against = recipe.dedup.against?.map { $0.hasPrefix("/") ? $0 : base.appendingPathComponent($0).standardizedFileURL.path }
        return recipe
    }

    public static func parse(_ text: String, path: String = "<recipe>") throws -> Recipe {
        let node: Node?
        let value: Any?
        do {
            node = try Yams.compose(yaml: text)
            if let node { try checkShape(node, path: path) }
            value = try Yams.load(yaml: text)
        } catch let error as YamlError {
            throw PipelineError.recipe(path: path, line: nil, key: "(syntax)", message: "\(error)")
        }
        guard let node, var user = value as? [String: Any] else {
            if value == nil { return Recipe() }
            throw PipelineError.recipe(path: path, line: node?.mark?.line, key: "(top level)", message: "expected a mapping of sections")
        }
        try checkFinite(user, node: node, keyPath: [], path: path)
        user = shorthands(user)
        let template = try jsonObject(schemaTemplate()) as! [String: Any]
        try checkKeys(user, node: node, template: template, keyPath: "", path: path)
        user = try endpoints(user, node: node, path: path)
        let defaults = try jsonObject(Recipe()) as! [String: Any]
        let merged = merge(defaults, user, template: template)
        do {
            let data = try JSONSerialization.data(withJSONObject: merged)
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            let recipe = try decoder.decode(Recipe.self, from: data)
            try checkValues(recipe, node: node, path: path)
            return recipe
        } catch let error as DecodingError {
            throw describe(error, node: node, path: path)
        }
    }

    /// Values a recipe may expand to: a few hundred in practice, so nested aliases ("billion laughs") are refused
    /// long before their expansion could exhaust memory.
    static let valueBudget = 100_000

    /// Counts the values the composed document expands to (an alias counts as often as it is used), stopping at the
    /// budget; and refuses keys that are not names.
    static func checkShape(_ node: Node, path: String) throws {
        var pending = [node]
        var count = 0
        while let next = pending.popLast() {
            count += 1
            if count > valueBudget {
                throw PipelineError.recipe(path: path, line: nil, key: "(size)",
                                           message: "the recipe expands to more than \(valueBudget) values; nested aliases are refused")
            }
            switch next {
            case let .mapping(mapping):
                for (key, value) in mapping {
                    // YAML allows a list or a mapping as a key; a recipe's keys are names, and Yams would trap on it.
                    guard case .scalar = key else {
                        throw PipelineError.recipe(path: path, line: key.mark?.line, key: "(key)", message: "a key must be a plain name, not a list or mapping")
                    }
                    pending.append(key)
                    pending.append(value)
                }
            case let .sequence(sequence): pending.append(contentsOf: sequence)
            case .scalar, .alias: break
            }
        }
    }

    /// `.nan` and `.inf` are numbers to YAML but no setting's value; refused with their key before anything reads them.
    static func checkFinite(_ value: Any, node: Node, keyPath: [String], path: String, shown: String = "") throws {
        switch value {
        case let number as Double where !number.isFinite:
            throw PipelineError.recipe(path: path, line: line(of: keyPath, in: node), key: shown,
                                       message: "expected a finite number, got \(number)")
        case let mapping as [String: Any]:
            for (key, item) in mapping {
                try checkFinite(item, node: node, keyPath: keyPath + [key], path: path, shown: shown.isEmpty ? key : shown + "." + key)
            }
        case let list as [Any]:
            // An item's line is its list's: lines are found by key.
            for (index, item) in list.enumerated() {
                try checkFinite(item, node: node, keyPath: keyPath, path: path, shown: shown + "[\(index)]")
            }
        default:
            break
        }
    }

    /// `decontaminate: false` (or true) for `{enabled: ...}`, and a benchmark given as a bare name or path.
    static func shorthands(_ user: [String: Any]) -> [String: Any] {
        var user = user
        if let flag = user["decontaminate"] as? Bool {
            user["decontaminate"] = ["enabled": flag]
        } else if var section = user["decontaminate"] as? [String: Any], let list = section["benchmarks"] as? [Any] {
            section["benchmarks"] = list.map { item -> Any in
                guard let text = item as? String else { return item }
                return text.contains("/") || text.contains(".") ? ["path": text] : ["name": text]
            }
            user["decontaminate"] = section
        }
        return user
    }

    /// `models.generator` or `models.embedder` given as a mapping names a model on another machine: its `model` becomes
    /// the name and the rest `generator_endpoint` (`embedder_endpoint`), over the endpoint defaults. Its keys are checked
    /// here, with their line.
    static func endpoints(_ user: [String: Any], node: Node, path: String) throws -> [String: Any] {
        guard var models = user["models"] as? [String: Any] else { return user }
        for role in ["generator", "embedder"] {
            guard let given = models[role] as? [String: Any] else { continue }
            let place = child(of: node, key: "models").flatMap { child(of: $0, key: role) }
            func fail(_ key: String, _ message: String) -> PipelineError {
                let written = place.flatMap { child(of: $0, key: key) != nil ? Self.line(of: [key], in: $0) : $0.mark?.line }
                return .recipe(path: path, line: written, key: "models.\(role).\(key)", message: message)
            }
            for key in given.keys where key != "model" && !Recipe.Endpoint.keys.contains(key) {
                throw fail(key, "unknown key (known here: \((["model"] + Recipe.Endpoint.keys).sorted().joined(separator: ", ")))")
            }
            guard let model = given["model"] as? String, !model.isEmpty else { throw fail("model", "expected the name the server gives the model") }
            guard given["endpoint"] is String else { throw fail("endpoint", "expected the API's base URL, e.g. http://gpu-box:8000/v1") }
            var endpoint = try jsonObject(Recipe.Endpoint(endpoint: "")) as! [String: Any]
            for (key, value) in given where key != "model" { endpoint[key] = value }
            models[role] = model
            models["\(role)_endpoint"] = endpoint
        }
        var user = user
        user["models"] = models
        return user
    }

    // MARK: - value checking

    /// The values an endpoint of `models.ROLE` may hold (none to check when the model is local).
    static func endpointRules(_ role: String, _ endpoint: Recipe.Endpoint?) -> [(key: [String], ok: Bool, expected: String)] {
        guard let endpoint else { return [] }
        return [
            (["models", role, "endpoint"], EndpointSettings.baseURL(endpoint.endpoint) != nil,
             "an http:// or https:// URL, the API's base (e.g. http://gpu-box:8000/v1)"),
            (["models", role, "concurrency"], endpoint.concurrency >= 1, "at least 1"),
            (["models", role, "timeout_seconds"], endpoint.timeoutSeconds > 0, "more than 0 seconds"),
            (["models", role, "retries"], (0...20).contains(endpoint.retries), "0 to 20"),
            (["models", role, "server"], ServerKind(rawValue: endpoint.server) != nil, ServerKind.allCases.map(\.rawValue).joined(separator: ", ")),
            (["models", role, "api_key_env"], endpoint.apiKeyEnv.map(Self.isVariableName) ?? true,
             "the name of an environment variable (letters, digits, _), not the key itself"),
        ]
    }

    /// Values a recipe may not hold even when their type is right; the error names the key and its line.
    static func checkValues(_ recipe: Recipe, node: Node, path: String) throws {
        func share(_ value: Double) -> Bool { (0...1).contains(value) }
        let rules: [(key: [String], ok: Bool, expected: String)] = [
            (["tests", "count"], recipe.tests.count >= 1, "at least 1"),
            (["prefilter", "min_lines"], recipe.prefilter.minLines >= 1, "at least 1"),
            (["collect", "kinds"], recipe.collect.kinds.allSatisfy(Recipe.CollectSettings.knownKinds.contains),
             Recipe.CollectSettings.knownKinds.joined(separator: ", ")),
            (["licenses", "allow"], recipe.licenses.allow.allSatisfy { !$0.isEmpty && !$0.contains(" ") },
             "SPDX identifiers (MIT, Apache-2.0, ...) or permissive"),
            (["prefilter", "max_lines"], recipe.prefilter.maxLines >= recipe.prefilter.minLines, "at least min_lines"),
            (["prefilter", "max_context_lines"], recipe.prefilter.maxContextLines >= 0, "0 or more"),
            (["prefilter", "max_literal_chars"], recipe.prefilter.maxLiteralChars >= 1, "at least 1"),
            (["tests", "minimum"], recipe.tests.minimum >= 0, "0 or more"),
            (["tests", "min_line_coverage"], share(recipe.tests.minLineCoverage), "a share between 0 and 1"),
            (["tests", "min_mutation_score"], share(recipe.tests.minMutationScore), "a share between 0 and 1"),
            (["verify", "pass_ratio"], share(recipe.verify.passRatio), "a share between 0 and 1"),
            (["verify", "fallback"], ["none", "original"].contains(recipe.verify.fallback), "none or original"),
            (["sandbox", "timeout_seconds"], recipe.sandbox.timeoutSeconds > 0 && recipe.sandbox.timeoutSeconds <= 600,
             "more than 0 and at most 600 seconds"),
            (["sandbox", "memory_megabytes"], (64...(1 << 20)).contains(recipe.sandbox.memoryMegabytes), "64 to 1048576 (1 TiB)"),
            (["sampling", "temperature"], (0...10).contains(recipe.sampling.temperature), "0 to 10"),
            (["sampling", "top_p"], recipe.sampling.topP > 0 && recipe.sampling.topP <= 1, "more than 0 and at most 1"),
            (["sampling", "top_k"], recipe.sampling.topK >= 0, "0 (off) or more"),
            (["shards"], recipe.shards.map { (1...100_000).contains($0) } ?? true, "1 to 100000"),
            (["models", "prompt_precision"], recipe.models.promptPrecision.map { ["float", "bf16", "int8"].contains($0) } ?? true, "float, bf16 or int8"),
            (["models", "kv_cache"], recipe.models.kvCache.map { ["f32", "f16"].contains($0) } ?? true, "f32 or f16"),
            (["models", "kv_memory_mib"], recipe.models.kvMemoryMib.map { (1...(1 << 30)).contains($0) } ?? true, "1 to 1073741824 MiB"),
            (["sampling", "max_tokens"], (1...(1 << 20)).contains(recipe.sampling.maxTokens), "1 to 1048576"),
            (["sampling", "attempts"], (1...100).contains(recipe.sampling.attempts), "1 to 100"),
            (["tests", "candidates"], recipe.tests.candidates >= 0, "0 or more"),
            (["tests", "derived"], recipe.tests.derived >= 0, "0 or more"),
            (["tests", "mutants"], recipe.tests.mutants >= 0, "0 or more"),
            (["tests", "min_distinct_outputs"], recipe.tests.minDistinctOutputs >= 0, "0 or more"),
            (["verify", "float_tolerance"], recipe.verify.floatTolerance >= 0 && recipe.verify.floatTolerance < 1, "0 or more, under 1"),
            (["dedup", "eps"], recipe.dedup.eps >= 0 && recipe.dedup.eps <= 2, "a cosine distance from 0 to 2"),
            (["dedup", "clusters"], recipe.dedup.clusters >= 0, "0 (automatic) or more"),
            (["dedup", "against"], (recipe.dedup.against ?? []).allSatisfy { !$0.isEmpty }, "paths of JSONL corpora or index directories"),
            (["dedup", "against_fields"], recipe.dedup.againstFields.map { !$0.isEmpty && !$0.contains("") } ?? true, "field names"),
            (["dedup", "keep"], KeepPolicy(rawValue: recipe.dedup.keep) != nil, KeepPolicy.allCases.map(\.rawValue).joined(separator: ", ")),
            (["instruction", "evidence"], recipe.instruction.evidence >= 0, "0 or more"),
            (["instruction", "examples"], recipe.instruction.examples >= 0, "0 or more"),
            (["instruction", "candidates"], recipe.instruction.candidates >= 1, "at least 1"),
            (["instruction", "example_style"], ["list", "doctest"].contains(recipe.instruction.exampleStyle), "list or doctest"),
            (["instruction", "min_faithfulness"], share(recipe.instruction.minFaithfulness), "a share between 0 and 1"),
            (["decontaminate", "ngram"], recipe.decontaminate.ngram >= 3, "at least 3"),
            (["decontaminate", "min_matches"], recipe.decontaminate.minMatches >= 1, "at least 1"),
            (["decontaminate", "substring_min_tokens"], recipe.decontaminate.substringMinTokens >= 3, "at least 3"),
            (["decontaminate", "entry_point_similarity"], share(recipe.decontaminate.entryPointSimilarity), "a share between 0 and 1"),
            (["decontaminate", "benchmarks"], recipe.decontaminate.benchmarks.allSatisfy { spec in
                spec.path != nil || spec.name.map { BuiltInBenchmark.named($0) != nil } == true },
             "built-in names (\(BuiltInBenchmark.all.map(\.name).joined(separator: ", "))) or files given by path"),
        ] + endpointRules("generator", recipe.models.generatorEndpoint) + endpointRules("embedder", recipe.models.embedderEndpoint)
        for rule in rules where !rule.ok {
            throw PipelineError.recipe(path: path, line: line(of: rule.key, in: node), key: rule.key.joined(separator: "."),
                                       message: "expected \(rule.expected)")
        }
    }

    static func isVariableName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) }
    }

    /// The line (1-based) where a nested key is written, when it is.
    static func line(of keys: [String], in node: Node) -> Int? {
        var current = node
        var found: Int?
        for key in keys {
            guard let mapping = current.mapping, let pair = mapping.first(where: { $0.key.string == key }) else { return nil }
            found = pair.key.mark.map { $0.line }
            current = pair.value
        }
        return found
    }

    // MARK: - key checking

    /// A recipe with every optional set, so that its encoding lists every allowed key.
    static func schemaTemplate() -> Recipe {
        var recipe = Recipe()
        var input = Recipe.InputSpec(path: "")
        input.instructionField = ""
        input.entryField = ""
        recipe.inputs = [input]
        recipe.models.chatTemplate = ""
        recipe.models.promptPrecision = ""
        recipe.models.kvCache = ""
        recipe.models.kvMemoryMib = 0
        recipe.shards = 0
        recipe.dedup.against = [""]
        recipe.dedup.againstFields = [""]
        recipe.prompts.rewrite.system = ""
        recipe.prompts.rewrite.examples = [.init(user: "", assistant: "")]
        recipe.prompts.rewrite.examplesShown = 0
        recipe.prompts.testInputs = recipe.prompts.rewrite
        var benchmark = Recipe.BenchmarkSpec(name: "", path: "")
        benchmark.id = ""; benchmark.prompt = ""; benchmark.solution = ""; benchmark.entryPoint = ""; benchmark.solutionFollowsPrompt = false
        recipe.decontaminate.benchmarks = [benchmark]
        return recipe
    }

    static func jsonObject<T: Encodable>(_ value: T) throws -> Any {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try JSONSerialization.jsonObject(with: encoder.encode(value))
    }

    static func child(of node: Node, key: String) -> Node? {
        node.mapping?.first { $0.key.string == key }?.value
    }

    static func checkKeys(_ user: [String: Any], node: Node, template: [String: Any], keyPath: String, path: String) throws {
        for (key, value) in user {
            let full = keyPath.isEmpty ? key : "\(keyPath).\(key)"
            let keyLine = node.mapping?.first { $0.key.string == key }?.key.mark?.line
            guard let expected = template[key] else {
                let known = template.keys.sorted().joined(separator: ", ")
                throw PipelineError.recipe(path: path, line: keyLine, key: full, message: "unknown key (known here: \(known))")
            }
            let valueNode = child(of: node, key: key)
            if let expectedMap = expected as? [String: Any] {
                guard let userMap = value as? [String: Any], let valueNode else {
                    throw PipelineError.recipe(path: path, line: keyLine, key: full, message: "expected a mapping")
                }
                try checkKeys(userMap, node: valueNode, template: expectedMap, keyPath: full, path: path)
            } else if let expectedList = expected as? [Any], let element = expectedList.first as? [String: Any] {
                guard let userList = value as? [Any], let items = valueNode?.sequence else {
                    throw PipelineError.recipe(path: path, line: keyLine, key: full, message: "expected a list")
                }
                for (index, (item, itemNode)) in zip(userList, items).enumerated() {
                    guard let itemMap = item as? [String: Any] else {
                        throw PipelineError.recipe(path: path, line: itemNode.mark?.line, key: "\(full)[\(index)]", message: "expected a mapping")
                    }
                    try checkKeys(itemMap, node: itemNode, template: element, keyPath: "\(full)[\(index)]", path: path)
                }
            }
        }
    }

    // MARK: - merging over defaults

    static func merge(_ base: [String: Any], _ user: [String: Any], template: [String: Any]) -> [String: Any] {
        var result = base
        for (key, value) in user {
            if let userMap = value as? [String: Any], let baseMap = base[key] as? [String: Any] {
                result[key] = merge(baseMap, userMap, template: template[key] as? [String: Any] ?? [:])
            } else if let userList = value as? [Any], let element = (template[key] as? [Any])?.first as? [String: Any] {
                // List elements start from the defaults of one element (e.g. an input's code field).
                // Only string defaults carry (an optional flag's template value is not a default).
                let defaults = element.filter { ($0.value as? String).map { !$0.isEmpty } ?? false }
                result[key] = userList.map { item in
                    (item as? [String: Any]).map { merge(defaults, $0, template: element) } ?? item
                }
            } else if value is NSNull {
                result.removeValue(forKey: key)
            } else {
                result[key] = value
            }
        }
        return result
    }

    // MARK: - type errors

    static func describe(_ error: DecodingError, node: Node, path: String) -> PipelineError {
        let (context, message): (DecodingError.Context, String) = {
            switch error {
            case let .typeMismatch(type, context): return (context, "expected \(readable(type))")
            case let .valueNotFound(type, context): return (context, "expected \(readable(type)), found nothing")
            case let .keyNotFound(key, context): return (context, "missing required key '\(snake(key.stringValue))'")
            case let .dataCorrupted(context): return (context, context.debugDescription)
            @unknown default: return (DecodingError.Context(codingPath: [], debugDescription: ""), "\(error)")
            }
        }()
        var current: Node? = node
        var line = node.mark?.line
        var names: [String] = []
        for key in context.codingPath {
            if let index = key.intValue {
                current = current?.sequence.flatMap { index < $0.count ? $0[index] : nil }
                names.append("[\(index)]")
            } else {
                // An endpoint was written inside `generator` or `embedder` (see `endpoints`).
                let name = ["generatorEndpoint": "generator", "embedderEndpoint": "embedder"][key.stringValue] ?? snake(key.stringValue)
                current = current.flatMap { child(of: $0, key: name) }
                names.append(names.isEmpty ? name : ".\(name)")
            }
            if let mark = current?.mark { line = mark.line }
        }
        return .recipe(path: path, line: line, key: names.joined(), message: message)
    }

    static func readable(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        default: return "\(type)"
        }
    }

    static func snake(_ camel: String) -> String {
        var out = ""
        for c in camel {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }
}
