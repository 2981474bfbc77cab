// A sample's entry point: a function `name`, or a method `Class.name` of a top-level class.
import Store

struct EntryPoint: Equatable {
    /// The class of a method; nil for a function.
    let owner: String?
    /// The function's or method's own name.
    let name: String

    init(_ text: String) {
        if let dot = text.lastIndex(of: ".") {
            owner = String(text[..<dot])
            name = String(text[text.index(after: dot)...])
        } else {
            owner = nil
            name = text
        }
    }

    var isMethod: Bool { owner != nil }

    /// How a test reads as code: a method's display is its whole call already (`Tally(0).add(5)`), a function's is
    /// its arguments.
    static func call(_ entry: String, arguments: String) -> String {
        EntryPoint(entry).isMethod ? arguments : "\(entry)(\(arguments))"
    }
}

/// What models are shown of samples: a method's class with its other methods cut to their signatures; a function as
/// it is. One Python call for a batch, none when the batch holds no method.
enum ModelView {
    static func of(_ samples: [SampleRecord], code: (SampleRecord) -> String = { $0.code }, withoutEntry: Bool = false) throws -> [String: String] {
        let methods = samples.filter { EntryPoint($0.entryPoint).isMethod }
        guard !methods.isEmpty else { return [:] }
        let views = try PythonTools.views(methods.map { (code($0), $0.entryPoint) }, withoutEntry: withoutEntry)
        return Dictionary(zip(methods.map(\.id), views), uniquingKeysWith: { first, _ in first })
    }
}
