#!/usr/bin/env python3
"""Import cycles between sibling modules of a Rust crate.

For every file under SRC, the paths it names (`crate::a::b`, `super::x`, `self::y`,
in `use` lines and in code) are resolved to module paths. A reference from module
p::b::... to module p::c::... is an edge b -> c among p's children. A cycle among
the children of any module (the crate root included) is printed; the exit status
is 1 when there is one. Tests (`tests.rs`, `tests/` modules, `#[cfg(test)]` tails)
are skipped: a test module may use what it tests.

Usage: python3 .ci/modcycles.py src [src ...]
"""
import os
import re
import sys
from collections import defaultdict

PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+|::\{)")
USE_BLOCK = re.compile(r"\buse\s+(crate|super|self)::\{(.*?)\};", re.S)


def module_of(root, file):
    rel = os.path.relpath(file, root)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return rel


def strip(text):
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    cut = re.search(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text)
    if cut:
        text = text[: cut.start()]
    return text


def expand_use_blocks(text):
    """`use crate::{a::b, c};` -> `crate::a::b crate::c` (one level of braces)."""
    def repl(m):
        head, body = m.group(1), m.group(2)
        parts = []
        depth, cur = 0, ""
        for ch in body:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
            else:
                cur += ch
        parts.append(cur)
        return " ".join(f"{head}::{p.strip().split('::{')[0]}" for p in parts if p.strip())
    return USE_BLOCK.sub(repl, text)


def resolve(module, kind, rest, modules):
    if kind == "crate":
        base = []
    elif kind == "self":
        base = list(module)
    else:
        base = list(module)
        while rest.startswith("::super"):
            rest = rest[len("::super"):]
            base = base[:-1]
        base = base[:-1] if base else base
        if kind == "super" and not base and not module:
            return None
    segs = [s for s in rest.split("::") if s and s != "super"]
    path = base[:]
    for s in segs:
        if tuple(path + [s]) in modules:
            path.append(s)
        else:
            break
    return path


def cycles(root):
    files = []
    for d, _, fs in os.walk(root):
        for f in fs:
            if f.endswith(".rs"):
                files.append(os.path.join(d, f))
    modules = {tuple(module_of(root, f)) for f in files}
    # every prefix of a module is a module too
    for m in list(modules):
        for i in range(len(m)):
            modules.add(m[:i])
    edges = defaultdict(set)  # parent -> set of (child_a, child_b)
    for f in files:
        mod = module_of(root, f)
        if "tests" in mod or os.path.basename(f) == "tests.rs":
            continue
        text = expand_use_blocks(strip(open(f, encoding="utf-8").read()))
        for m in PATH.finditer(text):
            target = resolve(mod, m.group(1), m.group(2), modules)
            if target is None:
                continue
            # the deepest common ancestor, then the two children under it
            i = 0
            while i < len(mod) and i < len(target) and mod[i] == target[i]:
                i += 1
            if i < len(mod) and i < len(target):
                edges[tuple(mod[:i])].add((mod[i], target[i]))
    found = []
    for parent, es in sorted(edges.items()):
        graph = defaultdict(set)
        for a, b in es:
            graph[a].add(b)
        for scc in tarjan(graph):
            if len(scc) > 1:
                found.append((parent, sorted(scc), es))
    return found


def tarjan(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    nodes = set(graph) | {b for bs in graph.values() for b in bs}

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            out.append(scc)

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main():
    bad = False
    for root in sys.argv[1:] or ["src"]:
        found = cycles(root)
        for parent, scc, es in found:
            bad = True
            name = "::".join(parent) or "crate"
            inner = sorted(f"{a} -> {b}" for a, b in es if a in scc and b in scc)
            print(f"{root}: cycle under {name}: {', '.join(scc)} ({'; '.join(inner)})")
        if not found:
            print(f"{root}: no cycles")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
