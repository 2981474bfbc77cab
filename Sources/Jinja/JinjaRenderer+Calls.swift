// Calls: the global functions chat templates use, macros, and methods on strings, dicts and lists.
import Foundation

extension JinjaRenderer {
    static let globalFunctions: Set<String> = ["namespace", "raise_exception", "range", "strftime_now", "dict"]

    func call(_ callee: JinjaValue, with arguments: Arguments) throws(JinjaError) -> JinjaValue {
        guard case let .callable(callable) = callee else {
            if case let .undefined(name) = callee { throw JinjaError(.runtime, "'\(name)' is undefined (called as a function)") }
            throw JinjaError(.runtime, "'\(callee.typeName)' object is not callable")
        }
        switch callable.kind {
        case let .global(name): return try global(name, arguments)
        case let .macro(macro, closure): return try call(macro, closure: closure, arguments)
        case let .method(receiver, name): return try JinjaMethods.call(name, on: receiver, arguments)
        }
    }

    private func global(_ name: String, _ arguments: Arguments) throws(JinjaError) -> JinjaValue {
        switch name {
        case "raise_exception":
            throw JinjaError(.raised, arguments.positional.first?.text ?? "")
        case "namespace", "dict":
            var attributes = JinjaDict()
            for value in arguments.positional {
                guard case let .dict(initial) = value else { throw JinjaError(.runtime, "\(name)() takes a dict or keyword arguments") }
                for (key, item) in initial.pairs { attributes[key] = item }
            }
            for (key, value) in arguments.named { attributes[key] = value }
            return name == "dict" ? .dict(attributes) : .namespace(JinjaNamespace(attributes))
        case "range":
            let bounds = arguments.positional.map(\.integer)
            guard !bounds.isEmpty, bounds.count <= 3, bounds.allSatisfy({ $0 != nil }) else {
                throw JinjaError(.runtime, "range() takes one to three integers")
            }
            let numbers = bounds.map { $0! }
            let (start, stop, step) = numbers.count == 1 ? (0, numbers[0], 1) : (numbers[0], numbers[1], numbers.count == 3 ? numbers[2] : 1)
            guard step != 0 else { throw JinjaError(.runtime, "range() arg 3 must not be zero") }
            if (step > 0 && start >= stop) || (step < 0 && start <= stop) { return .list([]) }
            return .list(stride(from: start, to: stop, by: step).map(JinjaValue.int))
        case "strftime_now":
            guard case let .string(format)? = arguments.positional.first else { throw JinjaError(.runtime, "strftime_now() takes a format string") }
            return .string(JinjaDates.format(now, format))
        default:
            throw JinjaError(.unsupported, "the function \(name)()")
        }
    }

    private func call(_ macro: JinjaMacro, closure: [String: JinjaValue], _ arguments: Arguments) throws(JinjaError) -> JinjaValue {
        guard arguments.positional.count <= macro.parameters.count else {
            throw JinjaError(.runtime, "macro '\(macro.name)' takes \(macro.parameters.count) arguments, given \(arguments.positional.count)")
        }
        guard callDepth < 100 else { throw JinjaError(.runtime, "macro '\(macro.name)' recurses more than 100 deep") }
        var locals: [String: JinjaValue] = [:]
        for (i, (parameter, fallback)) in macro.parameters.enumerated() {
            if let value = arguments.value(i, parameter) {
                locals[parameter] = value
            } else {
                locals[parameter] = try fallback.map(evaluate) ?? .undefined(parameter)
            }
        }
        for (name, _) in arguments.named where !macro.parameters.contains(where: { $0.0 == name }) {
            throw JinjaError(.runtime, "macro '\(macro.name)' takes no keyword argument '\(name)'")
        }
        // A macro sees the template's top-level variables, those in force where it was defined, and its own; not its
        // caller's loop variables.
        let saved = scopes
        scopes = [scopes[0], closure, locals]
        callDepth += 1
        defer {
            scopes = saved
            callDepth -= 1
        }
        var out = ""
        _ = try render(macro.body, into: &out)
        return .string(out)
    }
}

/// `strftime` for the directives chat templates use to print today's date.
enum JinjaDates {
    private static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                                 "October", "November", "December"]
    private static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    static func format(_ date: Date, _ format: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone.current
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let (year, month, day) = (parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
        let (hour, minute, second, weekday) = (parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0, (parts.weekday ?? 1) - 1)
        var out = ""
        var scalars = format.unicodeScalars.makeIterator()
        while let c = scalars.next() {
            guard c == "%", var directive = scalars.next() else { out.unicodeScalars.append(c); continue }
            // glibc's `%-d` drops the leading zero.
            let padded = directive != "-"
            if !padded, let next = scalars.next() { directive = next }
            func number(_ n: Int, _ width: Int) -> String { padded ? String(format: "%0\(width)d", n) : String(n) }
            switch directive {
            case "d": out += number(day, 2)
            case "m": out += number(month, 2)
            case "Y": out += String(year)
            case "y": out += number(year % 100, 2)
            case "B": out += months[month - 1]
            case "b", "h": out += String(months[month - 1].prefix(3))
            case "A": out += weekdays[weekday]
            case "a": out += String(weekdays[weekday].prefix(3))
            case "H": out += number(hour, 2)
            case "I": out += number(hour % 12 == 0 ? 12 : hour % 12, 2)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "M": out += number(minute, 2)
            case "S": out += number(second, 2)
            case "j": out += number((calendar.ordinality(of: .day, in: .year, for: date) ?? 1), 3)
            case "%": out += "%"
            default: out += "%" + String(directive)
            }
        }
        return out
    }
}
