package cli

import (
	"fmt"
	"io"
)

func confEcho(w io.Writer) int { fmt.Fprintln(w, "pending"); return 1 }
