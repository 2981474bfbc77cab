// The three ways a sample is found to overlap a benchmark problem, and their thresholds.

public struct DecontaminationParameters: Sendable, Equatable, Codable {
    /// n-gram overlap: n consecutive normalized words (identifiers, keywords, numbers, words of strings and prose) ...
    public var ngram: Int = 13
    /// ... shared with one problem at least this many times.
    public var minMatches: Int = 1
    /// Exact substring: a reference solution's whole body, as normalized code tokens, found in the sample; only for
    /// bodies of at least this many tokens (shorter ones are too common to mean a copy).
    public var substringMinTokens: Int = 10
    /// Entry point: the sample defines a function with a problem's entry-point name, and the two functions' shapes
    /// (tokens with names abstracted, as 3-grams) have at least this Jaccard similarity.
    public var entryPointSimilarity: Double = 0.5

    public init(ngram: Int = 13, minMatches: Int = 1, substringMinTokens: Int = 10, entryPointSimilarity: Double = 0.5) {
        self.ngram = ngram; self.minMatches = minMatches; self.substringMinTokens = substringMinTokens
        self.entryPointSimilarity = entryPointSimilarity
    }

    /// What is wrong with the values, or nil.
    public var problem: String? {
        if ngram < 3 { return "ngram must be at least 3" }
        if minMatches < 1 { return "min_matches must be at least 1" }
        if substringMinTokens < 3 { return "substring_min_tokens must be at least 3" }
        if !(0...1).contains(entryPointSimilarity) { return "entry_point_similarity must be a share between 0 and 1" }
        return nil
    }
}

/// Why a sample was found contaminated: the benchmark, the problem, the method and the sample's overlapping text.
public struct ContaminationMatch: Sendable, Equatable, Codable {
    public enum Method: String, Sendable, Codable { case ngram, substring, entryPoint = "entry-point" }
    public var benchmark: String
    public var problem: String
    public var method: Method
    /// Which part of the sample overlapped (`code`, `instruction`, or a record's field).
    public var field: String
    /// The overlapping text as the sample has it.
    public var span: String
    /// Shared n-grams (ngram) or tokens (substring).
    public var matches: Int
    /// Shape similarity (entry-point).
    public var similarity: Double?

    public var summary: String {
        switch method {
        case .ngram: return "\(problem) (\(benchmark)): \(matches) shared \(matches == 1 ? "n-gram" : "n-grams") in the \(field)"
        case .substring: return "\(problem) (\(benchmark)): its whole reference solution (\(matches) tokens) in the \(field)"
        case .entryPoint:
            return "\(problem) (\(benchmark)): a function named like its entry point, similarity \(String(format: "%.2f", similarity ?? 0)), in the \(field)"
        }
    }
}
