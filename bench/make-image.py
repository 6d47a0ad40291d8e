#!/usr/bin/env python3
"""Makes the benchmark image: a docker-archive (manifest.json + <config>.json + <n>/layer.tar) of about 200 MB in
3 layers of many small files and a few big ones, plus the same tree flattened as a rootfs tar for `import`.
Usage: make-image.py OUT_DIR. Deterministic (seeded) so runs compare like with like."""
import hashlib, io, json, os, random, sys, tarfile

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = random.Random(1234)

def blob(n):
    return rng.randbytes(n)

def layer(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        dirs = set()
        for name, data in files:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    ti = tarfile.TarInfo(d); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; t.addfile(ti)
            ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = 0o644; t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()

specs = [
    [(f"usr/lib/l1/d{i % 100}/f{i}", blob(rng.randint(512, 8192))) for i in range(12000)],
    [(f"usr/share/l2/d{i % 50}/f{i}", blob(rng.randint(256, 4096))) for i in range(6000)] + [("opt/big/a.bin", blob(40 << 20))],
    [("opt/data/one.bin", blob(50 << 20)), ("opt/data/two.bin", blob(50 << 20))] + [(f"etc/conf{i}", blob(200)) for i in range(500)],
]
layers = [layer(files) for files in specs]
diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids},
                     "history": [{"created_by": f"layer {i}"} for i in range(3)]}, separators=(",", ":")).encode()
config_hex = hashlib.sha256(config).hexdigest()
with tarfile.open(os.path.join(out, "image.tar"), "w", format=tarfile.PAX_FORMAT) as t:
    def add(name, data):
        ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = 0o644; t.addfile(ti, io.BytesIO(data))
    for i, l in enumerate(layers):
        add(f"{i}/layer.tar", l)
    add(config_hex + ".json", config)
    add("manifest.json", json.dumps([{"Config": config_hex + ".json", "RepoTags": ["benchimg:latest"],
                                      "Layers": [f"{i}/layer.tar" for i in range(3)]}]).encode())
with tarfile.open(os.path.join(out, "rootfs.tar"), "w", format=tarfile.PAX_FORMAT) as t:
    seen = set()
    for files in specs:
        for name, data in files:
            ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = 0o644; t.addfile(ti, io.BytesIO(data))
print(f"image.tar {os.path.getsize(os.path.join(out, 'image.tar')) >> 20} MiB, {sum(len(s) for s in specs)} files")
