// Package managerproc runs bin/manager, the shipped operator, as a child process of a test or harness, with a
// kubeconfig of the caller's choosing (the stack's admin credentials impersonating the operator's
// ServiceAccount). test/bench measures it; test/e2e/killpoints kills it with SIGKILL and starts it again.
package managerproc

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Process is one running bin/manager.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// WriteKubeconfig writes cfg (credentials and impersonation) as a kubeconfig file for --kubeconfig.
func WriteKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["stack"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["operator"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData,
		Token: cfg.BearerToken, Impersonate: cfg.Impersonate.UserName, ImpersonateGroups: cfg.Impersonate.Groups}
	kc.Contexts["stack"] = &clientcmdapi.Context{Cluster: "stack", AuthInfo: "operator"}
	kc.CurrentContext = "stack"
	return clientcmd.WriteToFile(*kc, path)
}

// Start starts binary with args, its output appended to logPath. The child is in its own process group and
// dies with the caller (Pdeathsig), so a test that crashes leaves no operator behind.
func Start(binary, logPath string, args ...string) (*Process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Kill sends SIGKILL (no shutdown code runs: what a node failure or an OOM kill does) and waits for the end.
func (p *Process) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Terminate sends SIGTERM, then SIGKILL after grace, and waits for the end.
func (p *Process) Terminate(grace time.Duration) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.Kill()
	}
}
