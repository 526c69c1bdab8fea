#!/usr/bin/env python3
"""Two digits "drawn" with a pen, for trying `pairnet predict` without a
scanner: strokes as polylines and arcs, anti-aliased by the distance to the
stroke, written as ordinary zlib-compressed PNGs (python3's standard library
only). A "3" in blue ballpoint on off-white paper (RGB) and a "7" in black
marker on a transparent canvas (RGBA).

Usage: examples/draw_digits.py DIR   (writes DIR/three.png, DIR/seven.png)
       ./pairnet predict --load MODEL DIR/three.png DIR/seven.png --show DIR
"""
import math
import struct
import sys
import zlib

def seg_dist(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy or 1)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)

def arc(cx, cy, rx, ry, a0, a1, n=40):
    return [(cx + rx * math.cos(math.radians(a0 + (a1 - a0) * i / n)),
             cy + ry * math.sin(math.radians(a0 + (a1 - a0) * i / n))) for i in range(n + 1)]

def render(w, h, strokes, pen):
    img = []
    for y in range(h):
        row = []
        for x in range(w):
            d = min(seg_dist(x + .5, y + .5, *p, *q) for s in strokes for p, q in zip(s, s[1:]))
            row.append(max(0.0, min(1.0, pen - d + 0.5)))  # 1 ink .. 0 paper
        img.append(row)
    return img

def png(path, w, h, rows, ctype):
    raw = b''.join(b'\x00' + bytes(r) for r in rows)
    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    data = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, ctype, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))
    open(path, 'wb').write(data)

out = sys.argv[1] if len(sys.argv) > 1 else '.'

# "3": two bowls, a little slanted, blue ballpoint on off-white paper (RGB)
W, H = 120, 160
three = [arc(58, 48, 30, 26, 200, 430), arc(60, 108, 34, 32, -90, 150)]
img = render(W, H, three, 5.0)
paper, ink = (245, 240, 228), (30, 40, 140)
rows = [[int(round(p + (i - p) * v)) for v in r for p, i in zip(paper, ink)] for r in img]
png(f'{out}/three.png', W, H, rows, 2)

# "7": a bar and a long slanted stroke, black marker on a transparent canvas (RGBA)
W, H = 140, 170
seven = [[(25, 30), (115, 28), (60, 150)], [(48, 90), (95, 88)]]
img = render(W, H, seven, 7.0)
rows = [[c for v in r for c in (0, 0, 0, int(round(255 * v)))] for r in img]
png(f'{out}/seven.png', W, H, rows, 6)
