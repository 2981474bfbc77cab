// `semi-instruct model quantize INPUT.gguf OUTPUT.gguf --type TYPE`: a GGUF model re-encoded in another tensor
// type, one tensor at a time, with every metadata key kept (what llama.cpp's llama-quantize does).
import ArgumentParser
import Foundation
import Kernels
import ModelFiles

struct ModelQuantize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write a GGUF model's matrices in another tensor type (Q8_0, Q4_K_M, ...), keeping its metadata.",
        discussion: """
            Matrices get TYPE (Q4_K_M: llama.cpp's mix of Q4_K and Q6_K); norms and other 1-D tensors keep their \
            type. Rows whose length does not fill TYPE's blocks fall back to a 32-value block type (Q4_K -> Q5_0, \
            Q5_K -> Q5_1, Q6_K -> Q8_0) or F16, with a note. Requantizing an already-quantized file cannot restore \
            the precision the input lost.
            """)

    @Argument(help: "The GGUF model to read.")
    var input: String

    @Argument(help: "The GGUF file to write; it must not exist yet.")
    var output: String

    @Option(help: "Target type: \(GGUFQuantTarget.names.joined(separator: ", ")).")
    var type: String

    @Option(help: "Threads that share each tensor's rows.")
    var threads: Int = 2

    func validate() throws {
        guard GGUFQuantTarget(name: type) != nil else {
            throw ValidationError("--type \(type) is not one of \(GGUFQuantTarget.names.joined(separator: ", "))")
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() async throws {
        let target = GGUFQuantTarget(name: type)!
        let file = try GGUFFile(url: URL(fileURLWithPath: input))
        let quantizer = try GGUFQuantizer(input: file, target: target)
        var log = StandardError()
        let requantized = quantizer.steps.filter { $0.from.isQuantized && !$0.copiesBytes }
        if !requantized.isEmpty {
            print("note: \(requantized.count) tensors are already quantized in \(input); requantizing them cannot restore "
                  + "the precision the input lost", to: &log)
        }
        let count = quantizer.steps.count
        let width = String(count).count
        let started = Date()
        try quantizer.write(to: URL(fileURLWithPath: output), threads: threads) { step, index in
            let position = String(format: "%\(width)ld", index + 1)
            let action = step.copiesBytes ? "\(step.to) (copied)" : "\(step.from) -> \(step.to)"
            let note = step.note.map { " (\($0))" } ?? ""
            print("[\(position)/\(count)] \(step.name) \(step.shape.map(String.init).joined(separator: "x")) \(action)\(note)", to: &log)
        }
        let seconds = Date().timeIntervalSince(started)
        var types: [TensorType: Int] = [:]
        for step in quantizer.steps { types[step.to, default: 0] += 1 }
        let mix = types.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let written = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        print("wrote \(output) (\(target)): \(count) tensors (\(mix)), \(Self.megabytes(written)) "
              + "from \(Self.megabytes(file.fileSize)), in \(String(format: "%.1f", seconds)) s")
        let fellBack = quantizer.steps.filter { $0.note != nil }.count
        if fellBack > 0 { print("\(fellBack) tensors got a fallback type: their rows do not fill \(target)'s blocks") }
        if !requantized.isEmpty {
            print("\(requantized.count) tensors were requantized from an already-quantized input: precision the input lost is not restored")
        }
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
}
