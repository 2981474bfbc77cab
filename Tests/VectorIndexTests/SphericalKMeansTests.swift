// Our spherical k-means against Faiss's (same algorithm, other products): objective, exact assignment,
// empty-cluster splitting, subsampling, determinism and bad shapes.
import Testing
import VectorIndex

@Suite struct SphericalKMeansTests {
    /// Deterministic pseudo-random values in [-1, 1).
    static func uniform(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 23) - 1
        }
    }

    static func unitRows(_ values: [Float], columns: Int) throws -> Matrix {
        var values = values
        for row in 0..<(values.count / columns) {
            let range = (row * columns)..<((row + 1) * columns)
            let norm = values[range].reduce(0) { $0 + $1 * $1 }.squareRoot()
            for t in range { values[t] /= norm }
        }
        return try Matrix(rows: values.count / columns, columns: columns, values: values)
    }

    /// `groups` random directions, `each` points scattered around each.
    static func separated(groups: Int, each: Int, dim: Int) throws -> Matrix {
        let centers = uniform(groups * dim, seed: 3)
        let noise = uniform(groups * each * dim, seed: 4)
        var values: [Float] = []
        for g in 0..<groups {
            for e in 0..<each {
                for t in 0..<dim { values.append(centers[g * dim + t] + 0.1 * noise[(g * each + e) * dim + t]) }
            }
        }
        return try unitRows(values, columns: dim)
    }

    @Test func objectiveIsAsGoodAsFaissOnSeparatedClusters() throws {
        let points = try Self.separated(groups: 50, each: 40, dim: 48)
        let parameters = KMeansParameters(clusters: 50, iterations: 20, seed: 7)
        let ours = try SphericalKMeans.train(points, parameters)
        let faiss = try KMeans.train(points, parameters)
        #expect(ours.centroids.rows == 50 && ours.centroids.columns == 48)
        for j in 0..<50 {
            let norm = ours.centroids.row(j).reduce(0) { $0 + $1 * $1 }
            #expect(abs(norm - 1) < 1e-4, "centroid \(j) has squared norm \(norm)")
        }
        // Sum of similarities to the nearest centroid: random starts differ, quality must not.
        #expect(ours.objective >= 0.98 * faiss.objective, "ours \(ours.objective), Faiss \(faiss.objective)")
    }

    /// Training stops when the labels that made the centroids come back (a fixed point): the centroids it returns are
    /// those one more assignment and average give, more iterations change nothing, and fewer stop where they are told.
    @Test func trainingStopsOnlyAtAFixedPoint() throws {
        let points = try Self.unitRows(Self.uniform(2000 * 8, seed: 21), columns: 8)
        let converged = try SphericalKMeans.train(points, KMeansParameters(clusters: 20, iterations: 300, seed: 5))
        let labels = try SphericalKMeans.assign(points, centroids: converged.centroids).labels
        for j in 0..<20 {
            var mean = [Double](repeating: 0, count: 8)
            for i in 0..<points.rows where labels[i] == j {
                for t in 0..<8 { mean[t] += Double(points.row(i)[i * 8 + t]) }
            }
            let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for t in 0..<8 {
                let centroid = Double(converged.centroids.row(j)[j * 8 + t])
                #expect(abs(mean[t] / norm - centroid) < 1e-5, "centroid \(j) is not the mean of its points")
            }
        }
        #expect(try SphericalKMeans.train(points, KMeansParameters(clusters: 20, iterations: 1000, seed: 5)).centroids.values
                == converged.centroids.values)
        let capped = try SphericalKMeans.train(points, KMeansParameters(clusters: 20, iterations: 3, seed: 5))
        #expect(capped.centroids.values != converged.centroids.values && capped.objective < converged.objective)
    }

    @Test func assignmentMatchesFaissFlatSearch() throws {
        let points = try Self.unitRows(Self.uniform(3000 * 64, seed: 11), columns: 64)
        let centroids = try Self.unitRows(Self.uniform(500 * 64, seed: 12), columns: 64)
        let ours = try SphericalKMeans.assign(points, centroids: centroids)
        let faiss = try FlatIndex.nearest(base: centroids, queries: points)
        for i in 0..<points.rows {
            #expect(abs(ours.scores[i] - faiss.scores[i]) < 1e-5, "row \(i)")
            // Different summation orders may flip a near-tie; then both choices score the same.
            if ours.labels[i] != faiss.labels[i] {
                #expect(abs(ours.scores[i] - faiss.scores[i]) < 1e-6, "row \(i): \(ours.labels[i]) vs \(faiss.labels[i])")
            }
        }
        #expect(zip(ours.labels, faiss.labels).filter { $0 != $1 }.count <= 3)
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func emptyClustersAreSplitUntilEveryGroupHasACentroid(seed: Int) throws {
        // Five directions, each repeated eight times: a random start often picks two copies of one direction,
        // which leaves a cluster empty; splitting must still end with one centroid per direction.
        let directions = try Self.unitRows(Self.uniform(5 * 16, seed: 21), columns: 16)
        var values: [Float] = []
        for _ in 0..<8 { for g in 0..<5 { values.append(contentsOf: directions.row(g)) } }
        let points = try Matrix(rows: 40, columns: 16, values: values)
        let result = try SphericalKMeans.train(points, KMeansParameters(clusters: 5, iterations: 20, seed: seed))
        let assigned = try SphericalKMeans.assign(directions, centroids: result.centroids)
        #expect(Set(assigned.labels).count == 5, "labels \(assigned.labels)")
        #expect(assigned.scores.allSatisfy { $0 > 0.999 })
    }

    @Test func subsamplesAndIsDeterministic() throws {
        let points = try Self.separated(groups: 10, each: 300, dim: 24)
        let parameters = KMeansParameters(clusters: 10, iterations: 8, seed: 5, maxPointsPerCentroid: 50)
        let first = try SphericalKMeans.train(points, parameters)
        let second = try SphericalKMeans.train(points, parameters)
        #expect(first.centroids == second.centroids)
        #expect(first.centroids.values.allSatisfy { $0.isFinite })
        // Trained on 500 of 3000 points, the centroids still fit all of them (noisy points score about 0.97
        // against their own group's direction; a merged pair of groups would pull the mean well below).
        let scores = try SphericalKMeans.assign(points, centroids: first.centroids).scores
        #expect(scores.reduce(0, +) / Float(scores.count) > 0.9)
    }

    @Test func asManyPointsAsClustersGivesThePoints() throws {
        let points = try Self.unitRows(Self.uniform(7 * 8, seed: 31), columns: 8)
        #expect(try SphericalKMeans.train(points, KMeansParameters(clusters: 7)).centroids == points)
    }

    @Test func badShapesAreErrors() throws {
        let points = try Self.unitRows(Self.uniform(4 * 8, seed: 41), columns: 8)
        #expect(throws: VectorIndexError.self) { try SphericalKMeans.train(points, KMeansParameters(clusters: 5)) }
        #expect(throws: VectorIndexError.self) {
            try SphericalKMeans.train(points, KMeansParameters(clusters: 2, spherical: false))
        }
        let other = try Self.unitRows(Self.uniform(2 * 6, seed: 42), columns: 6)
        #expect(throws: VectorIndexError.self) { try SphericalKMeans.assign(points, centroids: other) }
    }
}
