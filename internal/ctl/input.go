package ctl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/peterh/liner"
	"golang.org/x/term"
)

// lineInput reads the lines the user types: shell commands, answers to
// questions, and fg's input. On a terminal the shell uses a line editor;
// otherwise lines are read from stdin and prompts written to stdout, as
// Python's input() does.
type lineInput struct {
	r      io.Reader
	out    io.Writer
	errOut io.Writer
	feed   *lineFeed
	editor *liner.State // set while the shell runs on a terminal
}

func newLineInput(r io.Reader, out, errOut io.Writer) *lineInput {
	return &lineInput{r: r, out: out, errOut: errOut}
}

func (in *lineInput) close() {
	if in.editor != nil {
		in.editor.Close()
		in.editor = nil
	}
	if in.feed != nil {
		in.feed.close()
	}
}

func (in *lineInput) lines() *lineFeed {
	if in.feed == nil {
		in.feed = newLineFeed(in.r)
	}
	return in.feed
}

// readLine shows prompt and reads one line without its newline. It
// returns io.EOF at the end of input and errInterrupted on Ctrl-C.
func (in *lineInput) readLine(prompt string) (string, error) {
	if in.editor != nil {
		s, err := in.editor.Prompt(prompt)
		return s, editorErr(err)
	}
	io.WriteString(in.out, prompt)
	return in.lines().next(context.Background())
}

func (in *lineInput) readPassword(prompt string) (string, error) {
	if in.editor != nil {
		s, err := in.editor.PasswordPrompt(prompt)
		return s, editorErr(err)
	}
	if f, ok := in.r.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		io.WriteString(in.errOut, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		io.WriteString(in.errOut, "\n")
		return string(b), err
	}
	io.WriteString(in.errOut, "Warning: Password input may be echoed.\n"+prompt)
	return in.lines().next(context.Background())
}

func editorErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, liner.ErrPromptAborted):
		return errInterrupted
	case errors.Is(err, io.EOF):
		return io.EOF
	}
	return err
}

// foreground returns a line source for fg that stops when its context is
// done, and a function to release it. On a terminal the source reads a
// private non-blocking descriptor so that an abandoned read cannot steal
// what the user types at the next prompt.
func (in *lineInput) foreground() (func(context.Context) (string, error), func()) {
	f, ok := in.r.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return in.lines().next, func() {}
	}
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return in.lines().next, func() {}
	}
	syscall.SetNonblock(fd, true)
	pf := os.NewFile(uintptr(fd), "stdin")
	feed := newLineFeed(pf)
	return feed.next, func() {
		pf.SetReadDeadline(time.Now())
		feed.close()
		pf.Close()
		// The flag is shared with every descriptor of the terminal.
		syscall.SetNonblock(int(f.Fd()), false)
	}
}

// lineFeed reads lines on demand in a goroutine so a caller can stop
// waiting; a line read for a caller who left is kept for the next one.
type lineFeed struct {
	req     chan struct{}
	res     chan lineResult
	pending bool
	closed  chan struct{}
}

type lineResult struct {
	line string
	err  error
}

func newLineFeed(r io.Reader) *lineFeed {
	f := &lineFeed{req: make(chan struct{}), res: make(chan lineResult, 1), closed: make(chan struct{})}
	go func() {
		br := bufio.NewReader(r)
		for {
			select {
			case <-f.req:
			case <-f.closed:
				return
			}
			s, err := br.ReadString('\n')
			if err == io.EOF && s != "" {
				err = nil
			}
			if err != nil && !errors.Is(err, io.EOF) {
				err = fmt.Errorf("read input: %w", err)
			}
			f.res <- lineResult{strings.TrimSuffix(s, "\n"), err}
		}
	}()
	return f
}

func (f *lineFeed) next(ctx context.Context) (string, error) {
	if !f.pending {
		select {
		case f.req <- struct{}{}:
		case <-ctx.Done():
			return "", errInterrupted
		}
		f.pending = true
	}
	select {
	case r := <-f.res:
		f.pending = false
		return r.line, r.err
	case <-ctx.Done():
		return "", errInterrupted
	}
}

func (f *lineFeed) close() {
	select {
	case <-f.closed:
	default:
		close(f.closed)
	}
}
