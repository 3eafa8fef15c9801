package integration

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
)

// newNamespace creates a fresh namespace for one spec and returns its name. envtest runs no namespace
// controller, so namespaces are never really deleted; fresh names keep specs apart.
func newNamespace() string {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "it-"}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

// decodeObjects splits a multi-document YAML stream into objects, skipping empty documents.
func decodeObjects(r io.Reader) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

// loadObjects reads the objects of a YAML file.
func loadObjects(path string) []*unstructured.Unstructured {
	GinkgoHelper()
	f, err := os.Open(path)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	objs, err := decodeObjects(f)
	Expect(err).NotTo(HaveOccurred(), "parsing %s", path)
	return objs
}

// objectFromYAML parses one object.
func objectFromYAML(doc string) *unstructured.Unstructured {
	GinkgoHelper()
	objs, err := decodeObjects(strings.NewReader(doc))
	Expect(err).NotTo(HaveOccurred())
	Expect(objs).To(HaveLen(1))
	return objs[0]
}

// createInNamespace creates obj in ns (when its kind is namespaced). DRPlanExecutions are only submitted as a
// server-side dry run, so that no execution starts: admission (schema, CEL) runs all the same.
func createInNamespace(obj *unstructured.Unstructured, ns string) error {
	namespaced, err := k8sClient.IsObjectNamespaced(obj)
	if err != nil {
		return err
	}
	if namespaced {
		obj.SetNamespace(ns)
	}
	var opts []client.CreateOption
	if obj.GetKind() == "DRPlanExecution" {
		opts = append(opts, client.DryRunAll)
	}
	return k8sClient.Create(ctx, obj, opts...)
}

// kubectl runs the kubectl of the envtest assets (or of PATH) against the suite's API server, in the
// repository's top directory. It returns stdout, or stdout and stderr on failure.
func kubectl(args ...string) (string, error) {
	return kubectlWith(kubeconfigPath, args...)
}

// kubectlWith is kubectl with another kubeconfig.
func kubectlWith(kubeconfig string, args ...string) (string, error) {
	bin := filepath.Join(assetsDir, "kubectl")
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("kubectl"); err != nil {
			return "", errors.New("no kubectl in KUBEBUILDER_ASSETS nor on PATH")
		}
	}
	cmd := commandIn(repoRoot, bin, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String() + errOut.String(), err
	}
	return out.String(), nil
}

// readyCondition returns the Ready condition of a DRWorkflow or DRPlan, nil while there is none.
func readyCondition(obj client.Object) *metav1.Condition {
	switch o := obj.(type) {
	case *drv1.DRWorkflow:
		return meta.FindStatusCondition(o.Status.Conditions, drv1.ConditionReady)
	case *drv1.DRPlan:
		return meta.FindStatusCondition(o.Status.Conditions, drv1.ConditionReady)
	}
	Fail("readyCondition: unsupported kind")
	return nil
}

// readyOf polls obj (a *DRWorkflow or *DRPlan) and returns its Ready condition for the current generation:
// use it as Eventually(readyOf(obj)).Should(...).
func readyOf(obj client.Object) func(Gomega) metav1.Condition {
	return func(g Gomega) metav1.Condition {
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		c := readyCondition(obj)
		g.Expect(c).NotTo(BeNil(), "no Ready condition yet")
		g.Expect(c.ObservedGeneration).To(Equal(obj.GetGeneration()), "Ready describes an older generation")
		return *c
	}
}

// haveReady matches a Ready condition by status and reason.
func haveReady(status metav1.ConditionStatus, reason string) OmegaMatcher {
	return And(
		HaveField("Status", status),
		HaveField("Reason", reason),
	)
}

// commandIn prepares a command that runs in dir and is killed when the suite ends.
func commandIn(dir, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	return cmd
}
