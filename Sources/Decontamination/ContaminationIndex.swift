// The benchmark problems as lookup tables: word n-grams, whole reference bodies as token sequences, and entry-point
// names with the shape of their solutions. Checking a text is one pass over its tokens.

public struct ContaminationIndex: Sendable {
    public struct Problem: Sendable, Equatable, Codable {
        public var benchmark: String
        public var id: String
        public var entryPoint: String?
    }

    public let parameters: DecontaminationParameters
    public let problems: [Problem]
    /// n-gram hash of normalized words -> problems; also whole prose pieces shorter than n, of these lengths.
    var ngrams: HashTable
    var shortLengths: [Int]
    /// Rolling hash of a body's first `substringMinTokens` code tokens -> problems; `bodies[i]` is problem i's whole body.
    var bodyStarts: HashTable
    var bodies: [[UInt64]]
    /// Entry-point name -> problems; `shapes[i]` is the sorted set of problem i's shape 3-grams.
    var entryPoints: HashTable
    var shapes: [[UInt64]]

    public init(problems benchmarkProblems: [BenchmarkProblem], parameters: DecontaminationParameters) {
        self.parameters = parameters
        problems = benchmarkProblems.map { Problem(benchmark: $0.benchmark, id: $0.id, entryPoint: $0.entryPoint) }
        var ngrams = HashTable(capacity: benchmarkProblems.count * 64)
        var bodyStarts = HashTable(capacity: benchmarkProblems.count)
        var entryPoints = HashTable(capacity: benchmarkProblems.count)
        var bodies: [[UInt64]] = []
        var shapes: [[UInt64]] = []
        var shortLengths = Set<Int>()
        for (number, problem) in benchmarkProblems.enumerated() {
            let index = Int32(number)
            let solution = NormalizedText(problem.solution, as: .code)
            let n = parameters.ngram
            Self.insertGrams(Self.indexedWords(solution), n: n, problem: index, into: &ngrams)
            // The prompt's prose (a docstring, its description before the examples, or a prose prompt): its n-grams, and
            // itself whole when it is shorter than n words.
            let prompt = problem.solution.hasPrefix(problem.prompt) ? solution : NormalizedText(problem.prompt, as: .markdown)
            for piece in Self.prosePieces(prompt) {
                if piece.count >= n {
                    Self.insertGrams(piece, n: n, problem: index, into: &ngrams)
                } else if piece.count >= Self.shortestProse && piece.informative.filter({ $0 }).count >= Self.informativeWordsPerGram {
                    ngrams.insert(Self.rollingHash(piece.hashes[...]), index)
                    shortLengths.insert(piece.count)
                }
            }
            let body = Self.codeHashes(NormalizedText(problem.body, as: .code), definedElsewhere: Self.definedNames(solution.tokens))
            if body.count >= parameters.substringMinTokens {
                bodyStarts.insert(Self.rollingHash(body[0..<parameters.substringMinTokens]), index)
                bodies.append(body)
            } else {
                bodies.append([])
            }
            if let entry = problem.entryPoint, !entry.isEmpty {
                entryPoints.insert(tokenHash(entry.lowercased().utf8), index)
            }
            shapes.append(Array(Set(Self.shapeGrams(solution))).sorted())
        }
        self.ngrams = ngrams; self.bodyStarts = bodyStarts; self.entryPoints = entryPoints
        self.bodies = bodies; self.shapes = shapes; self.shortLengths = shortLengths.sorted()
    }

    init(parameters: DecontaminationParameters, problems: [Problem], ngrams: HashTable, shortLengths: [Int], bodyStarts: HashTable,
         bodies: [[UInt64]], entryPoints: HashTable, shapes: [[UInt64]]) {
        self.parameters = parameters; self.problems = problems; self.ngrams = ngrams; self.shortLengths = shortLengths
        self.bodyStarts = bodyStarts
        self.bodies = bodies; self.entryPoints = entryPoints; self.shapes = shapes
    }

    /// The strongest overlap of a text with any problem, or nil: a whole body first, then the most shared n-grams,
    /// then an entry point with a similar function (code only).
    public func check(_ text: String, as kind: TextKind, field: String) -> ContaminationMatch? {
        let normalized = NormalizedText(text, as: kind)
        let defined = Self.definedNames(normalized.tokens)
        if let match = substring(normalized, defined: defined, field: field) { return match }
        if let match = ngram(normalized, defined: defined, field: field) { return match }
        return kind == .text ? nil : entryPoint(normalized, field: field)
    }

