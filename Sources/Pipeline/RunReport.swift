// `semi-instruct report`: one self-contained HTML page about a run — funnel, reasons, distributions,
// dedup clusters and a filterable list of the exported and the rejected samples — with inline SVG and no network access.
import Foundation
import Store

public enum RunReport {
    public static func html(store: RunDatabase, path: String) throws -> String {
        let summary = try RunInspector.summary(store, path: path)
        let samples = try store.samples()
        var instructionLengths: [Double] = [], codeLines: [Double] = [], testsPerSample: [Double] = []
        var clusterSizes: [Int: Int] = [:], similarities: [Double] = []
        var lineCoverage: [Double] = [], decisionCoverage: [Double] = [], distinctOutputs: [Double] = [], derivedTests: [Double] = []
        var mutationScores: [Double] = [], faithfulness: [Double] = []
        var instructionSources: [String: Int] = [:]
        for sample in samples {
            if let adequacy = try store.adequacy(of: sample.id) {
                if let coverage = adequacy.lineCoverage { lineCoverage.append(coverage * 100) }
                if let coverage = adequacy.branchCoverage { decisionCoverage.append(coverage * 100) }
                if let score = adequacy.mutationScore { mutationScores.append(score * 100) }
                distinctOutputs.append(Double(adequacy.distinctOutputs))
                derivedTests.append(Double(adequacy.derivedCases))
            }
            if let rewrite = try store.rewrite(of: sample.id) {
                instructionLengths.append(Double(rewrite.instruction.count))
                instructionSources[rewrite.instructionSource ?? "unrecorded", default: 0] += 1
                codeLines.append(Double(rewrite.code.split(separator: "\n").count))
            }
            if let rank = try store.rank(of: sample.id) { testsPerSample.append(Double(rank.testsTotal)) }
            if let record = try store.faithfulness(of: sample.id) { faithfulness.append(record.score * 100) }
            if let dedup = try store.dedup(of: sample.id) {
                // Cluster -1: a repeat of a corpus already shipped, taken out before clustering.
                if dedup.cluster >= 0 { clusterSizes[dedup.cluster, default: 0] += 1 }
                if let similarity = dedup.similarity { similarities.append(similarity) }
            }
        }
        // People judge a dataset by reading it: the exported samples are listed beside the rejected ones.
        let final = DatasetCard.finalStage(summary.stages)
        let exported = try store.kept(by: final.rawValue).map { try RunInspector.detail(store, id: $0.id) }
        let rejected = try store.rejections().map { try RunInspector.detail(store, id: $0.sampleId) }
        let funnel = summary.stages.filter { $0.kept + $0.rejected > 0 }
        let reasons = funnel.flatMap { stage in stage.reasons.map { ("\(stage.stage): \($0.reason)", Double($0.count)) } }

        var body = "<h1>semi-instruct run</h1><p class=meta>\(escape(path)) — \(summary.samples) items, "
            + "\(summary.stages.last { $0.kept + $0.rejected > 0 }?.kept ?? 0) kept at the end</p>"
        body += section("Funnel", SVGChart.bars(funnel.map { ($0.stage, Double($0.kept)) }, secondary: funnel.map { Double($0.rejected) },
                                                 legend: ("kept", "rejected")))
        body += section("Rejection reasons", reasons.isEmpty ? "<p>none</p>" : SVGChart.bars(reasons) + reasonTable(funnel))
        body += section("Where instructions came from (samples with a rewrite)",
                        instructionSources.isEmpty ? "<p>no data</p>" : SVGChart.bars(instructionSources.sorted { $0.key < $1.key }.map { ($0.key, Double($0.value)) }))
        body += section("Faithfulness (% of held-back cases a function written from the instruction alone gets right)",
                        SVGChart.histogram(faithfulness, axis: "faithfulness (%)"))
        body += section("Instruction length (characters)", SVGChart.histogram(instructionLengths, axis: "characters"))
        body += section("Code length (lines)", SVGChart.histogram(codeLines, axis: "lines"))
        body += section("Tests per sample", SVGChart.histogram(testsPerSample, axis: "tests"))
        body += section("Lines of the original the tests run (%, per test set)", SVGChart.histogram(lineCoverage, axis: "line coverage (%)"))
        body += section("Decision outcomes the tests reach (%, per test set with decisions)", SVGChart.histogram(decisionCoverage, axis: "decision coverage (%)"))
        body += section("Mutants of the original the tests tell apart (%, per test set)", SVGChart.histogram(mutationScores, axis: "mutation score (%)"))
        body += section("Distinct normal outputs per test set", SVGChart.histogram(distinctOutputs, axis: "distinct outputs"))
        body += section("Derived inputs per test set", SVGChart.histogram(derivedTests, axis: "derived inputs"))
        body += section("Dedup cluster sizes", SVGChart.histogram(clusterSizes.values.map(Double.init), axis: "samples in the cluster"))
        body += section("Similarity to the nearest earlier item", SVGChart.histogram(similarities, axis: "cosine similarity"))
        body += "<section><h2>Samples</h2><input id=filter placeholder='filter by stage, reason, text'>"
            + "<select id=kind><option value=''>exported and rejected</option><option value=exported>exported (\(exported.count))</option>"
            + "<option value=rejected>rejected (\(rejected.count))</option></select>"
            + "<select id=stage><option value=''>every stage</option>"
            + funnel.map { "<option>\(escape($0.stage))</option>" }.joined() + "</select><div id=samples></div></section>"
        struct Listed: Encodable { var exported: Bool; var sample: SampleDetail }
        let listed = exported.map { Listed(exported: true, sample: $0) } + rejected.map { Listed(exported: false, sample: $0) }
        let data = String(decoding: try JSONEncoder().encode(listed), as: UTF8.self)
            .replacingOccurrences(of: "</", with: "<\\/")
        return """
            <!doctype html><html lang=en><head><meta charset=utf-8><title>semi-instruct report</title>
            <style>\(style)</style></head><body>\(body)
            <script id=data type="application/json">\(data)</script><script>\(script)</script></body></html>
            """
    }

