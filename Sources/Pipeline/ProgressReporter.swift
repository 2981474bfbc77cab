// Progress: a live line on a terminal, periodic plain lines otherwise, JSON lines on request, or nothing.
import Foundation

public final class ProgressReporter: @unchecked Sendable {
    public enum Mode: Sendable { case terminal, plain, json, quiet }

    private let mode: Mode
    private let lock = NSLock()
    private var totals: [StageName: Int] = [:]
    private var done: [StageName: Int] = [:]
    private var started: [StageName: Date] = [:]
    private var lastPrint = Date.distantPast
    private let interval: TimeInterval

    public init(mode: Mode, interval: TimeInterval = 5) {
        self.mode = mode
        self.interval = interval
    }

    /// Terminal when stderr is a TTY, plain lines otherwise.
    public static func automatic(quiet: Bool, json: Bool) -> ProgressReporter {
        if quiet { return ProgressReporter(mode: .quiet) }
        if json { return ProgressReporter(mode: .json) }
        return ProgressReporter(mode: isatty(STDERR_FILENO) == 1 ? .terminal : .plain)
    }

    public func begin(_ stage: StageName, total: Int) {
        lock.withLock {
            totals[stage] = total
            done[stage] = 0
            started[stage] = Date()
        }
        emit(stage, force: true)
    }

    public func advance(_ stage: StageName, by count: Int) {
        lock.withLock { done[stage, default: 0] += count }
        emit(stage, force: false)
    }

    public func finish(_ stage: StageName) {
        emit(stage, force: true)
        if mode == .terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    public func message(_ text: String) {
        switch mode {
        case .quiet: return
        case .json: write(jsonLine(["event": "message", "text": text]))
        case .terminal, .plain: write(text + "\n")
        }
    }

    private func emit(_ stage: StageName, force: Bool) {
        let line: (text: String, object: [String: Any])? = lock.withLock {
            let now = Date()
            guard force || now.timeIntervalSince(lastPrint) >= (mode == .terminal ? 0.2 : interval) else { return nil }
            lastPrint = now
            let total = totals[stage] ?? 0, count = done[stage] ?? 0
            let seconds = now.timeIntervalSince(started[stage] ?? now)
            let rate = seconds > 0 ? Double(count) / seconds : 0
            let eta = rate > 0 ? Double(total - count) / rate : 0
            let text = stage.rawValue.padding(toLength: 21, withPad: " ", startingAt: 0)
                + String(format: "%5d/%-5d %7.2f/s  ETA ", count, total, rate) + Self.clock(eta)
            return (text, ["event": "progress", "stage": stage.rawValue, "done": count, "total": total,
                           "per_second": rate, "eta_seconds": eta])
        }
        guard let (text, object) = line.map({ ($0.text, $0.object) }) else { return }
        switch mode {
        case .quiet: return
        case .terminal: write("\r\u{1B}[2K" + text)
        case .plain: write(text + "\n")
        case .json: write(jsonLine(object))
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    private func jsonLine(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
