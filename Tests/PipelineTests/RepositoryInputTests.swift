import Foundation
import Pipeline
import Store
import Testing

/// Repositories as input: a git working tree, a .tar.gz and a .zip, with vendored and generated code left out,
/// provenance per sample and licences found per file and filtered by the recipe. Made by the tests.
@Suite(.serialized) struct RepositoryInputTests {
    static let mit = "MIT License\n\nCopyright (c) 2024 Someone\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software...\n"
    static let gpl = "                    GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007\n"
    static let function = "def double_all(items, k):\n    out = []\n    for x in items:\n        out.append(x * k)\n    return out\n"
    static let commit = "0123456789abcdef0123456789abcdef01234567"

    /// A working tree: MIT at the top, a GPL subfolder, an Apache SPDX header, a vendored folder, a protobuf stub and a
    /// minified file; `.git` says the remote (with a token in it) and the commit.
    static func makeWorkingTree(in root: URL) throws -> URL {
        let tree = root.appendingPathComponent("tool")
        let files: [String: String] = [
            "LICENSE": mit,
            "src/tool/__init__.py": "",
            "src/tool/core.py": function,
            "src/tool/spdx.py": "# SPDX-License-Identifier: Apache-2.0\n" + function.replacingOccurrences(of: "double_all", with: "triple_all"),
            "src/copyleft/COPYING": gpl,
            "src/copyleft/gpl.py": function.replacingOccurrences(of: "double_all", with: "scale_all"),
            "src/tool/vendor/six.py": function.replacingOccurrences(of: "double_all", with: "vendored_all"),
            "src/tool/messages_pb2.py": function.replacingOccurrences(of: "double_all", with: "proto_all"),
            "src/tool/min.py": "def f(a, b):\n    return a + b\n" + "x = [" + String(repeating: "1, ", count: 800) + "]\n",
            ".git/HEAD": "ref: refs/heads/main\n",
            ".git/refs/heads/main": commit + "\n",
            ".git/config": "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = https://builder:secret-token@example.org/team/tool.git\n",
            ".git/hooks/fake.py": function,
        ]
        for (path, text) in files {
            let url = tree.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return tree
    }

    static func collect(_ input: String, allow: [String] = [], in run: URL) async throws -> RunDatabase {
        var recipe = Recipe()
        recipe.inputs = [.init(path: input)]
        recipe.licenses.allow = allow
        return try await collectOnly(recipe, in: run).store
    }

    static func outcomes(_ store: RunDatabase) throws -> [String: (SampleRecord, OutcomeRecord)] {
        var result: [String: (SampleRecord, OutcomeRecord)] = [:]
        for sample in try store.samples() {
            let key = sample.entryPoint.isEmpty ? sample.source : sample.entryPoint
            result[key] = (sample, try #require(try store.outcome(of: sample.id, stage: "collect")))
        }
        return result
    }

    @Test func aWorkingTreeGivesProvenanceLicencesAndLeavesOutWhatIsNotItsOwn() async throws {
        let root = try temporaryDirectory("tree")
        defer { try? FileManager.default.removeItem(at: root) }
        let tree = try Self.makeWorkingTree(in: root)
        let store = try await Self.collect(tree.path, in: root.appendingPathComponent("run"))
        let found = try Self.outcomes(store)
        let core = try #require(found["double_all"])
        #expect(core.1.kept && core.0.source == "tool/src/tool/core.py")
        #expect(core.0.repository == "https://example.org/team/tool.git", "credentials never reach the data")
        #expect(core.0.revision == Self.commit)
        #expect(core.0.license == "MIT" && core.0.licenseSource == "tool/LICENSE")
        #expect(found["triple_all"]?.0.license == "Apache-2.0" && found["triple_all"]?.0.licenseSource == "SPDX header")
        #expect(found["scale_all"]?.0.license == "GPL-3.0" && found["scale_all"]?.0.licenseSource == "tool/src/copyleft/COPYING")
        // Vendored folders, generated and minified files are rejected items with their reasons; .git is not code.
        #expect(found["vendored_all"] == nil && found["proto_all"] == nil)
        #expect(found["tool/src/tool/vendor"]?.1.reason == "vendored")
        #expect(found["tool/src/tool/messages_pb2.py"]?.1.reason == "generated")
        #expect(found["tool/src/tool/min.py"]?.1.reason == "generated")
        #expect(!found.keys.contains { $0.contains(".git") })
    }

    @Test func theAllowListRejectsOtherAndUnknownLicences() async throws {
        let root = try temporaryDirectory("licences")
        defer { try? FileManager.default.removeItem(at: root) }
        let tree = try Self.makeWorkingTree(in: root)
        let store = try await Self.collect(tree.path, allow: ["permissive"], in: root.appendingPathComponent("run"))
        let found = try Self.outcomes(store)
        #expect(found["double_all"]?.1.kept == true && found["triple_all"]?.1.kept == true)
        #expect(found["scale_all"]?.1.reason == "license-not-allowed")
        #expect(found["scale_all"]?.1.detail?.contains("GPL-3.0") == true)
        // A folder with no licence anywhere: unknown is its own reason, not a pass.
        let bare = root.appendingPathComponent("bare")
        try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
        try Self.function.write(to: bare.appendingPathComponent("m.py"), atomically: true, encoding: .utf8)
        let unknown = try Self.outcomes(try await Self.collect(bare.path, allow: ["MIT"], in: root.appendingPathComponent("run2")))
        #expect(unknown["double_all"]?.1.reason == "license-unknown")
    }

    @Test func archivesAreUnpackedSafelyIntoTheRun() async throws {
        let root = try temporaryDirectory("archives")
        defer { try? FileManager.default.removeItem(at: root) }
        let tree = try Self.makeWorkingTree(in: root)
        // A .tar.gz with a member that climbs out of the target, and a .zip, both written by Python's own modules.
        let tarball = root.appendingPathComponent("tool-1.0.tar.gz").path, zip = root.appendingPathComponent("tool-1.0.zip").path
        let script = """
            import os, sys, tarfile, zipfile
            tree, tarball, zpath = sys.argv[1:4]
            with tarfile.open(tarball, "w:gz") as t:
                t.add(tree, arcname="tool-1.0")
                data = b"def escaped(x):\\n    return x\\n"
                info = tarfile.TarInfo("../escaped.py"); info.size = len(data)
                import io; t.addfile(info, io.BytesIO(data))
            with zipfile.ZipFile(zpath, "w") as z:
                for folder, _, files in os.walk(tree):
                    for name in files:
                        path = os.path.join(folder, name)
                        z.write(path, os.path.relpath(path, os.path.dirname(tree)))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, tree.path, tarball, zip]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        for archive in [tarball, zip] {
            let run = root.appendingPathComponent("run-\(UUID().uuidString)")
            let found = try Self.outcomes(try await Self.collect(archive, in: run))
            let core = try #require(found["double_all"])
            #expect(core.1.kept && ["tool-1.0/src/tool/core.py", "tool/src/tool/core.py"].contains(core.0.source), "\(core.0.source)")
            #expect(core.0.repository == "tool-1.0" && core.0.license == "MIT")
            #expect(found["tool-1.0/src/tool/vendor"]?.1.reason == "vendored" || found["tool/src/tool/vendor"]?.1.reason == "vendored")
            #expect(found["escaped"] == nil)
            #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("sources/escaped.py").path))
        }
        // Not an archive at all: a clear error naming the file.
        let fake = root.appendingPathComponent("broken.tar.gz")
        try Data("not an archive".utf8).write(to: fake)
        await #expect(throws: PipelineError.self) { _ = try await Self.collect(fake.path, in: root.appendingPathComponent("run-bad")) }
    }

    @Test func licenceTextsAreClassified() throws {
        let python = try String(contentsOfFile: "/usr/lib/python3.11/LICENSE.txt", encoding: .utf8)
        let bsd3 = "Redistribution and use in source and binary forms, with or without modification, are permitted...\n"
            + "3. Neither the name of the copyright holder nor the names of its contributors may be used"
        #expect(LicenseCheck.classify(python) == "PSF-2.0")
        #expect(LicenseCheck.classify(Self.mit) == "MIT")
        #expect(LicenseCheck.classify(Self.gpl) == "GPL-3.0")
        #expect(LicenseCheck.classify(bsd3) == "BSD-3-Clause")
        #expect(LicenseCheck.classify("Apache License\nVersion 2.0, January 2004") == "Apache-2.0")
        #expect(LicenseCheck.classify("All rights reserved.") == nil)
        #expect(LicenseCheck.metadata("[project]\nname = \"x\"\nlicense = {text = \"MIT\"}\n") == "MIT")
        #expect(LicenseCheck.metadata("Metadata-Version: 2.1\nLicense: Apache 2.0\n") == "Apache-2.0")
    }
}
