#!/usr/bin/env python3
"""Writes a block between <!-- BEGIN name --> and <!-- END name --> in a Markdown file (appended
when the file has no such block yet), through a temporary file and a rename.

    scripts/md-block.py FILE NAME TEXT
"""
import os
import sys

path, name, body = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
block = f"{begin}\n{body.rstrip()}\n{end}"
if begin in text and end in text:
    text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
else:
    text = text.rstrip("\n") + "\n\n" + block + "\n"
tmp = path + ".tmp"
with open(tmp, "w") as f:
    f.write(text)
os.replace(tmp, path)
