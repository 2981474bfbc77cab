// Reading instructions: what an instruction claims (the functions and parameters
// it names, the kind of value it says is returned, the calls it gives with their results) so they can be checked.
extension PythonToolsScript {
    static let instructions = #"""


def closing_paren(text, start):
    """Index just past the bracket that closes the one at `start`, skipping quoted text; None when unbalanced."""
    depth, quote, i = 0, None, start
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


RESULT_WORDS = re.compile(
    r"\s*(?:`\s*)?(?:,\s*)?(?:it\s+)?(?:should\s+return|must\s+return|will\s+return|would\s+return|returns?|should\s+give|gives?|"
    r"outputs?|evaluates\s+to|results\s+in|equals?|is|==|->|→|=>)\s*:?\s*", re.I)
RAISE_WORDS = re.compile(r"\s*(?:`\s*)?(?:,\s*)?(?:it\s+)?(?:should\s+raise|must\s+raise|will\s+raise|raises?)\s+`?([A-Za-z_]\w*)", re.I)


def leading_literal(text):
    """The source of the longest Python literal at the start of `text` (on its line), or None."""
    if text.startswith("`"):
        end = text.find("`", 1)
        piece = text[1:end] if end > 0 else ""
        return piece.strip() if piece.strip() and is_literal_text(piece) else None
    line = text.split("\n", 1)[0][:300]
    for end in range(len(line), 0, -1):
        piece = line[:end].strip()
        # A sentence's own comma or full stop is not part of the value: `True,` would read as a tuple.
        for candidate in (piece.rstrip(".,;:").rstrip(), piece):
            if candidate and is_literal_text(candidate):
                return candidate
    return None


def is_literal_text(text):
    try:
        ast.literal_eval(text.strip())
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def signature_names(call_text):
    """Parameter names when `f(a, b=1, *rest)` reads as a signature, else None."""
    try:
        fn = ast.parse("def " + call_text + ":\n    pass\n").body[0]
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    a = fn.args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return names


RETURN_KIND = re.compile(
    r"\breturns?\s+(?:(?:a|an|the|one|single|new|sorted|reversed|modified|resulting|final|python|boolean|value|of)\s+)*"
    r"(lists?|strings?|str|booleans?|bool|true|false|integers?|int|numbers?|floats?|floating[- ]point|"
    r"dictionary|dictionaries|dict|tuples?|sets?|generators?|iterators?|none|nothing)\b", re.I)
KIND_OF_WORD = {"list": "list", "lists": "list", "string": "str", "strings": "str", "str": "str", "boolean": "bool",
                "booleans": "bool", "bool": "bool", "true": "bool", "false": "bool", "integer": "int", "integers": "int",
                "int": "int", "number": "number", "numbers": "number", "float": "float", "floats": "float",
                "floating-point": "float", "floating point": "float", "dictionary": "dict", "dictionaries": "dict",
                "dict": "dict", "tuple": "tuple", "tuples": "tuple", "set": "set", "sets": "set", "generator": "iterator",
                "generators": "iterator", "iterator": "iterator", "iterators": "iterator", "none": "none", "nothing": "none"}


# Names any program may call without defining them: the builtins and the methods of the built-in types.
EVERYWHERE = set(dir(builtins)).union(*(dir(t) for t in (str, list, dict, set, tuple, int, float, bytes)))
PARAMETER_KIND = re.compile(
    r"\b(lists?|strings?|str|integers?|int|floats?|numbers?|dictionary|dictionaries|dict|tuples?|sets?)\s+"
    r"(?:of\s+\w+\s+)?`?([A-Za-z_]\w*)`?", re.I)


def value_kind(value):
    for kind, types in (("bool", bool), ("int", int), ("float", float), ("str", str), ("list", list), ("tuple", tuple),
                        ("dict", dict), ("set", (set, frozenset)), ("bytes", (bytes, bytearray))):
        if isinstance(value, types):
            return kind
    return "none" if value is None else type(value).__name__


def observed_kinds(code, entry, literals):
    """For each named parameter, the kinds of value the given calls pass it."""
    tree, fn = entry_function(code, entry)
    if fn is None or isinstance(fn, ast.ClassDef):
        return {}
    params = bound_parameters(fn, entry_kind(find_entry(tree, entry)[0], fn))
    signature = python_signature(fn, params)
    named = {p["name"] for p in params if p["kind"] not in ("var-positional", "var-keyword")}
    kinds = {}
    for literal in literals:
        try:
            bound = signature.bind(*literal_call(literal)[0], **literal_call(literal)[1])
        except (TypeError, ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        for name, value in bound.arguments.items():
            if name in named:
                kinds.setdefault(name, set()).add(value_kind(value))
    return {name: sorted(found) for name, found in kinds.items()}


def instruction_claims(text, entry, code="", literals=()):
    """What an instruction says about the function: see InstructionClaims.swift."""
    calls, signatures = [], []
    if whole_class_name(entry):
        # A whole class: what it names besides itself; its calls and return kinds belong to its several methods.
        own = {whole_class_name(entry)}
        try:
            own |= {n.name for n in ast.walk(ast.parse(code)) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
        named = sorted(set(re.findall(r"(?<![\w.])([A-Za-z_]\w*)\((?!e?s\))", text)) - own - EVERYWHERE)
        return {"named": named, "signatures": [], "calls": [], "kinds": [], "parameters": []}
    # `name(` with no space, so "numbers (integers)" and "item(s)" are prose, not calls.
    owner, _, method = entry.rpartition(".")
    named = sorted(set(re.findall(r"(?<![\w.])([A-Za-z_]\w*)\((?!e?s\))", text)) - {entry, owner, method} - EVERYWHERE)
    pattern = re.compile(r"(?<![\w.])" + re.escape(owner or entry) + (r"\s*[(.]" if owner else r"\s*\("))
    for match in pattern.finditer(text):
        end = closing_paren(text, match.end() - 1) if text[match.end() - 1] == "(" else match.end() - 1
        if end is not None and owner:
            # A method's call goes on to `.method(...)`.
            tail = re.match(r"\s*\.\s*" + re.escape(method) + r"\s*\(", text[end:])
            end = closing_paren(text, end + tail.end() - 1) if tail else None
        if end is None:
            continue
        call_text = text[match.start():end]
        forms = call_arguments(call_text, entry)
        if forms is None:
            names = signature_names(call_text)
            if names is not None:
                signatures.append({"text": call_text, "names": names})
            continue
        rest = text[end:]
        doctest = re.match(r"\s*\n\s*(?!>>>)(.+)", rest) if text[:match.start()].rstrip(" ").endswith(">>>") else None
        raised = RAISE_WORDS.match(rest)
        if doctest:
            expected = leading_literal(doctest.group(1).strip())
            if expected is not None:
                calls.append({"call": call_text, "literal": forms[1], "expected": expected, "raises": None})
        elif raised:
            calls.append({"call": call_text, "literal": forms[1], "expected": None, "raises": raised.group(1)})
        else:
            words = RESULT_WORDS.match(rest)
            expected = leading_literal(rest[words.end():]) if words and words.end() > 0 else None
            if expected is not None:
                calls.append({"call": call_text, "literal": forms[1], "expected": expected, "raises": None})
    kinds = []
    for match in RETURN_KIND.finditer(text):
        word = re.sub(r"\s+", " ", match.group(1).lower())
        kinds.append({"phrase": match.group(0), "kind": KIND_OF_WORD.get(word, KIND_OF_WORD.get(word.replace(" ", "-"), "none"))})
    observed = observed_kinds(code, entry, literals) if code else {}
    parameters = []
    for match in PARAMETER_KIND.finditer(text):
        name = match.group(2)
        if name in observed:
            word = match.group(1).lower()
            parameters.append({"phrase": match.group(0).strip(), "parameter": name, "observed": observed[name],
                               "kind": KIND_OF_WORD.get(word, KIND_OF_WORD.get(word.rstrip("s"), "none"))})
    return {"named": named, "signatures": signatures, "calls": calls, "kinds": kinds, "parameters": parameters}

"""#
}
