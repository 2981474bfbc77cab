// A recipe: inputs, models, prompts, sampling, limits, thresholds, decontamination, dedup and export. Every field has a default.
import Decontamination
import Dedup
import RemoteModels

public struct Recipe: Codable, Sendable, Equatable {
    public var name: String = "unnamed"
    public var inputs: [InputSpec] = []
    public var models = Models()
    public var sampling = Sampling()
    public var prompts = Prompts()
    public var tests = TestSettings()
    public var sandbox = SandboxSettings()
    public var verify = VerifySettings()
    public var instruction = InstructionSettings()
    public var collect = CollectSettings()
    public var prefilter = PrefilterSettings()
    public var licenses = LicenseSettings()
    public var decontaminate = DecontaminationSettings()
    public var dedup = DedupSettings()
    public var export = ExportSettings()
    /// How many shards a Kubernetes Indexed Job splits the build into (its `completions`): Kubernetes gives each pod
    /// its index but not the count. Not part of what is built.
    public var shards: Int?

    public init() {}

    public struct InputSpec: Codable, Sendable, Equatable {
        /// A `.py` file, a directory of them, a JSONL file, or `stdlib` for the local Python standard library.
        public var path: String
        /// auto (by extension), python, jsonl, humaneval.
        public var format: String = "auto"
        public var codeField: String = "code"
        public var instructionField: String?
        public var entryField: String?
        public init(path: String) { self.path = path }
    }

    public struct Models: Codable, Sendable, Equatable {
        /// A cached name, a model file or directory, or a Hugging Face id; with an endpoint, the name the server gives
        /// the model.
        public var generator: String = "smollm2"
        /// Where the generator runs when it is on another machine (`generator: {endpoint: ..., model: ...}` in YAML).
        public var generatorEndpoint: Endpoint?
        public var embedder: String = "minilm"
        /// Where the embedder runs when it is on another machine (`embedder: {endpoint: ..., model: ...}` in YAML).
        public var embedderEndpoint: Endpoint?
        /// Overrides the generator's own chat template (e.g. `chatml`).
        public var chatTemplate: String?
        /// The embedded generator's activations for prompt tokens: `float` (the default: as precise as a float prefill),
        /// `bf16` (weights and activations rounded to bfloat16, FP32 sums: faster on AVX-512 BF16 CPUs) or `int8` (2-3x
        /// faster prompts on K-quant files; logits move as with int8 decoding). Optional, so recipes stored by earlier
        /// runs still decode and keep their identity.
        public var promptPrecision: String?
        /// The embedded generator's KV cache: `f32` (the default) or `f16` (half the memory a position, keys and
        /// values rounded to half precision; the answers may change). Optional, as `promptPrecision`.
        public var kvCache: String?
        /// The embedded generator's KV memory bound in MiB (nil: sized from the model and the machine). Only how
        /// many requests run at once: a sequence's tokens do not depend on it, so it is not part of the run's identity.
        public var kvMemoryMib: Int?
    }

    /// An OpenAI-compatible API on another machine (vLLM, SGLang, llama-server, TGI, a hosted API).
    public struct Endpoint: Codable, Sendable, Equatable {
        /// The API's base URL, e.g. http://gpu-box:8000/v1.
        public var endpoint: String
        /// The environment variable that holds the API key; the key itself is never stored or logged.
        public var apiKeyEnv: String?
        /// Requests in flight at once.
        public var concurrency: Int = 16
        /// Seconds one request may take before it is retried.
        public var timeoutSeconds: Double = 300
        /// Retries of a request the server was too busy for, failed (5xx) or dropped.
        public var retries: Int = 4
        /// Which server this is (auto, semi-instruct, llama.cpp, vllm, vllm-guided, sglang, openai), and so where
        /// the grammars go; auto tells from the server's model list.
        public var server: String = ServerKind.auto.rawValue

        public var serverKind: ServerKind { ServerKind(rawValue: server) ?? .auto }

        public init(endpoint: String) { self.endpoint = endpoint }

