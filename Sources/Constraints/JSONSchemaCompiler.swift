// JSON schemas as grammars: the output is one JSON value the schema accepts.
// Supported: type (one or a list), object properties with required (required keys first in the order
// `required` lists them, then optional keys in name order; no other keys), array items with
// minItems/maxItems, string minLength/maxLength, enum, const, anyOf/oneOf, and $ref to #/$defs/NAME or
// #/definitions/NAME. Annotations (title, description, default, examples, format, $schema, $id) are
// ignored. Other keywords (pattern, allOf, not, if, ...) are errors naming where they are.
import Foundation

public enum JSONSchemaCompiler {
    public static func compile(_ data: Data, source: String = "<schema>") throws(ConstraintError) -> Grammar {
        let schema: Any
        do {
            schema = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let detail = (error as NSError).userInfo["NSDebugDescription"] as? String ?? error.localizedDescription
            let offset = detail.split(separator: " ").last.flatMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) } ?? 0
            let place = lineAndColumn(of: offset, in: Array(data))
            throw .syntax(kind: "JSON", source: source, offset: offset, line: place.line, column: place.column,
                          expected: "valid JSON (\(detail))")
        }
        var compiler = SchemaCompiler(root: schema, source: source)
        let root = try compiler.expression(schema, pointer: "")
        let rules = [GrammarDefinition.Rule(name: "root", expression: root)] + compiler.rules
        return try Grammar(GrammarDefinition(rules: rules, source: source),
                           key: "json-schema:" + String(decoding: data, as: UTF8.self))
    }

    public static func compile(file path: String) throws(ConstraintError) -> Grammar {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "JSON schema file not found or unreadable")
        }
        return try compile(data, source: path)
    }

    /// Any JSON object (the generic form for stages that want several fields).
    public static let anyObject: Grammar = {
        var compiler = SchemaCompiler(root: [:] as [String: Any], source: "<json object>")
        let rules = [GrammarDefinition.Rule(name: "root", expression: compiler.general("object"))] + compiler.rules
        return try! Grammar(GrammarDefinition(rules: rules, source: "<json object>"), key: "builtin:json-object")
    }()
}

struct SchemaCompiler {
    let root: Any
    let source: String
    var rules: [GrammarDefinition.Rule] = []
    var defined: Set<String> = []
    var objectCount = 0

    init(root: Any, source: String) {
        self.root = root
        self.source = source
    }

    static let annotations: Set<String> = ["title", "description", "default", "examples", "format", "$schema", "$id",
                                           "$comment", "$defs", "definitions", "additionalProperties", "readOnly", "writeOnly"]
    static let supported: Set<String> = ["type", "properties", "required", "items", "minItems", "maxItems", "minLength",
                                         "maxLength", "enum", "const", "anyOf", "oneOf", "$ref"]

    func fail(_ pointer: String, _ expected: String) -> ConstraintError {
        .schema(source: source, pointer: pointer, expected: expected)
    }

    /// A shared rule whose definition cannot fail.
    mutating func fixed(_ name: String, _ make: (inout SchemaCompiler) -> GrammarExpression) -> GrammarExpression {
        if !defined.contains(name) {
            defined.insert(name)
            let expression = make(&self)
            rules.append(.init(name: name, expression: expression))
        }
        return .ref(name)
    }

