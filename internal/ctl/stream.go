package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// syncWriter serialises writes from the streaming goroutines and the
// command goroutine.
type syncWriter struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// stream copies the body of a GET of path to c.out until it ends or ctx is
// done, reporting failures on stderr as the reference's HTTP client does.
func (c *controller) stream(ctx context.Context, path string) {
	url := c.opts.serverURL + path
	resp, err := c.cl.get(ctx, path)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		class, msg := describeError(err)
		fmt.Fprintf(c.errOut, "%s Cannot connect, error: <class '%s'> (%s)\n", url, class, msg)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(c.errOut, "%s Cannot read, status code %d\n", url, resp.StatusCode)
		return
	}
	buf := make([]byte, 32*1024)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			// Undecodable bytes are passed through as they are.
			c.out.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// tailFollow streams a log until the server ends it or Ctrl-C.
func (c *controller) tailFollow(ctx context.Context, path string) error {
	c.output("==> Press Ctrl-C to exit <==")
	c.stream(ctx, path)
	if context.Cause(ctx) == errInterrupted {
		c.output("")
	}
	return nil
}

func (c *controller) doFg(ctx context.Context, arg string) (bool, error) {
	ok, err := c.upcheck(ctx)
	if !ok {
		return false, err
	}
	names := strings.Fields(arg)
	if len(names) == 0 {
		c.output("ERROR: no process name supplied")
		c.exitStatus = exitGeneric
		c.help("fg")
		return false, nil
	}
	if len(names) > 1 {
		c.output("ERROR: too many process names supplied")
		c.exitStatus = exitGeneric
		return false, nil
	}
	name := names[0]
	running := func() (bool, error) {
		v, err := c.call(ctx, "supervisor.getProcessInfo", name)
		if err != nil {
			return false, err
		}
		info, _ := v.(map[string]any)
		return intField(info, "state") == 20, nil
	}
	isRunning, err := running()
	if err != nil {
		if f, ok := faultOf(err); ok {
			if f.Code == faultBadName {
				c.output("ERROR: bad process name supplied")
				c.exitStatus = exitGeneric
			} else {
				c.output("ERROR: " + faultRepr(f))
			}
			return false, nil
		}
		return false, err
	}
	if !isRunning {
		c.output("ERROR: process not running")
		c.exitStatus = exitGeneric
		return false, nil
	}
	c.output("==> Press Ctrl-C to exit <==")

	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, ch := range []string{"stdout", "stderr"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.stream(sctx, "/logtail/"+name+"/"+ch)
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
	}()
	lines, release := c.input.foreground()
	defer release()
	for {
		line, err := lines(ctx)
		if err != nil {
			if errors.Is(err, errInterrupted) || errors.Is(err, io.EOF) || ctx.Err() != nil {
				c.output("Exiting foreground")
				return false, nil
			}
			return false, err
		}
		if _, err := c.call(ctx, "supervisor.sendProcessStdin", name, line+"\n"); err != nil {
			if errors.Is(err, errInterrupted) {
				c.output("Exiting foreground")
				return false, nil
			}
			f, ok := faultOf(err)
			if !ok {
				return false, err
			}
			if f.Code == faultNotRunning {
				c.output("Process got killed")
			} else {
				c.output("ERROR: " + faultRepr(f))
			}
			c.output("Exiting foreground")
			return false, nil
		}
		isRunning, err := running()
		if err != nil {
			if errors.Is(err, errInterrupted) {
				c.output("Exiting foreground")
				return false, nil
			}
			return false, err
		}
		if !isRunning {
			c.output("Process got killed")
			c.output("Exiting foreground")
			return false, nil
		}
	}
}
