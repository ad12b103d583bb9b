# Reads JSON cases on stdin, builds the same events with the reference's
# supervisor.events classes, and prints their payloads and envelopes.
import base64
import json
import sys

from supervisor import events
from supervisor.process import EventListenerPool
from supervisor.states import ProcessStates


class Obj(object):
    pass


def proc(c):
    p = Obj()
    p.config = Obj()
    p.config.name = c["name"]
    if c["group"] is None:
        p.group = None
    else:
        p.group = Obj()
        p.group.config = Obj()
        p.group.config.name = c["group"]
    p.pid = c.get("pid", 0)
    p.backoff = c.get("tries", 0)
    return p


STATE_EVENTS = {
    "STOPPED": events.ProcessStateStoppedEvent,
    "STARTING": events.ProcessStateStartingEvent,
    "RUNNING": events.ProcessStateRunningEvent,
    "BACKOFF": events.ProcessStateBackoffEvent,
    "STOPPING": events.ProcessStateStoppingEvent,
    "EXITED": events.ProcessStateExitedEvent,
    "FATAL": events.ProcessStateFatalEvent,
    "UNKNOWN": events.ProcessStateUnknownEvent,
}


def build(c):
    k = c["kind"]
    data = base64.b64decode(c.get("data", ""))
    if k == "state":
        cls = STATE_EVENTS[c["to"]]
        frm = getattr(ProcessStates, c["from"])
        return cls(proc(c), frm, c.get("expected", True))
    if k == "log":
        cls = events.ProcessLogStdoutEvent if c["stream"] == "stdout" else events.ProcessLogStderrEvent
        return cls(proc(c), c.get("pid", 0), data)
    if k == "comm":
        cls = events.ProcessCommunicationStdoutEvent if c["stream"] == "stdout" else events.ProcessCommunicationStderrEvent
        return cls(proc(c), c.get("pid", 0), data)
    if k == "remote":
        return events.RemoteCommunicationEvent(c.get("type", ""), data.decode("utf-8"))
    if k == "running":
        return events.SupervisorRunningEvent()
    if k == "stopping":
        return events.SupervisorStoppingEvent()
    if k == "tick":
        cls = {5: events.Tick5Event, 60: events.Tick60Event, 3600: events.Tick3600Event}[c["period"]]
        return cls(c["when"], None)
    if k == "added":
        return events.ProcessGroupAddedEvent(c["group"])
    if k == "removed":
        return events.ProcessGroupRemovedEvent(c["group"])
    raise ValueError(k)


def main():
    cases = json.load(sys.stdin)
    out = []
    for c in cases:
        ev = build(c)
        pool = Obj()
        pool.config = Obj()
        pool.config.name = c["pool"]
        pool.config.options = Obj()
        pool.config.options.identifier = c["identifier"]
        payload = ev.payload()
        env = EventListenerPool._eventEnvelope(
            pool, ev.__class__, c["serial"], c["poolserial"], payload)
        out.append({
            "name": events.getEventNameByType(ev.__class__),
            "envelope": base64.b64encode(env.encode("utf-8")).decode("ascii"),
        })
    json.dump(out, sys.stdout)


main()
