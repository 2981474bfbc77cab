// Small templates, one construct family each, rendered as transformers' chat-template environment renders
// them (Tests/Fixtures/jinja/cases.json, made by scripts/fixtures/jinja_cases.py with jinja2 itself).
import Foundation
import Jinja
import Testing

struct JinjaCasesTests {
    struct Case: Decodable, CustomTestStringConvertible {
        let name: String
        let template: String
        let context: [String: FixtureValue]
        let rendered: String?
        let error: FixtureError?
        var testDescription: String { name }
    }

    struct Fixture: Decodable { let cases: [Case] }

    static let cases: [Case] = (try? JinjaFixture.decode(Fixture.self, "jinja/cases.json").cases) ?? []

    @Test func theFixtureHasEveryCase() {
        #expect(Self.cases.count >= 60)
    }

    @Test(arguments: cases) func rendersLikeJinja2(_ item: Case) throws {
        let variables = item.context.mapValues(\.value)
        let result = Result { () throws(JinjaError) in try JinjaTemplate(item.template).render(variables, now: JinjaFixture.date) }
        switch (result, item.rendered, item.error) {
        case let (.success(text), expected?, _):
            #expect(text == expected)
        case let (.failure(error), nil, expected?):
            // Our messages are our own, except a template's raise_exception text, which is the template's.
            if expected.type == "TemplateError" {
                #expect(error.kind == .raised)
                #expect(error.message == expected.message)
            } else {
                #expect(error.kind != .raised)
            }
        case let (.success(text), nil, expected?):
            Issue.record("jinja2 refused this (\(expected.type): \(expected.message)) but we rendered \(text.debugDescription)")
        case let (.failure(error), _, _):
            Issue.record("jinja2 rendered this but we failed: \(error.localizedDescription)")
        default:
            Issue.record("case has neither rendered nor error")
        }
    }
}
