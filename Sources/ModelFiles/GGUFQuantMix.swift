// Which tensor type llama.cpp's quantizer gives each weight of a Llama-family model in a mixed file type.
// Q4_K_M: Q4_K everywhere, Q6_K for the output head (the embedding when the head is tied) and for attn_v and
// ffn_down in the layers `usesMoreBits` picks; rows whose length is not a multiple of 256 fall back to a
// 32-block type (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0). Abacus's FFN of 5760 makes every ffn_down fall back.
import Kernels

public enum GGUFQuantMix {
    /// The Q4_K_M type of a matrix by its GGUF name (`blk.3.ffn_down.weight`); `columns` is its row length.
    public static func q4KM(_ name: String, layerCount: Int, columns: Int, tiedHead: Bool) -> TensorType {
        var type = TensorType.q4_K
        if name == "output.weight" || (tiedHead && name == "token_embd.weight") {
            type = .q6_K
        } else if let layer = layerIndex(name), name.hasSuffix("attn_v.weight") || name.hasSuffix("ffn_down.weight"),
                  usesMoreBits(layer: layer, of: layerCount) {
            type = .q6_K
        }
        return columns % type.blockSize == 0 ? type : fallback(type)
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
