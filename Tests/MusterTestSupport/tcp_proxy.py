"""A TCP proxy on 127.0.0.1 for tests that stop a server and start it again
without losing its state (the shared store mid-run): killing the proxy
makes the server unreachable (connection refused), starting it on the same
port makes it reachable again.

Usage: tcp_proxy.py TARGET_PORT [LISTEN_PORT] [--hold-put N|all]
[--stall-put N]. Prints
the port it listens on as one line, then serves until killed.

--hold-put N forwards the Nth PUT of an event (a request line holding
`/events/`) to the server but never passes its answer back (a store whose
answer is lost: the client times out, the object is written); `all` does so
for every such PUT (a stalled store).

--stall-put N never forwards the Nth PUT of an event (nor anything after it
on that connection): the object is not written and no answer comes, as
when the machine dies with the request still on its way.
"""
import socket
import sys
import threading

args = sys.argv[1:]
hold = None
if "--hold-put" in args:
    i = args.index("--hold-put")
    hold = args[i + 1]
    del args[i:i + 2]
stall = None
if "--stall-put" in args:
    i = args.index("--stall-put")
    stall = int(args[i + 1])
    del args[i:i + 2]
target = int(args[0])
listen = int(args[1]) if len(args) > 1 else 0
puts = [0]
lock = threading.Lock()
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen))
server.listen(64)
print(server.getsockname()[1], flush=True)


def counted(data):
    """The number of the PUT of an event `data` starts, else None."""
    if not data.startswith(b"PUT ") or b"/events/" not in data.split(b"\r\n", 1)[0]:
        return None
    with lock:
        puts[0] += 1
        return puts[0]


def pipe(src, dst, state, upward):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if upward and not state["stall"]:
                n = counted(data)
                if n is not None and hold is not None and (hold == "all" or n == int(hold)):
                    state["hold"] = True
                if n is not None and n == stall:
                    state["stall"] = True
            if upward and state["stall"]:
                continue
            if not upward and state["hold"]:
                continue
            dst.sendall(data)
    except OSError:
        pass
    if state["stall"] or (not upward and state["hold"]):
        # The client must wait for an answer that never comes: its side
        # stays open until it gives up.
        return
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


while True:
    client, _ = server.accept()
    upstream = socket.create_connection(("127.0.0.1", target))
    state = {"hold": False, "stall": False}
    threading.Thread(target=pipe, args=(client, upstream, state, True), daemon=True).start()
    threading.Thread(target=pipe, args=(upstream, client, state, False), daemon=True).start()
