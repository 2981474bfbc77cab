import Foundation
import Pipeline
import Store
import Testing

/// The HTML report rendered by headless Chromium (installed by `make setup`): it must load without console
/// errors, and its charts and the script-built list of exported and rejected samples must be in the rendered DOM.
@Suite struct ReportTests {
    @Test func reportRendersInHeadlessChromiumWithoutConsoleErrors() async throws {
        let run = try temporaryDirectory("report")
        defer { try? FileManager.default.removeItem(at: run) }
        let result = try await BuildPipelineTests.build([BuildPipelineTests.lists, BuildPipelineTests.rejects], in: run)
        let store = try RunDatabase(path: result.databasePath)
        let page = run.appendingPathComponent("report.html")
        try RunReport.html(store: store, path: result.databasePath).write(to: page, atomically: true, encoding: .utf8)
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(!html.contains("http://") && !html.contains("https://"), "the page must not reach the network")

        let chromium = Process()
        chromium.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        chromium.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                              "--user-data-dir=\(run.appendingPathComponent("profile").path)", "--dump-dom", page.absoluteString]
        let out = Pipe(), err = Pipe()
        chromium.standardOutput = out
        chromium.standardError = err
        try chromium.run()
        let errors = Task { err.fileHandleForReading.readDataToEndOfFile() }
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let log = String(decoding: await errors.value, as: UTF8.self)
        chromium.waitUntilExit()
        #expect(chromium.terminationStatus == 0)
        // Any console message (an error, an uncaught exception) is logged by Chromium as a CONSOLE line.
        #expect(!log.contains(":CONSOLE"), "\(log.split(separator: "\n").filter { $0.contains("CONSOLE") })")
        #expect(dom.components(separatedBy: "<svg").count - 1 >= 5)
        let rejected = try store.rejections().count
        #expect(rejected > 0)
        let exported = try store.kept(by: "semdedup").count
        #expect(exported > 0)
        #expect(dom.components(separatedBy: "<details class=\"sample\"").count - 1 == rejected + exported)
        #expect(dom.contains("first mismatch") && dom.contains("nondeterministic"))
        // Exported samples with their scores and back-translation; charts with labelled axes and counts.
        #expect(dom.contains("exported — faithfulness") && dom.contains("back-translation: ") && dom.contains("instruction (from model)"))
        #expect(dom.contains("Faithfulness (%") && dom.contains(">faithfulness (%)</text>") && dom.contains(">samples</text>"))
    }
}
