// A safe reader for the pickle in a PyTorch checkpoint (`archive/data.pkl`). It interprets only the opcodes a
// state dict uses and builds plain values; the only callables it knows are OrderedDict and
// `torch._utils._rebuild_tensor_v2`, which it evaluates itself into tensor descriptions. Any other global or
// opcode is refused with its offset. Nothing from the file is ever executed or imported.
import Foundation
import Kernels

/// A tensor as the pickle describes it: a view of a storage (`archive/data/<key>`).
public struct PyTorchTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: PyTorchDType
    public let shape: [Int]
    public let strides: [Int]
    public let storageKey: String
    /// Offset of the first element in the storage, in elements.
    public let storageOffset: Int

    public var elementCount: Int { shape.reduce(1, *) }

    /// Row-major strides for the shape; a dimension of size 1 may have any stride.
    public var isContiguous: Bool {
        var expected = 1
        for (extent, stride) in zip(shape, strides).reversed() {
            if extent != 1, stride != expected { return false }
            expected *= extent
        }
        return true
    }
}

/// The storage types a state dict of a language model holds.
public enum PyTorchDType: String, Sendable, CaseIterable {
    case bf16 = "BFloat16Storage"
    case f16 = "HalfStorage"
    case f32 = "FloatStorage"

    public var byteSize: Int { self == .f32 ? 4 : 2 }

    /// The engine's element type for weights of this storage.
    public var tensorType: TensorType {
        switch self {
        case .bf16: .bf16
        case .f16: .f16
        case .f32: .f32
        }
    }
}

/// Values the unpickler builds. Dicts and lists are objects: the memo and the stack share them, as in Python.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    case global(String)
    case storage(dtype: PyTorchDType, key: String)
    case tensor(dtype: PyTorchDType, key: String, offset: Int, shape: [Int], strides: [Int])

    var kind: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case let .global(name): name
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }
}

final class PickleDict {
    var entries: [(key: PickleValue, value: PickleValue)] = []
}

final class PickleList {
    var items: [PickleValue] = []
}

public enum StateDictUnpickler {
    /// Globals the pickle may name; everything else is refused.
    static let allowedGlobals = Set(["collections.OrderedDict", "torch._utils._rebuild_tensor_v2"]
        + PyTorchDType.allCases.map { "torch." + $0.rawValue })

    /// The tensors of the state dict in `pickle`, in the pickle's order; entries that are not tensors are skipped.
    public static func tensors(in pickle: UnsafeRawBufferPointer, file: String) throws(ModelFileError) -> [PyTorchTensorInfo] {
        var machine = PickleMachine(bytes: pickle, file: file)
        let root = try machine.run()
        guard case let .dict(dict) = root else {
            throw .invalidPickle(file: file, offset: 0, reason: "the pickle holds a \(root.kind), not a state dict")
        }
        var tensors: [PyTorchTensorInfo] = []
        for (key, value) in dict.entries {
            guard case let .string(name) = key else {
                throw .invalidPickle(file: file, offset: 0, reason: "a state dict key is a \(key.kind), not a string")
            }
            if case let .tensor(dtype, storage, offset, shape, strides) = value {
                tensors.append(PyTorchTensorInfo(name: name, dtype: dtype, shape: shape, strides: strides,
                                                 storageKey: storage, storageOffset: offset))
            }
        }
        return tensors
    }
}

