# Runs a scenario of pool operations (JSON on stdin) through the reference's
# EventListenerPool with stand-in listener processes, and prints every
# envelope written, as "pool process base64(envelope)" lines.
import base64
import json
import sys

from supervisor import events
from supervisor.process import EventListenerPool
from supervisor.states import EventListenerStates, ProcessStates


class Obj(object):
    pass


class Logger(object):
    def debug(self, msg): pass
    def info(self, msg): pass
    def warn(self, msg): pass
    def error(self, msg): pass


out = []


class Proc(object):
    def __init__(self, pool, name):
        self.pool = pool
        self.config = Obj()
        self.config.name = name
        self.state = ProcessStates.STARTING
        self.listener_state = EventListenerStates.ACKNOWLEDGED
        self.event = None

    def write(self, data):
        out.append("%s %s %s" % (self.pool, self.config.name,
                                 base64.b64encode(data).decode("ascii")))

    def transition(self):
        pass


def make_pool(spec):
    options = Obj()
    options.logger = Logger()
    options.identifier = "supervisor"
    pcs = []
    for name in spec["members"]:
        pc = Obj()
        pc.name = name
        pc.make_process = (lambda n: lambda group: Proc(spec["name"], n))(name)
        pcs.append(pc)
    cfg = Obj()
    cfg.name = spec["name"]
    cfg.options = options
    cfg.process_configs = pcs
    cfg.buffer_size = spec["buffer"]
    cfg.pool_events = [getattr(events.EventTypes, e) for e in spec["events"]]
    return EventListenerPool(cfg)


def main():
    scenario = json.load(sys.stdin)
    pools = [make_pool(p) for p in scenario["pools"]]
    byname = dict((p.config.name, p) for p in pools)
    for op in scenario["ops"]:
        kind = op["op"]
        if kind == "publish":
            if op["event"] == "tick5":
                events.notify(events.Tick5Event(op.get("n", 0), None))
            else:
                events.notify(events.RemoteCommunicationEvent("t", str(op.get("n", 0))))
        else:
            proc = byname[op["pool"]].processes[op["proc"]]
            if kind == "spawn":
                proc.state = ProcessStates.RUNNING
                proc.listener_state = EventListenerStates.ACKNOWLEDGED
            elif kind == "ready":
                proc.listener_state = EventListenerStates.READY
            elif kind == "ok":
                proc.listener_state = EventListenerStates.ACKNOWLEDGED
                proc.event = None
            elif kind == "fail":
                proc.listener_state = EventListenerStates.ACKNOWLEDGED
                events.notify(events.EventRejectedEvent(proc, proc.event))
                proc.event = None
            elif kind == "die":
                proc.state = ProcessStates.EXITED
                if proc.event is not None:
                    events.notify(events.EventRejectedEvent(proc, proc.event))
                    proc.event = None
        for p in pools:
            p.transition()
    print("\n".join(out))


main()
