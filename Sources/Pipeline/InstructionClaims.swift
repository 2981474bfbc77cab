// Deterministic checks of what an instruction claims against what is known about its code: the function it names,
// the parameters it lists, the kind of value it says comes back (against the observed outputs) and every call it
// gives with a result (run on the original). Execution cannot see a wrong instruction; these checks can see some.
import Foundation
import Sandbox
import Store

public struct ClaimCheck: Codable, Sendable, Equatable {
    /// names-entry, names-other-function, parameters, parameter-kind, copies-example, result-kind, example.
    public var check: String
    public var passed: Bool
    public var detail: String
}

struct InstructionClaimsFound: Decodable {
    struct Signature: Decodable { var text: String; var names: [String] }
    struct Call: Decodable { var call: String; var literal: String; var expected: String?; var raises: String? }
    struct Kind: Decodable { var phrase: String; var kind: String }
    struct ParameterKind: Decodable { var phrase: String; var parameter: String; var observed: [String]; var kind: String }
    var named: [String]
    var signatures: [Signature]
    var calls: [Call]
    var kinds: [Kind]
    var parameters: [ParameterKind]
}

enum InstructionClaims {
    /// Every check of `instruction`; the failed ones come first. `code` is the rewrite (its helpers may be named).
    /// `copied` are the instructions of the prompt's worked examples, which small models copy word for word.
    static func check(_ instruction: String, sample: SampleRecord, code: String, parameters: [String], cases: [TestCaseRecord],
                      copied: [String] = [], runner: (any CodeRunner)?) async throws -> [ClaimCheck] {
        let normal = cases.filter { $0.isActive && $0.expectedStatus == "ok" }
        // Parameter kinds from the model's own inputs (how the function is meant to be called): derived inputs change
        // kinds on purpose, and code that iterates a string accepts a list just as well.
        let intended = normal.filter { $0.origin == "model" }
        let found = try PythonTools.claims(instruction, entry: sample.entryPoint, code: sample.code,
                                           literals: (intended.isEmpty ? normal : intended).map(\.literal))
        let entry = sample.entryPoint
        var checks: [ClaimCheck] = []

        // A method is named by its own name (`add`, `Tally.add`): the class comes with the request.
        let name = EntryPoint(entry).name
        let namesEntry = instruction.range(of: "(?<![A-Za-z0-9_])\(NSRegularExpression.escapedPattern(for: name))(?![A-Za-z0-9_])",
                                           options: .regularExpression) != nil
        checks.append(ClaimCheck(check: "names-entry", passed: namesEntry,
                                 detail: namesEntry ? "names `\(name)`" : "never names the \(EntryPoint(entry).isClass ? "class" : EntryPoint(entry).isMethod ? "method" : "function") `\(name)`"))

        let known = identifiers(in: sample.code + "\n" + code)
        let strangers = found.named.filter { !known.contains($0) }
        checks.append(ClaimCheck(check: "names-other-function", passed: strangers.isEmpty,
                                 detail: strangers.isEmpty ? "names no function the code lacks"
                                     : "names \(strangers.map { "`\($0)(...)`" }.joined(separator: ", ")), which the code neither defines nor calls"))

        for signature in found.signatures {
            let unknown = signature.names.filter { !parameters.contains($0) }
            checks.append(ClaimCheck(check: "parameters", passed: unknown.isEmpty,
                                     detail: unknown.isEmpty ? "`\(signature.text)` lists its parameters"
                                         : "`\(signature.text)` names \(unknown.map { "`\($0)`" }.joined(separator: ", ")), but `\(entry)` takes (\(parameters.joined(separator: ", ")))"))
        }

        for claim in found.parameters {
            let holds = claim.observed.contains { kindName(claim.kind, accepts: $0) }
            checks.append(ClaimCheck(check: "parameter-kind", passed: holds,
                                     detail: holds ? "\"\(claim.phrase)\" agrees with the calls"
                                         : "says \"\(claim.phrase)\", but the calls that work pass `\(claim.parameter)` \(claim.observed.map(article).joined(separator: " or "))"))
        }

        for example in copied {
            let run = longestSharedRun(instruction, example)
            checks.append(ClaimCheck(check: "copies-example", passed: run.count < 10,
                                     detail: run.count < 10 ? "its own words" : "copies the prompt's worked example: \"\(run.joined(separator: " "))\""))
        }

        for claim in found.kinds where !normal.isEmpty {
            let matching = normal.first { kindMatches(claim.kind, $0.expectedValue) }
            let counter = normal.first!
            checks.append(ClaimCheck(check: "result-kind", passed: matching != nil,
                                     detail: matching != nil ? "\"\(claim.phrase)\" agrees with \(InstructionEvidence.line(matching!, entry: entry))"
                                         : "says \"\(claim.phrase)\", but \(InstructionEvidence.line(counter, entry: entry)) (no case returns \(article(claim.kind)))"))
        }

        if let runner, !found.calls.isEmpty {
            checks += try await examples(found.calls, sample: sample, runner: runner)
        }
        return checks.filter { !$0.passed } + checks.filter(\.passed)
    }

