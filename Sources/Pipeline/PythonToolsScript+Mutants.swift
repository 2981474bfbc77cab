// The Python side of mutants: small wrong versions of the entry point (an operator, a bound, a constant, a dropped
// call or statement) that derived inputs are chosen to tell apart from the original.
extension PythonToolsScript {
    static let mutants = #"""
# --- mutants -------------------------------------------------------------------------------------
# Small wrong versions of the original (the mistakes a rewrite makes: an operator, a bound, a dropped call or
# statement). An input that tells a mutant from the original is an input that can tell a wrong rewrite.

COMPARE_SWAPS = {ast.Lt: [ast.LtE, ast.Gt], ast.LtE: [ast.Lt, ast.GtE], ast.Gt: [ast.GtE, ast.Lt], ast.GtE: [ast.Gt, ast.LtE],
                 ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq], ast.In: [ast.NotIn], ast.NotIn: [ast.In],
                 ast.Is: [ast.IsNot], ast.IsNot: [ast.Is]}
BINOP_SWAPS = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Add, ast.Pow], ast.Div: [ast.FloorDiv, ast.Mult],
               ast.FloorDiv: [ast.Div], ast.Mod: [ast.FloorDiv], ast.Pow: [ast.Mult], ast.BitAnd: [ast.BitOr],
               ast.BitOr: [ast.BitAnd], ast.LShift: [ast.RShift], ast.RShift: [ast.LShift]}
UNWRAPPABLE = {"abs", "int", "float", "round", "sorted", "set", "list", "reversed", "str", "ceil", "floor", "len",
               "max", "min", "sum", "tuple", "lower", "upper", "strip"}


class MutationSite:
    def __init__(self, line, description, apply):
        self.line, self.description, self.apply = line, description, apply


def mutation_sites(fn):
    """Every place one small change can be made in the function, with how to make it on a fresh copy."""
    sites = []
    for index, node in enumerate(ast.walk(fn)):
        if isinstance(node, ast.Compare):
            for position, op in enumerate(node.ops):
                for new in COMPARE_SWAPS.get(type(op), []):
                    sites.append(MutationSite(node.lineno, "%s becomes %s" % (type(op).__name__, new.__name__),
                                              ("compare", index, position, new)))
        elif isinstance(node, (ast.BinOp, ast.AugAssign)):
            for new in BINOP_SWAPS.get(type(node.op), []):
                sites.append(MutationSite(node.lineno, "%s becomes %s" % (type(node.op).__name__, new.__name__),
                                          ("binop", index, new)))
        elif isinstance(node, ast.BoolOp):
            new = ast.Or if isinstance(node.op, ast.And) else ast.And
            sites.append(MutationSite(node.lineno, "%s becomes %s" % (type(node.op).__name__, new.__name__), ("boolop", index, new)))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
            sites.append(MutationSite(node.lineno, "drops %s" % type(node.op).__name__.lower(), ("unwrap-unary", index)))
        elif isinstance(node, ast.Constant) and type(node.value) is int and abs(node.value) < 10 ** 6:
            for delta in (1, -1):
                sites.append(MutationSite(node.lineno, "%d becomes %d" % (node.value, node.value + delta), ("constant", index, delta)))
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            sites.append(MutationSite(node.lineno, "%s becomes %s" % (node.value, not node.value), ("constant", index, None)))
        elif isinstance(node, ast.Call) and not node.keywords:
            # f(x) becomes x; x.strip() or x.lower() becomes x (a method call becomes its receiver).
            if isinstance(node.func, ast.Name) and node.func.id in UNWRAPPABLE and len(node.args) == 1:
                sites.append(MutationSite(node.lineno, "drops the call to %s()" % node.func.id, ("unwrap-call", index)))
            elif isinstance(node.func, ast.Attribute) and node.func.attr in UNWRAPPABLE and len(node.args) <= 1:
                if isinstance(node.func.value, ast.Name) and node.func.value.id in ("math", "builtins") and len(node.args) == 1:
                    sites.append(MutationSite(node.lineno, "drops the call to %s()" % node.func.attr, ("unwrap-call", index)))
                elif not (isinstance(node.func.value, ast.Name) and node.func.value.id in ("math", "builtins")):
                    sites.append(MutationSite(node.lineno, "drops the call to .%s()" % node.func.attr, ("unwrap-method", index)))
        elif isinstance(node, (ast.If, ast.While)):
            sites.append(MutationSite(node.lineno, "negates the condition", ("negate", index)))
        elif isinstance(node, ast.Break):
            sites.append(MutationSite(node.lineno, "break becomes continue", ("break", index)))
        if isinstance(node, (ast.AugAssign, ast.Expr)) and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            sites.append(MutationSite(node.lineno, "drops the statement", ("drop", index)))
    return sites


