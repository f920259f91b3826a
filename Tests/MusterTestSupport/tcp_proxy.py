"""A TCP proxy on 127.0.0.1 for tests that stop a server and start it again
without losing its state (the shared store mid-run): killing the proxy
makes the server unreachable (connection refused), starting it on the same
port makes it reachable again.

Usage: tcp_proxy.py TARGET_PORT [LISTEN_PORT]. Prints the port it listens
on as one line, then serves until killed.
"""
import socket
import sys
import threading

target = int(sys.argv[1])
listen = int(sys.argv[2]) if len(sys.argv) > 2 else 0
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen))
server.listen(64)
print(server.getsockname()[1], flush=True)


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


while True:
    client, _ = server.accept()
    upstream = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
    threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
