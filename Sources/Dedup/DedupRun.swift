// One SemDeDup run over a corpus file: read and validate records, embed (or load embeddings), cluster,
// scan, and decide every record's fate for each eps. Writing the outputs is `DedupOutputWriter`'s job.
import Foundation
import VectorIndex

public struct DedupParameters: Sendable {
    public var fields: [String]
    public var eps: [Double]
    public var clusters: Int
    public var keep: KeepPolicy
    public var seed: Int
    public var iterations: Int
    public var maxPointsPerCentroid: Int
    public var assignment: AssignmentMethod
    /// Texts sent to the embedder at once.
    public var embedBatch: Int

    public init(fields: [String], eps: [Double] = [0.01], clusters: Int = 1000, keep: KeepPolicy = .hard,
                seed: Int = 1234, iterations: Int = 100, maxPointsPerCentroid: Int = 256,
                assignment: AssignmentMethod = .flat, embedBatch: Int = 256) {
        self.fields = fields
        self.eps = eps
        self.clusters = clusters
        self.keep = keep
        self.seed = seed
        self.iterations = iterations
        self.maxPointsPerCentroid = maxPointsPerCentroid
        self.assignment = assignment
        self.embedBatch = embedBatch
    }
}

/// Where the vectors come from: a .npy whose row i is record i, or an embedder behind the cache.
public enum EmbeddingSource {
    case precomputed(URL)
    case embedder(CachedEmbedder)
}

/// What happened to every record.
public struct DedupReport: Sendable {
    public var input: URL
    public var format: InputFormat
    public var recordCount: Int
    public var blankLines: Int
    /// 1-based line of each record, by record index.
    public var lines: [Int]
    public var rejections: [Rejection]
    /// Record index of each deduplicated item (the records that were not rejected), ascending.
    public var itemRecords: [Int]
    public var scan: SemDeDupScan
    public var requestedClusters: Int
    public var clusters: SemanticClusters
    public var warnings: [String]
    public var eps: [Double]
    public var embeddedCount: Int
    public var cachedCount: Int
    public var scanSeconds: Double
    /// With --against: the corpus or index, and the nearest old record of each item (nil where none was found).
    public var againstSource: String? = nil
    public var against: [AgainstMatch?] = []

    /// The old record an item repeats at this eps (similarity above 1 - eps), if any.
    public func repeatsOld(_ item: Int, eps: Double) -> AgainstMatch? {
        guard item < against.count, let match = against[item], match.similarity > 1 - eps else { return nil }
        return match
    }

    public func isRemoved(_ item: Int, eps: Double) -> Bool { repeatsOld(item, eps: eps) != nil || scan.isRemoved(item, eps: eps) }
    public func removedCount(eps: Double) -> Int { (0..<itemRecords.count).filter { isRemoved($0, eps: eps) }.count }
    public func removedAgainstCount(eps: Double) -> Int { (0..<itemRecords.count).filter { repeatsOld($0, eps: eps) != nil }.count }
    public func keptCount(eps: Double) -> Int { itemRecords.count - removedCount(eps: eps) }
}

