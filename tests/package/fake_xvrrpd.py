#!/usr/bin/env python3
"""A stand-in for xvrrpd's control socket: answers every request with a fixed status
document (two instances), so that the real xvrrpctl prints its real status text.
Usage: fake_xvrrpd.py SOCKET   (prints "ready" once it listens)"""
import json
import socket
import sys

STATUS = {
    "ok": True, "schema": 1,
    "daemon": {"pid": 4242, "uptime_s": 12.5, "config": "/etc/keepalived/keepalived.conf"},
    "instances": [
        {"name": name, "interface": ifname, "vrid": vrid, "family": "ipv4", "version": 3,
         "state": state, "priority": {"configured": 100, "effective": 100},
         "advert_int_ms": 1000, "master_advert_int_ms": 1000, "master": None, "vips": [],
         "last_advert": None, "counters": {}}
        for name, ifname, vrid, state in (("VI_1", "eth0", 51, "MASTER"),
                                          ("web-2", "eth1", 52, "FAULT"))
    ],
}

server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sys.argv[1])
server.listen(8)
print("ready", flush=True)
while True:
    conn, _ = server.accept()
    with conn, conn.makefile("rwb") as f:
        f.readline()
        f.write((json.dumps(STATUS) + "\n").encode())
