package stack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// startArgoServer runs `argo server` (the argo CLI built from the pinned module by the e2e tools) as one more
// child, plain http on a free 127.0.0.1 port, with the server's own credentials (--auth-mode=server: the
// stack's admin kubeconfig), and waits until its API answers. The Argo UI it would serve is not built here
// (the CLI embeds a placeholder page; docs/e2e.md says why), so what it serves is the API the UI and
// `ARGO_SERVER=... argo` read.
func (s *Stack) startArgoServer(ctx context.Context) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("choosing a port for the Argo Server: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return err
	}
	p, err := startProcess(s.opts.ArtifactsDir, "argo-server", s.opts.Lifetime, []string{"ARGO_SERVER="},
		s.opts.tool("argo"), "server", "--kubeconfig", s.Kubeconfig, "--auth-mode=server", "--secure=false",
		"--port", fmt.Sprint(port), "--namespace", argoNamespace)
	if err != nil {
		return err
	}
	s.procs = append(s.procs, p)
	if err := writePIDs(s.opts.ArtifactsDir, s.procs); err != nil {
		return err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(time.Minute)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if resp, err := http.Get(url + "/api/v1/version"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.ArgoServerURL = url
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Argo Server did not answer %s/api/v1/version within a minute (log in %s)", url, s.opts.ArtifactsDir)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
