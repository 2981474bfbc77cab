// Where collected code comes from: the repository (a git working tree's remote and commit, or the input's name) and
// each file's licence (an SPDX header, else the nearest licence file, else package metadata), read from the files
// themselves; nothing is fetched.
import Foundation

struct RepositoryInfo: Equatable {
    /// The remote `origin` of a git working tree, else the input's own name.
    var name: String
    /// The commit checked out, when the input is a git working tree.
    var revision: String?

    /// The repository an input path belongs to: the nearest directory at or above it holding `.git`.
    static func of(input path: String) -> RepositoryInfo {
        let input = URL(fileURLWithPath: path).standardizedFileURL
        var directory = input
        let fileManager = FileManager.default
        while directory.path != "/" {
            let git = directory.appendingPathComponent(".git")
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: git.path, isDirectory: &isDirectory), isDirectory.boolValue {
                return RepositoryInfo(name: origin(git) ?? directory.lastPathComponent, revision: head(git))
            }
            directory = directory.deletingLastPathComponent()
        }
        return RepositoryInfo(name: input.lastPathComponent, revision: nil)
    }

    /// `url` of `[remote "origin"]` in .git/config, without any credentials in it.
    static func origin(_ git: URL) -> String? {
        guard let config = try? String(contentsOf: git.appendingPathComponent("config"), encoding: .utf8) else { return nil }
        var inOrigin = false
        for raw in config.components(separatedBy: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") { inOrigin = line == "[remote \"origin\"]"; continue }
            if inOrigin, line.hasPrefix("url") , let equals = line.firstIndex(of: "=") {
                var url = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                // https://user:token@host/... must not end up in a dataset.
                if let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") {
                    url = String(url[..<scheme.upperBound]) + url[url.index(after: at)...]
                }
                return url
            }
        }
        return nil
    }

    /// The commit HEAD names: directly, or through a ref (loose or packed).
    static func head(_ git: URL) -> String? {
        guard let head = try? String(contentsOf: git.appendingPathComponent("HEAD"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        guard head.hasPrefix("ref: ") else { return isCommit(head) ? head : nil }
        let ref = String(head.dropFirst(5))
        if let loose = try? String(contentsOf: git.appendingPathComponent(ref), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), isCommit(loose) {
            return loose
        }
        let packed = (try? String(contentsOf: git.appendingPathComponent("packed-refs"), encoding: .utf8)) ?? ""
        for line in packed.components(separatedBy: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[1] == ref, isCommit(String(parts[0])) { return String(parts[0]) }
        }
        return nil
    }

    static func isCommit(_ text: String) -> Bool {
        (text.count == 40 || text.count == 64) && text.allSatisfy(\.isHexDigit)
    }
}

/// A file's licence as an SPDX identifier, with where it was read.
struct LicenseFinding: Equatable {
    var spdx: String
    /// `SPDX header`, or the file it came from, relative to the input.
    var evidence: String
}

/// Finds licences per file, caching what each directory says.
final class LicenseFinder {
    let root: URL
    private var cache: [String: LicenseFinding?] = [:]

    init(root: String) {
        var url = URL(fileURLWithPath: root).standardizedFileURL
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            url = url.deletingLastPathComponent()
        }
        self.root = url
    }

    /// The licence of one file: its own SPDX header first, then the nearest directory (up to the input root) that
    /// says one, by a licence file or package metadata.
    func license(of file: String, text: String) -> LicenseFinding? {
        if let spdx = Self.spdxHeader(text) { return LicenseFinding(spdx: spdx, evidence: "SPDX header") }
        var directory = URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent()
        while directory.pathComponents.starts(with: root.pathComponents) {
            if let found = directoryLicense(directory) { return found }
            if directory.pathComponents.count <= root.pathComponents.count { break }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    private func directoryLicense(_ directory: URL) -> LicenseFinding? {
        if let cached = cache[directory.path] { return cached }
        var found: LicenseFinding?
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.sorted() ?? []
        for name in names where Self.isLicenseFile(name) {
            if let text = Self.read(directory.appendingPathComponent(name)), let spdx = Self.classify(licenseText: text) {
                found = LicenseFinding(spdx: spdx, evidence: relative(directory.appendingPathComponent(name)))
                break
            }
        }
        if found == nil {
            for name in ["pyproject.toml", "setup.cfg", "PKG-INFO", "METADATA"] where names.contains(name) {
                if let text = Self.read(directory.appendingPathComponent(name)), let spdx = Self.metadataLicense(text) {
                    found = LicenseFinding(spdx: spdx, evidence: relative(directory.appendingPathComponent(name)))
                    break
                }
            }
        }
        cache[directory.path] = .some(found)
        return found
    }

    private func relative(_ url: URL) -> String {
        ([root.lastPathComponent] + url.pathComponents.dropFirst(root.pathComponents.count)).joined(separator: "/")
    }

    static func read(_ url: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: url.path), data.count < 1 << 20 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func isLicenseFile(_ name: String) -> Bool {
        let base = name.uppercased().split(separator: ".").first.map(String.init) ?? ""
        return ["LICENSE", "LICENCE", "COPYING", "COPYRIGHT", "UNLICENSE"].contains(base)
            || base.hasPrefix("LICENSE-") || base.hasPrefix("LICENCE-")
    }

    static let spdxPattern = try! NSRegularExpression(pattern: #"SPDX-License-Identifier:\s*([A-Za-z0-9.+\-]+(?:\s+(?:OR|AND|WITH)\s+[A-Za-z0-9.+\-]+)*)"#)

    /// `SPDX-License-Identifier: MIT` in the first 30 lines.
    static func spdxHeader(_ text: String) -> String? {
        let head = text.split(separator: "\n", maxSplits: 30, omittingEmptySubsequences: false).prefix(30).joined(separator: "\n")
        guard let match = spdxPattern.firstMatch(in: head, range: NSRange(head.startIndex..., in: head)),
              let range = Range(match.range(at: 1), in: head) else { return nil }
        return String(head[range])
    }

    /// The SPDX identifier of a licence text, from phrases each licence has and the others lack.
    static func classify(licenseText text: String) -> String? {
        let t = text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        func has(_ phrase: String) -> Bool { t.contains(phrase) }
        // Python's licence tells its history with the GPL: the specific names come first.
        if has("python software foundation license") { return "PSF-2.0" }
        if has("gnu affero general public license") { return "AGPL-3.0" }
        if has("gnu lesser general public license") { return has("version 3") ? "LGPL-3.0" : "LGPL-2.1" }
        if has("gnu general public license") { return has("version 3") ? "GPL-3.0" : "GPL-2.0" }
        if has("mozilla public license") { return "MPL-2.0" }
        if has("apache license") && has("version 2.0") { return "Apache-2.0" }
        if has("this is free and unencumbered software released into the public domain") { return "Unlicense" }
        if has("permission to use, copy, modify, and/or distribute this software for any purpose") { return "ISC" }
        if has("permission is hereby granted, free of charge") { return "MIT" }
        if has("redistribution and use in source and binary forms") {
            return has("neither the name") || has("names of its contributors") ? "BSD-3-Clause" : "BSD-2-Clause"
        }
        if has("creative commons") && has("cc0") { return "CC0-1.0" }
        return nil
    }

    /// `license = "MIT"` (pyproject.toml, setup.cfg), `license = {text = "MIT"}`, `License: MIT` / `License-Expression: MIT`
    /// (PKG-INFO, METADATA), and `License :: OSI Approved :: MIT License` classifiers.
    static func metadataLicense(_ text: String) -> String? {
        for raw in text.components(separatedBy: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            var value: String?
            for key in ["License-Expression:", "License:"] where line.hasPrefix(key) {
                value = String(line.dropFirst(key.count))
            }
            if value == nil, line.hasPrefix("license"), let equals = line.firstIndex(of: "="),
               line[..<equals].trimmingCharacters(in: .whitespaces) == "license" {
                value = String(line[line.index(after: equals)...])
            }
            if value == nil, line.contains("License :: OSI Approved ::") {
                value = line.components(separatedBy: "::").last
            }
            guard var found = value else { continue }
            found = found.replacingOccurrences(of: "{text", with: "").replacingOccurrences(of: "=", with: "")
                .trimmingCharacters(in: CharacterSet(charactersIn: " \"'{},"))
            if let spdx = spdxName(found) { return spdx }
        }
        return nil
    }

    /// Common ways metadata names a licence, as SPDX identifiers; an identifier already in SPDX form passes through.
    static func spdxName(_ name: String) -> String? {
        let key = name.lowercased().replacingOccurrences(of: " license", with: "").trimmingCharacters(in: .whitespaces)
        let known: [String: String] = [
            "mit": "MIT", "apache 2.0": "Apache-2.0", "apache-2.0": "Apache-2.0", "apache software": "Apache-2.0",
            "apache": "Apache-2.0", "bsd": "BSD-3-Clause", "bsd-3-clause": "BSD-3-Clause", "bsd-2-clause": "BSD-2-Clause",
            "new bsd": "BSD-3-Clause", "simplified bsd": "BSD-2-Clause", "isc": "ISC", "mpl-2.0": "MPL-2.0",
            "mozilla public 2.0 (mpl 2.0)": "MPL-2.0", "gpl-3.0": "GPL-3.0", "gplv3": "GPL-3.0", "gpl-2.0": "GPL-2.0",
            "gplv2": "GPL-2.0", "gnu general public v3 (gplv3)": "GPL-3.0", "gnu general public v2 (gplv2)": "GPL-2.0",
            "lgpl-3.0": "LGPL-3.0", "lgpl-2.1": "LGPL-2.1", "agpl-3.0": "AGPL-3.0", "unlicense": "Unlicense",
            "the unlicense (unlicense)": "Unlicense", "psf": "PSF-2.0", "python software foundation": "PSF-2.0",
            "psf-2.0": "PSF-2.0", "0bsd": "0BSD", "zlib": "Zlib", "cc0-1.0": "CC0-1.0",
        ]
        return known[key]
    }

    /// Licences that let code be reused with attribution and nothing more: what `allow: [permissive]` means.
    static let permissive: Set<String> = ["MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "PSF-2.0", "Unlicense",
                                          "0BSD", "Zlib", "CC0-1.0"]
}

/// Licence classification as the collect stage does it, for tools and tests: SPDX identifiers or nil.
public enum LicenseCheck {
    public static func classify(_ licenseText: String) -> String? { LicenseFinder.classify(licenseText: licenseText) }
    public static func metadata(_ text: String) -> String? { LicenseFinder.metadataLicense(text) }
}
