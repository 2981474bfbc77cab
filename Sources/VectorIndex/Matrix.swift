// A dense row-major float matrix: the currency of the vector index layer.

public struct Matrix: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var values: [Float]

    public init(rows: Int, columns: Int, values: [Float]) throws {
        guard values.count == rows * columns else {
            throw VectorIndexError.shape("expected \(rows) x \(columns) = \(rows * columns) values, got \(values.count)")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(rows vectors: [[Float]]) throws {
        let columns = vectors.first?.count ?? 0
        for (i, v) in vectors.enumerated() where v.count != columns {
            throw VectorIndexError.shape("row \(i) has \(v.count) values, row 0 has \(columns)")
        }
        try self.init(rows: vectors.count, columns: columns, values: vectors.flatMap { $0 })
    }

    public func row(_ i: Int) -> ArraySlice<Float> { values[(i * columns)..<((i + 1) * columns)] }
}
