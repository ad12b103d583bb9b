# An event listener written with the reference's childutils. For every event
# it prints "serial poolserial eventname payload-repr" to stderr; it answers
# FAIL the first time it sees an event whose serial is divisible by 3, OK
# otherwise. It exits quietly when stdin closes.
import sys

from supervisor import childutils

seen = set()
while True:
    try:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    except (KeyError, ValueError):
        break
    serial = int(headers["serial"])
    sys.stderr.write("%s %s %s %r\n" % (headers["serial"], headers["poolserial"],
                                       headers["eventname"], payload))
    sys.stderr.flush()
    if serial % 3 == 0 and serial not in seen:
        seen.add(serial)
        childutils.listener.fail(sys.stdout)
    else:
        childutils.listener.ok(sys.stdout)
