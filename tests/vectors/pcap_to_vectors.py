#!/usr/bin/env python3
"""Print VRRP messages from Ethernet pcap files as '<src> <dst> <ttl> <hex>' lines.

Used by capture.sh; only the classic pcap format tcpdump -w writes is read."""
import ipaddress
import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        sys.exit(f"{path}: link type {linktype}, expected Ethernet (1)")
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def vrrp_of(frame):
    ethertype = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if ethertype == 0x0800:
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        src, dst = ipaddress.IPv4Address(ip[12:16]), ipaddress.IPv4Address(ip[16:20])
        return src, dst, ip[8], ip[ihl:total]
    if ethertype == 0x86DD:
        plen = struct.unpack("!H", ip[4:6])[0]
        src, dst = ipaddress.IPv6Address(ip[8:24]), ipaddress.IPv6Address(ip[24:40])
        return src, dst, ip[7], ip[40:40 + plen]
    return None


for path in sys.argv[1:]:
    for frame in packets(path):
        got = vrrp_of(frame)
        if got:
            src, dst, ttl, msg = got
            print(f"{src} {dst} {ttl} {msg.hex()}")
