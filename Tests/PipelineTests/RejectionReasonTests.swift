// Rejection reasons are one typed list: what the Python analysis reports decodes into it, the stages store only its
// codes, and a drop kind of the original's runs maps onto it.
import Foundation
import Pipeline
import Store
import Testing

@Suite struct RejectionReasonTests {
    /// One file holding each construct the analysis itself refuses at collect.
    static let refusedByAnalysis = """
        import abc

        async def fetch(x):
            return x

        def outer(x):
            def inner(y):
                return x + y
            return inner(1)

        class Shape(abc.ABC):
            @abc.abstractmethod
            def area(self):
                ...

            def double(self, k):
                return 2 * k

        class Point:
            def __init__(self, x):
                self.x = x

            def __repr__(self):
                return "Point(%r)" % self.x

            @property
            def norm(self):
                return abs(self.x)

            def loose():
                return 1

            def moved(self, d):
                return self.x + d

        """

    @Test func whatTheAnalysisRefusesArrivesAsTypedReasons() async throws {
        let run = try temporaryDirectory("reasons")
        defer { try? FileManager.default.removeItem(at: run) }
        let file = run.appendingPathComponent("refused.py")
        try Self.refusedByAnalysis.write(to: file, atomically: true, encoding: .utf8)
        var recipe = Recipe()
        recipe.inputs = [.init(path: file.path)]
        let store = try await collectOnly(recipe, in: run.appendingPathComponent("run")).store
        let reasons = Set(try store.rejections().map(\.reason))
        let expected: Set<RejectionReason> = [.asyncFunction, .nested, .abstractClass, .specialMethod, .property, .noSelf]
        #expect(reasons == Set(expected.map(\.rawValue)), "\(reasons)")
        // Every stored reason is one of the list's codes.
        #expect(reasons.allSatisfy { RejectionReason(rawValue: $0) != nil })
    }

    @Test func aDropKindOfEveryFirstRunIsNamedForTheOriginal() {
        #expect(RejectionReason.original("timeout") == .originalTimeout)
        #expect(RejectionReason.original("does-not-bind") == .originalDoesNotBind)
        #expect(RejectionReason.original("slow") == .originalSlow)
        #expect(RejectionReason.original("output-limit") == .originalOutputLimit)
        #expect(RejectionReason.original("nondeterministic") == .nondeterministic)
        #expect(RejectionReason.original("environment-fact") == .environmentFact)
        #expect(RejectionReason.original("something-new") == .originalCrashed)
    }

    @Test func eachReasonSaysWhichStagesGiveItAndWhatItMeans() {
        let table = RejectionReason.markdownTable.split(separator: "\n")
        #expect(table.count == RejectionReason.allCases.count + 2)
        for reason in RejectionReason.allCases {
            #expect(!reason.stages.isEmpty && !reason.meaning.isEmpty, "\(reason)")
            #expect(table.contains { $0.hasPrefix("| `\(reason.rawValue)` |") })
        }
    }
}