/// The pickle virtual machine, restricted to what `torch.save` of a state dict emits (protocols 2 to 4).
private struct PickleMachine {
    let bytes: UnsafeRawBufferPointer
    let file: String
    var position = 0
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]
    /// Offset of the opcode being executed, for errors.
    var opcodeOffset = 0

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    mutating func run() throws(ModelFileError) -> PickleValue {
        while true {
            opcodeOffset = position
            let opcode = try byte()
            switch opcode {
            case 0x80: _ = try byte() // PROTO
            case 0x95: _ = try read(8) // FRAME: a length hint
            case 0x2E: // STOP
                guard stack.count == 1 else { throw invalid("STOP with \(stack.count) values on the stack") }
                return stack[0]
            case 0x28: marks.append(stack.count) // MARK
            case 0x7D: stack.append(.dict(PickleDict())) // EMPTY_DICT
            case 0x5D: stack.append(.list(PickleList())) // EMPTY_LIST
            case 0x29: stack.append(.tuple([])) // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popMark())) // TUPLE
            case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
                let count = Int(opcode - 0x84)
                guard stack.count - count >= (marks.last ?? 0) else { throw invalid("TUPLE\(count) on a stack of \(stack.count)") }
                let items = Array(stack.suffix(count))
                stack.removeLast(count)
                stack.append(.tuple(items))
            case 0x4E: stack.append(.none) // NONE
            case 0x88: stack.append(.bool(true)) // NEWTRUE
            case 0x89: stack.append(.bool(false)) // NEWFALSE
            case 0x4B: stack.append(.int(Int(try byte()))) // BININT1
            case 0x4D: stack.append(.int(Int(try littleEndian(2)))) // BININT2
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try littleEndian(4))))) // BININT
            case 0x8A: stack.append(.int(try long1())) // LONG1
            case 0x47: // BINFLOAT: big-endian double
                let raw = try read(8)
                stack.append(.float(Double(bitPattern: raw.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))
            case 0x58: stack.append(.string(try text(length: Int(try littleEndian(4))))) // BINUNICODE
            case 0x8C: stack.append(.string(try text(length: Int(try byte())))) // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(try text(length: Int(clamping: try littleEndian(8))))) // BINUNICODE8
            case 0x71: try put(Int(try byte())) // BINPUT
            case 0x72: try put(Int(try littleEndian(4))) // LONG_BINPUT
            case 0x94: try put(memo.count) // MEMOIZE
            case 0x68: try get(Int(try byte())) // BINGET
            case 0x6A: try get(Int(try littleEndian(4))) // LONG_BINGET
            case 0x63: // GLOBAL: "module\nname\n"
                let module = try line(), name = try line()
                stack.append(try global(module + "." + name))
            case 0x93: // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case let .string(n) = name, case let .string(m) = module else {
                    throw invalid("STACK_GLOBAL needs two strings, got \(module.kind) and \(name.kind)")
                }
                stack.append(try global(m + "." + n))
            case 0x51: stack.append(try persistentLoad(try pop())) // BINPERSID
            case 0x52: // REDUCE
                let arguments = try pop(), callable = try pop()
                stack.append(try reduce(callable, arguments))
            case 0x62: // BUILD: the state of an OrderedDict is its `_metadata` attribute, which we do not need
                let state = try pop()
                guard case .dict = try top() else { throw refused("BUILD on a \(try top().kind) with a \(state.kind)") }
            case 0x73: // SETITEM
                let value = try pop(), key = try pop()
                try dict(top()).entries.append((key, value))
            case 0x75: // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0 else { throw invalid("SETITEMS with an odd number of values") }
                let target = try dict(top())
                for i in stride(from: 0, to: items.count, by: 2) { target.entries.append((items[i], items[i + 1])) }
            case 0x61: // APPEND
                let value = try pop()
                try list(top()).items.append(value)
            case 0x65: // APPENDS
                let items = try popMark()
                try list(top()).items.append(contentsOf: items)
            default:
                throw refused("opcode \(Self.describe(opcode)) is not part of a state dict")
            }
        }
    }

    // MARK: - The three callables

    func global(_ name: String) throws(ModelFileError) -> PickleValue {
        guard StateDictUnpickler.allowedGlobals.contains(name) else {
            throw refused("global \(name) is not allowed (only OrderedDict, _rebuild_tensor_v2 and BF16/F16/F32 storages)")
        }
        return .global(name)
    }

    /// ('storage', torch.XStorage, key, location, element count) -> a storage reference.
    func persistentLoad(_ id: PickleValue) throws(ModelFileError) -> PickleValue {
        guard case let .tuple(fields) = id, fields.count == 5, case .string("storage") = fields[0],
              case let .global(type) = fields[1], case let .string(key) = fields[2] else {
            throw invalid("persistent id \(id.kind) is not ('storage', type, key, location, size)")
        }
        guard let dtype = PyTorchDType(rawValue: String(type.dropFirst("torch.".count))), type.hasPrefix("torch.") else {
            throw refused("storage type \(type) is not BF16, F16 or F32")
        }
        return .storage(dtype: dtype, key: key)
    }

    func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws(ModelFileError) -> PickleValue {
        guard case let .global(name) = callable, case let .tuple(args) = arguments else {
            throw refused("REDUCE of a \(callable.kind) with a \(arguments.kind)")
        }
        switch name {
        case "collections.OrderedDict":
            guard args.isEmpty else { throw refused("OrderedDict with \(args.count) arguments") }
            return .dict(PickleDict())
        case "torch._utils._rebuild_tensor_v2":
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard args.count >= 6, case let .storage(dtype, key) = args[0], case let .int(offset) = args[1],
                  let shape = Self.ints(args[2]), let strides = Self.ints(args[3]), shape.count == strides.count,
                  offset >= 0, shape.allSatisfy({ $0 >= 0 }) else {
                throw invalid("_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, ...)")
            }
            // Sizes that overflow when multiplied out cannot describe bytes in a file.
            var count = 1
            for extent in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: extent)
                guard !overflow, product < 1 << 48 else { throw invalid("a tensor of shape \(shape) is too large") }
                count = product
            }
            guard offset < 1 << 48 else { throw invalid("storage offset \(offset) is too large") }
            return .tensor(dtype: dtype, key: key, offset: offset, shape: shape, strides: strides)
        default:
            throw refused("REDUCE of \(name)")
        }
    }

    static func ints(_ value: PickleValue) -> [Int]? {
        guard case let .tuple(items) = value else { return nil }
        var ints: [Int] = []
        for item in items {
            guard case let .int(v) = item else { return nil }
            ints.append(v)
        }
        return ints
    }

    // MARK: - Stack and memo

    mutating func pop() throws(ModelFileError) -> PickleValue {
        guard let value = stack.popLast(), marks.last.map({ stack.count >= $0 }) ?? true else {
            throw invalid("a value is needed but the stack is empty")
        }
        return value
    }

    func top() throws(ModelFileError) -> PickleValue {
        guard let value = stack.last else { throw invalid("a value is needed but the stack is empty") }
        return value
    }

    mutating func popMark() throws(ModelFileError) -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw invalid("no MARK to pop to") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    func dict(_ value: PickleValue) throws(ModelFileError) -> PickleDict {
        guard case let .dict(d) = value else { throw refused("setting items on a \(value.kind)") }
        return d
    }

    func list(_ value: PickleValue) throws(ModelFileError) -> PickleList {
        guard case let .list(l) = value else { throw refused("appending to a \(value.kind)") }
        return l
    }

    mutating func put(_ index: Int) throws(ModelFileError) { memo[index] = try top() }

    mutating func get(_ index: Int) throws(ModelFileError) {
        guard let value = memo[index] else { throw invalid("memo \(index) is empty") }
        stack.append(value)
    }

    // MARK: - Bytes

    mutating func read(_ count: Int) throws(ModelFileError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - position else {
            throw invalid("truncated: \(count) bytes needed, \(bytes.count - position) left")
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }

    mutating func byte() throws(ModelFileError) -> UInt8 { try read(1)[0] }

    mutating func littleEndian(_ count: Int) throws(ModelFileError) -> UInt64 {
        try read(count).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// LONG1: a length byte, then that many bytes of little-endian two's complement.
    mutating func long1() throws(ModelFileError) -> Int {
        let length = Int(try byte())
        guard length <= 8 else { throw refused("LONG1 of \(length) bytes does not fit 64 bits") }
        if length == 0 { return 0 }
        let raw = try littleEndian(length)
        let shift = UInt64(64 - 8 * length)
        return Int(Int64(bitPattern: raw << shift) >> Int64(shift))
    }

    mutating func text(length: Int) throws(ModelFileError) -> String {
        String(decoding: try read(length), as: UTF8.self)
    }

    mutating func line() throws(ModelFileError) -> String {
        var characters: [UInt8] = []
        while true {
            let c = try byte()
            if c == 0x0A { return String(decoding: characters, as: UTF8.self) }
            guard characters.count < 256 else { throw invalid("GLOBAL name longer than 256 bytes") }
            characters.append(c)
        }
    }

    func invalid(_ reason: String) -> ModelFileError { .invalidPickle(file: file, offset: opcodeOffset, reason: reason) }
    func refused(_ reason: String) -> ModelFileError { .unsupportedPickle(file: file, offset: opcodeOffset, reason: reason) }

    /// Python's name for a pickle opcode, with its byte.
    static func describe(_ opcode: UInt8) -> String {
        let names: [UInt8: String] = [
            0x28: "MARK", 0x2E: "STOP", 0x30: "POP", 0x31: "POP_MARK", 0x32: "DUP", 0x46: "FLOAT", 0x49: "INT",
            0x4A: "BININT", 0x4B: "BININT1", 0x4C: "LONG", 0x4D: "BININT2", 0x4E: "NONE", 0x50: "PERSID",
            0x51: "BINPERSID", 0x52: "REDUCE", 0x53: "STRING", 0x54: "BINSTRING", 0x55: "SHORT_BINSTRING",
            0x56: "UNICODE", 0x58: "BINUNICODE", 0x61: "APPEND", 0x62: "BUILD", 0x63: "GLOBAL", 0x64: "DICT",
            0x7D: "EMPTY_DICT", 0x65: "APPENDS", 0x67: "GET", 0x68: "BINGET", 0x69: "INST", 0x6A: "LONG_BINGET",
            0x6C: "LIST", 0x5D: "EMPTY_LIST", 0x6F: "OBJ", 0x70: "PUT", 0x71: "BINPUT", 0x72: "LONG_BINPUT",
            0x73: "SETITEM", 0x74: "TUPLE", 0x29: "EMPTY_TUPLE", 0x75: "SETITEMS", 0x47: "BINFLOAT",
            0x80: "PROTO", 0x81: "NEWOBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x85: "TUPLE1",
            0x86: "TUPLE2", 0x87: "TUPLE3", 0x88: "NEWTRUE", 0x89: "NEWFALSE", 0x8A: "LONG1", 0x8B: "LONG4",
            0x42: "BINBYTES", 0x43: "SHORT_BINBYTES", 0x8C: "SHORT_BINUNICODE", 0x8D: "BINUNICODE8",
            0x8E: "BINBYTES8", 0x8F: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET", 0x92: "NEWOBJ_EX",
            0x93: "STACK_GLOBAL", 0x94: "MEMOIZE", 0x95: "FRAME", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER",
            0x98: "READONLY_BUFFER",
        ]
        return "\(names[opcode] ?? "unknown") (0x\(String(opcode, radix: 16)))"
    }
}
