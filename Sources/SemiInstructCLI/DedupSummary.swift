// The text `semi-instruct dedup` prints: what went where, cluster sizes, timings, warnings.
import Dedup
import Foundation

enum DedupSummary {
    static let listedRejections = 20

    static func print(_ report: DedupReport, paths: [DedupOutputPaths], source: EmbeddingSource) {
        var err = StandardError()
        for warning in report.warnings { Swift.print("warning: \(warning)", to: &err) }
        for rejection in report.rejections.prefix(listedRejections) {
            Swift.print("\(report.input.path):\(rejection.line): rejected: \(rejection.reason)", to: &err)
        }
        if report.rejections.count > listedRejections {
            Swift.print("... and \(report.rejections.count - listedRejections) more rejected records (all in the removed file)", to: &err)
        }
        let blank = report.blankLines > 0 ? ", \(report.blankLines) blank lines skipped" : ""
        Swift.print("input: \(report.input.path) (\(report.format.rawValue)): \(report.recordCount) records\(blank)")
        switch source {
        case let .precomputed(url): Swift.print("embeddings: \(url.path)")
        case let .embedder(cached):
            Swift.print("embeddings: \(cached.embedder.name): \(report.embeddedCount) embedded, \(report.cachedCount) from cache \(cached.cache.url.path)")
        }
        Swift.print(clusterLine(report))
        Swift.print(String(format: "time: k-means %.2f s, assignment %.2f s, scan %.2f s",
                           report.clusters.kmeansSeconds, report.clusters.assignmentSeconds, report.scanSeconds))
        for path in paths {
            let removed = report.removedCount(eps: path.eps)
            let old = report.againstSource.map { ", \(report.removedAgainstCount(eps: path.eps)) of them repeating \($0)" } ?? ""
            Swift.print("eps \(path.eps): kept \(report.keptCount(eps: path.eps)), removed \(removed)\(old), rejected \(report.rejections.count) of \(report.recordCount) -> \(path.kept.path), \(path.removed.path)")
        }
    }

    static func clusterLine(_ report: DedupReport) -> String {
        let sizes = report.clusters.sizes.sorted()
        let k = sizes.count
        func at(_ q: Double) -> Int { sizes[min(k - 1, Int(q * Double(k - 1)))] }
        let requested = k == report.requestedClusters ? "" : " (requested \(report.requestedClusters))"
        return "clusters: \(k)\(requested), \(report.clusters.method.rawValue) assignment; sizes min \(sizes[0]), p10 \(at(0.1)), "
            + "median \(at(0.5)), p90 \(at(0.9)), max \(sizes[k - 1]); \(sizes.filter { $0 == 1 }.count) of one, "
            + "\(sizes.filter { $0 == 0 }.count) empty"
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
