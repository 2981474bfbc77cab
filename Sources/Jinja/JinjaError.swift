// What went wrong in a template, and where: a template we cannot run is an error naming the construct,
// never a silently different prompt.
import Foundation

public struct JinjaError: Error, LocalizedError, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The template is not valid Jinja.
        case syntax
        /// Valid Jinja that this interpreter does not implement (named in the message).
        case unsupported
        /// Rendering failed (a type error, an undefined value used, a bad argument).
        case runtime
        /// The template called `raise_exception(message)`: the message is the template's own.
        case raised
    }

    public let kind: Kind
    public let message: String
    /// 1-based line in the template source, when known.
    public let line: Int?

    public init(_ kind: Kind, _ message: String, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
    }

    public var errorDescription: String? {
        switch kind {
        case .raised: "the chat template refused the conversation: \(message)"
        case .syntax: "chat template syntax error\(where_): \(message)"
        case .unsupported: "chat template uses what this engine does not support\(where_): \(message)"
        case .runtime: "chat template failed\(where_): \(message)"
        }
    }

    private var where_: String { line.map { " at line \($0)" } ?? "" }

    /// The same error, placed at `line` unless it already names one.
    func at(_ line: Int) -> JinjaError { self.line == nil ? JinjaError(kind, message, line: line) : self }
}