    // MARK: - the three methods

    func ngram(_ text: NormalizedText, defined: Set<UInt64>, field: String) -> ContaminationMatch? {
        let n = parameters.ngram
        let words = Self.words(text, defined: defined)
        // Per problem: grams shared, and the longest run of consecutive shared grams (first and last word, for the evidence).
        var hits: [Int32: (count: Int, runStart: Int, last: Int, spanStart: Int, spanEnd: Int)] = [:]
        Self.forEachGram(words, n: n) { position, hash in
            ngrams.forEach(hash) { problem in
                var hit = hits[problem] ?? (0, position, position - 2, position, position + n - 1)
                hit.count += 1
                if hit.last != position - 1 { hit.runStart = position }
                hit.last = position
                if position + n - 1 - hit.runStart > hit.spanEnd - hit.spanStart { hit.spanStart = hit.runStart; hit.spanEnd = position + n - 1 }
                hits[problem] = hit
            }
        }
        for length in shortLengths where length <= words.count {
            Self.forEachWindow(words, n: length) { position, hash in
                ngrams.forEach(hash) { problem in
                    var hit = hits[problem] ?? (0, -2, -2, position, position + length - 1)
                    hit.count += 1
                    if length - 1 > hit.spanEnd - hit.spanStart { hit.spanStart = position; hit.spanEnd = position + length - 1 }
                    hits[problem] = hit
                }
            }
        }
        guard let best = hits.max(by: { ($0.value.count, -$0.key) < ($1.value.count, -$1.key) }),
              best.value.count >= parameters.minMatches else { return nil }
        let tokens = Self.wordTokenList(text)
        let span = text.span(from: tokens[best.value.spanStart], to: tokens[best.value.spanEnd])
        return match(best.key, .ngram, field: field, span: span, matches: best.value.count)
    }

    func substring(_ text: NormalizedText, defined: Set<UInt64>, field: String) -> ContaminationMatch? {
        let window = parameters.substringMinTokens
        let hashes = Self.codeHashes(text, defined: defined)
        guard hashes.count >= window else { return nil }
        var found: ContaminationMatch?
        Self.forEachWindow(hashes, n: window) { position, hash in
            guard found == nil else { return }
            bodyStarts.forEach(hash) { problem in
                let body = bodies[Int(problem)]
                guard found == nil, !body.isEmpty, position + body.count <= hashes.count,
                      hashes[position..<position + body.count].elementsEqual(body) else { return }
                let span = text.span(from: text.tokens[position], to: text.tokens[position + body.count - 1])
                found = match(problem, .substring, field: field, span: span, matches: body.count)
            }
        }
        return found
    }

    func entryPoint(_ text: NormalizedText, field: String) -> ContaminationMatch? {
        let tokens = text.tokens
        var best: (problem: Int32, similarity: Double, span: String)?
        var compared = 0
        for i in 0..<max(0, tokens.count - 1) where tokens[i].kind == .word && !tokens[i].inString && tokens[i].hash == Self.defHash
            && tokens[i + 1].kind == .word && compared < Self.mostFunctionsCompared {
            var function: (text: String, grams: [UInt64])?
            entryPoints.forEach(tokens[i + 1].hash) { problem in
                if function == nil {
                    let text = FunctionSpan.text(of: text, definition: i)
                    function = (text, Array(Set(Self.shapeGrams(NormalizedText(text, as: .code)))).sorted())
                    compared += 1
                }
                let similarity = Self.jaccard(function!.grams, shapes[Int(problem)])
                if similarity >= parameters.entryPointSimilarity, similarity > best?.similarity ?? -1 {
                    best = (problem, similarity, function!.text)
                }
            }
        }
        guard let best else { return nil }
        var result = match(best.problem, .entryPoint, field: field, span: best.span, matches: 0)
        result.similarity = (best.similarity * 1000).rounded() / 1000
        return result
    }

    /// Functions named like an entry point compared per text: a file of thousands of `def add` is not a benchmark copy
    /// thousands of times over.
    static let mostFunctionsCompared = 256

    func match(_ problem: Int32, _ method: ContaminationMatch.Method, field: String, span: String, matches: Int) -> ContaminationMatch {
        let p = problems[Int(problem)]
        return ContaminationMatch(benchmark: p.benchmark, problem: p.id, method: method, field: field,
                                  span: String(span.prefix(2000)), matches: matches, similarity: nil)
    }
}
