// Reads Tests/Fixtures/jinja and Tests/Fixtures/chat-templates: JSON values become template values,
// with dictionary keys in sorted order (the fixture scripts sort them, since the decoder forgets order).
import Foundation
import Jinja

enum JinjaFixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func decode<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: root.appendingPathComponent(path)))
    }

    /// 2026-07-26 12:00 in the machine's time zone, the moment the fixtures pinned `strftime_now` to.
    static var date: Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone.current
        return calendar.date(from: DateComponents(year: 2026, month: 7, day: 26, hour: 12))!
    }
}

/// Any JSON value, as the template value Python's `json.load` would have given the template.
struct FixtureValue: Decodable {
    let value: JinjaValue

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = .none
        } else if let b = try? container.decode(Bool.self) {
            value = .bool(b)
        } else if let i = try? container.decode(Int.self) {
            value = .int(i)
        } else if let d = try? container.decode(Double.self) {
            value = .double(d)
        } else if let s = try? container.decode(String.self) {
            value = .string(s)
        } else if let a = try? container.decode([FixtureValue].self) {
            value = .list(a.map(\.value))
        } else {
            let o = try container.decode([String: FixtureValue].self)
            value = .dict(JinjaDict(o.keys.sorted().map { ($0, o[$0]!.value) }))
        }
    }
}

struct FixtureError: Decodable {
    let type: String
    let message: String
}
