// What `/metrics` shows, in Prometheus text: requests by endpoint and status, tokens, requests in flight and
// queued, the batch and its KV memory, and the decode rate over the last minute.
import Engine
import Foundation
import Prometheus

final class ServerMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    private let promptTokens: Counter
    private let generatedTokens: Counter
    private let inFlight: Gauge
    private let queued: Gauge
    private let running: Gauge
    private let kvInUse: Gauge
    private let kvCapacity: Gauge
    private let tokensPerSecond: Gauge
    private let latency: DurationHistogram
    private let lock = NSLock()
    private var requestCounters: [String: Counter] = [:]
    private var inFlightCount = 0
    /// Finished requests' (time, tokens) over the rate window.
    private var recent: [(time: Double, tokens: Int)] = []
    static let rateWindow = 60.0

    init() {
        promptTokens = registry.makeCounter(name: "semi_instruct_prompt_tokens_total", help: "Prompt tokens read")
        generatedTokens = registry.makeCounter(name: "semi_instruct_generated_tokens_total", help: "Tokens generated")
        inFlight = registry.makeGauge(name: "semi_instruct_requests_in_flight", help: "Requests being answered")
        queued = registry.makeGauge(name: "semi_instruct_queue_depth", help: "Sequences waiting for a place in the batch")
        running = registry.makeGauge(name: "semi_instruct_batch_sequences", help: "Sequences decoding in the batch")
        kvInUse = registry.makeGauge(name: "semi_instruct_kv_cache_bytes_in_use", help: "KV cache memory held")
        kvCapacity = registry.makeGauge(name: "semi_instruct_kv_cache_bytes_capacity", help: "KV cache memory bound")
        tokensPerSecond = registry.makeGauge(name: "semi_instruct_generated_tokens_per_second",
                                             help: "Tokens generated per second over the last minute")
        latency = registry.makeDurationHistogram(
            name: "semi_instruct_request_duration_seconds",
            buckets: [.milliseconds(50), .milliseconds(250), .seconds(1), .seconds(5), .seconds(30), .seconds(120), .seconds(600)],
            help: "Time to answer a request")
    }

    func started() { lock.withLock { inFlightCount += 1; inFlight.set(Double(inFlightCount)) } }

    func finished(endpoint: String, status: Int, duration: Duration) {
        let counter = lock.withLock {
            inFlightCount -= 1
            inFlight.set(Double(inFlightCount))
            let key = "\(endpoint) \(status)"
            if let known = requestCounters[key] { return known }
            let made = registry.makeCounter(name: "semi_instruct_requests_total", labels: [("endpoint", endpoint), ("status", String(status))],
                                            help: "Requests answered")
            requestCounters[key] = made
            return made
        }
        counter.increment()
        latency.record(duration)
    }

    func generated(prompt: Int, completion: Int) {
        promptTokens.increment(by: Int64(prompt))
        generatedTokens.increment(by: Int64(completion))
        let now = Date().timeIntervalSince1970
        lock.withLock { recent.append((now, completion)) }
    }

    /// The text a scrape gets, gauges read from the engine now.
    func exposition(engine statistics: BatchStatistics?, unfinished: Int) -> String {
        if let statistics {
            running.set(Double(statistics.runningSequences))
            queued.set(Double(max(0, unfinished - statistics.runningSequences)))
            kvInUse.set(Double(statistics.kvBytesInUse))
            kvCapacity.set(Double(statistics.kvBytesCapacity))
        }
        let now = Date().timeIntervalSince1970
        let tokens = lock.withLock {
            recent.removeAll { now - $0.time > Self.rateWindow }
            return recent.reduce(0) { $0 + $1.tokens }
        }
        tokensPerSecond.set(Double(tokens) / Self.rateWindow)
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