        /// The keys YAML may give beside `model`.
        static let keys = ["endpoint", "api_key_env", "concurrency", "timeout_seconds", "retries", "server"]
    }

    public struct Sampling: Codable, Sendable, Equatable {
        public var temperature: Double = 0.7
        public var topP: Double = 0.95
        public var topK: Int = 40
        public var maxTokens: Int = 384
        /// Attempts per sample and model stage: the first greedy, the rest sampled.
        public var attempts: Int = 3
        public var seed: Int = 1234
        /// Constrained decoding where the generator supports it: test inputs come as lines of calls with
        /// literal arguments, rewrites as one instruction sentence and one fenced block whose first function is the entry point.
        public var constrain: Bool = true
    }

    public struct PromptSpec: Codable, Sendable, Equatable {
        public var system: String?
        public var examples: [Example] = []
        /// How many of `examples` each request shows, chosen per sample (nil: all of them, in order), so that
        /// the model is not nudged towards the same few answers for every function.
        public var examplesShown: Int?
        /// Template of the request; `{code}`, `{entry}` and `{count}` are filled in.
        public var user: String

        public struct Example: Codable, Sendable, Equatable {
            public var user: String
            public var assistant: String
        }
    }

    public struct Prompts: Codable, Sendable, Equatable {
        public var rewrite: PromptSpec = DefaultPrompts.rewrite
        public var testInputs: PromptSpec = DefaultPrompts.testInputs
        /// The instruction of a verified rewrite: `{code}` (the original), `{entry}`, `{evidence}` (its runs), `{basis}`.
        public var instruction: PromptSpec = DefaultPrompts.instruction
        /// Back-translation: `{instruction}`, `{signature}` and `{entry}`.
        public var backTranslate: PromptSpec = DefaultPrompts.backTranslate
        /// The same four for methods: `{code}` is the class with its other methods cut to their signatures, `{entry}`
        /// is `Class.name`, and back-translation's `{context}` is the class without the method.
        public var methodRewrite: PromptSpec = DefaultPrompts.methodRewrite
        public var methodTestInputs: PromptSpec = DefaultPrompts.methodTestInputs
        public var methodInstruction: PromptSpec = DefaultPrompts.methodInstruction
        public var methodBackTranslate: PromptSpec = DefaultPrompts.methodBackTranslate
        /// The same four for a whole class (`collect.kinds` with `whole-class`): `{entry}` is `class Name`, `{code}` the
        /// class, and back-translation's `{signature}` its `class` line with the `def` lines of its public methods.
        public var classRewrite: PromptSpec = DefaultPrompts.classRewrite
        public var classTestInputs: PromptSpec = DefaultPrompts.classTestInputs
        public var classInstruction: PromptSpec = DefaultPrompts.classInstruction
        public var classBackTranslate: PromptSpec = DefaultPrompts.classBackTranslate

        /// The rewrite, test-input, instruction or back-translation prompt for an entry point.
        func rewrite(for entry: String) -> PromptSpec { pick(entry, rewrite, methodRewrite, classRewrite) }
        func testInputs(for entry: String) -> PromptSpec { pick(entry, testInputs, methodTestInputs, classTestInputs) }
        func instruction(for entry: String) -> PromptSpec { pick(entry, instruction, methodInstruction, classInstruction) }
        func backTranslate(for entry: String) -> PromptSpec { pick(entry, backTranslate, methodBackTranslate, classBackTranslate) }

        private func pick(_ entry: String, _ function: PromptSpec, _ method: PromptSpec, _ whole: PromptSpec) -> PromptSpec {
            let point = EntryPoint(entry)
            return point.isClass ? whole : point.isMethod ? method : function
        }
    }

