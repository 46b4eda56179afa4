#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A second opinion on an exposition: parse it with the Prometheus project's
own Python client (Debian's python3-prometheus-client, from tools/deps).

Usage: reference-parse.py openmetrics|prometheus FILE. Exit 0 and "ok: N
families, M samples" when the parser takes the whole text, 1 with its error
otherwise. Run with Debian's /usr/bin/python3, where the package lives.
"""
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus


def main():
    fmt, path = sys.argv[1], sys.argv[2]
    text = open(path, encoding="utf-8").read()
    parse = {"openmetrics": parse_openmetrics, "prometheus": parse_prometheus}[fmt]
    try:
        families = list(parse(text))
    except Exception as e:  # the parsers raise ValueError and friends
        print("%s parser: %s: %s" % (fmt, type(e).__name__, e))
        return 1
    n_samples = sum(len(f.samples) for f in families)
    types = sorted({f.type for f in families})
    print("ok: %d families, %d samples (%s)" % (len(families), n_samples, ", ".join(types)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
