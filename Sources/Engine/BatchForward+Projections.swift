// What some families do to a row's query, key and value projections before RoPE (see Architectures/): Qwen2 adds
// biases, Qwen3 normalises each query and key head. Plain Llama layers skip this pass.
import Kernels

extension BatchForward {
    /// Whether a layer's projections need `shapeProjections` at all.
    static func reshapes(_ layer: LlamaLayerWeights) -> Bool { layer.biases != nil || layer.headNorms != nil }

    /// Adds row `r`'s q/k/v biases and applies the per-head q/k RMSNorm, where the layer has them.
    func shapeProjections(_ r: Int, layer: LlamaLayerWeights) {
        let c = model.config, hd = c.headDimension
        let q = self.q + r * c.queryDimension, k = self.k + r * c.kvDimension, v = self.v + r * c.kvDimension
        if let biases = layer.biases {
            Ops.add(q, biases.query, count: c.queryDimension)
            Ops.add(k, biases.key, count: c.kvDimension)
            Ops.add(v, biases.value, count: c.kvDimension)
        }
        if let norms = layer.headNorms {
            for h in 0..<c.headCount { Ops.rmsNorm(q + h * hd, weight: norms.query, epsilon: c.rmsNormEpsilon, count: hd, into: q + h * hd) }
            for h in 0..<c.kvHeadCount { Ops.rmsNorm(k + h * hd, weight: norms.key, epsilon: c.rmsNormEpsilon, count: hd, into: k + h * hd) }
        }
    }
}
