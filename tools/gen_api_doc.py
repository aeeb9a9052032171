#!/usr/bin/env python3
"""tools/gen_api_doc.py HEADER [NOTES.md ...] - docs/API.md from the public
header: its opening comment (the conventions), then each section
(`/* ---- name ---- */`) with every group of declarations, in the header's
order, under the comment written above it; the notes files follow.

A group is a run of declaration lines with no blank line; the comment
right above it (or a comment on the declaration's own lines) documents
it. Exits 1, naming them, if a public (SL_API) function has neither:
`make docs-check` runs it, so every public function stays documented."""
import re
import sys


def comment_text(lines):
    """The text of a /* ... */ block without the comment marks, each line
    keeping its indentation after the ' * '."""
    out = []
    for ln in lines:
        s = ln.lstrip()
        if s.startswith("/*"):
            s = s[2:]
        elif s.startswith("*") and not s.startswith("*/"):
            s = s[1:]
        if s.startswith(" "):
            s = s[1:]
        s = s.rstrip()
        if s.endswith("*/"):
            s = s[:-2].rstrip()
        out.append(s)
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return out


def prose(lines):
    """Comment lines as Markdown: lines starting with '- ' stay list items,
    an indented or code-like line keeps its own line."""
    return "\n".join(lines)


def main():
    header = sys.argv[1]
    notes = sys.argv[2:]
    src = open(header).read().split("\n")

    # the opening comment
    i = 0
    while not src[i].startswith("/*"):
        i += 1
    j = i
    while "*/" not in src[j]:
        j += 1
    opening = comment_text(src[i : j + 1])
    # the body: after extern "C" { ... #endif, up to the closing #ifdef
    start = next(k for k, ln in enumerate(src) if ln.startswith('extern "C"'))
    start = next(k for k in range(start, len(src)) if src[k].startswith("#endif")) + 1
    end = max(k for k, ln in enumerate(src) if ln.startswith("#ifdef __cplusplus"))
    body = src[start:end]

    out = []
    title = opening[0] if opening else header
    out.append("# The C API: %s" % header)
    out.append("")
    out.append(
        "Generated from `%s` by `tools/gen_api_doc.py` (`make docs`); "
        "`make docs-check` fails when this file is out of date or a public "
        "function has no comment in the header. Every declaration below is "
        "the header's, with the comment written above it." % header
    )
    out.append("")
    out.append("## Overview")
    out.append("")
    out.append("```")
    out.extend(opening)
    out.append("```")
    out.append("")

    undocumented = []
    k = 0
    section = None

    def is_comment_start(ln):
        return ln.startswith("/*")

    def read_comment(k):
        c = [body[k]]
        while "*/" not in body[k]:
            k += 1
            c.append(body[k])
        return c, k + 1

    while k < len(body):
        ln = body[k]
        if not ln.strip():
            k += 1
            continue
        m = re.match(r"^/\* -{3,} (.*?) -*\s*\*/$", ln)
        if m:
            section = m.group(1).strip()
            out.append("## " + section[0].upper() + section[1:])
            out.append("")
            k += 1
            continue
        doc = []
        if is_comment_start(ln):
            c, k = read_comment(k)
            doc = comment_text(c)
            if k >= len(body) or not body[k].strip() or is_comment_start(body[k]):
                # a comment on its own: prose
                out.append(prose(doc))
                out.append("")
                continue
        if section is None:
            section = "Versions, errors and types"
            out.append("## " + section)
            out.append("")
        code = []
        while k < len(body) and body[k].strip() and not is_comment_start(body[k]):
            code.append(body[k])
            k += 1
        text = "\n".join(code)
        funcs = re.findall(r"^SL_API [^;]*?\b(sl_[a-z_0-9]+)\(", text, re.M)
        names = funcs or [
            a or b or c
            for a, b, c in re.findall(
                r"^typedef (?:struct|enum) \w+ (sl_\w+);|"
                r"^typedef (?:struct|enum) (sl_\w+) \{|"
                r"^typedef [^;]*?\(\*(sl_\w+)\)",
                text,
                re.M,
            )
        ]
        if funcs and not doc:
            # a comment on the declaration's own lines documents it
            for f in funcs:
                decl = re.search(r"^SL_API [^;]*?\b%s\([^;]*;(.*)$" % f, text, re.M | re.S)
                if not decl or "/*" not in decl.group(1).split("\nSL_API")[0]:
                    undocumented.append(f)
        if names:
            out.append("### " + ", ".join("`%s`" % n for n in names))
            out.append("")
        out.append("```c")
        out.extend(code)
        out.append("```")
        out.append("")
        if doc:
            out.append(prose(doc))
            out.append("")

    for n in notes:
        out.extend(open(n).read().rstrip("\n").split("\n"))
        out.append("")

    if undocumented:
        sys.stderr.write(
            "gen_api_doc: public functions without a comment in %s: %s\n"
            % (header, ", ".join(undocumented))
        )
        return 1
    sys.stdout.write("\n".join(out).rstrip("\n") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
