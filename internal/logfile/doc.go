// Package logfile moves child output and the daemon's own log lines to
// disk, the console and syslog, and reads them back for the control API.
//
// It exists so that the rest of the daemon can treat logging as "hand over
// bytes, never wait": capture goroutines copy a child's pipe straight to a
// rotating file at close to disk speed, console and syslog destinations are
// decoupled by bounded buffers that count what they drop, and everything the
// reference implementation does with output (capture-mode tokens,
// PROCESS_LOG events, strip_ansi, debug echo into the main log, rotation
// names and order, readLog/tail semantics) is reproduced here in one place.
//
// Deliberate differences from Supervisor 4.2.5:
//   - rotation happens at a line boundary, so a line is never split between
//     two files (a single line longer than maxbytes is the only exception);
//   - output still buffered when a child's pipe closes is written out, not
//     dropped;
//   - Clear also removes the backups of a rotating file;
//   - syslog messages of the daemon log carry the record's severity rather
//     than always "info".
package logfile
