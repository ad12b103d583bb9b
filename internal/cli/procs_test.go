package cli

import (
	"runtime"
	"testing"
)

func TestOneProcessorUnlessGOMAXPROCS(t *testing.T) {
	was := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(was)

	t.Setenv("GOMAXPROCS", "")
	runtime.GOMAXPROCS(3)
	widen := oneProcessor()
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Errorf("GOMAXPROCS unset: %d processors, want 1", n)
	}
	if runtime.NumCPU() > 1 {
		if widen == nil {
			t.Fatal("no way to widen for background work with several CPUs")
		}
		restore := widen()
		if n := runtime.GOMAXPROCS(0); n != 2 {
			t.Errorf("widened: %d processors, want 2", n)
		}
		restore()
		if n := runtime.GOMAXPROCS(0); n != 1 {
			t.Errorf("restored: %d processors, want 1", n)
		}
	}
	t.Setenv("GOMAXPROCS", "3")
	runtime.GOMAXPROCS(3)
	if widen := oneProcessor(); widen != nil {
		t.Error("GOMAXPROCS=3: the daemon would change it for background work")
	}
	if n := runtime.GOMAXPROCS(0); n != 3 {
		t.Errorf("GOMAXPROCS=3: %d processors, want 3", n)
	}
}
