// Command rpcfloor is the latency floor the daemon's getAllProcessInfo is
// measured against: an HTTP server on a unix socket that answers every
// POST with the same recorded reply, from memory, on one processor as the
// daemon runs. What its clients see beyond the copy is this machine's
// scheduling and the HTTP stack, which no daemon can go under; the bench
// runs the same clients against it just before each daemon.
//
//	rpcfloor -socket /tmp/x.sock -reply reply.xml
package main

import (
	"errors"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
)

func main() {
	sock := flag.String("socket", "", "unix socket to listen on")
	reply := flag.String("reply", "", "file holding the reply body")
	flag.Parse()
	if *sock == "" || *reply == "" {
		log.Fatal("rpcfloor: -socket and -reply are required")
	}
	runtime.GOMAXPROCS(1)
	body, err := os.ReadFile(*reply)
	if err != nil {
		log.Fatal(err)
	}
	l, err := net.Listen("unix", *sock)
	if err != nil {
		log.Fatal(err)
	}
	length := strconv.Itoa(len(body))
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("Content-Length", length)
		w.Write(body)
	})}
	go func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
		<-ch
		l.Close()
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, net.ErrClosed) {
		log.Fatal(err)
	}
}
