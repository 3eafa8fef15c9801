package nativeexec

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
)

// waitUntil waits, as the executor ServiceAccount, until the object satisfies ready, or is gone when ready is
// nil. It reads once, then watches that one object from the version it read: no polling. ctx bounds the wait;
// the error then says what the object was still waiting for.
func (t *target) waitUntil(ctx context.Context, want string, ready func(*unstructured.Unstructured) bool) error {
	for {
		obj, err := t.client.Get(ctx, t.name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			if ready == nil {
				return nil
			}
			return fmt.Errorf("%s was deleted while waiting until it is %s", t.what(), want)
		case err != nil:
			return t.denied(fmt.Errorf("reading %s: %w", t.what(), err), "get")
		case ready != nil && ready(obj):
			return nil
		}
		w, err := t.client.Watch(ctx, metav1.ListOptions{
			FieldSelector:   fields.OneTermEqualSelector("metadata.name", t.name).String(),
			ResourceVersion: obj.GetResourceVersion(),
		})
		if err != nil {
			return t.denied(fmt.Errorf("watching %s: %w", t.what(), err), "watch")
		}
		done, err := t.watchUntil(ctx, w, ready)
		w.Stop()
		if done || err != nil {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s is not %s yet%s", t.what(), want, pendingFinalizers(obj, ready == nil))
		}
		// The watch ended (server timeout): read again and watch from there.
	}
}

// watchUntil consumes events until the object is ready (or deleted when ready is nil), the watch ends, or ctx
// is done.
func (t *target) watchUntil(ctx context.Context, w watch.Interface, ready func(*unstructured.Unstructured) bool) (bool, error) {
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return false, nil
			}
			obj, _ := ev.Object.(*unstructured.Unstructured)
			switch ev.Type {
			case watch.Deleted:
				if ready == nil {
					return true, nil
				}
				return true, fmt.Errorf("%s was deleted while waiting for it", t.what())
			case watch.Added, watch.Modified:
				if ready != nil && obj != nil && ready(obj) {
					return true, nil
				}
			case watch.Error:
				return false, nil
			}
		}
	}
}

// pendingFinalizers explains a delete that did not finish.
func pendingFinalizers(obj *unstructured.Unstructured, deleting bool) string {
	if !deleting || len(obj.GetFinalizers()) == 0 {
		return ""
	}
	return fmt.Sprintf(" (finalizers %v are pending: is the controller that owns them running?)", obj.GetFinalizers())
}
