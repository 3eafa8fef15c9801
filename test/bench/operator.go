//go:build bench

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"

	"github.com/drplan/drplan-operator/test/managerproc"
)

// operatorProcess is bin/manager, the shipped operator, run as a child of the harness with a kubeconfig that
// impersonates the operator's ServiceAccount (bound to config/rbac), so its CPU and memory are its own.
type operatorProcess struct {
	log  string // its log file
	proc *managerproc.Process

	mu      sync.Mutex
	peakRSS int64 // since the last resetPeak, bytes
	stop    chan struct{}
}

// startOperator writes the kubeconfig and starts manager with the Argo engine as the default, no webhooks
// (nobody calls them here) and no metrics or probe ports. It dies with the harness.
func startOperator(manager, dir string, cfg *rest.Config) (*operatorProcess, error) {
	kubeconfig := filepath.Join(dir, "operator.kubeconfig")
	if err := managerproc.WriteKubeconfig(kubeconfig, cfg); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "manager.log")
	proc, err := managerproc.Start(manager, logPath, "--kubeconfig", kubeconfig, "--enable-webhooks=false",
		"--default-executor=argo", "--health-probe-bind-address=0", "--metrics-bind-address=0")
	if err != nil {
		return nil, err
	}
	o := &operatorProcess{log: logPath, proc: proc, stop: make(chan struct{})}
	go o.sample()
	return o, nil
}

func (o *operatorProcess) pid() int { return o.proc.Pid() }

// exited reports whether the operator has ended (a crash would make every figure after it meaningless).
func (o *operatorProcess) exited() bool { return o.proc.Exited() }

// terminate stops the operator with SIGTERM, SIGKILL after 10 s.
func (o *operatorProcess) terminate() {
	close(o.stop)
	o.proc.Terminate(10 * time.Second)
}

// cpu is the operator's user+system CPU so far.
func (o *operatorProcess) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", o.pid()))
	if err != nil {
		return 0
	}
	// Fields after the command (which may hold spaces) start at state: utime and stime are fields 14 and 15.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100

// memory returns VmRSS and VmHWM (peak RSS) in bytes.
func (o *operatorProcess) memory() (rss, hwm int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", o.pid()))
	if err != nil {
		return 0, 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		k, v, ok := strings.Cut(string(line), ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			hwm = kb << 10
		}
	}
	return rss, hwm
}

// sample keeps the peak RSS every 250 ms.
func (o *operatorProcess) sample() {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-o.stop:
			return
		case <-t.C:
			rss, _ := o.memory()
			o.mu.Lock()
			o.peakRSS = max(o.peakRSS, rss)
			o.mu.Unlock()
		}
	}
}

// resetPeak starts a new peak from the current RSS and returns that RSS.
func (o *operatorProcess) resetPeak() int64 {
	rss, _ := o.memory()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.peakRSS = rss
	return rss
}

func (o *operatorProcess) peak() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.peakRSS
}

// throttled counts the lines of the operator's log where client-go's rate limiter delayed a request.
func (o *operatorProcess) throttled() int {
	b, err := os.ReadFile(o.log)
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte("client-side throttling"))
}