def apply_mutation(fn, site):
    """The function with one change, or None when the change does not make valid code."""
    copy = ast.parse(ast.unparse(fn)).body[0]
    nodes = list(ast.walk(copy))
    kind, index = site.apply[0], site.apply[1]
    if index >= len(nodes):
        return None
    node = nodes[index]
    parents = {child: parent for parent in ast.walk(copy) for child in ast.iter_child_nodes(parent)}

    def replace(old, new):
        parent = parents.get(old)
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return True
            if isinstance(value, list) and old in value:
                value[value.index(old)] = new
                return True
        return False

    if kind == "compare":
        node.ops[site.apply[2]] = site.apply[3]()
    elif kind == "binop":
        node.op = site.apply[2]()
    elif kind == "boolop":
        node.op = site.apply[2]()
    elif kind == "unwrap-unary":
        if not replace(node, node.operand):
            return None
    elif kind == "constant":
        node.value = (not node.value) if site.apply[2] is None else node.value + site.apply[2]
    elif kind == "unwrap-call":
        if not replace(node, node.args[0]):
            return None
    elif kind == "unwrap-method":
        if not replace(node, node.func.value):
            return None
    elif kind == "negate":
        node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
    elif kind == "drop":
        parent = parents.get(node)
        body = next((value for _, value in ast.iter_fields(parent) if isinstance(value, list) and node in value), None)
        if body is None:
            return None
        body[body.index(node)] = ast.Pass()
    elif kind == "break":
        if not replace(node, ast.Continue()):
            return None
    ast.fix_missing_locations(copy)
    try:
        return ast.unparse(copy)
    except Exception:
        return None


def spread(count):
    """0..count-1 in an order that covers the range evenly from the start: 0, n/2, n/4, 3n/4, ..."""
    order, step = [], count
    while step >= 1 and len(order) < count:
        for position in range(0, count, step):
            if position not in order:
                order.append(position)
        step //= 2
    return order + [p for p in range(count) if p not in order]


def mutants(code, entry, limit):
    """Up to `limit` mutants of the entry point, each the whole code with one change; the first change of every
    line comes before the second of any, and the lines are taken evenly over the function."""
    tree, fn = entry_function(code, entry)
    if fn is None:
        return []
    # Python counts lines at \n, \r\n and \r only (str.splitlines also breaks at \x0c, \u2028, ...).
    lines = re.split(r"(?<=\n)|(?<=\r)(?!\n)", code)
    start = statement_start(fn) - 1
    end = fn.end_lineno
    by_line = {}
    for site in mutation_sites(fn):
        by_line.setdefault(site.line, []).append(site)
    ordered, rank = [], 0
    line_order = [sorted(by_line)[i] for i in spread(len(by_line))]
    while any(rank < len(group) for group in by_line.values()):
        for line in line_order:
            if rank < len(by_line[line]):
                ordered.append(by_line[line][rank])
        rank += 1
    out, seen = [], {ast.dump(fn)}
    for site in ordered:
        if len(out) >= limit:
            break
        try:
            changed = apply_mutation(fn, site)
            if changed is None:
                continue
            dumped = ast.dump(ast.parse(changed).body[0])
            if dumped in seen:
                continue
            # The rest of the code stays as written: only the entry point is replaced by its changed copy (a method
            # indented as it was).
            changed = textwrap.indent(changed, " " * fn.col_offset)
            mutated = "".join(lines[:start]) + changed + "\n" + "".join(lines[end:])
            compile(mutated, "<mutant>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        seen.add(dumped)
        out.append({"code": mutated, "description": "line %d: %s" % (site.line, site.description)})
    return out


"""#
}
