// Package confecho holds the sample configuration printed by
// echo_supervisord_conf: a working minimal setup (a unix socket control
// server, a daemon logging under /tmp, supervisorctl pointed at the socket)
// with every other section and option present but commented out, showing
// its default. The active lines and their values are the same as those of
// Supervisor's sample, so either daemon reads the same settings from it.
package confecho

// Sample returns the sample configuration file.
func Sample() string { return sample }

const sample = `; supervisord configuration: an annotated starting point.
;
; Lines starting with ";" are comments; remove the ";" in front of an
; option to use it. The value shown is the default unless said otherwise.
;
; Things to know before editing:
;  - "~" and "$VAR" are not expanded. Use "%(ENV_HOME)s" to insert the
;    value of an environment variable (here HOME).
;  - Values are taken literally: quotes are only understood in the
;    environment= options, as in the examples below.
;  - A comment after a value needs whitespace before its ";":
;    "a=b ;note" works, "a=b;note" makes "b;note" the value.
;  - A command that contains " ;" is cut there, because the rest looks
;    like a comment: "command=sh -c 'x ; y'" becomes "sh -c 'x".
;
; About paths: this sample puts the socket, the log and the pidfile in
; /tmp so that it runs anywhere. Move them somewhere permanent for real
; use: programs that clean /tmp may delete the socket, and supervisorctl
; then cannot reach the daemon.

[unix_http_server]
file=/tmp/supervisor.sock   ; where the control socket is created
;chmod=0700                 ; permissions of the socket file (default 0700)
;chown=nobody:nogroup       ; owner and group of the socket file
;username=user              ; login required by the server (default: none)
;password=123               ; its password, clear or {SHA}hex (default: none)

; The TCP control server below is off unless you uncomment it. It has no
; encryption and, without username/password, no authentication: bind it to
; localhost or to a network you trust, never to the internet.

;[inet_http_server]         ; HTTP control over TCP (off by default)
;port=127.0.0.1:9001        ; host:port to listen on; *:port means every interface
;username=user              ; login required by the server (default: none)
;password=123               ; its password, clear or {SHA}hex (default: none)

[supervisord]
logfile=/tmp/supervisord.log ; daemon log (default: supervisord.log in the cwd)
logfile_maxbytes=50MB        ; rotate the daemon log at this size (default 50MB)
logfile_backups=10           ; rotated daemon logs to keep, 0 for none (default 10)
loglevel=info                ; critical, error, warn, info, debug, trace or blather
pidfile=/tmp/supervisord.pid ; where the daemon writes its pid (default supervisord.pid)
nodaemon=false               ; true keeps the daemon in the foreground (default false)
silent=false                 ; true stops log output to stdout in the foreground
minfds=1024                  ; refuse to start with fewer free file descriptors
minprocs=200                 ; refuse to start with fewer free process slots
;umask=022                   ; umask of the daemon and its children (default 022)
;user=supervisord            ; switch to this account at start (advised when root)
;identifier=supervisor       ; name of this daemon in the API and events
;directory=/tmp              ; chdir here when daemonizing (default: no chdir)
;nocleanup=true              ; keep old AUTO child logs at start (default false)
;childlogdir=/tmp            ; where AUTO child logs go (default: the temp dir)
;environment=KEY="value"     ; variables added to the environment of every child
;strip_ansi=false            ; remove ANSI escapes from child logs (default false)

; The API that supervisorctl and the web page use is switched on by this
; section; keep it.

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

; How supervisorctl reaches the daemon: match one of the server sections
; above.

[supervisorctl]
serverurl=unix:///tmp/supervisor.sock ; unix:// path of the control socket
;serverurl=http://127.0.0.1:9001 ; or the http:// address of the TCP server
;username=chris              ; same as the server's username, if it has one
;password=123                ; same as the server's password, if it has one
;prompt=mysupervisor         ; prompt of the interactive shell (default supervisor)
;history_file=~/.sc_history  ; keep the shell's command history in this file

; A program section describes one program to run and watch; every option
; is listed below. Add a section like it for each of your programs.

;[program:theprogramname]
;command=/bin/cat              ; what to run, with arguments; bare names are searched in PATH
;process_name=%(program_name)s ; name of each process; must be unique with numprocs > 1
;numprocs=1                    ; how many copies to run (default 1)
;directory=/tmp                ; chdir here before running (default: no chdir)
;umask=022                     ; umask of the process (default: the daemon's)
;priority=999                  ; lower starts earlier and stops later (default 999)
;autostart=true                ; start when the daemon starts (default true)
;startsecs=1                   ; seconds it must stay up to count as started (default 1)
;startretries=3                ; failed starts in a row before giving up (default 3)
;autorestart=unexpected        ; restart after exit: true, false or unexpected (default)
;exitcodes=0                   ; exit codes that count as expected (default 0)
;stopsignal=QUIT               ; signal that asks it to stop (default TERM)
;stopwaitsecs=10               ; seconds to wait after it before SIGKILL (default 10)
;stopasgroup=false             ; send the stop signal to its whole process group
;killasgroup=false             ; send SIGKILL to its whole process group
;user=chrism                   ; run it as this account
;redirect_stderr=true          ; send stderr into the stdout log (default false)
;stdout_logfile=/a/path        ; stdout log file, NONE for none (default AUTO)
;stdout_logfile_maxbytes=1MB   ; rotate the stdout log at this size (default 50MB)
;stdout_logfile_backups=10     ; rotated stdout logs to keep, 0 for none (default 10)
;stdout_capture_maxbytes=1MB   ; buffer for capture-mode messages (default 0: off)
;stdout_events_enabled=false   ; send PROCESS_LOG events for stdout (default false)
;stdout_syslog=false           ; copy stdout to syslog, tagged with the name
;stderr_logfile=/a/path        ; stderr log file, NONE for none (default AUTO)
;stderr_logfile_maxbytes=1MB   ; rotate the stderr log at this size (default 50MB)
;stderr_logfile_backups=10     ; rotated stderr logs to keep, 0 for none (default 10)
;stderr_capture_maxbytes=1MB   ; buffer for capture-mode messages (default 0: off)
;stderr_events_enabled=false   ; send PROCESS_LOG events for stderr (default false)
;stderr_syslog=false           ; copy stderr to syslog, tagged with the name
;environment=A="1",B="2"       ; variables added to its environment (default: none)
;serverurl=AUTO                ; API address given to it in SUPERVISOR_SERVER_URL

; An eventlistener section runs a pool of processes that receive events
; from the daemon on stdin and answer on stdout. Its options are those of a
; program plus the event ones.

;[eventlistener:theeventlistenername]
;command=/bin/eventlistener    ; what to run, with arguments; bare names are searched in PATH
;process_name=%(program_name)s ; name of each process; must be unique with numprocs > 1
;numprocs=1                    ; how many listeners in the pool (default 1)
;events=EVENT                  ; event types to receive, comma separated (required)
;buffer_size=10                ; events queued while all listeners are busy (default 10)
;directory=/tmp                ; chdir here before running (default: no chdir)
;umask=022                     ; umask of the process (default: the daemon's)
;priority=-1                   ; lower starts earlier and stops later (default -1)
;autostart=true                ; start when the daemon starts (default true)
;startsecs=1                   ; seconds it must stay up to count as started (default 1)
;startretries=3                ; failed starts in a row before giving up (default 3)
;autorestart=unexpected        ; restart after exit: true, false or unexpected (default)
;exitcodes=0                   ; exit codes that count as expected (default 0)
;stopsignal=QUIT               ; signal that asks it to stop (default TERM)
;stopwaitsecs=10               ; seconds to wait after it before SIGKILL (default 10)
;stopasgroup=false             ; send the stop signal to its whole process group
;killasgroup=false             ; send SIGKILL to its whole process group
;user=chrism                   ; run it as this account
;redirect_stderr=false         ; must stay false: stdout carries the protocol
;stdout_logfile=/a/path        ; stdout log file, NONE for none (default AUTO)
;stdout_logfile_maxbytes=1MB   ; rotate the stdout log at this size (default 50MB)
;stdout_logfile_backups=10     ; rotated stdout logs to keep, 0 for none (default 10)
;stdout_events_enabled=false   ; send PROCESS_LOG events for stdout (default false)
;stdout_syslog=false           ; copy stdout to syslog, tagged with the name
;stderr_logfile=/a/path        ; stderr log file, NONE for none (default AUTO)
;stderr_logfile_maxbytes=1MB   ; rotate the stderr log at this size (default 50MB)
;stderr_logfile_backups=10     ; rotated stderr logs to keep, 0 for none (default 10)
;stderr_events_enabled=false   ; send PROCESS_LOG events for stderr (default false)
;stderr_syslog=false           ; copy stderr to syslog, tagged with the name
;environment=A="1",B="2"       ; variables added to its environment (default: none)
;serverurl=AUTO                ; API address given to it in SUPERVISOR_SERVER_URL

; A group section puts several programs under one name, so that they can be
; started and stopped together.

;[group:thegroupname]
;programs=progname1,progname2  ; names of [program:x] sections, comma separated
;priority=999                  ; lower starts earlier and stops later (default 999)

; The include section reads more configuration files. "files" takes one or
; more paths or glob patterns, separated by spaces or newlines; relative
; paths start from this file's directory. Included files cannot include
; others.

;[include]
;files = relative/directory/*.ini
`
