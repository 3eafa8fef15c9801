// Package drplanctl tests the drplanctl binary against a real kube-apiserver and etcd (envtest) holding DR
// objects with statuses written through the status subresource, as the operator writes them. No operator
// runs here, so every status is exactly what the spec wrote; watch is driven by the spec's own status updates,
// in a pseudo-terminal (creack/pty) for the live view and through a pipe for the plain one.
//
// Needs KUBEBUILDER_ASSETS like the rest of test/integration (`make test` sets it).
package drplanctl

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/testenv"
)

var (
	ctx        = context.Background()
	k8sClient  client.Client
	kubeconfig string
	// bin is drplanctl built from this tree.
	bin string
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		root, err := testenv.RepoRoot()
		if err != nil {
			return fail(err)
		}
		env, err := testenv.New(root)
		if err != nil {
			return fail(err)
		}
		cfg, err := env.Start()
		if err != nil {
			return fail(fmt.Errorf("starting kube-apiserver and etcd: %w", err))
		}
		defer env.Stop()
		scheme := runtime.NewScheme()
		utilruntime.Must(clientgoscheme.AddToScheme(scheme))
		utilruntime.Must(drv1.AddToScheme(scheme))
		if k8sClient, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
			return fail(err)
		}
		dir, err := os.MkdirTemp("", "drplanctl-test-")
		if err != nil {
			return fail(err)
		}
		defer os.RemoveAll(dir)
		user, err := env.AddUser(envtest.User{Name: "reader", Groups: []string{"system:masters"}}, nil)
		if err != nil {
			return fail(err)
		}
		kc, err := user.KubeConfig()
		if err != nil {
			return fail(err)
		}
		kubeconfig = filepath.Join(dir, "kubeconfig")
		if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
			return fail(err)
		}
		bin = filepath.Join(dir, "drplanctl")
		build := exec.Command("go", "build", "-o", bin, "./cmd/drplanctl")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			return fail(fmt.Errorf("building drplanctl: %v\n%s", err, out))
		}
		if err := seed(); err != nil {
			return fail(fmt.Errorf("creating the DR objects: %w", err))
		}
		return m.Run()
	}())
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// drplanctl runs the binary with the suite's kubeconfig and returns its exit status and output.
func drplanctl(args ...string) (code int, stdout, stderr string) {
	cmd := exec.Command(bin, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "NO_COLOR=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errOut.String()
	}
	if err != nil {
		return -1, out.String(), err.Error()
	}
	return 0, out.String(), errOut.String()
}

// create writes obj, then its status (through the status subresource, as the operator does).
func create(obj client.Object, setStatus func()) error {
	if err := k8sClient.Create(ctx, obj); err != nil {
		return err
	}
	if setStatus == nil {
		return nil
	}
	setStatus()
	return k8sClient.Status().Update(ctx, obj)
}

// base is the clock of the seeded statuses, in whole seconds (as the API keeps them), so durations are exact.
var base = time.Now().Truncate(time.Second)

// ago is base minus d.
func ago(d string) *metav1.Time {
	mt := metav1.NewTime(base.Add(-mustDuration(d)))
	return &mt
}

func event(ex *drv1.DRPlanExecution, typ, reason, msg string) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: ex.Name + ".", Namespace: ex.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "DRPlanExecution", APIVersion: drv1.GroupVersion.String(), Namespace: ex.Namespace, Name: ex.Name, UID: ex.UID},
		Type:           typ, Reason: reason, Message: msg,
		Source:         corev1.EventSource{Component: "drplan-operator"},
		FirstTimestamp: *ago("2m"), LastTimestamp: *ago("2m"),
	}
}

func clientKey(name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

// regexpQuote quotes s for a regular expression.
func regexpQuote(s string) string { return regexp.QuoteMeta(s) }
