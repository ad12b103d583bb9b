"""Event listener for the differential test: records every event it is
sent, one JSON object per line, in the file named by argv[1]. It answers
FAIL the first time it sees a REMOTE_COMMUNICATION event of type
"failme", so that the daemon has to send that event again."""
import json
import sys

from supervisor import childutils


def main():
    failed = False
    with open(sys.argv[1], "a") as out:
        while True:
            headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
            name = headers["eventname"]
            result = "OK"
            if name == "REMOTE_COMMUNICATION" and payload.startswith("type:failme") and not failed:
                failed = True
                result = "FAIL"
            out.write(json.dumps({"event": name, "payload": payload, "result": result}) + "\n")
            out.flush()
            if result == "OK":
                childutils.listener.ok(sys.stdout)
            else:
                childutils.listener.fail(sys.stdout)


main()
