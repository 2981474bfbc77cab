// Expression values: names, attributes and items (jinja2 tries the attribute, then the item, and gives
// undefined when neither exists), operators with Python's meaning, slices.
import Foundation

extension JinjaRenderer {
    func evaluate(_ expression: JinjaExpression) throws(JinjaError) -> JinjaValue {
        switch expression {
        case let .literal(value): return value
        case let .name(name): return lookup(name)
        case let .list(items):
            var values: [JinjaValue] = []
            for item in items { values.append(try evaluate(item)) }
            return .list(values)
        case let .dict(pairs):
            var dict = JinjaDict()
            for (key, value) in pairs {
                guard case let .string(name) = try evaluate(key) else { throw JinjaError(.unsupported, "dictionary keys that are not strings") }
                dict[name] = try evaluate(value)
            }
            return .dict(dict)
        case let .attribute(base, name): return try attribute(name, of: try evaluate(base), describing: base)
        case let .item(base, key): return try item(try evaluate(key), of: try evaluate(base), describing: base)
        case let .slice(base, start, stop, step):
            return try slice(try evaluate(base), start: try start.map(evaluate), stop: try stop.map(evaluate), step: try step.map(evaluate))
        case let .call(callee, arguments): return try call(try evaluate(callee), with: try evaluate(arguments))
        case let .filter(base, name, arguments):
            return try JinjaFilters.apply(name, to: try evaluate(base), arguments: try evaluate(arguments), renderer: self)
        case let .test(base, name, arguments, negated):
            let holds = try JinjaPredicates.holds(name, for: try evaluate(base), arguments: try evaluate(arguments).positional)
            return .bool(holds != negated)
        case let .not(operand): return .bool(!(try evaluate(operand).isTruthy))
        case let .negate(operand):
            switch try evaluate(operand) {
            case let .int(i): return .int(-i)
            case let .double(d): return .double(-d)
            case let .bool(b): return .int(b ? -1 : 0)
            case let other: throw JinjaError(.runtime, "bad operand type for unary -: '\(other.typeName)'")
            }
        case let .and(left, right):
            let value = try evaluate(left)
            return value.isTruthy ? try evaluate(right) : value
        case let .or(left, right):
            let value = try evaluate(left)
            return value.isTruthy ? value : try evaluate(right)
        case let .conditional(value, condition, otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(value) }
            return try otherwise.map(evaluate) ?? .undefined("conditional expression")
        case let .binary(op, left, right):
            return try JinjaOperators.apply(op, try evaluate(left), try evaluate(right))
        case let .chain(first, rest):
            var left = try evaluate(first)
            for (op, expression) in rest {
                let right = try evaluate(expression)
                if !(try JinjaOperators.apply(op, left, right)).isTruthy { return .bool(false) }
                left = right
            }
            return .bool(true)
        }
    }

    struct Arguments {
        var positional: [JinjaValue] = []
        var named: [(String, JinjaValue)] = []

        func named(_ key: String) -> JinjaValue? { named.first { $0.0 == key }?.1 }
        /// The argument at `index`, or the one named `key`.
        func value(_ index: Int, _ key: String) -> JinjaValue? {
            index < positional.count ? positional[index] : named(key)
        }
    }

    func evaluate(_ arguments: JinjaArguments) throws(JinjaError) -> Arguments {
        var result = Arguments()
        for expression in arguments.positional { result.positional.append(try evaluate(expression)) }
        for (name, expression) in arguments.named { result.named.append((name, try evaluate(expression))) }
        return result
    }

    /// What an expression was, for messages about undefined values (`message.tool_calls`).
    func describe(_ expression: JinjaExpression) -> String {
        switch expression {
        case let .name(name): name
        case let .attribute(base, name): describe(base) + "." + name
        case let .item(base, .literal(key)): describe(base) + "[" + key.repr + "]"
        default: "value"
        }
    }

