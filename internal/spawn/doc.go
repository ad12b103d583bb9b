// Package spawn starts supervised children the way Supervisor does: the
// command is looked up like Supervisor's get_execv_args, the child gets
// pipes for stdin, stdout and stderr, its own process group, the
// configured user, directory and umask, and nothing else of ours.
//
// Nothing here waits for a child. The supervisor loop records the pid that
// Start returns and learns of the exit from its reaper (see package
// reaper), so a child is never waited for twice.
//
// # Failures
//
// Start reports three kinds of failure, and the loop treats each as
// Supervisor does:
//
//   - *faults.Error (NO_FILE or NOT_EXECUTABLE) from Resolve: the command
//     cannot be run at all. Supervisor records the text as spawnerr and moves
//     STARTING → BACKOFF without forking. Start returns the same error when
//     Spec.Path is empty and resolution fails.
//
//   - *SetupError: creating the pipes or forking failed (EMFILE, EAGAIN).
//     Supervisor records SetupError.Spawnerr(name) and moves STARTING →
//     BACKOFF without a pid.
//
//   - *ChildError: the child was to switch user, change directory or exec
//     and could not. Supervisor forks first and does these steps in the
//     child, so there a failure looks like a child that started and at once
//     exited with status 127, having written a message to its stderr. Go
//     starts children with fork+exec in one step, so here there is no child
//     and no pid. To be faithful the loop must emulate what the reference
//     shows: log "spawned: 'name' with pid N" as for any start (it has no
//     real pid; the reference's number is meaningless to clients), write
//     ChildError.Output() to the process's stderr log (its stdout log when
//     redirect_stderr is set, since the child's fd 2 is then the stdout
//     pipe), and then handle an exit with ChildError.WaitStatus() (exit
//     status 127) exactly as a reaped exit: typically "exited: name (exit
//     status 127; not expected)" and STARTING → BACKOFF.
//
// The messages are the reference's, byte for byte:
//
//	couldn't setuid to 1000: Can't drop privilege as nonroot user
//	couldn't chdir to /nope: ENOENT
//	couldn't exec /srv/app: EACCES
//
// each written as "supervisor: <message>\n" followed by
// "supervisor: child process was not spawned\n".
//
// # Order of steps
//
// As in the reference: new process group; stdin, stdout and stderr set up;
// supplementary groups, gid and uid switched; directory changed; umask set;
// exec. When a user, directory or umask is requested, the switch, chdir
// and umask are done first on a throwaway OS thread that has its own
// filesystem context (unshare(CLONE_FS)), so each failure is attributed to
// its step and the daemon's own directory, umask and credentials never
// change; that thread forks the child and is then discarded.
//
// # Where children are forked from
//
// A fork copies the forking thread's descriptor table and the exec closes
// the copy's entries, so forking from the daemon's table, which holds
// descriptors for every program, costs more the more programs there are.
// Once that table is large (spawnerFrom), a child that needs no other user,
// directory or umask is forked by the spawner (spawner_linux.go): an OS
// thread locked for the daemon's life with a descriptor table of its own,
// holding little more than a socket to the daemon. The spawner makes the
// child's pipes in its own table and passes the daemon's ends back over
// the socket. Children with a user, directory or umask are forked from a
// throwaway thread of the daemon's table, as above.
//
// # Descriptors
//
// The child gets exactly fds 0, 1 and 2. Every descriptor Go opens is
// close-on-exec; descriptors the daemon inherited from whoever started it
// are not, and CloseOnExecInherited should be called once at start-up to
// mark them (the reference closes fds 3..minfds in each child instead).
package spawn