    public struct TestSettings: Codable, Sendable, Equatable {
        /// Inputs asked of the model.
        public var count: Int = 8
        /// The model is asked again (up to `sampling.attempts`) while it gave fewer distinct, usable inputs than this;
        /// a set that after augmentation has fewer normal returns than this is rejected.
        public var minimum: Int = 3
        /// Inputs derived from working ones (without the model) that are tried on the original.
        public var candidates: Int = 64
        /// Derived inputs kept: first those that tell more mutants from the original, then those that reach new
        /// lines or decisions, take a new path or give a new output, then those with the rarest outputs.
        public var derived: Int = 8
        /// Mutants of the original (one small change each) that derived inputs are chosen to tell apart.
        public var mutants: Int = 8
        /// A test set needs at least this many different normal outputs (return value and argument state).
        public var minDistinctOutputs: Int = 2
        /// ... and must run at least this share of the entry point's lines,
        public var minLineCoverage: Double = 0
        /// ... and tell at least this share of the mutants from the original.
        public var minMutationScore: Double = 0
    }

    public struct SandboxSettings: Codable, Sendable, Equatable {
        /// CPU seconds one call may use, so a busy machine gives the same data as an idle one; an original's
        /// case that uses more than half of it is dropped as too slow to judge, and a rewrite gets twice as much.
        public var timeoutSeconds: Double = 5
        public var memoryMegabytes: Int = 512
        /// Runs code without OS isolation. Dangerous; prints a warning each time.
        public var unsafeNoSandbox: Bool = false
    }

    public struct VerifySettings: Codable, Sendable, Equatable {
        /// Fraction of cases the rewrite must pass to be kept.
        public var passRatio: Double = 1.0
        public var floatTolerance: Double = 1e-9
        /// When true, inputs on which the original raises are test cases too (the rewrite must raise the same type).
        public var expectExceptions: Bool = true
        /// When true, what the function prints must match too.
        public var compareOutput: Bool = false
        /// `none`: a sample whose rewrites all fail is rejected. `original`: the original itself, formatted, becomes the
        /// response (verified like a rewrite, recorded as `response_source: original`), so a model too small to rewrite
        /// still yields verified samples whose instruction it wrote.
        public var fallback: String = "none"
    }

    public struct InstructionSettings: Codable, Sendable, Equatable {
        /// Executed cases of the original shown to the model when it writes the instruction.
        public var evidence: Int = 4
        /// Verified cases written into the instruction as examples; never more than the cases held back.
        public var examples: Int = 2
        /// How examples read: `list` ("Examples:" and one `call` returns `value` a line) or `doctest` (>>> lines).
        public var exampleStyle: String = "list"
        /// Check what the instruction claims (function, parameters, kind of result, its own examples) against the
        /// code and its runs; a claim that does not hold asks for another answer, then rejects.
        public var checkClaims: Bool = true
        /// Back-translation: the model writes the function from the instruction and signature alone; the share of
        /// held-back cases it gets right is the faithfulness score.
        public var backTranslate: Bool = true
        /// Instructions tried per sample: the instruct stage's, then sampled ones whose claims hold; the best-scoring is kept.
        public var candidates: Int = 1
        /// Samples scoring below this are rejected (0 records the score only).
        public var minFaithfulness: Double = 0
    }

    public struct CollectSettings: Codable, Sendable, Equatable {
        /// What becomes a sample: top-level functions, self-contained nested functions, and static, class and
        /// instance methods. A small model rarely rewrites a method in its class correctly: `[function, nested]` spends
        /// its time where it succeeds. `whole-class` (not by default) makes a small class one sample instead of its
        /// methods: 2 to 8 public methods, a constructor in the file, nothing abstract; tests build an object and call
        /// its methods in turn.
        public var kinds: [String] = CollectSettings.allKinds
        public static let allKinds = ["function", "nested", "static", "class", "instance"]
        public static let knownKinds = allKinds + ["whole-class"]
    }

    public struct LicenseSettings: Codable, Sendable, Equatable {
        /// SPDX identifiers whose code may be collected (`permissive` stands for the permissive ones); empty allows
        /// every licence and none. With a list, a file whose licence is not found is rejected as `license-unknown`.
        public var allow: [String] = []

