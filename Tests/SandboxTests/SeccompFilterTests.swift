// The seccomp program as bytes: every refused call jumps to the kill, everything else reaches the allow.
import Sandbox
import Testing

@Suite struct SeccompFilterTests {
    /// Runs the classic BPF program on (arch, nr) the way the kernel does, for the few opcodes it uses.
    func verdict(_ program: [UInt8], arch: UInt32, number: UInt32) -> UInt32 {
        func word(_ offset: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(program[offset + $1]) << (8 * $1) } }
        var pc = 0
        var accumulator: UInt32 = 0
        while pc * 8 < program.count {
            let base = pc * 8
            let code = UInt16(program[base]) | UInt16(program[base + 1]) << 8
            let (jt, jf, k) = (Int(program[base + 2]), Int(program[base + 3]), word(base + 4))
            switch code {
            case 0x20: accumulator = k == 4 ? arch : number; pc += 1
            case 0x15: pc += 1 + (accumulator == k ? jt : jf)
            case 0x35: pc += 1 + (accumulator >= k ? jt : jf)
            case 0x06: return k
            default: Issue.record("unexpected opcode \(code)"); return 0
            }
        }
        Issue.record("the program fell off its end")
        return 0
    }

    @Test func refusedCallsKillAndOthersPass() throws {
        let program = try #require(SeccompFilter.program())
        #expect(program.count == 8 * (SeccompFilter.refused.count + 6))
        let x86_64: UInt32 = 0xC000_003E, kill: UInt32 = 0x8000_0000, allow: UInt32 = 0x7FFF_0000
        for (name, number) in SeccompFilter.refused {
            #expect(verdict(program, arch: x86_64, number: number) == kill, "\(name)")
        }
        // read, write, openat, clone, execve, wait4, kill, pidfd_open: what Python and tests use.
        for number: UInt32 in [0, 1, 257, 56, 59, 61, 62, 434] {
            #expect(verdict(program, arch: x86_64, number: number) == allow, "\(number)")
        }
        // x32 numbers and 32-bit system calls (int 0x80) would slip past the list: refused whole.
        #expect(verdict(program, arch: x86_64, number: 0x4000_0000 | 101) == kill)
        #expect(verdict(program, arch: 0x4000_0003, number: 26) == kill)
    }
}
