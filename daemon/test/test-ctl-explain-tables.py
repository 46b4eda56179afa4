#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Placeholder until the matcher's policy tables land: see the report."""
import glob
import os
import sys

tables = sorted(glob.glob(os.path.join(os.environ["SRD_SOURCE_ROOT"], "tests/unit/policy-tables/*.table")))
if not tables:
    print("1..1")
    print("ok 1 - explain agrees with the policy tables # SKIP no tests/unit/policy-tables/*.table yet")
    sys.exit(77)
