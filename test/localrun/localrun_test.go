//go:build e2e

// Package localrun runs `make run` as a new user does: no cluster configured, `make run` in one terminal,
// `kubectl apply -f examples/quickstart/` in another, the execution ends Succeeded on Argo, then Ctrl-C stops
// every process it started.
package localrun

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drplan/drplan-operator/test/testenv"
)

const (
	// startTimeout covers compiling the operator with -tags localdev when the build cache is cold.
	startTimeout = 15 * time.Minute
	// runTimeout is the promise: the quickstart ends Succeeded within a minute.
	runTimeout  = time.Minute
	stopTimeout = time.Minute
)

func TestMakeRun(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	kubeconfig := filepath.Join(state, "kubeconfig")
	args := fmt.Sprintf("RUN_ARGS=--local-state-dir=%s --health-probe-bind-address=%s --metrics-bind-address=0", state, freeAddr(t))
	mk := exec.Command("make", "--no-print-directory", "run", args)
	mk.Dir = root
	// No cluster configured: `make run` must start its own stack (there is no ~/.kube/config on these machines;
	// the test fails below if one made it pick a cluster instead).
	mk.Env = append(os.Environ(), "KUBECONFIG=", "KUBERNETES_SERVICE_HOST=")
	mk.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group, as a terminal's foreground job
	out := &syncBuffer{}
	mk.Stdout, mk.Stderr = out, out
	if err := mk.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- mk.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-mk.Process.Pid, syscall.SIGKILL)
		if t.Failed() {
			t.Logf("make run output:\n%s", out.String())
		}
	})

	begin := time.Now()
	waitFor(t, startTimeout, exited, "make run to print the kubeconfig", func() bool {
		return strings.Contains(out.String(), "export KUBECONFIG="+kubeconfig)
	})
	t.Logf("make run ready in %s", time.Since(begin).Round(time.Second))

	kubectl := func(args ...string) (string, error) {
		cmd := exec.Command("kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...)
		if assets, err := testenv.AssetsDir(); err == nil {
			cmd = exec.Command(filepath.Join(assets, "kubectl"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
		}
		cmd.Dir = root
		b, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(b)), err
	}
	applied := time.Now()
	if o, err := kubectl("apply", "-f", "examples/quickstart/"); err != nil {
		t.Fatalf("kubectl apply -f examples/quickstart/: %v\n%s", err, o)
	}
	var phase string
	waitFor(t, runTimeout, exited, "the quickstart execution to succeed", func() bool {
		phase, _ = kubectl("get", "drpe", "quickstart-run", "-o", "jsonpath={.status.phase}")
		return phase == "Succeeded" || phase == "Failed"
	})
	if phase != "Succeeded" {
		o, _ := kubectl("get", "drpe", "quickstart-run", "-o", "yaml")
		t.Fatalf("quickstart-run ended %s:\n%s", phase, o)
	}
	t.Logf("quickstart Succeeded %s after kubectl apply", time.Since(applied).Round(100*time.Millisecond))
	engine, _ := kubectl("get", "drpe", "quickstart-run", "-o", "jsonpath={.status.stageStatuses[0].workflowExecutions[0].engine}")
	wfPhase, _ := kubectl("get", "workflows", "-o", "jsonpath={.items[0].status.phase}")
	if engine != "Argo" || wfPhase != "Succeeded" {
		t.Errorf("the quickstart ran on %q, its Argo Workflow is %q: want Argo, Succeeded", engine, wfPhase)
	}
	if cm, err := kubectl("get", "configmap", "dr-active-site", "-o", "jsonpath={.data.site}"); err != nil || cm != "site-b" {
		t.Errorf("the quickstart's ConfigMap: %q %v", cm, err)
	}

	// Ctrl-C: SIGINT to the foreground process group. Every process make run started must be gone after.
	procs := descendants(t, mk.Process.Pid)
	if len(procs) < 8 {
		t.Errorf("only %d processes under make run; the stack runs more (etcd, kube-apiserver, kwok, ...)", len(procs))
	}
	stopped := time.Now()
	must(t, syscall.Kill(-mk.Process.Pid, syscall.SIGINT))
	select {
	case <-exited:
	case <-time.After(stopTimeout):
		t.Fatalf("make run did not stop within %s of Ctrl-C", stopTimeout)
	}
	t.Logf("stopped %s after Ctrl-C", time.Since(stopped).Round(100*time.Millisecond))
	for pid, p := range procs {
		if alive(pid, p.start) {
			t.Errorf("process %d (%s) is still running after make run stopped", pid, p.cmd)
		}
	}
	if !strings.Contains(out.String(), "local stack stopped") {
		t.Errorf("the operator did not report the stack stopped")
	}
	if _, err := os.Stat(kubeconfig); !os.IsNotExist(err) {
		t.Errorf("the kubeconfig %s is left behind (%v)", kubeconfig, err)
	}
}

type proc struct {
	start string // /proc/<pid>/stat field 22, so a reused PID does not count
	cmd   string
}

// descendants maps every process below pid (by parent links, whatever its process group) to its start time.
func descendants(t *testing.T, pid int) map[int]proc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	must(t, err)
	parent := map[int]int{}
	info := map[int]proc{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, start, ok := stat(p)
		if !ok {
			continue
		}
		parent[p] = ppid
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
		info[p] = proc{start: start, cmd: strings.ReplaceAll(string(cmd), "\x00", " ")}
	}
	out := map[int]proc{}
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				out[p] = info[p]
				break
			}
		}
	}
	return out
}

// stat reads the parent PID and start time of pid.
func stat(pid int) (int, string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, "", false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if i < 0 {
		return 0, "", false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 20 {
		return 0, "", false
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid, f[19], true
}

func alive(pid int, start string) bool {
	_, s, ok := stat(pid)
	return ok && s == start
}

func waitFor(t *testing.T, timeout time.Duration, exited <-chan error, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case err := <-exited:
			t.Fatalf("make run exited (%v) while waiting for %s", err, what)
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().String()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for the writer (the process) and the reader (the test).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
