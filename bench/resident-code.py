#!/usr/bin/python3
"""Which parts of a NativeAOT executable a running process holds in memory: the resident pages of the executable's
mappings (/proc/PID/pagemap, as root), attributed to the symbols of an unstripped copy of the same build (nm), summed
by the symbols' leading name components (NativeAOT names methods Assembly_Namespace_Type__Method). The kernel maps
file pages around each fault (fault-around, 64 KB), so a page is the symbol's it falls in, not necessarily one that
ran. Usage: bench/resident-code.py PID UNSTRIPPED-EXECUTABLE [DEPTH]"""
import bisect
import os
import struct
import subprocess
import sys
from collections import Counter

pid, exe = int(sys.argv[1]), sys.argv[2]
depth = int(sys.argv[3]) if len(sys.argv) > 3 else 3
page = os.sysconf("SC_PAGE_SIZE")
target = os.path.realpath(f"/proc/{pid}/exe")

# Mappings of the executable: start, end, file offset, permissions.
maps = []
for line in open(f"/proc/{pid}/maps"):
    parts = line.split()
    if len(parts) >= 6 and parts[5] == target:
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        maps.append((lo, hi, int(parts[2], 16), parts[1]))
if not maps:
    sys.exit(f"{target} is not mapped in {pid}")

# Symbols by address (a position-dependent executable: file addresses are the process's addresses).
syms = []
out = subprocess.run(["nm", "-n", "--defined-only", exe], capture_output=True, text=True, check=True).stdout
for line in out.splitlines():
    parts = line.split(maxsplit=2)
    if len(parts) == 3:
        syms.append((int(parts[0], 16), parts[2]))
syms.sort()
addrs = [a for a, _ in syms]


def group(name):
    name = name.lstrip("_")
    if name.startswith("S_P_"):
        name = name[4:]
    comps = [c for c in name.split("_") if c]
    return "_".join(comps[:depth]) if comps else "?"


by_group, by_map = Counter(), Counter()
with open(f"/proc/{pid}/pagemap", "rb") as pm:
    for lo, hi, off, perms in maps:
        n = (hi - lo) // page
        pm.seek(lo // page * 8)
        data = pm.read(n * 8)
        for i in range(n):
            (entry,) = struct.unpack_from("<Q", data, i * 8)
            if not entry >> 63 & 1:
                continue
            addr = lo + i * page
            by_map[perms] += page
            j = bisect.bisect_right(addrs, addr) - 1
            by_group[group(syms[j][1]) if j >= 0 else "?"] += page

total = sum(by_map.values())
print(f"resident in {target}: {total / 1024:.0f} kB ({', '.join(f'{p} {v / 1024:.0f} kB' for p, v in by_map.items())})")
for name, size in by_group.most_common(40):
    print(f"{size / 1024:8.0f} kB  {name}")