    func attribute(_ name: String, of base: JinjaValue, describing expression: JinjaExpression) throws(JinjaError) -> JinjaValue {
        switch base {
        case let .undefined(missing):
            throw JinjaError(.runtime, "'\(missing)' is undefined (reading its attribute '\(name)')")
        case let .namespace(ns):
            return ns.attributes[name] ?? .undefined(describe(expression) + "." + name)
        case let .dict(dict):
            if JinjaMethods.dictionary.contains(name) { return .callable(JinjaCallable(kind: .method(receiver: base, name: name))) }
            return dict[name] ?? .undefined(describe(expression) + "." + name)
        case .string:
            if JinjaMethods.string.contains(name) { return .callable(JinjaCallable(kind: .method(receiver: base, name: name))) }
        case .list:
            if JinjaMethods.list.contains(name) { return .callable(JinjaCallable(kind: .method(receiver: base, name: name))) }
        default: break
        }
        return .undefined(describe(expression) + "." + name)
    }

    func item(_ key: JinjaValue, of base: JinjaValue, describing expression: JinjaExpression) throws(JinjaError) -> JinjaValue {
        switch (base, key) {
        case let (.undefined(missing), _):
            throw JinjaError(.runtime, "'\(missing)' is undefined (reading its item \(key.repr))")
        case let (.dict(dict), .string(name)):
            return dict[name] ?? .undefined(describe(expression) + "[" + key.repr + "]")
        case let (.list(items), .int(i)):
            let index = i < 0 ? items.count + i : i
            return items.indices.contains(index) ? items[index] : .undefined(describe(expression) + "[\(i)]")
        case let (.string(s), .int(i)):
            let scalars = Array(s.unicodeScalars)
            let index = i < 0 ? scalars.count + i : i
            return scalars.indices.contains(index) ? .string(String(scalars[index])) : .undefined(describe(expression) + "[\(i)]")
        case let (_, .string(name)):
            return try attribute(name, of: base, describing: expression)
        default:
            return .undefined(describe(expression) + "[" + key.repr + "]")
        }
    }

    /// Python slicing of lists and strings, negative indices and steps included.
    func slice(_ base: JinjaValue, start: JinjaValue?, stop: JinjaValue?, step: JinjaValue?) throws(JinjaError) -> JinjaValue {
        func bound(_ value: JinjaValue?) throws(JinjaError) -> Int? {
            switch value {
            case nil, .none?: return nil
            case let .int(i)?: return i
            case let other?: throw JinjaError(.runtime, "slice indices must be integers or None, not \(other.typeName)")
            }
        }
        let stepValue = try bound(step) ?? 1
        guard stepValue != 0 else { throw JinjaError(.runtime, "slice step cannot be zero") }
        func indices(count: Int) throws(JinjaError) -> [Int] {
            func clamp(_ i: Int?, _ fallback: Int, low: Int, high: Int) -> Int {
                guard let i else { return fallback }
                return min(max(i < 0 ? i + count : i, low), high)
            }
            if stepValue > 0 {
                let from = clamp(try bound(start), 0, low: 0, high: count), to = clamp(try bound(stop), count, low: 0, high: count)
                return from < to ? Array(stride(from: from, to: to, by: stepValue)) : []
            }
            let from = clamp(try bound(start), count - 1, low: -1, high: count - 1)
            let to = clamp(try bound(stop), -1, low: -1, high: count - 1)
            return from > to ? Array(stride(from: from, to: to, by: stepValue)) : []
        }
        switch base {
        case let .list(items): return .list(try indices(count: items.count).map { items[$0] })
        case let .string(s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in try indices(count: scalars.count) { out.append(scalars[i]) }
            return .string(String(out))
        case let .undefined(name): throw JinjaError(.runtime, "'\(name)' is undefined (slicing it)")
        default: throw JinjaError(.runtime, "'\(base.typeName)' object is not subscriptable")
        }
    }
}
