package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// downTimeout bounds the wait for serve to stop after SIGTERM; the stack itself gives each child 10 s.
const downTimeout = 60 * time.Second

// readPID returns the pid recorded in the pid file, 0 when there is none.
func readPID(p paths) (int, error) {
	b, err := os.ReadFile(p.pid)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", p.pid, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s does not hold a pid: %q", p.pid, b)
	}
	return pid, nil
}

// serveAlive reports whether pid is a live serve process of this demo. The command line is checked, not just
// the pid, because after a reboot or a crash the pid may belong to an unrelated process, and down must never
// signal one of those.
func serveAlive(p paths, pid int) bool {
	if state := processState(pid); pid <= 0 || state == "" || state == "Z" {
		return false
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return false
	}
	args := bytes.Split(bytes.TrimRight(cmdline, "\x00"), []byte{0})
	return len(args) >= 2 && string(args[0]) == p.binary && string(args[1]) == "serve"
}

// processState is the state letter of /proc/<pid>/stat ("Z" for a zombie), "" when there is no such process.
// A zombie counts as gone: serve is not our child in down, so init reaps it whenever it gets to it.
func processState(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return ""
	}
	// The command name in parentheses may hold spaces; the state follows the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return ""
	}
	return string(b[i+2])
}

// startServe starts `serve` detached: its own session (no terminal signals reach it, and it outlives make and
// go run), output to serve.log. It runs from a copy of this binary because `go run` deletes its build
// directory when `up` exits.
func startServe(p paths, root string, lifetime time.Duration) (int, error) {
	if err := copyExecutable(p.binary); err != nil {
		return 0, err
	}
	logFile, err := os.OpenFile(p.serveLog, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, fmt.Errorf("creating %s: %w", p.serveLog, err)
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(p.binary, "serve", "-lifetime", lifetime.String())
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting %s serve: %w", p.binary, err)
	}
	pid := cmd.Process.Pid
	if err := os.WriteFile(p.pid, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return 0, fmt.Errorf("writing %s: %w", p.pid, err)
	}
	return pid, cmd.Process.Release()
}

// copyExecutable copies the running binary to dst (through a temporary file, so a running serve's binary is
// never overwritten in place).
func copyExecutable(dst string) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this executable: %w", err)
	}
	in, err := os.Open(self)
	if err != nil {
		return fmt.Errorf("copying %s: %w", self, err)
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return fmt.Errorf("copying %s to %s: %w", self, tmp, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s to %s: %w", self, tmp, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copying %s to %s: %w", self, tmp, err)
	}
	return os.Rename(tmp, dst)
}

// down stops the serve process named by the pid file; it is not an error when nothing runs.
func down(p paths) error {
	pid, err := readPID(p)
	if err != nil {
		return err
	}
	if pid == 0 {
		fmt.Printf("No demo is running (no %s).\n", p.pid)
		return removeState(p)
	}
	if !serveAlive(p, pid) {
		fmt.Printf("No demo is running (pid %d from %s is gone); removed the stale pid file.\n", pid, p.pid)
		return removeState(p)
	}
	fmt.Printf("Stopping the demo stack (pid %d): SIGTERM, waiting up to %s ...\n", pid, downTimeout)
	start := time.Now()
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("sending SIGTERM to pid %d: %w", pid, err)
	}
	if waitGone(p, pid, downTimeout) {
		fmt.Printf("Stopped in %s. Logs stay in %s and %s.\n", time.Since(start).Round(100*time.Millisecond), p.serveLog, p.logs)
		return removeState(p)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("sending SIGKILL to pid %d: %w", pid, err)
	}
	waitGone(p, pid, 5*time.Second)
	fmt.Printf("pid %d did not stop within %s; killed it (SIGKILL). Its child processes (listed in %s) end by "+
		"themselves at the end of the stack's lifetime; see %s for why it hung.\n",
		pid, downTimeout, filepath.Join(p.logs, "pids"), p.serveLog)
	return removeState(p)
}

// waitGone polls until pid is no longer a live serve process, at most timeout.
func waitGone(p paths, pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !serveAlive(p, pid) {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return !serveAlive(p, pid)
}

// removeState removes the pid file and the ready marker.
func removeState(p paths) error {
	for _, f := range []string{p.pid, p.ready} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing %s: %w", f, err)
		}
	}
	return nil
}