        /// Why an item of a file with this licence is not collected, or nil.
        func refusal(of license: LicenseFinding?) -> (reason: RejectionReason, detail: String)? {
            guard !allow.isEmpty else { return nil }
            guard let license else {
                return (.licenseUnknown, "no SPDX header, licence file or package metadata between the file and the input root")
            }
            let names = Set(allow.flatMap { $0 == "permissive" ? Array(LicenseFinder.permissive) : [$0] })
            // `MIT OR Apache-2.0` is allowed when either is; `X AND Y` (or WITH) when both are.
            let parts = license.spdx.components(separatedBy: " ").filter { !["OR", "AND", "WITH"].contains($0) }
            let ok = license.spdx.contains(" OR ") ? parts.contains(where: names.contains) : parts.allSatisfy(names.contains)
            return ok ? nil : (.licenseNotAllowed, "\(license.spdx) (from \(license.evidence)); allowed: \(allow.joined(separator: ", "))")
        }
    }

    public struct PrefilterSettings: Codable, Sendable, Equatable {
        /// Bounds on the entry point's own lines (docstrings and comments not counted).
        public var minLines: Int = 2
        public var maxLines: Int = 120
        /// Bound on what comes with it: the class of a method, the helpers and constants it uses.
        public var maxContextLines: Int = 400
        /// Longer string literals (docstrings aside) count as data, not code.
        public var maxLiteralChars: Int = 120
    }

    /// Benchmark decontamination, after collect (the natural code, a given instruction) and after the instruction is
    /// final (the rewrite and its instruction). `decontaminate: false` turns it off.
    public struct DecontaminationSettings: Codable, Sendable, Equatable {
        public var enabled: Bool = true
        /// Built-in names (`humaneval`) or files of problems with the fields to read.
        public var benchmarks: [BenchmarkSpec] = [BenchmarkSpec(name: "humaneval")]
        public var ngram: Int = DecontaminationParameters().ngram
        public var minMatches: Int = DecontaminationParameters().minMatches
        public var substringMinTokens: Int = DecontaminationParameters().substringMinTokens
        public var entryPointSimilarity: Double = DecontaminationParameters().entryPointSimilarity

        public var parameters: DecontaminationParameters {
            DecontaminationParameters(ngram: ngram, minMatches: minMatches, substringMinTokens: substringMinTokens,
                                      entryPointSimilarity: entryPointSimilarity)
        }

        public var sources: [BenchmarkSource] { benchmarks.map(\.source) }
    }

    /// One benchmark: `name` alone for a built-in one; `path` (relative to the recipe) and the fields for a file.
    public struct BenchmarkSpec: Codable, Sendable, Equatable {
        public var name: String?
        public var path: String?
        public var id: String?
        public var prompt: String?
        public var solution: String?
        public var entryPoint: String?
        /// The solution field holds only the body that follows the prompt (as HumanEval's `canonical_solution`).
        public var solutionFollowsPrompt: Bool?
        public init(name: String? = nil, path: String? = nil) { self.name = name; self.path = path }

        var source: BenchmarkSource {
            let fields = BenchmarkFields(id: id, prompt: prompt, solution: solution, entryPoint: entryPoint, solutionFollowsPrompt: solutionFollowsPrompt)
            guard let path else { return BenchmarkSource(name: name ?? "", fields: fields) }
            var source = BenchmarkSource.parse(path, fields: fields)
            source.path = path
            if let name { source.name = name }
            return source
        }
    }

    public struct DedupSettings: Codable, Sendable, Equatable {
        public var enabled: Bool = true
        public var eps: Double = SemDeDup.defaultEps
        /// 0 chooses about sqrt(n).
        public var clusters: Int = 0
        public var keep: String = "hard"
        public var seed: Int = 1234
        /// Corpora already shipped (JSONL files, or index directories `dedup --against` wrote): samples as similar to
        /// one of their records as to a duplicate are removed too. Indexed once into the run directory.
        public var against: [String]?
        /// The fields of those corpora to embed (default: `instruction` and `response`, what `export` writes).
        public var againstFields: [String]?
    }

    public struct ExportSettings: Codable, Sendable, Equatable {
        public var path: String = "dataset.jsonl"
    }
}
