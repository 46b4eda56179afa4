#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small, strict checker of the OpenMetrics 1.0 text format.

Usage: openmetrics-check.py FILE  (or - for stdin). Exit 0 and "ok: N families,
M samples" when FILE is valid, exit 1 and one line per problem otherwise.

It checks what the daemon's exposition relies on: the metadata lines (TYPE,
HELP, UNIT, nothing else after "#"), metric and label name syntax, label
value escaping, sample names against their family's type (counters end in
_total, histograms have _bucket/_count/_sum), families not interleaved nor
repeated, no duplicate samples, numbers that parse, histogram buckets in
increasing le order with non-decreasing counts ending at le="+Inf" equal to
_count, and "# EOF" as the very last line. A family may have no samples,
and one without TYPE is "unknown", as the format allows. It does not implement exemplars,
timestamps beyond syntax, or stateset/info semantics.
"""
import math
import re
import sys

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
NUMBER = re.compile(r"[+-]?(Inf|inf|NaN|nan|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)\Z")
TYPES = {"counter", "gauge", "histogram", "gaugehistogram", "stateset", "info", "summary", "unknown"}
SUFFIXES = {
    "counter": ["_total", "_created"],
    "gauge": [""],
    "unknown": [""],
    "histogram": ["_bucket", "_count", "_sum", "_created"],
    "gaugehistogram": ["_bucket", "_gcount", "_gsum"],
    "summary": ["", "_count", "_sum", "_created"],
    "info": ["_info"],
    "stateset": [""],
}


class Problem(Exception):
    pass


def parse_escaped(s, i, what):
    """s[i] is just after an opening quote: the unescaped string and the index after the closing quote."""
    out = []
    while i < len(s):
        c = s[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\n":
            raise Problem("raw newline in %s" % what)
        if c == "\\":
            if i + 1 >= len(s) or s[i + 1] not in '\\"n':
                raise Problem("bad escape in %s: %r" % (what, s[i:i + 2]))
            out.append({"\\": "\\", '"': '"', "n": "\n"}[s[i + 1]])
            i += 2
            continue
        out.append(c)
        i += 1
    raise Problem("unterminated %s" % what)


def parse_sample(line):
    m = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line)
    if not m:
        raise Problem("bad metric name")
    name, i = m.group(0), m.end()
    labels = {}
    if i < len(line) and line[i] == "{":
        i += 1
        if i < len(line) and line[i] == "}":
            i += 1
        else:
            while True:
                lm = re.match(r"[a-zA-Z_][a-zA-Z0-9_]*", line[i:])
                if not lm:
                    raise Problem("bad label name at %r" % line[i:i + 10])
                lname = lm.group(0)
                i += lm.end()
                if line[i:i + 2] != '="':
                    raise Problem("label %s: expected =\"" % lname)
                value, i = parse_escaped(line, i + 2, "label value")
                if lname in labels:
                    raise Problem("duplicate label %s" % lname)
                labels[lname] = value
                if line[i:i + 1] == ",":
                    i += 1
                    if line[i:i + 1] == "}":
                        raise Problem("trailing comma in labels")
                    continue
                if line[i:i + 1] == "}":
                    i += 1
                    break
                raise Problem("expected , or } after label %s" % lname)
    rest = line[i:]
    if not rest.startswith(" "):
        raise Problem("expected one space before the value")
    parts = rest[1:].split(" ")
    if len(parts) not in (1, 2) or not NUMBER.match(parts[0]):
        raise Problem("bad value %r" % rest[1:])
    if len(parts) == 2 and not NUMBER.match(parts[1]):
        raise Problem("bad timestamp %r" % parts[1])
    return name, labels, float(parts[0].replace("inf", "Inf").replace("Inf", "inf"))


def check(text):
    problems = []
    if not text.endswith("# EOF\n") and text != "# EOF":
        problems.append("does not end with \"# EOF\"")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    families = {}  # name -> {"type","help","unit","samples"}
    order = []  # family names in the order they started
    current = None
    seen_samples = set()
    histo = {}  # (family, labels without le) -> [(le, count)], count, seen_inf
    n_samples = 0
    eof_at = None

    def family(name):
        nonlocal current
        if name != current:
            if name in families:
                raise Problem("family %s appears again after another family" % name)
            families[name] = {"type": None, "help": None, "unit": None, "samples": 0}
            order.append(name)
            current = name
        return families[name]

    for no, line in enumerate(lines, 1):
        try:
            if eof_at is not None:
                raise Problem("text after # EOF")
            if line == "# EOF":
                eof_at = no
                continue
            if line.startswith("#"):
                m = re.match(r"# (TYPE|HELP|UNIT) (\S+) ?(.*)\Z", line)
                if not m:
                    raise Problem("comment lines other than TYPE, HELP, UNIT, EOF are not allowed")
                kind, name, rest = m.groups()
                if not METRIC_NAME.match(name):
                    raise Problem("bad metric family name %r" % name)
                f = family(name)
                if f["samples"]:
                    raise Problem("%s after samples of %s" % (kind, name))
                key = kind.lower()
                if f[key] is not None:
                    raise Problem("second %s for %s" % (kind, name))
                if kind == "TYPE":
                    if rest not in TYPES:
                        raise Problem("unknown type %r" % rest)
                    if rest == "counter" and name.endswith("_total"):
                        raise Problem("counter family %s must not end in _total" % name)
                elif kind == "HELP":
                    parse_escaped(rest + '"', 0, "help text")
                elif kind == "UNIT":
                    if not rest or not name.endswith("_" + rest):
                        raise Problem("family %s does not end with its unit %r" % (name, rest))
                f[key] = rest
                continue
            if line == "" or line.strip() != line:
                raise Problem("empty line or stray whitespace")
            name, labels, value = parse_sample(line)
            # Which family: one whose name and type make this sample name.
            fam = None
            for fname, fdata in families.items():
                for suffix in SUFFIXES[fdata["type"] or "unknown"]:
                    if name == fname + suffix:
                        fam = fname
            if fam is not None and fam != current:
                raise Problem("family %s appears again after another family" % fam)
            if fam is None:
                if name in families:
                    raise Problem("sample name %s does not fit its family's type %s" %
                                  (name, families[name]["type"]))
                for fname, fdata in families.items():
                    if fdata["type"] in ("counter", "histogram", "summary", "gaugehistogram") and \
                            name.startswith(fname + "_"):
                        raise Problem("sample %s: no such sample in %s family %s" % (name, fdata["type"], fname))
                f = family(name)
                f["type"] = f["type"] or "unknown"
                fam = name
            f = families[fam]
            t = f["type"] or "unknown"
            if t == "unknown" and f["type"] is None:
                f["type"] = "unknown"
            f["samples"] += 1
            n_samples += 1
            key = (name, tuple(sorted(labels.items())))
            if key in seen_samples:
                raise Problem("duplicate sample %s%r" % key)
            seen_samples.add(key)
            if t == "counter" and name.endswith("_total") and (value < 0 or math.isnan(value)):
                raise Problem("counter %s is negative or NaN" % name)
            if t == "histogram":
                rest_labels = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
                h = histo.setdefault((fam, rest_labels), {"buckets": [], "count": None, "sum": None})
                if name == fam + "_bucket":
                    if "le" not in labels or not NUMBER.match(labels["le"]):
                        raise Problem("bucket without a numeric le")
                    le = float(labels["le"].replace("Inf", "inf"))
                    if h["buckets"]:
                        if le <= h["buckets"][-1][0]:
                            raise Problem("bucket le=%s not above the one before" % labels["le"])
                        if value < h["buckets"][-1][1]:
                            raise Problem("bucket le=%s count goes down" % labels["le"])
                    if value < 0:
                        raise Problem("negative bucket")
                    h["buckets"].append((le, value))
                elif "le" in labels:
                    raise Problem("le label on %s" % name)
                elif name == fam + "_count":
                    h["count"] = value
                elif name == fam + "_sum":
                    h["sum"] = value
        except Problem as e:
            problems.append("line %d: %s: %s" % (no, e, line[:120]))

    for (fam, labels), h in histo.items():
        where = "%s%r" % (fam, labels)
        if not h["buckets"] or h["buckets"][-1][0] != math.inf:
            problems.append("histogram %s: no le=\"+Inf\" bucket last" % where)
        elif h["count"] is not None and h["count"] != h["buckets"][-1][1]:
            problems.append("histogram %s: _count %s != +Inf bucket %s" % (where, h["count"], h["buckets"][-1][1]))
        if h["sum"] is not None and h["count"] is None:
            problems.append("histogram %s: _sum without _count" % where)
    return problems, len(order), n_samples


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "-"
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    problems, n_families, n_samples = check(text)
    for p in problems:
        print("openmetrics: %s" % p)
    if problems:
        return 1
    print("ok: %d families, %d samples" % (n_families, n_samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
