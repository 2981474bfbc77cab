// Checks generated texts with Debian's Python in one batched subprocess: calls parse with Python's own
// parser and every argument is a literal `ast.literal_eval` accepts; fences and sentences have their form.
import Foundation

enum PythonChecker {
    static let script = #"""
    import ast, json, re, sys
    def check(item):
        text, kind = item["text"], item["kind"]
        if kind == "calls":
            lines = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
            if not item["min"] <= len(lines) <= item["max"]:
                return f"{len(lines)} lines"
            for line in lines:
                try:
                    node = ast.parse(line, mode="eval").body
                except SyntaxError as e:
                    return f"syntax error in {line!r}: {e}"
                if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or node.func.id != item["name"]:
                    return f"not a call of {item['name']}: {line!r}"
                for arg in list(node.args) + [k.value for k in node.keywords]:
                    try:
                        ast.literal_eval(arg)
                    except Exception as e:
                        return f"not a literal in {line!r}: {type(e).__name__}: {e}"
            return "ok"
        fence = r"```python\n(?:(?![ \t]*```)[^\n]*\n)+```\n?"
        sentence = r"[A-Z](?:[^\n.!?]|[.!?][^ \n])*[.?!]"
        if kind.startswith("rewrite-"):
            # The first function defined at the start of a line is the entry point.
            first = re.search(r"^def (\w+)\(", text, re.M)
            if not first or first.group(1) != kind[len("rewrite-"):]:
                return f"first function is not {kind[len('rewrite-'):]}"
            kind = "rewrite"
        pattern = {"fenced": fence, "sentence": sentence, "rewrite": "Instruction: " + sentence + r"\n\n" + fence}[kind]
        if not re.fullmatch(pattern, text):
            return f"{kind} form: {text!r}"
        if kind in ("fenced", "rewrite"):
            fences = [line for line in text.split("\n") if line.strip().startswith("```")]
            if len(fences) != 2:
                return f"{len(fences)} fence lines"
        return "ok"
    print(json.dumps([check(item) for item in json.load(sys.stdin)]))
    """#

    /// One verdict per item: "ok" or what is wrong.
    static func check(_ items: [[String: Any]]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-I", "-c", script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let payload = try JSONSerialization.data(withJSONObject: items)
        // Write and read concurrently so a large answer cannot block the child.
        let writer = Thread {
            input.fileHandleForWriting.write(payload)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try JSONSerialization.jsonObject(with: data) as? [String] ?? []
    }
}