    /// What each reason in the run means, from the one list `inspect --reasons` prints.
    static func reasonTable(_ funnel: [StageCount]) -> String {
        var rows = "<table class=reasons><tr><th>stage</th><th>reason</th><th>samples</th><th>meaning</th></tr>"
        for stage in funnel {
            for reason in stage.reasons {
                let meaning = RejectionReason(rawValue: reason.reason)?.meaning ?? ""
                rows += "<tr><td>\(escape(stage.stage))</td><td><code>\(escape(reason.reason))</code></td><td>\(reason.count)</td>"
                    + "<td>\(escape(meaning))</td></tr>"
            }
        }
        return rows + "</table>"
    }

    static func section(_ title: String, _ content: String) -> String {
        "<section class=chart><h2>\(escape(title))</h2>\(content)</section>"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let style = """
        body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}h1{margin-bottom:0}.meta{color:#666}
        section{margin:1.5em 0}svg text{font:11px system-ui,sans-serif}pre{background:#f6f6f6;padding:.6em;overflow:auto}
        details{border:1px solid #ddd;margin:.3em 0;padding:.3em .6em}summary{cursor:pointer}.bad{color:#b00}.ok{color:#070}
        input,select{margin:.3em .3em .6em 0;padding:.3em}
        table.reasons{border-collapse:collapse;margin-top:.6em}table.reasons td,table.reasons th{text-align:left;padding:.15em .8em .15em 0}
        """

    /// Renders the exported and rejected samples from the embedded JSON and filters them as the user types.
    static let script = """
        const samples = JSON.parse(document.getElementById('data').textContent);
        const list = document.getElementById('samples'), filter = document.getElementById('filter'), stage = document.getElementById('stage');
        const kind = document.getElementById('kind');
        function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
        function render() {
          const needle = filter.value.toLowerCase(); list.textContent = '';
          for (const {exported, sample: s} of samples) {
            if (kind.value && (kind.value === 'exported') !== exported) continue;
            const last = s.outcomes.filter(o => !o.kept)[0] || {};
            if (stage.value && !exported && last.stage !== stage.value) continue;
            const text = [s.id, s.source, s.entryPoint, last.stage, last.reason, last.detail, s.code, s.instruction].join(' ').toLowerCase();
            if (needle && !text.includes(needle)) continue;
            const d = el('details'); d.className = 'sample';
            const scores = (s.faithfulness ? ` faithfulness ${s.faithfulness.score.toFixed(2)}` : '') + (s.rank && s.rank.mutationScore != null ? ` mutation score ${s.rank.mutationScore.toFixed(2)}` : '');
            d.appendChild(el('summary', exported ? `${s.id}  exported —${scores} — ${s.entryPoint} (${s.source}:${s.line})`
              : `${s.id}  ${last.stage}: ${last.reason} — ${s.entryPoint || '(no function)'} (${s.source}:${s.line})`));
            if (!exported) d.appendChild(el('p', last.detail || '', 'bad'));
            d.appendChild(el('h4', 'original code')); d.appendChild(el('pre', s.code));
            if (s.instruction) { d.appendChild(el('h4', `instruction (from ${s.instructionSource || '?'})`)); d.appendChild(el('pre', s.instruction)); }
            if (s.rewrite && exported) { d.appendChild(el('h4', 'response code')); d.appendChild(el('pre', s.rewrite)); }
            if (s.evidence.length) { d.appendChild(el('h4', 'runs the model saw')); d.appendChild(el('pre', s.evidence.join('\\n'))); }
            if (s.claims.length) { d.appendChild(el('h4', 'claims checked')); d.appendChild(el('pre', s.claims.map(c => `${c.passed ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}`).join('\\n'))); }
            if (s.faithfulness) { d.appendChild(el('h4', `back-translation: ${s.faithfulness.passed}/${s.faithfulness.total} held-back cases right`)); d.appendChild(el('pre', s.faithfulness.code || s.faithfulness.detail || '')); }
            if (s.diff) { d.appendChild(el('h4', 'rewrite (diff)')); d.appendChild(el('pre', s.diff)); }
            if (s.cases.length) {
              d.appendChild(el('h4', 'test cases'));
              // A method's or a class's input is its whole call already.
              const whole = s.entryPoint.includes('.') || s.entryPoint.startsWith('class ');
              d.appendChild(el('pre', s.cases.map(c => (whole ? `${c.input}  ` : `${s.entryPoint}(${c.input})  `) + (c.origin === 'derived' ? `[derived: ${c.derivation}]  ` : '') + (c.dropped ? `dropped: ${c.dropped}` :
                `expected ${c.expected}` + (c.actual !== undefined && c.actual !== null ? `, got ${c.actual}` : '') + (c.firstMismatch ? '   <- first mismatch' : ''))).join('\\n')));
            }
            if (s.adequacy) { const a = s.adequacy; d.appendChild(el('p', `tests: ${a.modelCases} model + ${a.derivedCases} derived inputs, ${a.distinctOutputs} distinct outputs, lines ${a.linesCovered}/${a.linesTotal}, decision outcomes ${a.branchesCovered}/${a.branchesTotal}, mutants told apart ${a.mutantsKilled}/${a.mutants}; original: ${a.original}`)); }
            for (const call of s.modelCalls) { d.appendChild(el('h4', `model output, ${call.stage} attempt ${call.attempt + 1}`)); d.appendChild(el('pre', call.output)); }
            for (const x of s.executions.filter(x => x.stderr)) { d.appendChild(el('h4', `stderr, ${x.run} case ${x.caseIndex}`)); d.appendChild(el('pre', x.stderr)); }
            if (s.dedup && s.dedup.duplicateOf) d.appendChild(el('p', `duplicate of ${s.dedup.duplicateOf} (similarity ${s.dedup.similarity})`));
            list.appendChild(d);
          }
          if (!list.childElementCount) list.appendChild(el('p', 'no sample matches'));
        }
        filter.addEventListener('input', render); stage.addEventListener('change', render); kind.addEventListener('change', render); render();
        """
}

/// Inline SVG bar charts and histograms, so the report needs no script library and no network.
enum SVGChart {
    static func bars(_ items: [(String, Double)], secondary: [Double]? = nil, legend: (String, String)? = nil) -> String {
        let rowHeight = 20, labelWidth = 260, width = 760
        let top = max(1, items.enumerated().map { $0.element.1 + (secondary?[$0.offset] ?? 0) }.max() ?? 1)
        var svg = "<svg class=bars role=img width=\(width) height=\(items.count * rowHeight + 24)>"
        for (index, (label, value)) in items.enumerated() {
            let y = index * rowHeight
            let w = Int(Double(width - labelWidth - 60) * value / top)
            svg += "<text x=0 y=\(y + 14)>\(RunReport.escape(label))</text>"
            svg += "<rect x=\(labelWidth) y=\(y + 3) width=\(w) height=14 fill='#4a7'><title>\(Int(value))</title></rect>"
            var end = labelWidth + w
            if let extra = secondary?[index], extra > 0 {
                let w2 = Int(Double(width - labelWidth - 60) * extra / top)
                svg += "<rect x=\(end) y=\(y + 3) width=\(w2) height=14 fill='#c55'><title>\(Int(extra))</title></rect>"
                end += w2
            }
            svg += "<text x=\(end + 4) y=\(y + 14)>\(Int(value))\(secondary.map { " / \(Int($0[index]))" } ?? "")</text>"
        }
        if let legend {
            svg += "<text x=\(labelWidth) y=\(items.count * rowHeight + 18) fill='#4a7'>■ \(legend.0)</text>"
            svg += "<text x=\(labelWidth + 90) y=\(items.count * rowHeight + 18) fill='#c55'>■ \(legend.1)</text>"
        }
        return svg + "</svg>"
    }

