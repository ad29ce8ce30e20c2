"""A byte-for-byte TCP <-> unix-socket forwarder, so speakers inside network namespaces reach the test's
kube-apiserver on the host's loopback without binding it to any other address and without any link
between a lab namespace and the host's network: unix sockets are filesystem objects, not tied to a
network namespace.

  apiproxy.py unix-to-tcp SOCKET PORT   (in the host namespace) accept on SOCKET, connect to 127.0.0.1:PORT
  apiproxy.py tcp-to-unix PORT SOCKET   (in a node namespace)  accept on 127.0.0.1:PORT, connect to SOCKET

TLS passes through untouched, so a kubeconfig for https://127.0.0.1:PORT works in the namespace as on the
host. Prints "ready" once listening. Stop it by PID.
"""
import os
import socket
import sys
import threading


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(listener, connect):
    while True:
        client, _ = listener.accept()
        try:
            upstream = connect()
        except OSError:
            client.close()
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pump, args=(a, b), daemon=True).start()


def main():
    mode = sys.argv[1]
    if mode == "unix-to-tcp":
        path, port = sys.argv[2], int(sys.argv[3])
        if os.path.exists(path):
            os.unlink(path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)

        def connect():
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.settimeout(None)  # watches stay idle for minutes
            return s
    elif mode == "tcp-to-unix":
        port, path = int(sys.argv[2]), sys.argv[3]
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))

        def connect():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
    else:
        sys.exit(f"unknown mode {mode}")
    listener.listen(64)
    print("ready", flush=True)
    serve(listener, connect)


if __name__ == "__main__":
    main()