public enum DedupRun {
    /// `against`: a corpus already shipped; items as similar to one of its records as to a duplicate are removed too.
    public static func run(input: URL, settings: DedupParameters, embeddings source: EmbeddingSource,
                           against: AgainstCorpus? = nil) throws -> DedupReport {
        let format = try RecordReader.format(of: input)
        var lines: [Int] = []
        var rejections: [Rejection] = []
        var itemRecords: [Int] = []
        var vectors: [Float] = []
        var dimension = 0
        var embeddedCount = 0
        var cachedCount = 0

        // Pass 1: validate every record; embed accepted texts in batches (texts are not kept).
        var batchTexts: [String] = []
        var embedder: CachedEmbedder?
        if case let .embedder(cached) = source { embedder = cached }
        func flush() throws {
            guard let embedder, !batchTexts.isEmpty else { return }
            for vector in try embedder.embed(batchTexts) {
                if dimension == 0 { dimension = vector.count }
                guard vector.count == dimension else {
                    throw DedupError.embedder(name: embedder.embedder.name, reason: "vectors of dimension \(vector.count) and \(dimension)")
                }
                vectors += vector
            }
            batchTexts.removeAll(keepingCapacity: true)
        }
        let blankLines = try RecordReader.forEach(input) { record in
            lines.append(record.line)
            switch RecordText.extract(record, fields: settings.fields) {
            case let .failure(rejection): rejections.append(rejection)
            case let .success(text):
                itemRecords.append(record.index)
                if embedder != nil {
                    batchTexts.append(text)
                    if batchTexts.count >= settings.embedBatch { try flush() }
                }
            }
        }
        try flush()
        if let embedder {
            try embedder.cache.save()
            embeddedCount = embedder.embeddedCount
            cachedCount = embedder.cachedCount
        }

        var matrix: Matrix
        switch source {
        case let .precomputed(url):
            matrix = try NPYFile.readMatrix(url, rows: itemRecords, expectedRows: lines.count)
        case .embedder:
            matrix = try Matrix(rows: itemRecords.count, columns: dimension, values: vectors)
        }
        vectors = []

        // Vectors that cannot be normalised are rejected like bad records.
        let degenerate = matrix.normalizeRows()
        if !degenerate.isEmpty {
            let dropped = Set(degenerate)
            for item in degenerate {
                let record = itemRecords[item]
                rejections.append(Rejection(index: record, line: lines[record], reason: "embedding has zero or non-finite norm"))
            }
            let keepItems = (0..<matrix.rows).filter { !dropped.contains($0) }
            matrix = try Matrix(rows: keepItems.count, columns: matrix.columns,
                                values: keepItems.flatMap { matrix.row($0) })
            itemRecords = keepItems.map { itemRecords[$0] }
            rejections.sort { $0.index < $1.index }
        }
        guard matrix.rows > 0 else { throw DedupError.noRecords(file: input.path) }

        let (k, warnings) = chooseClusterCount(requested: settings.clusters, items: matrix.rows)
        let (clusters, scan, scanSeconds) = try SemDeDup.run(matrix, clustering: ClusteringOptions(
            clusters: k, iterations: settings.iterations, seed: settings.seed,
            maxPointsPerCentroid: settings.maxPointsPerCentroid, assignment: settings.assignment),
            keep: settings.keep, seed: UInt64(truncatingIfNeeded: settings.seed))
        var report = DedupReport(
            input: input, format: format, recordCount: lines.count, blankLines: blankLines, lines: lines,
            rejections: rejections, itemRecords: itemRecords, scan: scan, requestedClusters: settings.clusters,
            clusters: clusters, warnings: warnings, eps: settings.eps, embeddedCount: embeddedCount,
            cachedCount: cachedCount, scanSeconds: scanSeconds)
        if let against {
            report.againstSource = against.directory.path
            report.against = try against.nearest(matrix)
        }
        return report
    }

    /// Fewer items than clusters: k drops to n / 100 (clusters of about 100 items, at least one) with a
    /// warning, since a smaller k only means more comparisons. A k far from n's scale is only warned about.
    public static func chooseClusterCount(requested: Int, items n: Int) -> (Int, [String]) {
        if n < requested {
            let k = max(1, n / 100)
            return (k, ["\(n) records but \(requested) clusters requested: using \(k) cluster\(k == 1 ? "" : "s") (about 100 records each)"])
        }
        var warnings: [String] = []
        if requested > n / 2 {
            warnings.append("\(requested) clusters for \(n) records averages under 2 records a cluster: duplicates split across clusters are missed; try --clusters \(max(1, n / 100))")
        }
        if n / requested > 50_000 {
            warnings.append("\(requested) clusters for \(n) records averages over 50,000 records a cluster: the pairwise scan grows with the square of cluster size; try --clusters \(n / 1000)")
        }
        return (requested, warnings)
    }
}
