// A sample's entry point: a function `name`, or a method `Class.name` of a top-level class.
import Constraints
import Store

struct EntryPoint: Equatable {
    /// The class of a method; nil for a function or a whole class.
    let owner: String?
    /// The function's, method's or class's own name.
    let name: String
    /// A whole class as the sample (`class Name`): tests build one object and call its public methods in order.
    let isClass: Bool

    init(_ text: String) {
        if text.hasPrefix("class ") {
            owner = nil
            name = String(text.dropFirst(6))
            isClass = true
        } else if let dot = text.lastIndex(of: ".") {
            owner = String(text[..<dot])
            name = String(text[text.index(after: dot)...])
            isClass = false
        } else {
            owner = nil
            name = text
            isClass = false
        }
    }

    var isMethod: Bool { owner != nil }

    /// What the response parsers look for in an answer: a function's name, or `class Name`.
    var parsedName: String { isClass ? "class \(name)" : name }

    /// The answer of a rewrite (or back-translation with an instruction): one instruction sentence and a block whose
    /// first definition is this entry point; the looser grammar where the name is not an identifier.
    var answerGrammar: Grammar {
        (try? isClass ? BuiltInConstraints.instructionAndCode(className: name) : BuiltInConstraints.instructionAndCode(function: name))
            ?? BuiltInConstraints.instructionAndCode
    }

    /// How a test reads as code: a method's or a class's display is its whole call already (`Tally(0).add(5)`,
    /// `obj = Tally(0); obj.add(5); obj.undo()`), a function's is its arguments.
    static func call(_ entry: String, arguments: String) -> String {
        let point = EntryPoint(entry)
        return point.isMethod || point.isClass ? arguments : "\(entry)(\(arguments))"
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
