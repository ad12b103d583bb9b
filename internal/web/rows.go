package web

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"supervisord/internal/process"
	"supervisord/internal/rpc"
)

// rowData is what the console shows of one process: the server renders
// it into the table and the event stream sends it as JSON when it
// changes. It is comparable, so a change is found with ==; fields that
// move with the clock alone (uptime) are left to the page.
type rowData struct {
	Spec     string `json:"spec"` // namespec: "name" or "group:name"
	Group    string `json:"group"`
	Name     string `json:"name"`
	State    string `json:"state"`
	Since    int64  `json:"since"` // Unix ms the state began (best known), 0 unknown
	Pid      int    `json:"pid"`
	Exit     int    `json:"exit"`
	HasExit  bool   `json:"hasExit"`
	Restarts uint64 `json:"restarts"`
	Health   string `json:"health,omitempty"`
	// Note is why a process is not running when the daemon knows:
	// "waiting for db", a failed dependency, a spawn error.
	Note string `json:"note,omitempty"`
	// Usage, when measured.
	Measured bool    `json:"measured"`
	CPU      float64 `json:"cpu"` // percent of one CPU over the last sample
	Mem      uint64  `json:"mem"` // bytes
	Tasks    int     `json:"tasks,omitempty"`
	OOM      uint64  `json:"oom,omitempty"`
}

// row is a rowData with what the template adds.
type row struct {
	rowData
	Class       string
	Description string
	CanStart    bool
	CanStop     bool
	Spark       []float64 // CPU % samples, oldest first
	Hidden      bool      // filtered out
}

func (r row) SinceText(now time.Time) string { return sinceText(r.Since, now) }

// groupRows is one group of the table.
type groupRows struct {
	Name string
	// Header: a group with several processes (or one not named after
	// it) gets its own header row with group actions.
	Header bool
	Rows   []row
	Hidden bool // every row is filtered out
}

// stateCount is one entry of the counts at the top of the page.
type stateCount struct {
	State string
	Class string
	N     int
}

// infoRow builds a row's data from a snapshot row.
func infoRow(p process.Info, restarts uint64, since int64) rowData {
	r := rowData{
		Spec: namespec(p.Group, p.Name), Group: p.Group, Name: p.Name,
		State: p.State.String(), Pid: p.Pid, Restarts: restarts, Health: p.Health,
		Note: p.SpawnErr,
	}
	switch p.State {
	case process.Exited, process.Backoff, process.Fatal:
		r.Exit, r.HasExit = p.ExitStatus, p.Stop != 0 || p.State == process.Exited
	}
	if since == 0 {
		switch {
		case p.State.IsRunning() && p.Start != 0:
			since = p.Start * 1000
		case !p.State.IsRunning() && p.Stop != 0:
			since = p.Stop * 1000
		}
	}
	r.Since = since
	if p.Usage.Measured {
		r.Measured = true
		r.Mem = p.Usage.MemoryBytes
		r.Tasks = p.Usage.Tasks
		r.OOM = p.Usage.OOMKills
	}
	return r
}

// sortedInfos lists every process sorted by group and name, as the
// reference's page does.
func sortedInfos(groups []rpc.GroupSnapshot) []process.Info {
	var infos []process.Info
	for _, g := range groups {
		infos = append(infos, g.Processes...)
	}
	sort.SliceStable(infos, func(i, j int) bool {
		if infos[i].Group != infos[j].Group {
			return infos[i].Group < infos[j].Group
		}
		return infos[i].Name < infos[j].Name
	})
	return infos
}

// stateOrder is the order of the counts at the top of the page.
var stateOrder = []process.State{
	process.Running, process.Starting, process.Backoff, process.Stopping,
	process.Stopped, process.Exited, process.Fatal, process.Unknown,
}

// matches reports whether a row passes the filter: every word must occur
// in its name, group or state, or "state:x" must equal its state.
func matches(r rowData, filter string) bool {
	hay := strings.ToLower(r.Spec + " " + r.Group + " " + r.State)
	for _, w := range strings.Fields(strings.ToLower(filter)) {
		if s, ok := strings.CutPrefix(w, "state:"); ok {
			if strings.ToLower(r.State) != s {
				return false
			}
			continue
		}
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// sinceText is how long ago a Unix ms time was, shortly: "5s", "3m",
// "4h 10m", "2d 3h" (coarse, so a page need not redraw every second).
func sinceText(ms int64, now time.Time) string {
	if ms == 0 {
		return ""
	}
	return shortDuration(now.Sub(time.UnixMilli(ms)))
}

func shortDuration(d time.Duration) string {
	s := int64(max(d, 0) / time.Second)
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return fmt.Sprintf("%dm", s/60)
	case s < 86400:
		return fmt.Sprintf("%dh %dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd %dh", s/86400, s%86400/3600)
}

// bytesText is a byte count in binary units: "512 B", "3.4 MiB".
func bytesText(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// sparkPoints is an SVG polyline's points for samples in a 60×16 box,
// scaled to the largest sample (at least 1, so an idle process is flat).
func sparkPoints(samples []float64) string {
	if len(samples) < 2 {
		return ""
	}
	top := 1.0
	for _, v := range samples {
		top = max(top, v)
	}
	var b strings.Builder
	step := 60.0 / float64(len(samples)-1)
	for i, v := range samples {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", float64(i)*step, 15-14*v/top)
	}
	return b.String()
}
