"""smtp_capture.py - an aiosmtpd handler for notify's e-mail test.

Run as: python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_capture.Capture DIR
(with this folder on PYTHONPATH). Every message received is written to DIR
as NNNN.eml (the bytes as received) and NNNN.txt: the envelope and the
fields as Python's own email package decodes them, one "name: value" per
line, a blank line, then the decoded body (with "\n" line ends). Files appear by rename, so a
reader never sees half a message.
"""
import email
import email.policy
import os


class Capture:
    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.count = 0

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("Capture takes one argument: the directory")
        return cls(args[0])

    def _write(self, name, data):
        tmp = os.path.join(self.dir, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.dir, name))

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = "%04d" % self.count
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        date = msg["Date"]
        fields = [
            ("mail_from", envelope.mail_from),
            ("rcpt_to", ",".join(envelope.rcpt_tos)),
            ("from", str(msg["From"])),
            ("to", str(msg["To"])),
            ("to_name", msg["To"].addresses[0].display_name),
            ("to_addr", msg["To"].addresses[0].addr_spec),
            ("subject", str(msg["Subject"])),
            ("date", str(date)),
            ("date_iso", date.datetime.isoformat() if date.datetime else ""),
            ("message_id", str(msg["Message-ID"])),
            ("token", str(msg["X-CCHC-Token"])),
            ("content_type", msg.get_content_type()),
            ("charset", str(msg.get_content_charset())),
            ("defects", str(len(msg.defects) + sum(len(h.defects) for h in msg.values()))),
        ]
        body = msg.get_content().replace("\r\n", "\n")  # the transport's line ends
        text = "".join("%s: %s\n" % kv for kv in fields) + "\n" + body
        self._write(base + ".eml", raw)
        self._write(base + ".txt", text.encode("utf-8"))
        return "250 OK"
