# Loads a configuration file with the reference's option parsers and prints
# the settings it yields, one per line, for comparing two files.
import sys

from supervisor.options import ClientOptions, ServerOptions

path = sys.argv[1]
o = ServerOptions()
o.realize(args=["-c", path])
for k in ["logfile", "logfile_maxbytes", "logfile_backups", "loglevel", "pidfile",
          "nodaemon", "silent", "minfds", "minprocs", "umask", "identifier",
          "directory", "nocleanup", "childlogdir", "strip_ansi", "uid"]:
    print(k, repr(getattr(o, k, None)))
for c in o.server_configs:
    print("server", sorted((k, repr(v)) for k, v in c.items() if k != "section"))
print("groups", [g.name for g in o.process_group_configs])
print("rpc", [n for n, _, _ in o.rpcinterface_factories])
c = ClientOptions()
c.realize(args=["-c", path])
print("ctl", c.serverurl, c.username, c.password, c.prompt, c.history_file)
