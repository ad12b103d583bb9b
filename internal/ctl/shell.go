package ctl

import (
	"errors"
	"os"
	"strings"

	"github.com/peterh/liner"
	"golang.org/x/term"
)

// shell runs the interactive loop: "status" first, then a prompt per
// command until EOF, quit or Ctrl-C.
func (c *controller) shell() {
	// The editor keeps the terminal in a raw mode between prompts; commands
	// run in the user's own mode so that fg reads whole echoed lines and
	// Ctrl-C raises SIGINT.
	var cooked, raw liner.ModeApplier
	if c.onTerminal() {
		cooked, _ = liner.TerminalMode()
		ed := liner.NewLiner()
		raw, _ = liner.TerminalMode()
		ed.SetCtrlCAborts(true)
		ed.SetTabCompletionStyle(liner.TabPrints)
		ed.SetWordCompleter(c.completeWord)
		if c.opts.historyFile != "" {
			if f, err := os.Open(c.opts.historyFile); err == nil {
				ed.ReadHistory(f)
				f.Close()
			}
			defer func() {
				if f, err := os.Create(c.opts.historyFile); err == nil {
					ed.WriteHistory(f)
					f.Close()
				}
			}()
		}
		c.input.editor = ed
	}
	queue := []string{"status"}
	for {
		var line string
		if len(queue) > 0 {
			line, queue = queue[0], queue[1:]
		} else {
			var err error
			line, err = c.input.readLine(c.opts.prompt + "> ")
			switch {
			case errors.Is(err, errInterrupted):
				c.output("")
				return
			case err != nil:
				line = "EOF"
			case strings.TrimSpace(line) != "" && c.input.editor != nil:
				c.input.editor.AppendHistory(line)
			}
		}
		if cooked != nil {
			cooked.ApplyMode()
		}
		stop, interrupted := c.onecmd(line)
		if raw != nil {
			raw.ApplyMode()
		}
		if interrupted {
			c.output("")
			return
		}
		if stop {
			return
		}
	}
}

func (c *controller) onTerminal() bool {
	in, ok1 := c.stdin.(*os.File)
	out, ok2 := c.out.(*syncWriter)
	if !ok1 || !ok2 {
		return false
	}
	of, ok := out.w.(*os.File)
	return ok && in == os.Stdin && of == os.Stdout &&
		term.IsTerminal(int(in.Fd())) && term.IsTerminal(int(of.Fd()))
}

// completionDelims ends a word for completion: readline's set without ":",
// "*" and "-", so "group:name" is one word.
const completionDelims = " \t\n\"\\'`@$><=;|&{("

// completeWord completes the word under the cursor: action names first,
// then group or process names depending on the action.
func (c *controller) completeWord(line string, pos int) (head string, completions []string, tail string) {
	if pos > len(line) {
		pos = len(line)
	}
	start := strings.LastIndexAny(line[:pos], completionDelims) + 1
	head, text, tail := line[:start], line[start:pos], line[pos:]
	return head, c.completions(line[:pos], text), tail
}

func (c *controller) completions(line, text string) []string {
	words := strings.Fields(line)
	if len(words) == 0 || (len(words) == 1 && !strings.HasSuffix(line, " ")) {
		return c.completeActions(text)
	}
	switch words[0] {
	case "help":
		return c.completeActions(text)
	case "add", "remove", "update":
		return c.completeGroups(text)
	case "clear", "fg", "pid", "restart", "signal", "start", "status", "stop", "tail":
		return c.completeProcesses(text)
	}
	return nil
}

func (c *controller) completeActions(text string) []string {
	var out []string
	for _, a := range append([]string{"help"}, topicOrder...) {
		if strings.HasPrefix(a, text) {
			out = append(out, a+" ")
		}
	}
	return out
}

func (c *controller) completeInfo() []map[string]any {
	if c.complete == nil {
		ctx, done := c.context()
		defer done()
		infos, err := c.allProcessInfo(ctx)
		if err != nil {
			return nil
		}
		c.complete = infos
	}
	return c.complete
}

func (c *controller) completeGroups(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, info := range c.completeInfo() {
		g := strField(info, "group")
		if !seen[g] {
			seen[g] = true
			if strings.HasPrefix(g, text) {
				out = append(out, g+" ")
			}
		}
	}
	return out
}

func (c *controller) completeProcesses(text string) []string {
	var procs []string
	seen := map[string]bool{}
	for _, info := range c.completeInfo() {
		g, n := strField(info, "group"), strField(info, "name")
		if strings.Contains(text, ":") || g != n {
			procs = append(procs, g+":"+n)
			if !seen[g+":*"] {
				seen[g+":*"] = true
				procs = append(procs, g+":*")
			}
		} else {
			procs = append(procs, n)
		}
	}
	var out []string
	for _, p := range procs {
		if strings.HasPrefix(p, text) {
			out = append(out, p+" ")
		}
	}
	return out
}
