//go:build bench

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// operatorProcess is bin/manager, the shipped operator, run as a child of the harness with a kubeconfig that
// impersonates the operator's ServiceAccount (bound to config/rbac), so its CPU and memory are its own.
type operatorProcess struct {
	log  string // its log file
	cmd  *exec.Cmd
	done chan struct{}

	mu      sync.Mutex
	peakRSS int64 // since the last resetPeak, bytes
	stop    chan struct{}
}

// startOperator writes the kubeconfig and starts manager with the Argo engine as the default, no webhooks
// (nobody calls them here) and no metrics or probe ports. It dies with the harness (Pdeathsig).
func startOperator(manager, dir string, cfg *rest.Config) (*operatorProcess, error) {
	kubeconfig := filepath.Join(dir, "operator.kubeconfig")
	if err := writeKubeconfig(kubeconfig, cfg); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "manager.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(manager, "--kubeconfig", kubeconfig, "--enable-webhooks=false", "--default-executor=argo",
		"--health-probe-bind-address=0", "--metrics-bind-address=0")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", manager, err)
	}
	o := &operatorProcess{log: logFile.Name(), cmd: cmd, done: make(chan struct{}), stop: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(o.done) }()
	go o.sample()
	return o, nil
}

// writeKubeconfig writes cfg (the stack's admin credentials and its impersonation) as a kubeconfig file.
func writeKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["bench"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["operator"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData,
		Token: cfg.BearerToken, Impersonate: cfg.Impersonate.UserName, ImpersonateGroups: cfg.Impersonate.Groups}
	kc.Contexts["bench"] = &clientcmdapi.Context{Cluster: "bench", AuthInfo: "operator"}
	kc.CurrentContext = "bench"
	return clientcmd.WriteToFile(*kc, path)
}

func (o *operatorProcess) pid() int { return o.cmd.Process.Pid }

// exited reports whether the operator has ended (a crash would make every figure after it meaningless).
func (o *operatorProcess) exited() bool {
	select {
	case <-o.done:
		return true
	default:
		return false
	}
}

// terminate stops the operator with SIGTERM, SIGKILL after 10 s.
func (o *operatorProcess) terminate() {
	close(o.stop)
	_ = o.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-o.done:
	case <-time.After(10 * time.Second):
		_ = o.cmd.Process.Kill()
		<-o.done
	}
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
		case <-o.done:
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
