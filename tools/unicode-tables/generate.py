#!/usr/bin/env python3
"""Writes src/LearnDL.Web/Identity/UnicodeTables.cs: the Unicode data the name checks need and .NET lacks.

.NET has no script property and no confusables data (UTS #39). Both come from Debian packages here:
  apt-get install unicode-data python3-confusable-homoglyphs
  python3 tools/unicode-tables/generate.py

Read:
  /usr/share/unicode/Scripts.txt                 script of each code point
  /usr/share/unicode/DerivedCoreProperties.txt   Default_Ignorable_Code_Point (invisible characters)
  /usr/share/unicode/UnicodeData.txt             general category and decomposition, to keep only what a name can hold
  confusable_homoglyphs/confusables.json         Unicode's confusables.txt as a two-way graph (see prototypes())

Only what the checks need is written: script ranges (adjacent ranges of one script merged, gaps as
Unknown), the default-ignorable ranges, and the confusable prototypes of characters that can appear in
a name after NFKC and NFD (letters, marks, digits and the few punctuation marks names allow, with no
decomposition of their own). The app never reads these packages at run time or in CI.
"""
import json
import os
import re
import sys

UNICODE = "/usr/share/unicode"
CONFUSABLES = "/usr/lib/python3/dist-packages/confusable_homoglyphs/confusables.json"
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "src", "LearnDL.Web", "Identity", "UnicodeTables.cs")
NAME_PUNCTUATION = " .'_-"


def version():
    with open(os.path.join(UNICODE, "Scripts.txt"), encoding="utf-8") as f:
        m = re.match(r"# Scripts-(\d+\.\d+\.\d+)\.txt", f.readline())
    if not m:
        sys.exit("Scripts.txt has no version line")
    return m.group(1)


def ranges(path, wanted=None):
    """(first, last, value) for each data line of a UCD property file; only `wanted` values when given."""
    out = []
    with open(os.path.join(UNICODE, path), encoding="utf-8") as f:
        for line in f:
            line = line.split("#")[0].strip()
            if not line:
                continue
            cps, value = [x.strip() for x in line.split(";")[:2]]
            if wanted and value != wanted:
                continue
            first, _, last = cps.partition("..")
            out.append((int(first, 16), int(last or first, 16), value))
    return sorted(out)


def merged(rs):
    out = []
    for a, b, v in rs:
        if out and out[-1][2] == v and out[-1][1] + 1 >= a:
            out[-1] = (out[-1][0], max(b, out[-1][1]), v)
        else:
            out.append((a, b, v))
    return out


def unicode_data():
    data = {}
    with open(os.path.join(UNICODE, "UnicodeData.txt"), encoding="utf-8") as f:
        for line in f:
            fields = line.split(";")
            data[int(fields[0], 16)] = (fields[2], fields[5])
    return data


def prototypes():
    """
    Source code point -> prototype, recovered from the package's JSON. Its generator read confusables.txt's
    comment column ("( source -> target ) NAME -> NAMES") and, for each line, appended the target to the
    source's list and the source to the target's list, in that order. In confusables.txt a source appears
    on one line only and a prototype is never a source (the mapping is idempotent), so: a key that is a
    sequence, or has several entries, is a prototype; a key with one entry whose partner is a sequence or
    has several entries is a source; for a pair that only know each other, the key inserted first (the
    source, touched first on its line) is the source. Checked below: no prototype holds a source, and every
    prototype's list is exactly its sources.
    """
    with open(CONFUSABLES, encoding="utf-8") as f:
        raw = json.load(f)
    clean = lambda s: s.replace("\u200e", "")  # left-to-right marks the comment column puts around RTL text
    graph, order = {}, {}
    for i, (k, entries) in enumerate(raw.items()):
        graph[clean(k)] = [clean(e["c"]) for e in entries]
        order[clean(k)] = i
    sources = {}
    for k, partners in graph.items():
        if len(k) > 1 or len(partners) > 1:
            continue
        p = partners[0]
        if len(p) > 1 or len(graph[p]) > 1 or order[k] < order[p]:
            sources[k] = p
    if any(ch in sources for t in sources.values() for ch in t):
        sys.exit("confusables: a prototype holds a source; the direction was not recovered")
    by_target = {}
    for s, t in sources.items():
        by_target.setdefault(t, set()).add(s)
    if any(set(v) != by_target.get(k, set()) for k, v in graph.items() if k not in sources):
        sys.exit("confusables: a prototype's list is not its sources")
    return sources


