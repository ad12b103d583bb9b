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
	oneProcessor()
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Errorf("GOMAXPROCS unset: %d processors, want 1", n)
	}
	t.Setenv("GOMAXPROCS", "3")
	runtime.GOMAXPROCS(3)
	oneProcessor()
	if n := runtime.GOMAXPROCS(0); n != 3 {
		t.Errorf("GOMAXPROCS=3: %d processors, want 3", n)
	}
}
