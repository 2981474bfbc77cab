// Runs the node tree: writes text, evaluates outputs, runs loops and conditions. Scoping follows jinja2:
// a for loop's body and a macro's body have their own variables (hence `namespace` for loop results),
// an `if` does not.
import Foundation

final class JinjaRenderer {
    /// Innermost last. The first holds the caller's variables and top-level `set`s.
    var scopes: [[String: JinjaValue]]
    let now: Date
    /// Guards against a macro that calls itself forever.
    var callDepth = 0

    init(variables: [String: JinjaValue], now: Date) {
        scopes = [variables]
        self.now = now
    }

    enum Flow { case normal, breakLoop, continueLoop }

    func render(_ nodes: [JinjaNode], into out: inout String) throws(JinjaError) -> Flow {
        for node in nodes {
            let flow = try render(node, into: &out)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func render(_ node: JinjaNode, into out: inout String) throws(JinjaError) -> Flow {
        switch node {
        case let .text(text):
            out += text
        case let .output(expression, line):
            out += try located(line) { () throws(JinjaError) in try evaluate(expression).text }
        case let .ifBlock(branches, otherwise, line):
            for (condition, body) in branches {
                let holds = try located(line) { () throws(JinjaError) in try evaluate(condition).isTruthy }
                if holds { return try render(body, into: &out) }
            }
            return try render(otherwise, into: &out)
        case let .forBlock(target, iterable, filter, body, otherwise, line):
            return try located(line) { () throws(JinjaError) in
                try loop(target, over: iterable, filter: filter, body: body, otherwise: otherwise, into: &out)
            }
        case let .set(target, expression, line):
            try located(line) { () throws(JinjaError) in try assign(try evaluate(expression), to: target) }
        case let .setBlock(target, body, line):
            var text = ""
            _ = try render(body, into: &text)
            try located(line) { () throws(JinjaError) in try assign(.string(text), to: target) }
        case let .macro(macro):
            var closure: [String: JinjaValue] = [:]
            for scope in scopes.dropFirst() { closure.merge(scope) { _, inner in inner } }
            scopes[scopes.count - 1][macro.name] = .callable(JinjaCallable(kind: .macro(macro, closure: closure)))
        case let .filterBlock(name, arguments, body, line):
            var text = ""
            _ = try render(body, into: &text)
            out += try located(line) { () throws(JinjaError) in
                try JinjaFilters.apply(name, to: .string(text), arguments: try evaluate(arguments), renderer: self).text
            }
        case .breakLoop: return .breakLoop
        case .continueLoop: return .continueLoop
        }
        return .normal
    }

    /// Runs `body` and places any error it throws at `line`.
    func located<T>(_ line: Int, _ body: () throws(JinjaError) -> T) throws(JinjaError) -> T {
        do { return try body() } catch { throw error.at(line) }
    }

    private func loop(_ target: JinjaTarget, over iterable: JinjaExpression, filter: JinjaExpression?, body: [JinjaNode],
                      otherwise: [JinjaNode], into out: inout String) throws(JinjaError) -> Flow {
        var items = try iterate(try evaluate(iterable))
        if let filter {
            var kept: [JinjaValue] = []
            for item in items {
                scopes.append([:])
                defer { scopes.removeLast() }
                try assign(item, to: target)
                if try evaluate(filter).isTruthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty { return try render(otherwise, into: &out) }
        let outer = lookup("loop")
        for (i, item) in items.enumerated() {
            scopes.append([:])
            defer { scopes.removeLast() }
            var loop = JinjaDict([
                ("index", .int(i + 1)), ("index0", .int(i)), ("revindex", .int(items.count - i)),
                ("revindex0", .int(items.count - i - 1)), ("first", .bool(i == 0)), ("last", .bool(i == items.count - 1)),
                ("length", .int(items.count)), ("depth", .int(1)), ("depth0", .int(0)),
                ("previtem", i > 0 ? items[i - 1] : .undefined("loop.previtem")),
                ("nextitem", i + 1 < items.count ? items[i + 1] : .undefined("loop.nextitem")),
            ])
            if outer.isDefined { loop["parent"] = outer }
            scopes[scopes.count - 1]["loop"] = .dict(loop)
            try assign(item, to: target)
            if try render(body, into: &out) == .breakLoop { break }
        }
        return .normal
    }

    /// What a for loop walks: list items, dict keys, string characters.
    func iterate(_ value: JinjaValue) throws(JinjaError) -> [JinjaValue] {
        switch value {
        case let .list(items): return items
        case let .dict(dict): return dict.keys.map(JinjaValue.string)
        case let .string(s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []  // jinja2's undefined iterates as empty (templates loop over absent `tools`)
        case .none: throw JinjaError(.runtime, "'NoneType' object is not iterable")
        default: throw JinjaError(.runtime, "'\(value.typeName)' object is not iterable")
        }
    }

    func assign(_ value: JinjaValue, to target: JinjaTarget) throws(JinjaError) {
        switch target {
        case let .name(name):
            scopes[scopes.count - 1][name] = value
        case let .unpack(names):
            let items = try iterate(value)
            guard items.count == names.count else {
                throw JinjaError(.runtime, "cannot unpack \(items.count) values into \(names.count) names")
            }
            for (name, item) in zip(names, items) { scopes[scopes.count - 1][name] = item }
        case let .attribute(namespace, attribute):
            guard case let .namespace(ns) = lookup(namespace) else {
                throw JinjaError(.runtime, "cannot assign attribute on non-namespace object '\(namespace)'")
            }
            ns.attributes[attribute] = value
        }
    }

    func lookup(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        if JinjaRenderer.globalFunctions.contains(name) { return .callable(JinjaCallable(kind: .global(name))) }
        return .undefined(name)
    }
}
