package events

import (
	"bufio"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"supervisord/internal/process"
)

// TestChildutilsListener drives a listener written with the reference's
// supervisor.childutils through real pipes, the test acting as the loop:
// it feeds the listener's stdout to a Pool and writes the pool's envelopes
// to the listener's stdin.
func TestChildutilsListener(t *testing.T) {
	py := referencePython(t)
	p, err := NewPool("pyl", PoolOptions{
		Identifier: "test", BufferSize: 10, Members: []string{"pyl_0"},
		Events: []Type{TypeRemoteCommunication, TypeProcessState},
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-u", "testdata/listener.py")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen []string // lines the listener printed on stderr
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderrPipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	chunks := make(chan []byte)
	defer func() {
		stdin.Close()
		// Drain both pipes to their end before Wait, which closes them: a
		// read still running when Wait closes the pipe fails with "file
		// already closed".
		drained := make(chan struct{})
		go func() {
			for range chunks {
			}
			close(drained)
		}()
		for l := range lines {
			seen = append(seen, l)
		}
		<-drained
		if err := cmd.Wait(); err != nil {
			t.Errorf("listener: %v\n%s", err, strings.Join(seen, "\n"))
		}
	}()

	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 7) // small reads split tokens across Feed calls
			n, err := stdout.Read(buf)
			if n > 0 {
				chunks <- buf[:n]
			}
			if err != nil {
				if err != io.EOF {
					t.Errorf("read stdout: %v", err)
				}
				return
			}
		}
	}()

	apply := func(effs []Effect) {
		for _, e := range effs {
			if w, ok := e.(Write); ok {
				if _, err := stdin.Write(w.Data); err != nil {
					t.Fatalf("write to listener: %v", err)
				}
			}
		}
	}
	apply(p.ProcessState(0, process.Starting, t0))
	apply(p.ProcessState(0, process.Running, t0))

	published := []*Event{
		RemoteCommunicationEvent("greeting", "hello"),
		RemoteCommunicationEvent("unicode", "naïve ✓ data\nsecond line"),
		ProcessStateEvent(ProcessStateChange{Name: "web", Group: "web", From: process.Starting, To: process.Running, Pid: 77}),
		RemoteCommunicationEvent("empty", ""),
		RemoteCommunicationEvent("last", "bye"),
	}
	for _, ev := range published {
		apply(p.Publish(ev, t0))
	}
	// Serials 0 and 3 are failed once each and come back: 7 deliveries.
	want := []string{
		`0 0 REMOTE_COMMUNICATION 'type:greeting\nhello'`,
		`0 0 REMOTE_COMMUNICATION 'type:greeting\nhello'`,
		`1 1 REMOTE_COMMUNICATION 'type:unicode\nnaïve ✓ data\nsecond line'`,
		`2 2 PROCESS_STATE_RUNNING 'processname:web groupname:web from_state:STARTING pid:77'`,
		`3 3 REMOTE_COMMUNICATION 'type:empty\n'`,
		`3 3 REMOTE_COMMUNICATION 'type:empty\n'`,
		`4 4 REMOTE_COMMUNICATION 'type:last\nbye'`,
	}
	deadline := time.After(10 * time.Second)
	for {
		got := seen
		if len(got) == len(want) && p.Len() == 0 && p.Listener(0).State() == ListenerReady {
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("listener saw:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			return
		}
		select {
		case c, ok := <-chunks:
			if !ok {
				t.Fatalf("listener exited early; it saw:\n%s", strings.Join(seen, "\n"))
			}
			apply(p.Feed(0, c, t0))
			if s := p.Listener(0).State(); s == ListenerUnknown {
				t.Fatalf("listener went UNKNOWN; it saw:\n%s", strings.Join(seen, "\n"))
			}
		case l := <-lines:
			seen = append(seen, l)
		case <-deadline:
			t.Fatalf("timed out in state %s with %d buffered; listener saw:\n%s",
				p.Listener(0).State(), p.Len(), strings.Join(seen, "\n"))
		}
	}
}
