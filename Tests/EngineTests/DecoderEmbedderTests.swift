import Engine
import Foundation
import Testing

/// SmolLM2 as an embedder against transformers: the mean of the last hidden state (after the final norm)
/// over the tokens, L2-normalised (fixture and script: scripts/fixtures/smollm2_embeddings.py).
@Suite struct DecoderEmbedderTests {
    @Test func meanOfLastHiddenStatesMatchesTransformers() throws {
        let loaded = try #require(SmolLM2Fixtures.loaded, "SmolLM2 is not in the model cache; run make setup")
        let fixture = try SmolLM2Fixtures.json("embeddings.json")
        let cases = fixture["cases"] as? [[String: Any]] ?? []
        #expect(cases.count == 4)
        let embedder = DecoderEmbedder(loaded)
        #expect(embedder.dimension == 576)
        let vectors = try embedder.embed(cases.map { $0["text"] as! String })
        for (vector, item) in zip(vectors, cases) {
            #expect(loaded.tokenizer.encode(item["text"] as! String) == item["ids"] as! [Int])
            let expected = (item["embedding"] as! [NSNumber]).map(\.doubleValue)
            let cosine = zip(vector, expected).reduce(0.0) { $0 + Double($1.0) * $1.1 }
            #expect(cosine > 0.9999, "\((item["text"] as! String).prefix(30)): cosine \(cosine)")
        }
        // Unit vectors, and a defined vector for an empty text.
        let empty = try embedder.embed([""])[0]
        #expect(abs(empty.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
    }
}
