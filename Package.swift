// swift-tools-version: 6.2
// semi-instruct: verified instruction data for code models, on an embedded inference engine.
// Layers run one way: kernels -> model files -> tokenizers -> engine -> (model server) -> pipeline -> command options -> benchmarks -> CLI.
import PackageDescription

let package = Package(
    name: "semi-instruct",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "semi-instruct", targets: ["semi-instruct"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // --- C and C++ boundaries --------------------------------------------------------------
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "CFaiss",
            cxxSettings: [.define("FINTEGER", to: "int")],
            linkerSettings: [.linkedLibrary("faiss"), .linkedLibrary("openblas"), .linkedLibrary("gomp"),
                             .linkedLibrary("stdc++")]
        ),

        // SIMD dot products with per-function AVX2 targets and a portable fallback, chosen at run time.
        .target(name: "CKernels"),

        // --- Swift layers ------------------------------------------------------------------------
        .target(name: "Kernels", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "ModelFiles", dependencies: ["Kernels"]),
        .target(name: "Jinja"),
        .target(name: "Tokenizers", dependencies: ["ModelFiles", "Jinja"]),
        // Constrained decoding: grammars, regexes and JSON schemas as byte automata over the vocabulary.
        .target(name: "Constraints", dependencies: ["Tokenizers"]),
        .target(name: "Engine", dependencies: ["Kernels", "ModelFiles", "Tokenizers", "Constraints"]),
        .target(name: "VectorIndex", dependencies: ["CFaiss", "Kernels"]),
        .target(name: "Dedup", dependencies: ["Engine", "VectorIndex", "Kernels", "ModelFiles", "CZlib"]),
        // Benchmark decontamination: normalized tokens, n-grams, reference bodies and entry points against evaluation sets.
        .target(name: "Decontamination", dependencies: ["Dedup", "ModelFiles"]),
        .target(name: "CSandbox"),
        .target(name: "Sandbox", dependencies: ["CSandbox"]),
        .target(name: "Store", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        // Models on other machines through their OpenAI-compatible HTTP API (Foundation's URLSession, no server code).
        .target(name: "RemoteModels"),
        // `semi-instruct serve`: the embedded engine behind an OpenAI-compatible HTTP API (Hummingbird on SwiftNIO).
        .target(
            name: "ModelServer",
            dependencies: ["Engine", "Constraints", "Tokenizers", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        .target(
            name: "Pipeline",
            dependencies: ["Kernels", "ModelFiles", "Tokenizers", "Engine", "Constraints", "Sandbox", "Store", "Dedup", "Decontamination", "VectorIndex",
                           "RemoteModels",
                           .product(name: "Yams", package: "Yams")]
        ),
        // Command-line values shared by the commands and the benchmarks: the model argument, enums taken by raw value.
        .target(
            name: "CommandOptions",
            dependencies: ["Kernels", "Engine", "Dedup", "Sandbox", "Pipeline", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // `semi-instruct bench ...`: measurements, never tests; the CLI only lists them.
        .target(
            name: "Benchmarks",
            dependencies: [
                "Kernels", "ModelFiles", "Tokenizers", "Constraints", "Engine", "VectorIndex", "Dedup", "Decontamination", "Sandbox",
                "Pipeline", "CommandOptions", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The load client of `bench serve`: on SwiftNIO, it costs the cores it shares with the server little.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(
            name: "SemiInstructCLI",
            dependencies: [
                "Kernels", "ModelFiles", "Tokenizers", "Constraints", "Engine", "VectorIndex", "Dedup", "Decontamination", "Sandbox", "Store", "Pipeline",
                "CommandOptions", "Benchmarks", "RemoteModels", "ModelServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "semi-instruct",
            dependencies: ["SemiInstructCLI"]
        ),

        // --- tests mirror modules ----------------------------------------------------------------
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "ModelFilesTests", dependencies: ["ModelFiles"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "ModelFiles"]),
        .testTarget(name: "JinjaTests", dependencies: ["Jinja"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Kernels", "ModelFiles", "Tokenizers"]),
        .testTarget(name: "ConstraintsTests", dependencies: ["Constraints", "Tokenizers", "ModelFiles", "Engine", "Kernels"]),
        .testTarget(name: "VectorIndexTests", dependencies: ["VectorIndex"]),
        .testTarget(name: "DedupTests", dependencies: ["Dedup", "Engine", "VectorIndex", "Kernels"]),
        // Seeded mutations of small valid files for every file reader: each must load or throw, never trap.
        .testTarget(name: "FileFuzzTests", dependencies: ["ModelFiles", "Tokenizers", "Dedup", "VectorIndex", "Kernels"]),
        .testTarget(name: "DecontaminationTests", dependencies: ["Decontamination"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        // Stage tests run the real sandbox and engine through the CLI layer's adapters (SandboxCodeRunner, EngineChatGenerator).
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "SemiInstructCLI", "Engine", "Tokenizers", "Store", "Constraints", "Kernels"]),
        .testTarget(name: "CLITests", dependencies: ["SemiInstructCLI", "Benchmarks", "CommandOptions", "Pipeline", "RemoteModels", "TestSupport", "Dedup",
                                                   .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox"]),
        .testTarget(name: "RemoteModelsTests", dependencies: ["RemoteModels", "TestSupport"]),
        // Helpers more than one test target uses: a fault-injecting OpenAI-compatible server on loopback.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
    ],
    cxxLanguageStandard: .cxx17
)
