package rpc

import (
	"fmt"
	"time"

	"supervisord/internal/process"
)

// describe formats the description column of a process row the way
// Supervisor does: uptime for RUNNING, the spawn error for FATAL and
// BACKOFF, the stop time (in loc) for STOPPED and EXITED, else nothing.
func describe(info *process.Info, now int64, loc *time.Location) string {
	switch info.State {
	case process.Running:
		up := now - info.Start
		if up < 0 {
			up = 0
		}
		return fmt.Sprintf("pid %d, uptime %s", info.Pid, formatUptime(up))
	case process.Fatal, process.Backoff:
		if info.SpawnErr != "" {
			return info.SpawnErr
		}
		return fmt.Sprintf("unknown error (try \"tail %s\")", info.Name)
	case process.Stopped, process.Exited:
		if info.Start == 0 {
			return "Not started"
		}
		return time.Unix(info.Stop, 0).In(loc).Format("Jan 02 03:04 PM")
	}
	return ""
}

// formatUptime renders seconds as Python renders a timedelta:
// "H:MM:SS", with "N day, " or "N days, " in front past a day.
func formatUptime(secs int64) string {
	days := secs / 86400
	secs %= 86400
	hms := fmt.Sprintf("%d:%02d:%02d", secs/3600, secs%3600/60, secs%60)
	switch days {
	case 0:
		return hms
	case 1:
		return "1 day, " + hms
	}
	return fmt.Sprintf("%d days, %s", days, hms)
}
