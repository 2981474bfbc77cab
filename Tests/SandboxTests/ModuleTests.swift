// Functions called in their own module: a package the test writes (bound read-only under /sources/N), the
// standard library, and a module that does not import.
import Foundation
import Sandbox
import Testing

@Suite("Modules")
struct ModuleTests {
    /// `pkg` with a relative import and a module-level loop, in a fresh host directory under /tmp.
    func writePackage() throws -> URL {
        let root = try SandboxTestSupport.hostDirectory()
        let package = root.appendingPathComponent("pkg")
        try FileManager.default.createDirectory(at: package, withIntermediateDirectories: true)
        let files = [
            "__init__.py": "",
            "util.py": "def helper(x):\n    return x * x + 1\n",
            "mod.py": """
            from .util import helper
            TABLE = {}
            for key in range(10):
                TABLE[key] = helper(key)
            def check(key):
                return TABLE.get(key), __name__
            def scribble():
                with open(__file__ + '.new', 'w') as handle:
                    handle.write('x')
            """,
        ]
        for (name, text) in files {
            try Data(text.utf8).write(to: package.appendingPathComponent(name))
        }
        return root
    }

    func sample(_ module: ModuleReference, _ entry: String, _ inputs: [String], trace: Bool = false) -> SampleRequest {
        SampleRequest(code: "", entryPoint: entry, inputs: inputs.map { CallInput(literal: $0) }, trace: trace, module: module)
    }

    @Test func packageModuleRunsAsItReallyDoes() throws {
        let root = try writePackage()
        defer { try? FileManager.default.removeItem(at: root) }
        let executor = try SandboxTestSupport.executor { $0.sourceRoots = ["/usr/share", root.path] }
        let module = ModuleReference(name: "pkg.mod", root: root.path)
        let results = try executor.run([sample(module, "check", ["(3,)", "(42,)"], trace: true), sample(module, "scribble", ["()"])])
        #expect(results[0].calls.map(\.description) == ["(10, 'pkg.mod')", "(None, 'pkg.mod')"])
        // Only the call is traced: the module-level loop ran at import.
        #expect(results[0].calls[0].coverage?.lines == [6])
        #expect(results[1].calls[0].status == .raised && results[1].calls[0].error?.type == "OSError", "\(results[1].calls[0])")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("pkg/mod.py.new").path))
    }

    @Test func standardLibraryModuleNeedsNoRoot() throws {
        let calls = try SandboxTestSupport.executor().run(sample(ModuleReference(name: "email.quoprimime"), "header_check", ["(97,)", "(61,)", "(1, 2)"])).calls
        #expect(calls.map(\.description) == ["False", "True", "bad-call TypeError"])
    }

    @Test func moduleThatDoesNotImportIsRaised() throws {
        let executor = try SandboxTestSupport.executor()
        let calls = try executor.run(sample(ModuleReference(name: "no_such_package.inner"), "f", ["()"])).calls
        #expect(calls[0].status == .raised && calls[0].error?.type == "ModuleNotFoundError", "\(calls[0])")
        let missing = try executor.run(sample(ModuleReference(name: "email.quoprimime"), "no_such_function", ["()"])).calls
        #expect(missing[0].status == .raised && missing[0].error?.type == "NameError")
    }

    @Test func rootsOutsideTheSourceRootsAreRefused() throws {
        let executor = try SandboxTestSupport.executor { $0.sourceRoots = ["/usr/share"] }
        #expect(throws: SandboxError.sourceNotMounted(path: "/opt/elsewhere", roots: ["/usr/share"])) {
            try executor.run(sample(ModuleReference(name: "m", root: "/opt/elsewhere"), "f", ["()"]))
        }
    }

    @Test func hostPathsMapUnderTheirMountPoint() {
        var configuration = SandboxConfiguration()
        configuration.sourceRoots = ["/srv/a", "/srv/b/"]
        #expect(configuration.sandboxPath(forHostPath: "/srv/a") == "/sources/0")
        #expect(configuration.sandboxPath(forHostPath: "/srv/b/pkg/x.py") == "/sources/1/pkg/x.py")
        #expect(configuration.sandboxPath(forHostPath: "/srv/ab/pkg") == nil)
        configuration.isolation = .unsafeNoSandbox
        #expect(configuration.sandboxPath(forHostPath: "/srv/ab/pkg") == "/srv/ab/pkg")
    }
}
