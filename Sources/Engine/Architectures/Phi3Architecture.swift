// Phi-3: Llama with q, k and v stored as one tensor (`qkv_proj`, GGUF `attn_qkv`: q rows, then k, then v) and gate
// and up as another (`gate_up_proj`, GGUF's fused `ffn_up`: gate rows, then up), split into their parts at load.
// llama.cpp runs it with NEOX RoPE, so its GGUFs keep q/k rows as Hugging Face stores them.
extension DecoderArchitecture {
    public static let phi3 = DecoderArchitecture(
        name: "phi3", modelTypes: ["phi3"], knownModels: "Phi-3-mini, Phi-3-medium (without LongRoPE)",
        features: DecoderFeatures(fusedTensors: true), ggufRopeStyle: .halves)
}
