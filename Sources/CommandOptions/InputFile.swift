// A text file named on the command line, read whole; a failure names the file and why.
import Foundation
import Sandbox

public enum InputFile {
    public static func text(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SandboxError.unreadableFile(path: path, reason: error.localizedDescription)
        }
    }
}
