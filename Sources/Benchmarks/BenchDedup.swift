// `semi-instruct bench dedup`: SemDeDup on random unit vectors, timed stage by stage, with peak memory.
import ArgumentParser
import CommandOptions
import Dedup
import Foundation
import Kernels
import VectorIndex

struct BenchDedup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedup",
        abstract: "Time k-means, cluster assignment and the SemDeDup scan on random unit vectors; report peak RSS.")

    @Option(help: "Number of vectors.")
    var n = 200_000

    @Option(help: "Vector dimension.")
    var dim = 384

    @Option(help: "Number of clusters.")
    var clusters = 1000

    @Option(help: "k-means iterations (20 here: the Python faiss-cpu reference's 15.2 s k-means matches about 20 on a 2-core machine).")
    var niter = 20

    @Option(name: .customLong("faiss-threads"), help: "OpenMP threads for Faiss (OpenBLAS keeps its own).")
    var faissThreads = 1

    @Option(name: .customLong("max-points-per-centroid"), help: "k-means trains on at most this many points per centroid.")
    var maxPointsPerCentroid = 256

    @Option(name: .customLong("kmeans"), help: "k-means: own (our GEMM) or faiss.")
    var implementation = KMeansImplementation.own

    @Option(help: "Cluster assignment: flat (exact) or ivf (inverted file, approximate).")
    var assign = AssignmentMethod.flat

    @Option(help: "Which near-duplicate survives: hard, easy or random.")
    var keep = KeepPolicy.hard

    @Option(help: "eps for the removed count.")
    var eps = 0.05

    @Option(help: "Runs; the median time of each stage is reported.")
    var repeats = 1

    @Option(help: "Seed for the vectors and k-means.")
    var seed = 1234

    func validate() throws {
        guard n >= 1, dim >= 1, clusters >= 1, clusters <= n else { throw ValidationError("need n, dim >= 1 and 1 <= clusters <= n") }
        guard repeats >= 1, niter >= 1 else { throw ValidationError("--repeats and --niter must be at least 1") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let vectors = try Self.randomUnitVectors(rows: n, columns: dim, seed: UInt64(seed))
        print("bench dedup: n \(n), dim \(dim), k \(clusters), niter \(niter), max points per centroid \(maxPointsPerCentroid), k-means \(implementation.rawValue), "
              + "BLAS threads \(BLAS.threads), Faiss threads \(faissThreads); vectors generated in \(format(seconds(clock.now - start))) s")
        var kmeans: [Double] = [], assignment: [Double] = [], scan: [Double] = [], total: [Double] = []
        for run in 1...repeats {
            let runStart = clock.now
            let clustering = try SemanticClustering.cluster(vectors, ClusteringOptions(
                clusters: clusters, iterations: niter, seed: seed, maxPointsPerCentroid: maxPointsPerCentroid, assignment: assign,
                faissThreads: faissThreads, kmeans: implementation))
            let scanStart = clock.now
            let result = try SemDeDup.scan(embeddings: vectors, assignment: clustering.assignment,
                                           centroids: clustering.centroids, keep: keep, seed: UInt64(seed))
            let scanSeconds = seconds(clock.now - scanStart)
            kmeans.append(clustering.kmeansSeconds)
            assignment.append(clustering.assignmentSeconds)
            scan.append(scanSeconds)
            total.append(seconds(clock.now - runStart))
            let sizes = clustering.sizes
            print("run \(run): k-means \(format(clustering.kmeansSeconds)) s, assignment (\(clustering.method.rawValue)) "
                  + "\(format(clustering.assignmentSeconds)) s, dedup \(format(scanSeconds)) s, total \(format(total.last!)) s; "
                  + "largest cluster \(sizes.max()!), removed at eps \(eps): \(result.removed(eps: eps).count)")
        }
        print("median: k-means \(format(median(kmeans))) s, assignment \(format(median(assignment))) s, "
              + "dedup \(format(median(scan))) s, total \(format(median(total))) s")
        print("peak RSS: \(String(format: "%.2f", Double(Self.peakResidentKiB()) / 1_048_576)) GiB")
    }

    /// Uniform coordinates in [-1, 1) from SplitMix64, each row scaled to unit length.
    static func randomUnitVectors(rows: Int, columns: Int, seed: UInt64) throws -> Matrix {
        var generator = SplitMix64(seed: seed)
        var values = [Float](repeating: 0, count: rows * columns)
        values.withUnsafeMutableBufferPointer { v in
            for row in 0..<rows {
                var norm: Float = 0
                for i in (row * columns)..<((row + 1) * columns) {
                    v[i] = Float(generator.next() >> 40) / Float(1 << 23) - 1
                    norm += v[i] * v[i]
                }
                let scale = 1 / norm.squareRoot()
                for i in (row * columns)..<((row + 1) * columns) { v[i] *= scale }
            }
        }
        return try Matrix(rows: rows, columns: columns, values: values)
    }

    /// Peak resident set size of this process (VmHWM), in KiB.
    static func peakResidentKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    private func format(_ value: Double) -> String { String(format: "%.2f", value) }
}
