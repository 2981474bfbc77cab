// The text SemDeDup embeds for a record: one or more string fields, or a reason the record cannot be used.
import Foundation

/// Why a record was set aside before deduplication; written out with the record, never dropped.
public struct Rejection: Error, Sendable, Equatable {
    public var index: Int
    public var line: Int
    public var reason: String
}

public enum RecordText {
    /// Joins the named string fields with a blank line between them ("\n\n").
    public static func extract(_ record: InputRecord, fields: [String]) -> Result<String, Rejection> {
        func reject(_ reason: String) -> Result<String, Rejection> {
            .failure(Rejection(index: record.index, line: record.line, reason: reason))
        }
        guard String(validating: record.bytes, as: UTF8.self) != nil else {
            return reject("invalid UTF-8 at byte \(firstInvalidUTF8Offset(record.bytes))")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(record.bytes), options: [.fragmentsAllowed])
        } catch {
            return reject("malformed JSON: \(describe(error))")
        }
        guard let fieldsByName = object as? [String: Any] else { return reject("not a JSON object") }
        var parts: [String] = []
        for field in fields {
            guard let value = fieldsByName[field] else { return reject("missing field '\(field)'") }
            guard let text = value as? String else { return reject("field '\(field)' is \(jsonType(value)), not a string") }
            parts.append(text)
        }
        let text = parts.joined(separator: "\n\n")
        if text.allSatisfy(\.isWhitespace) {
            return reject(fields.count == 1 ? "empty text in field '\(fields[0])'" : "empty text in fields \(fields.joined(separator: ","))")
        }
        return .success(text)
    }

    static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int {
        var offset = 0
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar): offset += UTF8.width(scalar)
            case .emptyInput: return offset
            case .error: return offset
            }
        }
    }

    static func jsonType(_ value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        // JSONSerialization gives booleans as NSNumbers of Objective-C type "c" (char).
        case let number as NSNumber: return String(cString: number.objCType) == "c" ? "a boolean" : "a number"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        default: return "a \(type(of: value))"
        }
    }

    static func describe(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}
