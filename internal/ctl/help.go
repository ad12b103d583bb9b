package ctl

// Help texts for each action. The first column (the syntax) matches the
// reference so that people and scripts find the same forms; the wording is
// our own.
var helpTexts = map[string]string{
	"add":      "add <name> [...]\tActivate config changes for the process or group",
	"avail":    "avail\t\t\tList every configured process",
	"clear":    "clear <name>\t\tEmpty a process's log files.\nclear <name> <name>\tEmpty the log files of several processes\nclear all\t\tEmpty the log files of all processes",
	"exit":     "exit\tLeave the supervisor shell.",
	"fg":       "fg <process>\tAttach to a process in the foreground\n\t\tCtrl-C to detach",
	"maintail": "maintail -f \tFollow supervisord's main log file (Ctrl-C to stop)\nmaintail -100\tthe last 100 *bytes* of supervisord's main log file\nmaintail\tthe last 1600 *bytes* of supervisord's main log file\n",
	"open":     "open <url>\tConnect to another supervisord.\n\t\t(a UNIX domain socket is unix:///socket/path)",
	"pid":      "pid\t\t\tShow the PID of supervisord.\npid <name>\t\tShow the PID of one child process.\npid all\t\t\tShow the PID of every child process, one per line.",
	"quit":     "quit\tLeave the supervisor shell.",
	"reload":   "reload \t\tRestart the remote supervisord.",
	"remove":   "remove <name> [...]\tTake a process or group out of the active config",
	"reread":   "reread \t\t\tRe-read the daemon's config files; add or remove nothing",
	"restart":  "restart <name>\t\tRestart one process\nrestart <gname>:*\tRestart every process of a group\nrestart <name> <name>\tRestart several processes or groups\nrestart all\t\tRestart every process\nNote: restart does not re-read config files; see reread and update.",
	"shutdown": "shutdown \tStop the remote supervisord.\nshutdown <status>\tStop it; it exits with <status> (0-255)",
	"signal":   "signal <signal name> <name>\t\tSend a signal to one process\nsignal <signal name> <gname>:*\t\tSend a signal to every process of a group\nsignal <signal name> <name> <name>\tSend a signal to several processes or groups\nsignal <signal name> all\t\tSend a signal to every process",
	"start":    "start <name>\t\tStart one process\nstart <gname>:*\t\tStart every process of a group\nstart <name> <name>\tStart several processes or groups\nstart all\t\tStart every process",
	"status":   "status <name>\t\tShow the status of one process\nstatus <gname>:*\tShow the status of every process of a group\nstatus <name> <name>\tShow the status of several processes\nstatus\t\t\tShow the status of every process\nstatus --json [...]\tThe same as a JSON array, for scripts\nstatus -l [...]\t\tAlso what each process's whole tree uses (cgroups)",
	"stop":     "stop <name>\t\tStop one process\nstop <gname>:*\t\tStop every process of a group\nstop <name> <name>\tStop several processes or groups\nstop all\t\tStop every process",
	"tail":     "tail [-f] <name> [stdout|stderr] (default stdout)\nEx:\ntail -f <name>\t\tFollow the named process's stdout\n\t\t\tCtrl-C to stop.\ntail -100 <name>\tthe last 100 *bytes* of its stdout\ntail <name> stderr\tthe last 1600 *bytes* of its stderr",
	"update":   "update\t\t\tRe-read the config, add and remove as needed, restarting what changed\nupdate all\t\tRe-read the config, add and remove as needed, restarting what changed\nupdate <gname> [...]\tUpdate only these groups",
	"version":  "version\t\t\tShow the version of the remote supervisord",
	"help":     "help\t\tList the available actions\nhelp <action>\tShow help for <action>",
	// Not in topicOrder, so that "help" lists what the reference lists.
	"wait": "wait [--timeout 30s]\t\tWait until every autostart process is RUNNING (and ready)\nwait [--timeout 30s] <name> [...]\tWait for these processes or groups\n\t\t\t\tExit 1 with the laggards on timeout, or at once when one is FATAL",
}

// topicOrder is the list "help" prints: every action but help itself.
var topicOrder = []string{
	"add", "avail", "clear", "exit", "fg", "maintail", "open", "pid", "quit",
	"reload", "remove", "reread", "restart", "shutdown", "signal", "start",
	"status", "stop", "tail", "update", "version",
}

const topicsHeader = "default commands (type help <topic>):"
