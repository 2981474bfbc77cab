import Testing
import VectorIndex

@Suite struct FaissShimTests {
    /// `count` unit vectors scattered tightly around each of the given unit directions.
    static func clusters(around directions: [[Float]], count: Int) -> [[Float]] {
        var state: UInt64 = 42
        func noise() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) - 0.5) * 0.02
        }
        var rows: [[Float]] = []
        for direction in directions {
            for _ in 0..<count {
                let v = direction.map { $0 + noise() }
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                rows.append(v.map { $0 / norm })
            }
        }
        return rows
    }

    @Test func kMeansRecoversSeparableClusters() throws {
        let directions: [[Float]] = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
        let points = try Matrix(rows: Self.clusters(around: directions, count: 80))
        let result = try KMeans.train(points, KMeansParameters(clusters: 4, iterations: 20, seed: 7))
        #expect(result.centroids.rows == 4 && result.centroids.columns == 4)
        let labels = try FlatIndex.search(base: result.centroids, queries: points, k: 1).labels.map { $0[0] }
        // Every group maps to one cluster, and the four groups to four different clusters.
        let perGroup = (0..<4).map { g in Set(labels[(g * 80)..<((g + 1) * 80)]) }
        #expect(perGroup.allSatisfy { $0.count == 1 })
        #expect(Set(perGroup.map { $0.first! }).count == 4)
        // Spherical centroids are unit vectors pointing along their group's direction.
        for c in 0..<4 {
            let row = Array(result.centroids.row(c))
            #expect(abs(row.reduce(0) { $0 + $1 * $1 } - 1) < 1e-3)
            #expect(row.max()! > 0.99)
        }
    }

    @Test func flatInnerProductSearchReturnsExactNeighbours() throws {
        let base = try Matrix(rows: [[1, 0], [0, 1], [0.6, 0.8], [-1, 0]])
        let queries = try Matrix(rows: [[0.8, 0.6], [-0.9, 0.1]])
        let result = try FlatIndex.search(base: base, queries: queries, k: 3)
        // Scores are inner products: q0 gives 0.8, 0.6, 0.96, -0.8; q1 gives -0.9, 0.1, -0.46, 0.9.
        #expect(result.labels == [[2, 0, 1], [3, 1, 2]])
        #expect(abs(result.scores[0][0] - 0.96) < 1e-6)
        #expect(abs(result.scores[1][0] - 0.9) < 1e-6)
    }

    @Test func moreClustersThanPointsIsAnErrorNotACrash() throws {
        let points = try Matrix(rows: [[1, 0], [0, 1], [1, 1]])
        #expect {
            _ = try KMeans.train(points, KMeansParameters(clusters: 5))
        } throws: { error in
            guard case let .faiss(operation, message)? = error as? VectorIndexError else { return false }
            return operation == "k-means" && message.contains("n=3") && message.contains("k=5")
        }
    }

    @Test func faissOwnErrorsComeBackAsSwiftErrors() throws {
        let base = try Matrix(rows: [[1, 0]])
        #expect(throws: VectorIndexError.self) {
            _ = try FlatIndex.search(base: base, queries: base, k: 4)
        }
        #expect(throws: VectorIndexError.self) {
            _ = try FlatIndex.search(base: base, queries: try Matrix(rows: [[1, 0, 0]]), k: 1)
        }
    }

    @Test func matrixRejectsRaggedRows() {
        #expect(throws: VectorIndexError.self) { _ = try Matrix(rows: [[1, 2], [3]]) }
        #expect(throws: VectorIndexError.self) { _ = try Matrix(rows: 2, columns: 2, values: [1, 2, 3]) }
    }

    @Test func versionIsReported() {
        #expect(Faiss.version.split(separator: ".").count == 3)
    }
}
