#!/usr/bin/python3
"""Writes the malformed-image corpus beside this script (checked in; ImageCodecMalformedTests reads it).

Each file is something a user's folder or LMDB could hold that OpenCV's native decoders must not turn into a crash,
a stack trace or a multi-gigabyte allocation: truncated files, wrong magic numbers, headers with absurd or zero
dimensions. Run it again (/usr/bin/python3 make_malformed.py: Debian's python3-pil, which build/install.sh installs) after changing it; the output is deterministic.
"""
import io
import os
import struct
import zlib

from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))


def save(name, data):
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)


def encoded(fmt, size=(16, 12), **kw):
    image = Image.new("RGB", size)
    image.putdata([((x * 16) % 256, (y * 20) % 256, (x * y) % 256) for y in range(size[1]) for x in range(size[0])])
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kw)
    return buffer.getvalue()


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(width, height, rows=b"\x00" * 4, colour=2):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b"")


def jpeg_with_size(width, height):
    """A real JPEG whose SOF0 frame header claims another size (the scan data stays the 16×12 image's)."""
    data = bytearray(encoded("JPEG", quality=90))
    i = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, i + 5, height, width)
    return bytes(data)


def bmp(width, height, bits=24, payload=b"\x00" * 16):
    header = struct.pack("<2sIHHI", b"BM", 54 + len(payload), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, 0, len(payload), 2835, 2835, 0, 0)
    return header + info + payload


def tiff(width, height):
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 8 + 2 + 12 * 9 + 4), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, 4)]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00" * 4


jpeg = encoded("JPEG", quality=90)
png_ok = encoded("PNG")
save("empty.jpg", b"")
save("text-named-jpg.jpg", b"this is not an image, just text with a .jpg name\n")
save("truncated-half.jpg", jpeg[: len(jpeg) // 2])
save("truncated-header.jpg", jpeg[:20])
save("soi-only.jpg", b"\xff\xd8\xff")
save("truncated-half.png", png_ok[: len(png_ok) // 2])
save("signature-only.png", png_ok[:8])
save("wrong-magic.png", b"\x89PNX" + png_ok[4:])
save("wrong-magic.jpg", b"\xff\xd9" + jpeg[2:])
save("png-absurd-dimensions.png", png(100000, 100000))
save("png-max-dimensions.png", png(0x7FFFFFFF, 0x7FFFFFFF))
save("png-zero-width.png", png(0, 12))
save("png-damaged-chunk-type.png", png_ok.replace(b"IDAT", b"I AT", 1))
save("png-chunk-length-past-end.png", png_ok[:33] + b"\x7f\xff\xff\xff" + png_ok[37:])
save("png-bad-crc.png", png_ok[:29] + b"\x00\x00\x00\x00" + png_ok[33:])
save("jpeg-absurd-dimensions.jpg", jpeg_with_size(65500, 65500))
save("jpeg-zero-height.jpg", jpeg_with_size(16, 0))
save("bmp-absurd-dimensions.bmp", bmp(1 << 30, 1 << 30))
save("bmp-negative-width.bmp", bmp(-16, 12))
save("bmp-truncated.bmp", encoded("BMP")[:70])
save("bmp-zero-bits.bmp", bmp(4, 4, bits=0))
save("ppm-absurd-dimensions.ppm", b"P6\n999999 999999\n255\n" + b"\x00" * 12)
save("ppm-truncated.ppm", b"P6\n16 12\n255\n" + b"\x00" * 100)
save("pgm-zero-maxval.pgm", b"P5\n4 4\n0\n" + b"\x00" * 16)
save("pgm-negative-size.pgm", b"P5\n-4 4\n255\n" + b"\x00" * 16)
save("tiff-absurd-dimensions.tif", tiff(1 << 20, 1 << 20))
save("tiff-truncated.tif", encoded("TIFF")[:60])
save("webp-truncated.webp", encoded("WEBP")[:30])
save("webp-wrong-riff-size.webp", b"RIFF\xff\xff\xff\x7fWEBPVP8 " + b"\x00" * 20)
