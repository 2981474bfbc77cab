// The Hugging Face hub cache on disk, as `huggingface-cli download ORG/NAME` leaves it:
//   $HF_HUB_CACHE (else $HF_HOME/hub, else ~/.cache/huggingface/hub)/models--ORG--NAME/
//     refs/main              the commit hash of the snapshot `main` points to
//     snapshots/<hash>/...   the files (links into blobs/)
import Foundation

public struct HuggingFaceCache: Sendable {
    /// The hub directory that holds `models--ORG--NAME` directories.
    public let hub: URL

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let cache = environment["HF_HUB_CACHE"], !cache.isEmpty {
            hub = URL(fileURLWithPath: cache, isDirectory: true)
        } else if let home = environment["HF_HOME"], !home.isEmpty {
            hub = URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent("hub", isDirectory: true)
        } else {
            let home = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? FileManager.default.homeDirectoryForCurrentUser
            hub = home.appendingPathComponent(".cache/huggingface/hub", isDirectory: true)
        }
    }

    /// True for `ORG/NAME`: two path components of the characters the hub allows.
    public static func isRepositoryID(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && !$0.hasPrefix(".") && $0.allSatisfy(allowed.contains) }
    }

    public func repositoryDirectory(_ repository: String) -> URL {
        hub.appendingPathComponent("models--" + repository.replacingOccurrences(of: "/", with: "--"), isDirectory: true)
    }

    public enum Lookup: Sendable, Equatable {
        case found(URL)
        /// Why nothing was found, naming the paths looked at.
        case missing(String)
    }

    /// The snapshot `refs/main` names, or the only snapshot when there is no ref.
    public func snapshot(_ repository: String) -> Lookup {
        let fm = FileManager.default
        let directory = repositoryDirectory(repository)
        let snapshots = directory.appendingPathComponent("snapshots", isDirectory: true)
        let ref = directory.appendingPathComponent("refs/main")
        if let hash = try? String(contentsOf: ref, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !hash.isEmpty {
            let snapshot = snapshots.appendingPathComponent(hash, isDirectory: true)
            return fm.fileExists(atPath: snapshot.path)
                ? .found(snapshot)
                : .missing("\(ref.path) names \(hash), but \(snapshot.path) does not exist")
        }
        let present = ((try? fm.contentsOfDirectory(atPath: snapshots.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        switch present.count {
        case 1: return .found(snapshots.appendingPathComponent(present[0], isDirectory: true))
        case 0: return .missing("no snapshot in \(directory.path)")
        default: return .missing("\(present.count) snapshots in \(snapshots.path) and no refs/main to choose one: pass the snapshot directory")
        }
    }
}
