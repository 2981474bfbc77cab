// A parsed Jinja template, rendered the way transformers' `apply_chat_template` renders chat templates
// (jinja2 with trim_blocks, lstrip_blocks and loop controls; `raise_exception`, `strftime_now` and a
// `tojson` that keeps non-ASCII text). Parsing checks every statement, filter and test name up front,
// so a template using something we do not implement fails on load, naming it.
import Foundation

public struct JinjaTemplate: Sendable {
    public let source: String
    let nodes: [JinjaNode]

    public init(_ source: String) throws(JinjaError) {
        self.source = source
        nodes = try JinjaParser.parse(source)
    }

    /// Renders with `variables` as the template's globals; `now` is the date `strftime_now` formats.
    public func render(_ variables: [String: JinjaValue], now: Date = Date()) throws(JinjaError) -> String {
        let renderer = JinjaRenderer(variables: variables, now: now)
        var out = ""
        _ = try renderer.render(nodes, into: &out)
        return out
    }
}
