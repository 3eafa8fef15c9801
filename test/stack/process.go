package stack

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a child gets between SIGTERM and SIGKILL.
const stopGrace = 10 * time.Second

// process is one child of the stack. It runs under coreutils `timeout`, so it ends after the stack's Lifetime even
// when this process dies without calling Stop (go test's own timeout, a crash, kill -9), and in its own process
// group, so Stop reaches the child and anything it started, and a Ctrl-C meant for `go test` does not.
type process struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited and been reaped
	err  error         // the result of Wait, read after done
}

// startProcess starts bin with args (and extra environment), logging stdout and stderr to dir/<name>.log.
func startProcess(dir, name string, lifetime time.Duration, env []string, bin string, args ...string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	defer logFile.Close() // the child holds its own copy of the descriptor

	timeoutArgs := []string{"--kill-after=" + stopGrace.String(), seconds(lifetime), bin}
	cmd := exec.Command("timeout", append(timeoutArgs, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s (%s): %w", name, bin, err)
	}
	p := &process{name: name, log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// seconds renders d for timeout(1), rounding up so a short Lifetime is never zero (which would mean "no limit").
func seconds(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10) + "s"
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended, with what it ended.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		if p.err == nil {
			return true, fmt.Errorf("%s exited (log: %s)", p.name, p.log)
		}
		return true, fmt.Errorf("%s exited: %v (log: %s)", p.name, p.err, p.log)
	default:
		return false, nil
	}
}

// stop sends SIGTERM to the process group, and SIGKILL after stopGrace; it returns once the process is reaped.
func (p *process) stop() error {
	if done, _ := p.exited(); done {
		return nil
	}
	pgid := p.pid() // Setpgid: the group id is the child's pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping %s (pid %d): %w", p.name, pgid, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGrace):
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing %s (pid %d): %w", p.name, pgid, err)
	}
	<-p.done
	return nil
}

// stopAll stops the processes in parallel, so Stop takes at most one grace period, not one per process.
func stopAll(procs []*process) error {
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.stop()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// writePIDs records "<name> <pid>" per child in dir/pids, for people and for a `down` command in another process.
func writePIDs(dir string, procs []*process) error {
	var b strings.Builder
	for _, p := range procs {
		fmt.Fprintf(&b, "%s %d\n", p.name, p.pid())
	}
	if err := os.WriteFile(filepath.Join(dir, "pids"), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("recording the child PIDs: %w", err)
	}
	return nil
}
