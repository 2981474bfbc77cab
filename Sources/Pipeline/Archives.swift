// A repository given as a .tar.gz, .tar.bz2, .tar.xz, .tar or .zip: unpacked once into the run directory by Python's
// tarfile and zipfile (read, never executed), regular files only, no path that leaves the target, bounded in size.
import Foundation
import Sandbox

enum Archive {
    static let suffixes = [".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip"]
    /// What an archive may unpack to.
    static let maxBytes = 1 << 30

    static func isArchive(_ path: String) -> Bool {
        let lower = path.lowercased()
        return suffixes.contains { lower.hasSuffix($0) }
    }

    /// The archive's name without its suffix: `tools-1.2.tar.gz` -> `tools-1.2`.
    static func baseName(_ path: String) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let lower = name.lowercased()
        for suffix in suffixes where lower.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return name
    }

    /// Unpacks `path` under `workspace/sources/NAME` (reusing a finished unpack, so a resumed run reads the same files)
    /// and returns the root to collect from: the single top-level directory when the archive has one.
    static func unpack(_ path: String, into workspace: URL) throws -> URL {
        let target = workspace.appendingPathComponent("sources").appendingPathComponent(baseName(path))
        let marker = target.appendingPathComponent(".unpacked")
        if !FileManager.default.fileExists(atPath: marker.path) {
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            let request = try JSONSerialization.data(withJSONObject: ["archive": path, "target": target.path, "max_bytes": maxBytes])
            let result = try ExternalTool.run(URL(fileURLWithPath: IsolationProbe.pythonPath), ["-I", "-c", script], input: request)
            guard result.status == 0 else {
                throw PipelineError.input(path: path, message: "cannot unpack: \(result.error.trimmingCharacters(in: .whitespacesAndNewlines).suffix(400))")
            }
            try Data(result.output.utf8).write(to: marker)
        }
        let entries = try FileManager.default.contentsOfDirectory(atPath: target.path).filter { $0 != ".unpacked" }
        var isDirectory: ObjCBool = false
        if entries.count == 1, FileManager.default.fileExists(atPath: target.appendingPathComponent(entries[0]).path, isDirectory: &isDirectory),
           isDirectory.boolValue {
            return target.appendingPathComponent(entries[0])
        }
        return target
    }

    static let script = #"""
import json, os, shutil, stat, sys, tarfile, zipfile

request = json.load(sys.stdin)
source, target, limit = request["archive"], request["target"], request["max_bytes"]
written, skipped = [0], []


def place(name):
    """The host path of a member, or None when its name is absolute or climbs out of the target."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if name.startswith("/") or not parts or ".." in parts:
        return None
    return os.path.join(target, *parts)


def copy(name, size, opener):
    path = place(name)
    if path is None:
        skipped.append([name, "its path leaves the archive"])
        return
    written[0] += size
    if written[0] > limit:
        raise SystemExit("the archive unpacks to more than %d bytes" % limit)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with opener() as data, open(path, "wb") as out:
        shutil.copyfileobj(data, out)


try:
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                kind = (info.external_attr >> 16) & 0o170000
                if info.is_dir():
                    continue
                if kind and kind != stat.S_IFREG:
                    skipped.append([info.filename, "not a regular file"])
                    continue
                copy(info.filename, info.file_size, lambda: archive.open(info))
    else:
        with tarfile.open(source) as archive:
            for member in archive:
                if member.isdir():
                    continue
                if not member.isfile():
                    skipped.append([member.name, "not a regular file"])
                    continue
                copy(member.name, member.size, lambda: archive.extractfile(member))
except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as error:
    raise SystemExit("%s: %s" % (type(error).__name__, error))
json.dump({"bytes": written[0], "skipped": skipped}, sys.stdout)
"""#
}
