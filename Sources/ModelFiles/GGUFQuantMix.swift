// Which tensor type llama.cpp's quantizer gives each weight of a Llama-family model in a mixed file type.
// Q4_K_M: Q4_K everywhere, Q6_K for the output head (the embedding when the head is tied) and for attn_v and
// ffn_down in the layers `usesMoreBits` picks; rows whose length is not a multiple of 256 fall back to a
// 32-block type (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0), and rows that fit no block at all stay F16.
// Abacus's FFN of 5760 makes every ffn_down fall back; SmolLM2's hidden of 576 every matrix but ffn_down.
import Kernels

public enum GGUFQuantMix {
    /// The Q4_K_M type of a matrix by its GGUF name (`blk.3.ffn_down.weight`); `columns` is its row length.
    public static func q4KM(_ name: String, layerCount: Int, columns: Int, tiedHead: Bool) -> TensorType {
        fitting(q4KMPreferred(name, layerCount: layerCount, tiedHead: tiedHead), columns: columns)
    }

    /// The Q4_K_M type of a matrix before its row length is considered.
    public static func q4KMPreferred(_ name: String, layerCount: Int, tiedHead: Bool) -> TensorType {
        if name == "output.weight" || (tiedHead && name == "token_embd.weight") { return .q6_K }
        if let layer = layerIndex(name), name.hasSuffix("attn_v.weight") || name.hasSuffix("ffn_down.weight"),
           usesMoreBits(layer: layer, of: layerCount) {
            return .q6_K
        }
        return .q4_K
    }

    /// `type` when rows of `columns` values fill its blocks, else llama.cpp's 32-block fallback, else F16.
    public static func fitting(_ type: TensorType, columns: Int) -> TensorType {
        if columns % type.blockSize == 0 { return type }
        let smaller = fallback(type)
        return columns % smaller.blockSize == 0 ? smaller : .f16
    }

    /// llama.cpp's `use_more_bits`: the first and last eighth of the layers and every third one between.
    public static func usesMoreBits(layer: Int, of count: Int) -> Bool {
        layer < count / 8 || layer >= 7 * count / 8 || (layer - count / 8) % 3 == 2
    }

    static func fallback(_ type: TensorType) -> TensorType {
        switch type {
        case .q4_K: .q5_0
        case .q5_K: .q5_1
        case .q6_K: .q8_0
        default: type
        }
    }

    static func layerIndex(_ name: String) -> Int? {
        let parts = name.split(separator: ".")
        guard parts.count > 2, parts[0] == "blk" else { return nil }
        return Int(parts[1])
    }
}