    /// Runs each call the instruction gives on the original and compares with the result it states.
    static func examples(_ calls: [InstructionClaimsFound.Call], sample: SampleRecord, runner: any CodeRunner) async throws -> [ClaimCheck] {
        let stated = calls.filter { $0.expected != nil }
        var runs = [CodeRun(code: sample.code, entry: sample.entryPoint, literals: calls.map(\.literal))]
        // The stated results go through the sandbox too, so they compare in the same canonical form.
        if !stated.isEmpty {
            runs.append(CodeRun(code: "def __stated_value__(value):\n    return value\n", entry: "__stated_value__",
                                literals: stated.map { "{'args': (\($0.expected!), ), 'kwargs': {}}" }))
        }
        let results = try await runner.run(runs)
        var values = (results.count > 1 ? results[1] : []).makeIterator()
        var checks: [ClaimCheck] = []
        for (call, actual) in zip(calls, results[0]) {
            let expectedValue = call.expected != nil ? values.next() : nil
            // A call the original cannot even make (a load failure, a timeout) proves nothing either way.
            guard actual.status == "ok" || actual.status == "raised" else { continue }
            let said = call.raises.map { "raises \($0)" } ?? "returns \(call.expected ?? "")"
            let did = actual.status == "raised" ? "raises \(actual.exceptionType ?? "an exception")"
                : "returns \(actual.value.map(InstructionEvidence.readable) ?? "None")"
            let holds: Bool
            if let raises = call.raises {
                holds = actual.status == "raised" && actual.exceptionType == raises
            } else if let expectedValue, expectedValue.status == "ok", let left = expectedValue.value, let right = actual.value {
                holds = actual.status == "ok" && runner.sameValue(left, right)
            } else {
                continue
            }
            checks.append(ClaimCheck(check: "example", passed: holds,
                                     detail: holds ? "`\(call.call)` \(said), as the original does" : "says `\(call.call)` \(said), but the original \(did)"))
        }
        return checks
    }

    /// Whether a canonical value is of the kind a phrase like "returns a list" claims.
    static func kindMatches(_ kind: String, _ canonical: String?) -> Bool {
        guard let canonical, let value = try? CanonicalValue(canonicalText: canonical) else { return true }
        switch (kind, value) {
        case ("list", .list), ("str", .string), ("str", .unpairedString), ("bool", .bool), ("int", .int), ("float", .float),
             ("number", .int), ("number", .float), ("dict", .dict), ("tuple", .tuple), ("set", .set), ("set", .frozenset),
             ("iterator", .object), ("none", .none):
            return true
        default:
            return false
        }
    }

    /// Whether a value of kind `observed` is what a claimed kind allows (an int does where a float is asked for).
    static func kindName(_ claimed: String, accepts observed: String) -> Bool {
        switch claimed {
        case "number": return observed == "int" || observed == "float"
        case "float": return observed == "int" || observed == "float"
        case "iterator": return true
        default: return claimed == observed
        }
    }

    /// The longest run of consecutive words (lowercased, punctuation and backticks dropped) two texts share.
    static func longestSharedRun(_ left: String, _ right: String) -> [String] {
        func words(_ text: String) -> [String] {
            text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "_") }.map(String.init)
        }
        let a = words(left), b = words(right)
        guard !a.isEmpty, !b.isEmpty else { return [] }
        var previous = [Int](repeating: 0, count: b.count + 1)
        var best = (length: 0, end: 0)
        for i in 1...a.count {
            var current = [Int](repeating: 0, count: b.count + 1)
            for j in 1...b.count where a[i - 1] == b[j - 1] {
                current[j] = previous[j - 1] + 1
                if current[j] > best.length { best = (current[j], i) }
            }
            previous = current
        }
        return Array(a[(best.end - best.length)..<best.end])
    }

    static func article(_ kind: String) -> String {
        ["list": "a list", "str": "a string", "bool": "a boolean", "int": "an integer", "float": "a float", "number": "a number",
         "dict": "a dictionary", "tuple": "a tuple", "set": "a set", "iterator": "an iterator", "none": "None", "bytes": "bytes"][kind] ?? kind
    }

    static func identifiers(in code: String) -> Set<String> {
        var names = Set<String>()
        var current = ""
        for character in code.unicodeScalars {
            if character == "_" || CharacterSet.alphanumerics.contains(character) { current.unicodeScalars.append(character) } else {
                if !current.isEmpty { names.insert(current) }
                current = ""
            }
        }
        if !current.isEmpty { names.insert(current) }
        return names
    }
}
