// Command demo is the one-command local demo behind `make demo` and `make demo-down`.
//
//	demo up     start the demo stack (or reuse the running one), run examples/quickstart forward and back,
//	            show the progress read from the API server, the compiled Argo Workflow, and how to look around
//	demo down   stop the stack that `up` left running
//	demo serve  (internal) the detached process `up` starts: the test/stack cluster with the real Argo
//	            workflow-controller, and the operator in-process, until SIGTERM or its lifetime ends
//
// Everything lives under ~/.cache/drplan/demo: the pid file, the ready marker, the admin kubeconfig, serve.log
// (the serve process itself) and logs/ (one log per stack process, and the operator's).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// demoNamespace holds the quickstart objects and the executor ServiceAccount.
const demoNamespace = "drplan-demo"

// paths are the files shared by up, serve and down.
type paths struct {
	dir        string // ~/.cache/drplan/demo
	pid        string // pid of the serve process
	ready      string // written by serve once the stack and the operator run (JSON readyInfo)
	kubeconfig string // admin kubeconfig of the demo cluster
	serveLog   string // stdout and stderr of serve
	logs       string // the stack's per-process logs and the operator's log
	binary     string // the copy of this program that serve runs from
}

func demoPaths() (paths, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return paths{}, fmt.Errorf("finding the home directory: %w", err)
	}
	dir := filepath.Join(home, ".cache", "drplan", "demo")
	return paths{
		dir:        dir,
		pid:        filepath.Join(dir, "pid"),
		ready:      filepath.Join(dir, "ready"),
		kubeconfig: filepath.Join(dir, "kubeconfig"),
		serveLog:   filepath.Join(dir, "serve.log"),
		logs:       filepath.Join(dir, "logs"),
		binary:     filepath.Join(dir, "drplan-demo"),
	}, nil
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	p, err := demoPaths()
	if err == nil {
		err = runCommand(os.Args[1], os.Args[2:], p)
	}
	if errors.Is(err, errUsage) {
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func runCommand(cmd string, args []string, p paths) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	lifetime := fs.Duration("lifetime", 2*time.Hour, "how long a newly started demo stack lives before it stops by itself")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	switch cmd {
	case "up":
		return up(p, *lifetime)
	case "serve":
		return serve(p, *lifetime)
	case "down":
		return down(p)
	default:
		return errUsage
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: demo up [-lifetime 2h] | demo down | demo serve [-lifetime 2h]
  up    start the local demo stack (or reuse the running one) and run examples/quickstart forward and back
  down  stop the demo stack
`)
}
