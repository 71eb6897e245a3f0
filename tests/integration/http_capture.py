"""http_capture.py - a local HTTP receiver for notify's webhook test.

Run as: python3 http_capture.py PORT DIR [--fail-first K] [--fail-always]

Every POST is answered (HTTP 500 for the first K requests, or always with
--fail-always; otherwise 200 with {"error":0,"message":"Success"}, the way
Zalo's OA API answers) and recorded in DIR as NNNN.txt: "name: value"
lines for the request line, the answer's status, every header (h.NAME,
lower case) and the JSON body as Python's json module reads it, flattened
(j.a.b for nested objects; "keys" lists the top-level keys in order), then
a blank line and the raw body. Files appear by rename, so a reader never
sees half a request.
"""
import http.server
import json
import os
import sys
import threading


def flatten(prefix, value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(prefix + "." + k, v, out)
    else:
        out.append((prefix, value if isinstance(value, str) else json.dumps(value)))


class Handler(http.server.BaseHTTPRequestHandler):
    lock = threading.Lock()
    count = 0
    fail_first = 0
    fail_always = False
    directory = "."

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        with Handler.lock:
            Handler.count += 1
            n = Handler.count
        fail = Handler.fail_always or n <= Handler.fail_first
        status = 500 if fail else 200
        fields = [("method", self.command), ("path", self.path), ("status", str(status))]
        for name, value in self.headers.items():
            fields.append(("h." + name.lower(), value))
        try:
            body = json.loads(raw.decode("utf-8"))
            fields.append(("keys", ",".join(body.keys())))
            flatten("j", body, fields)
        except ValueError as e:
            fields.append(("json_error", str(e)))
        text = "".join("%s: %s\n" % (k, str(v).replace("\n", "\\n")) for k, v in fields)
        text += "\n" + raw.decode("utf-8", "replace")
        name = "%04d.txt" % n
        tmp = os.path.join(Handler.directory, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.rename(tmp, os.path.join(Handler.directory, name))
        reply = b'{"error":-1,"message":"failed"}' if fail else b'{"error":0,"message":"Success"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, fmt, *args):
        sys.stderr.write("http_capture: " + (fmt % args) + "\n")


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    args = sys.argv[3:]
    if "--fail-first" in args:
        Handler.fail_first = int(args[args.index("--fail-first") + 1])
    Handler.fail_always = "--fail-always" in args
    Handler.directory = directory
    os.makedirs(directory, exist_ok=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