def cs_string(s):
    out = []
    for ch in s:
        cp = ord(ch)
        if 0x20 <= cp < 0x7F and ch not in "\"\\":
            out.append(ch)
        elif cp <= 0xFFFF:
            out.append(f"\\u{cp:04X}")
        else:
            out.append(f"\\U{cp:08X}")
    return "".join(out)


def rows(items, per_line, fmt):
    items = list(items)
    return ",\n".join("        " + ", ".join(fmt(x) for x in items[i:i + per_line]) for i in range(0, len(items), per_line))


def main():
    ver = version()
    data = unicode_data()

    scripts = merged(ranges("Scripts.txt"))
    names = ["Unknown"] + sorted({v for _, _, v in scripts})
    starts, ids = [], []
    position = 0
    for a, b, v in scripts:
        if a > position:
            starts.append(position)
            ids.append(0)
        starts.append(a)
        ids.append(names.index(v))
        position = b + 1
    starts.append(position)
    ids.append(0)

    ignorable = merged(ranges("DerivedCoreProperties.txt", "Default_Ignorable_Code_Point"))

    def in_name(cp):
        category, decomposition = data.get(cp, ("Cn", ""))
        hangul_syllable = 0xAC00 <= cp <= 0xD7A3
        return (category[0] in "LMN" or chr(cp) in NAME_PUNCTUATION) and not decomposition and not hangul_syllable

    confusables = sorted((ord(s), t) for s, t in prototypes().items() if in_name(ord(s)))

    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(f"""// <auto-generated>
// Written by tools/unicode-tables/generate.py from the Unicode Character Database {ver} (Scripts.txt,
// DerivedCoreProperties.txt, UnicodeData.txt: Debian's unicode-data) and Unicode's confusables.txt as shipped
// by Debian's python3-confusable-homoglyphs. Do not edit: run the script again.
// Data (c) Unicode, Inc., under the Unicode License v3 (https://www.unicode.org/license.txt).
// </auto-generated>
namespace LearnDL.Web.Identity;

/// <summary>Unicode data for the name checks that .NET does not carry: scripts, default-ignorable characters, confusable prototypes.</summary>
internal static class UnicodeTables
{{
    public const string Version = "{ver}";

    /// <summary>Script names (Scripts.txt's long names; 0 is Unknown: unassigned in Unicode {ver}).</summary>
    public static readonly string[] ScriptNames =
    [
{rows(names, 6, lambda n: '"' + n.replace('_', ' ') + '"')}
    ];

    /// <summary>First code point of each run of one script; <see cref="ScriptIds"/> has its script.</summary>
    public static ReadOnlySpan<int> ScriptStarts =>
    [
{rows(starts, 10, lambda x: f"0x{x:X}")}
    ];

    public static ReadOnlySpan<byte> ScriptIds =>
    [
{rows(ids, 20, str)}
    ];

    /// <summary>Default_Ignorable_Code_Point, as (first, last) pairs: characters that show nothing (fillers, zero-width, joiners...).</summary>
    public static ReadOnlySpan<int> IgnorableRanges =>
    [
{rows([x for a, b, _ in ignorable for x in (a, b)], 10, lambda x: f"0x{x:X}")}
    ];

    /// <summary>Characters a name can hold that confusables.txt maps to a prototype, in order; <see cref="ConfusableTargets"/> has each one's, separated by '\\0'.</summary>
    public static ReadOnlySpan<int> ConfusableSources =>
    [
{rows([s for s, _ in confusables], 10, lambda x: f"0x{x:X}")}
    ];

    public const string ConfusableTargets =
{chr(10).join('        "' + cs_string(chr(0).join(t for _, t in confusables[i:i + 16])) + (chr(92) + '0" +' if i + 16 < len(confusables) else '";') for i in range(0, len(confusables), 16))}
}}
""")
    print(f"Unicode {ver}: {len(starts)} script runs ({len(names)} scripts), {len(ignorable)} ignorable ranges, {len(confusables)} confusables -> {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
