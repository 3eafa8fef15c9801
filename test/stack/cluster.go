package stack

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

const (
	// argoNamespace holds the workflow-controller's ConfigMap; the controller watches every namespace.
	argoNamespace = "argo"
	// NodeName is the one fake node; kwok manages it because of its kwokNodeAnnotation.
	NodeName           = "kwok-node-0"
	kwokNodeAnnotation = "kwok.x-k8s.io/node"
	// notReadyTaint is added by the TaintNodesByCondition admission plugin when a node is created. In a cluster the
	// node-lifecycle controller removes it once the kubelet reports Ready; that controller does not run here.
	notReadyTaint = "node.kubernetes.io/not-ready"
)

// argoControllerConfig is the workflow-controller's ConfigMap data. Metrics and telemetry are off because the
// controller panics when their fixed port (:9090) is taken, e.g. by a second stack on the same machine.
var argoControllerConfig = map[string]string{
	"metricsConfig":   "enabled: false\n",
	"telemetryConfig": "enabled: false\n",
}

// createClusterObjects creates what must exist before the controllers start: the argo namespace with the
// workflow-controller's ConfigMap (the controller exits without it), and the fake node without its not-ready taint.
func createClusterObjects(ctx context.Context, c kubernetes.Interface) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: argoNamespace}}
	if _, err := c.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", argoNamespace, err)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "workflow-controller-configmap", Namespace: argoNamespace},
		Data:       argoControllerConfig,
	}
	if _, err := c.CoreV1().ConfigMaps(argoNamespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating the workflow-controller ConfigMap: %w", err)
	}
	return createNode(ctx, c)
}

func createNode(ctx context.Context, c kubernetes.Interface) error {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name:        NodeName,
		Annotations: map[string]string{kwokNodeAnnotation: "fake"},
		Labels:      map[string]string{"kubernetes.io/hostname": NodeName, "kubernetes.io/os": "linux", "type": "kwok"},
	}}
	if _, err := c.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating node %s: %w", NodeName, err)
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := c.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		n.Spec.Taints = slices.DeleteFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == notReadyTaint })
		_, err = c.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("removing the %s taint from node %s: %w", notReadyTaint, NodeName, err)
	}
	return nil
}

// nodeReady reports whether kwok has marked the fake node Ready.
func nodeReady(ctx context.Context, c kubernetes.Interface) (bool, error) {
	n, err := c.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
	if err != nil {
		return false, fmt.Errorf("reading node %s: %w", NodeName, err)
	}
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue, nil
		}
	}
	return false, nil
}

// controllerManagerUp reports whether kube-controller-manager runs: its serviceaccount controller has created the
// argo namespace's "default" ServiceAccount (the controllers start together, after the shared informers sync).
func controllerManagerUp(ctx context.Context, c kubernetes.Interface) (bool, error) {
	_, err := c.CoreV1().ServiceAccounts(argoNamespace).Get(ctx, "default", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading ServiceAccount %s/default: %w", argoNamespace, err)
	}
	return true, nil
}