    /// Bars with their counts on top, the value axis labelled under them, the count axis beside them.
    static func histogram(_ values: [Double], bins: Int = 12, axis: String = "value") -> String {
        guard let low = values.min(), let high = values.max() else { return "<p>no data</p>" }
        let span = high > low ? high - low : 1
        var counts = [Int](repeating: 0, count: bins)
        for value in values { counts[min(bins - 1, Int((value - low) / span * Double(bins)))] += 1 }
        let width = 600, height = 140, barWidth = width / bins
        let top = Double(max(1, counts.max() ?? 1))
        let left = 50, top0 = 16
        var svg = "<svg class=histogram role=img width=\(width + left) height=\(height + top0 + 36)>"
        svg += "<text x=0 y=\(top0 + height / 2) transform='rotate(-90 10 \(top0 + height / 2))'>samples</text>"
        for (index, count) in counts.enumerated() {
            let h = Int(Double(height) * Double(count) / top)
            let from = low + span * Double(index) / Double(bins), to = low + span * Double(index + 1) / Double(bins)
            let x = left + index * barWidth
            svg += "<rect x=\(x) y=\(top0 + height - h) width=\(barWidth - 2) height=\(h) fill='#47a'>"
                + "<title>\(String(format: "%.3g", from))–\(String(format: "%.3g", to)): \(count)</title></rect>"
            if count > 0 { svg += "<text x=\(x + 2) y=\(top0 + height - h - 3)>\(count)</text>" }
        }
        svg += "<text x=\(left) y=\(top0 + height + 14)>\(String(format: "%.3g", low))</text>"
        svg += "<text x=\(left + width - 40) y=\(top0 + height + 14)>\(String(format: "%.3g", high))</text>"
        svg += "<text x=\(left + width / 2 - 40) y=\(top0 + height + 30)>\(RunReport.escape(axis))</text>"
        return svg + "</svg><p class=meta>\(values.count) values</p>"
    }
}
