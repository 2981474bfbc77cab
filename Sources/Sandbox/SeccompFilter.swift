// The system calls no test needs, refused to everything in the sandbox: a classic BPF program in the form
// bubblewrap's `--seccomp FD` loads (an array of struct sock_filter), built here so no libseccomp is needed.
import Foundation

public enum SeccompFilter {
    /// (name, x86_64 number) of each refused call: tracing and reading other processes (how code under test could
    /// reach the supervisor's channel), kernel interfaces with a history of escapes, and the calls that mount,
    /// make namespaces or change the machine.
    public static let refused: [(name: String, number: UInt32)] = [
        ("ptrace", 101), ("process_vm_readv", 310), ("process_vm_writev", 311), ("pidfd_getfd", 438), ("kcmp", 312),
        ("io_uring_setup", 425), ("io_uring_enter", 426), ("io_uring_register", 427),
        ("add_key", 248), ("request_key", 249), ("keyctl", 250), ("bpf", 321), ("perf_event_open", 298), ("userfaultfd", 323),
        ("mount", 165), ("umount2", 166), ("pivot_root", 155), ("chroot", 161), ("unshare", 272), ("setns", 308),
        ("open_tree", 428), ("move_mount", 429), ("fsopen", 430), ("fsconfig", 431), ("fsmount", 432), ("fspick", 433),
        ("mount_setattr", 442), ("open_by_handle_at", 304), ("name_to_handle_at", 303),
        ("kexec_load", 246), ("kexec_file_load", 320), ("reboot", 169), ("init_module", 175), ("finit_module", 313),
        ("delete_module", 176), ("swapon", 167), ("swapoff", 168), ("acct", 163), ("quotactl", 179), ("syslog", 103),
        ("lookup_dcookie", 212), ("vhangup", 153), ("settimeofday", 164), ("clock_settime", 227), ("adjtimex", 159),
        ("clock_adjtime", 305), ("modify_ldt", 154), ("uselib", 134), ("_sysctl", 156),
    ]

    /// The signal a refused call ends its process with (the kernel's SECCOMP_RET_KILL_PROCESS).
    public static let signalName = "SIGSYS"

    static let auditArchX86_64: UInt32 = 0xC000_003E
    /// x32 system calls on x86_64 carry this bit; none is needed, and their numbers would slip past the list.
    static let x32Bit: UInt32 = 0x4000_0000
    static let retAllow: UInt32 = 0x7FFF_0000
    static let retKillProcess: UInt32 = 0x8000_0000

    /// The program for this machine, or nil where the list's numbers do not apply (not x86_64).
    public static func program() -> [UInt8]? {
        #if arch(x86_64)
        return assemble(arch: auditArchX86_64, refused: refused.map(\.number))
        #else
        return nil
        #endif
    }

    /// `ld arch; jne → kill; ld nr; jge x32 → kill; jeq each refused → kill; ret allow; kill: ret kill-process`.
    static func assemble(arch: UInt32, refused numbers: [UInt32]) -> [UInt8] {
        let loadWord: UInt16 = 0x20, jumpEqual: UInt16 = 0x15, jumpGreaterOrEqual: UInt16 = 0x35, returnConstant: UInt16 = 0x06
        var instructions: [(code: UInt16, jt: UInt8, jf: UInt8, k: UInt32)] = []
        // Instructions after the jump at `index` up to the final kill-process return.
        func toKill(from index: Int, count: Int) -> UInt8 { UInt8(count - index - 2) }
        let count = 4 + numbers.count + 2
        instructions.append((loadWord, 0, 0, 4))
        instructions.append((jumpEqual, 0, toKill(from: 1, count: count), arch))
        instructions.append((loadWord, 0, 0, 0))
        instructions.append((jumpGreaterOrEqual, toKill(from: 3, count: count), 0, x32Bit))
        for (offset, number) in numbers.enumerated() {
            instructions.append((jumpEqual, toKill(from: 4 + offset, count: count), 0, number))
        }
        instructions.append((returnConstant, 0, 0, retAllow))
        instructions.append((returnConstant, 0, 0, retKillProcess))
        precondition(instructions.count == count && count - 2 < 256, "jump offsets are one byte")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 * count)
        for instruction in instructions {
            withUnsafeBytes(of: instruction.code.littleEndian) { bytes += $0 }
            bytes += [instruction.jt, instruction.jf]
            withUnsafeBytes(of: instruction.k.littleEndian) { bytes += $0 }
        }
        return bytes
    }
}
