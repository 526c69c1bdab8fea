#!/usr/bin/env python3
"""Seeds for `make fuzz-png` (mk/fuzz.mk): small valid PNGs of every colour
type and a few bit depths, each row with another filter, compressed by zlib
(fixed and dynamic Huffman blocks), and PGMs (P2, P5 at 8 and 16 bits).
Usage: png_seeds.py DIR"""
import struct
import sys
import zlib


def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)


def png(w, h, depth, ctype, rows, extra=b'', level=9):
    raw = b''.join(bytes([i % 5]) + r for i, r in enumerate(rows))  # filter bytes 0..4
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, 0))
            + extra + chunk(b'IDAT', zlib.compress(raw, level)) + chunk(b'IEND', b''))


def main(out):
    seeds = {
        'gray8.png': png(6, 5, 8, 0, [bytes((x * 40 + y * 7) % 256 for x in range(6)) for y in range(5)]),
        'gray1.png': png(9, 3, 1, 0, [bytes([0xa5, 0x80])] * 3, level=1),
        'gray16.png': png(3, 3, 16, 0, [bytes(range(y, y + 6)) for y in range(3)]),
        'rgb8.png': png(4, 4, 8, 2, [bytes((x * 31 + y) % 256 for x in range(12)) for y in range(4)]),
        'rgba8.png': png(4, 3, 8, 6, [bytes((x * 17 + y * 3) % 256 for x in range(16)) for y in range(3)]),
        'ga16.png': png(2, 2, 16, 4, [bytes(range(8)), bytes(range(8, 16))]),
        'palette.png': png(5, 2, 2, 3, [bytes([0x1b, 0x40])] * 2,
                           chunk(b'PLTE', bytes(range(12))) + chunk(b'tRNS', bytes([0, 128]))),
        'p2.pgm': b'P2\n# seed\n3 2\n15\n0 7 15\n1 2 3\n',
        'p5.pgm': b'P5 4 2 255\n' + bytes(range(0, 255, 32)),
        'p5-16.pgm': b'P5 2 2 65535\n' + bytes(range(8)),
    }
    for name, data in seeds.items():
        with open(f'{out}/{name}', 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main(sys.argv[1])
