package web

import (
	"html"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// rowsHTML is the markup of a group's rows in the status table. The rows
// are nearly all of the page: with 1,000 programs html/template spent
// about 100 ms on them (reflection on every field of every row), written
// here they take a few. Every value from a process goes through
// html.EscapeString, in text and in double-quoted attributes alike, and
// the name in a link's query is query-escaped first, so a hostile program
// name stays text (TestNamesAndMessagesAreEscaped, and the browser test's
// BadNameIsText).
func rowsHTML(rows []row, readOnly bool, now time.Time) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 1100)
	for _, r := range rows {
		writeRow(&b, r, readOnly, now)
	}
	return template.HTML(b.String())
}

func writeRow(b *strings.Builder, r row, readOnly bool, now time.Time) {
	spec := html.EscapeString(r.Spec)
	b.WriteString(`<tr class="proc" data-spec="`)
	b.WriteString(spec)
	b.WriteString(`" data-state="`)
	b.WriteString(html.EscapeString(r.State))
	b.WriteString(`"`)
	if r.Hidden {
		b.WriteString(` hidden`)
	}
	b.WriteString(`>`)
	if !readOnly {
		b.WriteString(`<td class="c-sel"><input type="checkbox" name="processname" value="`)
		b.WriteString(spec)
		b.WriteString(`" aria-label="Select `)
		b.WriteString(spec)
		b.WriteString(`"></td>`)
	}
	b.WriteString(`<td class="name"><a href="tail.html?processname=`)
	b.WriteString(html.EscapeString(url.QueryEscape(r.Spec)))
	b.WriteString(`">`)
	b.WriteString(spec)
	b.WriteString(`</a></td><td class="c-state"><span class="badge badge-`)
	b.WriteString(html.EscapeString(r.Class))
	b.WriteString(`">`)
	b.WriteString(html.EscapeString(strings.ToLower(r.State)))
	b.WriteString(`</span> <span class="since" data-since="`)
	b.WriteString(strconv.FormatInt(r.Since, 10))
	b.WriteString(`">`)
	b.WriteString(r.SinceText(now))
	b.WriteString(`</span></td><td class="desc c-desc">`)
	b.WriteString(html.EscapeString(r.Description))
	b.WriteString(`</td><td class="num c-pid">`)
	if r.Pid != 0 {
		b.WriteString(strconv.Itoa(r.Pid))
	}
	b.WriteString(`</td><td class="num c-exit">`)
	if r.HasExit {
		b.WriteString(strconv.Itoa(r.Exit))
	}
	b.WriteString(`</td><td class="num c-restarts">`)
	b.WriteString(strconv.FormatUint(r.Restarts, 10))
	b.WriteString(`</td><td class="c-health">`)
	if r.Health != "" {
		h := html.EscapeString(r.Health)
		b.WriteString(`<span class="health health-`)
		b.WriteString(h)
		b.WriteString(`">`)
		b.WriteString(h)
		b.WriteString(`</span>`)
	}
	b.WriteString(`</td><td class="num c-cpu">`)
	if r.Measured {
		b.WriteString(pctText(r.CPU))
		if pts := sparkPoints(r.Spark); pts != "" {
			b.WriteString(` <svg class="spark" viewBox="0 0 60 16" aria-hidden="true"><polyline points="`)
			b.WriteString(pts)
			b.WriteString(`"/></svg>`)
		}
	}
	b.WriteString(`</td><td class="num c-mem">`)
	if r.Measured {
		b.WriteString(bytesText(r.Mem))
	}
	b.WriteString(`</td>`)
	if !readOnly {
		b.WriteString(`<td class="acts">`)
		for _, a := range rowActions {
			b.WriteString(`<button name="act1" value="`)
			b.WriteString(a.verb)
			b.WriteString(`:`)
			b.WriteString(spec)
			b.WriteString(`" class="`)
			b.WriteString(a.class)
			b.WriteString(`">`)
			b.WriteString(a.label)
			b.WriteString(`</button>`)
		}
		b.WriteString(`</td>`)
	}
	b.WriteString("</tr>\n")
}

// rowActions are a row's buttons; the stylesheet shows those that make
// sense in the row's state.
var rowActions = []struct{ verb, class, label string }{
	{"start", "a-start", "Start"},
	{"stop", "a-stop d", "Stop"},
	{"restart", "a-restart d", "Restart"},
	{"signal", "a-signal d", "Signal"},
	{"clearlog", "a-clear d", "Clear log"},
}

// pctText is a CPU share as the page shows it: "12.5%".
func pctText(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + "%" }