    /// The general rules: value, object, array, string, number, integer, boolean, null, ws.
    mutating func general(_ name: String) -> GrammarExpression {
        fixed(name) { compiler in
            switch name {
            case "ws": return .optional(.choice([.literal(" "), .sequence([.literal("\n"), .repetition(.characters([0x20...0x20, 0x09...0x09]), min: 0, max: 12)])]))
            case "string":
                let hex = GrammarExpression.characters([0x30...0x39, 0x41...0x46, 0x61...0x66])
                let plain = GrammarExpression.characters(notIn: [0...0x1F, 0x22...0x22, 0x5C...0x5C])
                // \u escapes of lone surrogates are valid JSON text but not valid strings for most parsers.
                let unicode = GrammarExpression.sequence([.literal("u"), .choice([
                    .sequence([.characters([0x30...0x39, 0x41...0x43, 0x45...0x46, 0x61...0x63, 0x65...0x66]), hex, hex, hex]),
                    .sequence([.characters([0x44...0x44, 0x64...0x64]), .characters([0x30...0x37]), hex, hex]),
                ])])
                let escape = GrammarExpression.sequence([.literal("\\"), .choice([.characters([0x22...0x22, 0x5C...0x5C, 0x2F...0x2F, 0x62...0x62, 0x66...0x66, 0x6E...0x6E, 0x72...0x72, 0x74...0x74]), unicode])])
                return .sequence([.literal("\""), .star(.choice([plain, escape])), .literal("\"")])
            case "integer":
                return .sequence([.optional(.literal("-")), .choice([.literal("0"), .sequence([.characters([0x31...0x39]), .repetition(.characters([0x30...0x39]), min: 0, max: 15)])])])
            case "number":
                let digits = GrammarExpression.repetition(.characters([0x30...0x39]), min: 1, max: 16)
                return .sequence([compiler.general("integer"), .optional(.sequence([.literal("."), digits])),
                                  .optional(.sequence([.characters([0x45...0x45, 0x65...0x65]), .optional(.characters([0x2B...0x2B, 0x2D...0x2D])), .repetition(.characters([0x30...0x39]), min: 1, max: 3)]))])
            case "boolean": return .choice([.literal("true"), .literal("false")])
            case "null": return .literal("null")
            case "object":
                let ws = compiler.general("ws")
                let member = GrammarExpression.sequence([compiler.general("string"), ws, .literal(":"), ws, .ref("value")])
                _ = compiler.general("value")
                return .sequence([.literal("{"), ws, .optional(.sequence([member, .star(.sequence([ws, .literal(","), ws, member]))])), ws, .literal("}")])
            case "array":
                let ws = compiler.general("ws")
                _ = compiler.general("value")
                return .sequence([.literal("["), ws, .optional(.sequence([.ref("value"), .star(.sequence([ws, .literal(","), ws, .ref("value")]))])), ws, .literal("]")])
            default: // value
                return .choice(["object", "array", "string", "number", "boolean", "null"].map { compiler.general($0) })
            }
        }
    }

    mutating func expression(_ node: Any, pointer: String) throws(ConstraintError) -> GrammarExpression {
        if let flag = node as? Bool {
            guard flag else { throw fail(pointer, "a schema that accepts something (false accepts nothing)") }
            return general("value")
        }
        guard let schema = node as? [String: Any] else { throw fail(pointer, "an object or a boolean") }
        for key in schema.keys.sorted() where !Self.supported.contains(key) && !Self.annotations.contains(key) {
            throw fail(pointer + "/" + key, "a supported keyword (\(Self.supported.sorted().joined(separator: ", "))), not '\(key)'")
        }
        if let value = schema["const"] { return try literal(value, pointer: pointer + "/const") }
        if let values = schema["enum"] {
            guard let list = values as? [Any], !list.isEmpty else { throw fail(pointer + "/enum", "a non-empty list of values") }
            var options: [GrammarExpression] = []
            for (i, value) in list.enumerated() { options.append(try literal(value, pointer: "\(pointer)/enum/\(i)")) }
            return .choice(options)
        }
        if let reference = schema["$ref"] { return try ref(reference, pointer: pointer + "/$ref") }
        for key in ["anyOf", "oneOf"] {
            guard let value = schema[key] else { continue }
            guard let list = value as? [Any], !list.isEmpty else { throw fail(pointer + "/" + key, "a non-empty list of schemas") }
            var options: [GrammarExpression] = []
            for (i, item) in list.enumerated() { options.append(try expression(item, pointer: "\(pointer)/\(key)/\(i)")) }
            return .choice(options)
        }
        guard let type = schema["type"] else {
            if schema["properties"] != nil { return try object(schema, pointer: pointer) }
            if schema["items"] != nil { return try array(schema, pointer: pointer) }
            return general("value")
        }
        let types: [Any] = (type as? [Any]) ?? [type]
        var options: [GrammarExpression] = []
        for (i, item) in types.enumerated() {
            let at = types.count == 1 && !(type is [Any]) ? pointer + "/type" : "\(pointer)/type/\(i)"
            switch item as? String {
            case "object": options.append(try object(schema, pointer: pointer))
            case "array": options.append(try array(schema, pointer: pointer))
            case "string": options.append(try string(schema, pointer: pointer))
            case "number", "integer", "boolean", "null": options.append(general(item as! String))
            default: throw fail(at, "one of object, array, string, number, integer, boolean, null")
            }
        }
        return options.count == 1 ? options[0] : .choice(options)
    }

