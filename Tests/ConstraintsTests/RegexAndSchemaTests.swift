// Regular expressions and JSON schemas compiled to grammars: what they accept and how they fail.
import Constraints
import Foundation
import Testing

@Suite struct RegexAndSchemaTests {
    @Test func regexAcceptsWhatPythonsFullmatchWould() throws {
        let regex = try RegexCompiler.compile(#"^(?:add|sub)\(-?\d{1,3}, [a-c]+\)(\n\w+)*\s?$"#)
        #expect(matches(regex, "add(12, abc)"))
        #expect(matches(regex, "sub(-1, a)\nfoo_1\nbar "))
        #expect(!matches(regex, "add(1234, a)"))
        #expect(!matches(regex, "mul(1, a)"))
        #expect(!matches(regex, "add(1, d)"))
        let dot = try RegexCompiler.compile("a.c|[^a-z]{2}")
        #expect(matches(dot, "aéc") && matches(dot, "A1") && !matches(dot, "a\nc") && !matches(dot, "Ab"))
        #expect(matches(try RegexCompiler.compile(#"x{2,}\.\x41\u00e9"#), "xxx.Aé"))
    }

    @Test func regexErrorsSayWhereAndWhat() {
        func message(_ pattern: String) -> String {
            do { _ = try RegexCompiler.compile(pattern, source: "re"); return "no error" } catch { return error.localizedDescription }
        }
        #expect(message("a(b").contains("offset 3") && message("a(b").contains("')'"))
        #expect(message("ab)").contains("unbalanced"))
        #expect(message("[a-").contains("']'"))
        #expect(message("*a").contains("something to repeat"))
        #expect(message("(a)\\1").contains("backreferences"))
        #expect(message("(?=a)").contains("lookaround"))
        #expect(message("a**").contains("one repeat"))
        #expect(message("a{3,1}").contains("maximum"))
        #expect(message("a^b").contains("start and end"))
        #expect(message("[z-a]").contains("range"))
    }

    @Test func schemaObjectsKeepRequiredKeysAndOrder() throws {
        let schema = #"""
        {"type": "object", "$defs": {"point": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}},
         "properties": {"id": {"type": "integer"}, "label": {"type": "string", "minLength": 1, "maxLength": 3},
                        "kind": {"enum": ["a", "b"]}, "at": {"$ref": "#/$defs/point"}, "note": {"type": ["string", "null"]}},
         "required": ["label", "id"]}
        """#
        let grammar = try JSONSchemaCompiler.compile(Data(schema.utf8))
        #expect(matches(grammar, #"{"label": "ab", "id": 3}"#))
        #expect(matches(grammar, #"{"label":"x","id":-1,"at":[1, 2],"kind":"b","note":null}"#))
        #expect(matches(grammar, "{\n  \"label\": \"x\",\n  \"id\": 0,\n  \"note\": \"hi \\\"there\\\" \\u00e9\"\n}"))
        #expect(!matches(grammar, #"{"id": 3, "label": "ab"}"#))       // required keys in `required` order
        #expect(!matches(grammar, #"{"label": "abcd", "id": 3}"#))     // maxLength
        #expect(!matches(grammar, #"{"label": "a", "id": 3, "at": [1]}"#))
        #expect(!matches(grammar, #"{"label": "a", "id": 3, "kind": "c"}"#))
        #expect(!matches(grammar, #"{"label": "a", "id": 3, "extra": 1}"#))
        #expect(!matches(grammar, #"{"label": "a", "id": 01}"#))
        #expect(matches(BuiltInConstraints.jsonObject, #"{"a": [1, {"b": null}, "c", 2.5e-3, true]}"#))
        #expect(!matches(BuiltInConstraints.jsonObject, #"[1]"#))
    }

    @Test func schemaErrorsNameThePointer() {
        func message(_ schema: String) -> String {
            do { _ = try JSONSchemaCompiler.compile(Data(schema.utf8), source: "s.json"); return "no error" } catch { return error.localizedDescription }
        }
        #expect(message(#"{"type": "object", "properties": {"a": {"type": "strin"}}}"#).contains("/properties/a/type"))
        #expect(message(#"{"type": "string", "pattern": "a+"}"#).contains("/pattern"))
        #expect(message(##"{"$ref": "#/$defs/missing"}"##).contains("/$ref"))
        #expect(message(#"{"type": "object", "properties": {}, "required": ["x"]}"#).contains("/required/0"))
        #expect(message(#"{"type": "array", "minItems": 3, "maxItems": 1}"#).contains("/maxItems"))
        let broken = message("{\"type\": \"object\",, }")
        #expect(broken.contains("s.json:1:") && broken.contains("valid JSON"))
    }
}
