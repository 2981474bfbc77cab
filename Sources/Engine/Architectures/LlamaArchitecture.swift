// Llama and the models shaped like it: the plain layer every other family is described against.
extension DecoderArchitecture {
    public static let llama = DecoderArchitecture(
        name: "llama", modelTypes: ["llama", "mistral"],
        knownModels: "Llama 2, SmolLM2, TinyLlama, Mistral 7B, DeepSeek-Coder (without RoPE scaling)",
        ggufRopeStyle: .interleaved)
}