    mutating func literal(_ value: Any, pointer: String) throws(ConstraintError) -> GrammarExpression {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) else {
            throw fail(pointer, "a JSON value")
        }
        return .literal(String(decoding: data, as: UTF8.self))
    }

    mutating func ref(_ value: Any, pointer: String) throws(ConstraintError) -> GrammarExpression {
        guard let reference = value as? String else { throw fail(pointer, "a string") }
        let parts = reference.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[0] == "#", parts[1] == "$defs" || parts[1] == "definitions",
              let definitions = (root as? [String: Any])?[parts[1]] as? [String: Any], let target = definitions[parts[2]] else {
            throw fail(pointer, "a reference to #/$defs/NAME or #/definitions/NAME that exists, not '\(reference)'")
        }
        let name = "def-" + parts[2].map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
        if defined.contains(name) { return .ref(name) }
        defined.insert(name)
        let expression = try expression(target, pointer: "/\(parts[1])/\(parts[2])")
        rules.append(.init(name: name, expression: expression))
        return .ref(name)
    }

    mutating func object(_ schema: [String: Any], pointer: String) throws(ConstraintError) -> GrammarExpression {
        let properties = (schema["properties"] as? [String: Any]) ?? [:]
        if schema["properties"] != nil && !(schema["properties"] is [String: Any]) {
            throw fail(pointer + "/properties", "an object of property schemas")
        }
        if properties.isEmpty && schema["required"] == nil { return general("object") }
        let required = (schema["required"] as? [String]) ?? []
        if schema["required"] != nil && !(schema["required"] is [String]) { throw fail(pointer + "/required", "a list of property names") }
        for (i, name) in required.enumerated() where properties[name] == nil {
            throw fail("\(pointer)/required/\(i)", "a name listed in properties, not '\(name)'")
        }
        let ws = general("ws")
        var members: [(expression: GrammarExpression, required: Bool)] = []
        for name in required + properties.keys.sorted().filter({ !required.contains($0) }) {
            let value = try expression(properties[name]!, pointer: pointer + "/properties/" + name)
            members.append((.sequence([try literal(name, pointer: pointer), ws, .literal(":"), ws, value]), required.contains(name)))
        }
        // Members in order, optional ones may be left out; commas only between members present.
        // after(i, first): the members from i on, where `first` says none has been written yet.
        // Each tail is a rule of its own, so the grammar grows linearly with the number of members.
        objectCount += 1
        var after: [GrammarExpression] = [.empty, .empty]  // index by first: 0 false, 1 true, for i == count
        for (i, member) in members.enumerated().reversed() {
            let separator = GrammarExpression.sequence([ws, .literal(","), ws])
            let taken: [GrammarExpression] = [.sequence([separator, member.expression, after[0]]), .sequence([member.expression, after[0]])]
            let options = member.required ? taken : [.choice([taken[0], after[0]]), .choice([taken[1], after[1]])]
            after = (0..<2).map { first in
                let name = "object\(objectCount)-\(i)-\(first)"
                rules.append(.init(name: name, expression: options[first]))
                return .ref(name)
            }
        }
        return .sequence([.literal("{"), ws, after[1], ws, .literal("}")])
    }

    mutating func array(_ schema: [String: Any], pointer: String) throws(ConstraintError) -> GrammarExpression {
        let item = try schema["items"].map { (value: Any) throws(ConstraintError) in try expression(value, pointer: pointer + "/items") } ?? general("value")
        let low = try count(schema, "minItems", pointer: pointer) ?? 0
        let high = try count(schema, "maxItems", pointer: pointer)
        if let high, high < low { throw fail(pointer + "/maxItems", "a maximum not below minItems \(low)") }
        let ws = general("ws")
        let more = GrammarExpression.sequence([ws, .literal(","), ws, item])
        let body: GrammarExpression
        if high == 0 {
            body = .empty
        } else {
            let list = GrammarExpression.sequence([item, .repetition(more, min: max(low - 1, 0), max: high.map { $0 - 1 })])
            body = low == 0 ? .optional(list) : list
        }
        return .sequence([.literal("["), ws, body, ws, .literal("]")])
    }

    mutating func string(_ schema: [String: Any], pointer: String) throws(ConstraintError) -> GrammarExpression {
        let low = try count(schema, "minLength", pointer: pointer), high = try count(schema, "maxLength", pointer: pointer)
        guard low != nil || high != nil else { return general("string") }
        if let high, high < (low ?? 0) { throw fail(pointer + "/maxLength", "a maximum not below minLength \(low ?? 0)") }
        _ = general("string")
        let character = GrammarExpression.choice([
            .characters(notIn: [0...0x1F, 0x22...0x22, 0x5C...0x5C]),
            .sequence([.literal("\\"), .characters([0x22...0x22, 0x5C...0x5C, 0x2F...0x2F, 0x62...0x62, 0x66...0x66, 0x6E...0x6E, 0x72...0x72, 0x74...0x74])]),
        ])
        return .sequence([.literal("\""), .repetition(character, min: low ?? 0, max: high), .literal("\"")])
    }

    func count(_ schema: [String: Any], _ key: String, pointer: String) throws(ConstraintError) -> Int? {
        guard let value = schema[key] else { return nil }
        guard let number = value as? Int, number >= 0, number <= 10_000 else {
            throw fail(pointer + "/" + key, "a whole number from 0 to 10000")
        }
        return number
    }
}
