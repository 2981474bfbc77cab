// A unified diff of two texts by longest common subsequence of lines: how the rewrite changed the original.

public enum LineDiff {
    public enum Line: Equatable, Sendable {
        case same(String), removed(String), added(String)
    }

    public static func lines(from old: String, to new: String) -> [Line] {
        let a = old.components(separatedBy: "\n"), b = new.components(separatedBy: "\n")
        // lengths[i][j]: LCS length of a[i...] and b[j...]. Snippets are short, so O(n*m) is fine.
        var lengths = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lengths[i][j] = a[i] == b[j] ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
            }
        }
        var result: [Line] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count && j < b.count && a[i] == b[j] {
                result.append(.same(a[i])); i += 1; j += 1
            } else if j < b.count && (i == a.count || lengths[i][j + 1] >= lengths[i + 1][j]) {
                result.append(.added(b[j])); j += 1
            } else {
                result.append(.removed(a[i])); i += 1
            }
        }
        return result
    }

    /// `--- original` / `+++ rewrite` with one hunk holding every line (snippets are small).
    public static func unified(from old: String, to new: String, oldName: String = "original", newName: String = "rewrite") -> String {
        let diff = lines(from: old.trimmingTrailingNewlines, to: new.trimmingTrailingNewlines)
        let oldCount = diff.filter { if case .added = $0 { return false } else { return true } }.count
        let newCount = diff.filter { if case .removed = $0 { return false } else { return true } }.count
        var out = ["--- \(oldName)", "+++ \(newName)", "@@ -1,\(oldCount) +1,\(newCount) @@"]
        for line in diff {
            switch line {
            case let .same(text): out.append(" " + text)
            case let .removed(text): out.append("-" + text)
            case let .added(text): out.append("+" + text)
            }
        }
        return out.joined(separator: "\n")
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var s = Substring(self)
        while s.last == "\n" { s = s.dropLast() }
        return String(s)
    }
}
