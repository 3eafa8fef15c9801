package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/drplan/drplan-operator/test/testenv"
)

const (
	// readyWait bounds the wait for a starting stack: the stack's own start (at most 3 min) plus the operator's.
	readyWait = 5 * time.Minute
	pollStep  = 250 * time.Millisecond
)

// up makes sure a demo stack runs, then runs the quickstart forward and back on it.
func up(p paths, lifetime time.Duration) error {
	begin := time.Now()
	// Ctrl-C ends this command only; the stack runs in its own session and stays up.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := os.MkdirAll(p.logs, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", p.logs, err)
	}
	info, err := ensureStack(ctx, p, lifetime)
	if err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", info.Kubeconfig)
	if err != nil {
		return fmt.Errorf("loading %s: %w", info.Kubeconfig, err)
	}
	c, err := adminClient(cfg)
	if err != nil {
		return err
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	d := &demo{c: c, ns: demoNamespace, root: root, p: p}
	runErr := d.run(ctx)
	d.hints(info)
	fmt.Printf("\nmake demo took %s.\n", time.Since(begin).Round(time.Second))
	return runErr
}

// ensureStack returns the ready marker of the running stack, starting one when none runs. It holds the demo
// lock meanwhile, so two `make demo` started together start one stack, not two.
func ensureStack(ctx context.Context, p paths, lifetime time.Duration) (readyInfo, error) {
	unlock, err := lockDemo(ctx, p)
	if err != nil {
		return readyInfo{}, err
	}
	defer unlock()
	pid, err := readPID(p)
	if err != nil {
		return readyInfo{}, err
	}
	if serveAlive(p, pid) {
		if info, ok := readReady(p, pid); ok {
			fmt.Printf("Reusing the demo stack started %s (pid %d; it stops by itself at %s, or with make demo-down).\n",
				info.Started.Format("15:04:05"), pid, info.Expires.Format("15:04"))
			return info, nil
		}
		fmt.Printf("A demo stack is starting (pid %d); waiting for it.\n", pid)
	} else {
		if err := removeState(p); err != nil {
			return readyInfo{}, err
		}
		root, err := testenv.RepoRoot()
		if err != nil {
			return readyInfo{}, err
		}
		if pid, err = startServe(p, root, lifetime); err != nil {
			return readyInfo{}, err
		}
		fmt.Printf("Started the demo stack in the background (pid %d, lifetime %s; its output: %s).\n", pid, lifetime, p.serveLog)
	}
	return waitReady(ctx, p, pid)
}

// readReady reads the ready marker; it only counts when the process that wrote it is pid.
func readReady(p paths, pid int) (readyInfo, bool) {
	b, err := os.ReadFile(p.ready)
	if err != nil {
		return readyInfo{}, false
	}
	var info readyInfo
	if json.Unmarshal(b, &info) != nil || info.PID != pid {
		return readyInfo{}, false
	}
	return info, true
}

// waitReady relays serve's progress lines until it writes the ready marker, it exits, or readyWait passes.
func waitReady(ctx context.Context, p paths, pid int) (readyInfo, error) {
	fmt.Printf("Waiting (at most %s) for the stack and the operator to be ready:\n", readyWait)
	deadline := time.Now().Add(readyWait)
	relayed := 0
	for {
		relayed = relaySteps(p, relayed)
		if info, ok := readReady(p, pid); ok {
			return info, nil
		}
		if !serveAlive(p, pid) {
			relaySteps(p, relayed)
			return readyInfo{}, fmt.Errorf("the demo stack (pid %d) exited while starting; see %s and the logs in %s:\n%s",
				pid, p.serveLog, p.logs, tail(p.serveLog, 15))
		}
		if time.Now().After(deadline) {
			return readyInfo{}, fmt.Errorf("the demo stack (pid %d) is not ready after %s; it keeps running "+
				"(make demo-down stops it); see %s and the logs in %s", pid, readyWait, p.serveLog, p.logs)
		}
		select {
		case <-ctx.Done():
			return readyInfo{}, fmt.Errorf("interrupted while waiting for the demo stack (pid %d keeps starting; "+
				"make demo-down stops it)", pid)
		case <-time.After(pollStep):
		}
	}
}

// relaySteps prints serve's step lines after the first done ones and returns how many it has printed in all.
func relaySteps(p paths, done int) int {
	b, err := os.ReadFile(p.serveLog)
	if err != nil {
		return done
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, stepPrefix) {
			continue
		}
		if n++; n > done {
			fmt.Println("  " + strings.TrimPrefix(line, stepPrefix))
		}
	}
	return n
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  | " + strings.Join(lines, "\n  | ")
}

// lockDemo takes an exclusive flock on the demo's lock file, waiting at most readyWait (another `up` may be
// starting the stack). The kernel drops the lock if this process dies.
func lockDemo(ctx context.Context, p paths) (func(), error) {
	path := filepath.Join(p.dir, "lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	deadline := time.Now().Add(readyWait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) || ctx.Err() != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s (another make demo starting the stack?): %w", path, err)
		}
		time.Sleep(pollStep)
	}
}
