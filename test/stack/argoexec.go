package stack

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// nobody is the user an isolated argoexec runs as, so it can write nothing of the host's but its own tmpfs.
const nobody = "65534"

// isolatedRun is the shell an isolated argoexec starts from, inside a private mount namespace (unshare --mount):
// a fresh tmpfs on /tmp takes the fixed paths argoexec writes (/tmp/manifest.yaml) and the kubeconfig (read from
// stdin, so it is in no process's environment); the binary is bind-mounted there because nobody may not traverse
// the directory it lives in (e.g. /root/.cache); then it drops to nobody, who cannot create /dev/termination-log.
// $1 is the argoexec binary, the rest its arguments.
const isolatedRun = `set -e
mount -t tmpfs -o mode=1777 tmpfs /tmp
(umask 077 && cat >/tmp/kubeconfig)
chown ` + nobody + `:` + nobody + ` /tmp/kubeconfig
: >/tmp/argoexec
mount --bind "$1" /tmp/argoexec
shift
cd /tmp
exec setpriv --reuid=` + nobody + ` --regid=` + nobody + ` --clear-groups /tmp/argoexec "$@"`

// command is the argoexec run for the pod: with the pod's environment, and a kubeconfig that makes every request
// as the pod's ServiceAccount in the pod's namespace.
func (r *podRunner) command(ctx context.Context, pod *corev1.Pod, args []string, kubeconfig []byte) (*exec.Cmd, error) {
	env := append([]string{"PATH=" + os.Getenv("PATH")}, podEnv(pod)...)
	if r.isolate {
		args = append(args, "--kubeconfig", "/tmp/kubeconfig")
		cmd := exec.CommandContext(ctx, "unshare", append([]string{"--mount", "--propagation", "private",
			"sh", "-c", isolatedRun, "argoexec-run", r.argoexec}, args...)...)
		cmd.Stdin = bytes.NewReader(kubeconfig)
		cmd.Env = append(env, "HOME=/tmp", "KUBECONFIG=/tmp/kubeconfig")
		return cmd, nil
	}
	// Without root: the kubeconfig is a private file, and resource runs take turns (podRunner.resource).
	home := filepath.Join(r.dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, fmt.Errorf("creating the runs' home: %w", err)
	}
	path := filepath.Join(r.dir, pod.Namespace+"."+pod.Name+".kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		return nil, fmt.Errorf("writing the run's kubeconfig: %w", err)
	}
	cmd := exec.CommandContext(ctx, r.argoexec, append(args, "--kubeconfig", path)...)
	cmd.Dir = home
	cmd.Env = append(env, "HOME="+home, "KUBECONFIG="+path)
	return cmd, nil
}

// podEnv is the environment container main would get: its env with the downward-API fields Argo uses resolved,
// plus ARGO_TEMPLATE from the init container (in a pod, main reads the template from a file init writes).
func podEnv(pod *corev1.Pod) []string {
	var env []string
	if main := mainContainer(pod); main != nil {
		for _, e := range main.Env {
			if v, ok := envValue(pod, e); ok {
				env = append(env, e.Name+"="+v)
			}
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name != "init" {
			continue
		}
		for _, e := range c.Env {
			if e.Name == "ARGO_TEMPLATE" {
				env = append(env, e.Name+"="+e.Value)
			}
		}
	}
	return env
}

func envValue(pod *corev1.Pod, e corev1.EnvVar) (string, bool) {
	if e.ValueFrom == nil {
		return e.Value, true
	}
	if e.ValueFrom.FieldRef == nil {
		return "", false // secrets, config maps and resources are not used by Argo's executor env
	}
	switch e.ValueFrom.FieldRef.FieldPath {
	case "metadata.name":
		return pod.Name, true
	case "metadata.namespace":
		return pod.Namespace, true
	case "metadata.uid":
		return string(pod.UID), true
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, true
	case "spec.nodeName":
		return pod.Spec.NodeName, true
	}
	return "", false
}

// executorKubeconfig is a kubeconfig for an executor in namespace ns running as ServiceAccount sa: the admin's
// credentials impersonating the ServiceAccount (user and groups exactly as its token would authenticate), and the
// namespace as the context's, because the kubectl inside argoexec takes a manifest's default namespace from there.
func executorKubeconfig(admin *rest.Config, ns, sa string) ([]byte, error) {
	if sa == "" {
		sa = "default"
	}
	server := admin.Host
	if !strings.Contains(server, "://") {
		server = "https://" + server
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["stack"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: admin.CAData}
	cfg.AuthInfos["executor"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: admin.CertData,
		ClientKeyData:         admin.KeyData,
		Token:                 admin.BearerToken,
		Impersonate:           "system:serviceaccount:" + ns + ":" + sa,
		ImpersonateGroups:     []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
	}
	cfg.Contexts["executor"] = &clientcmdapi.Context{Cluster: "stack", AuthInfo: "executor", Namespace: ns}
	cfg.CurrentContext = "executor"
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("rendering the kubeconfig of %s/%s: %w", ns, sa, err)
	}
	return out, nil
}
