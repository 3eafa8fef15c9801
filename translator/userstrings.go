package translator

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// Every string a user writes in an action config goes through one walk, used twice: admission checks each
// string (validate_action.go), rendering replaces each with its rendered text (render.go). Keeping one list
// of those fields means a field cannot be checked but not rendered, or rendered but not checked.

// checkUserString checks one user string: no Argo placeholder, and when it is a template, that it parses.
func checkUserString(path *field.Path, s string, isTemplate bool) field.ErrorList {
	if err := checkString(s, isTemplate); err != nil {
		return field.ErrorList{field.Invalid(path, field.OmitValueType{}, err.Error())}
	}
	return nil
}

// checkString explains what is wrong with a user string, or returns nil. The Argo check comes first:
// "{{workflow.name}}" is better explained as an Argo placeholder than as an undefined template function.
func checkString(s string, isTemplate bool) error {
	if !strings.Contains(s, "{{") {
		if isTemplate && hasReference(s) {
			_, err := parseTemplate(s)
			return err
		}
		return nil
	}
	if reason, found := argoPlaceholder(s); found {
		return errors.New(reason)
	}
	if isTemplate {
		if _, err := parseTemplate(s); err != nil {
			return err
		}
	}
	if reason, found := unclosedBraces(s); found {
		return errors.New(reason)
	}
	return nil
}

// isTemplated reports whether s will be rendered and contains template actions or $() references, so its
// final value is not known before rendering.
func isTemplated(s string, template bool) bool {
	return template && hasActions(s)
}

// stringVisitor is called for every user-written string of an action config. template is false for text the
// user marked literal (and for map keys of free-form specs, which are checked but never rendered). It returns
// the (possibly rewritten) value, or why the value is wrong; the walk turns that into a field error at the
// string's path.
type stringVisitor func(value string, template bool) (string, error)

// walkActionStrings calls visit for every string field of body's config block (not the nested rollback), in
// a fixed order (fields in declaration order, map keys sorted), under path. With write, what visit returns is
// written back into body, which the caller must own (render.go passes a copy); without, body is only read, so
// shared objects (informer caches) are safe. The free-form spec of the block (Job template spec, Localization
// or Subscription spec) is decoded from JSON, numbers kept as written, and returned visited: rendered, when
// visit renders; its RawExtension is left as it was.
func walkActionStrings(body *v1alpha1.ActionBody, path *field.Path, write bool, visit stringVisitor) (map[string]any, field.ErrorList) {
	w := stringWalk{visit: visit}
	str := func(s *string, template bool, p *field.Path) {
		if out, ok := w.leaf(*s, template, p); ok && write {
			*s = out
		}
	}
	strMap := func(m map[string]string, template bool, p *field.Path) map[string]string {
		if len(m) == 0 || !write {
			for _, k := range sortedKeys(m) {
				w.leaf(m[k], template, p.Key(k))
			}
			return m
		}
		out := make(map[string]string, len(m))
		for _, k := range sortedKeys(m) {
			v, _ := w.leaf(m[k], template, p.Key(k))
			out[k] = v
		}
		return out
	}
	var spec map[string]any
	switch {
	case body.HTTP != nil:
		h, p := body.HTTP, path.Child("http")
		str(&h.URL, true, p.Child("url"))
		h.Headers = strMap(h.Headers, true, p.Child("headers"))
		str(&h.Body, true, p.Child("body"))
	case body.Job != nil:
		j, p := body.Job, path.Child("job", "template")
		str(&j.Namespace, true, path.Child("job", "namespace"))
		j.Template.Metadata.Labels = strMap(j.Template.Metadata.Labels, !j.Literal, p.Child("metadata", "labels"))
		j.Template.Metadata.Annotations = strMap(j.Template.Metadata.Annotations, !j.Literal, p.Child("metadata", "annotations"))
		spec = w.spec(&j.Template.Spec, !j.Literal, p.Child("spec"))
	case body.Localization != nil:
		l, p := body.Localization, path.Child("localization")
		str(&l.Name, true, p.Child("name"))
		str(&l.Namespace, true, p.Child("namespace"))
		spec = w.spec(l.Spec, !l.Literal, p.Child("spec"))
	case body.Subscription != nil:
		s, p := body.Subscription, path.Child("subscription")
		str(&s.Name, true, p.Child("name"))
		str(&s.Namespace, true, p.Child("namespace"))
		spec = w.spec(s.Spec, !s.Literal, p.Child("spec"))
	case body.Globalization != nil:
		g, p := body.Globalization, path.Child("globalization")
		str(&g.Name, true, p.Child("name"))
		spec = w.spec(g.Spec, !g.Literal, p.Child("spec"))
	case body.Resource != nil:
		r := body.Resource
		str(&r.Manifest, !r.Literal, path.Child("resource", "manifest"))
	case body.Approval != nil:
		str(&body.Approval.Message, true, path.Child("approval", "message"))
	}
	return spec, w.errs
}

// stringWalk collects the errors of one walkActionStrings.
type stringWalk struct {
	visit stringVisitor
	errs  field.ErrorList
}

// leaf visits one string at path; on error it records it and returns s unchanged, ok false.
func (w *stringWalk) leaf(s string, template bool, path *field.Path) (string, bool) {
	out, err := w.visit(s, template)
	if err != nil {
		w.errs = append(w.errs, field.Invalid(path, field.OmitValueType{}, err.Error()))
		return s, false
	}
	return out, true
}

// spec decodes a free-form JSON spec and visits its string leaves (keys as non-templates) in key order. It
// returns the visited document when it is an object.
func (w *stringWalk) spec(raw *runtime.RawExtension, template bool, path *field.Path) map[string]any {
	if raw == nil || len(raw.Raw) == 0 {
		return nil
	}
	doc, err := decodeJSON(raw.Raw)
	if err != nil {
		w.errs = append(w.errs, field.Invalid(path, field.OmitValueType{}, "not valid JSON: "+err.Error()))
		return nil
	}
	m, _ := w.value(doc, template, path).(map[string]any)
	return m
}

// value visits v, a decoded JSON value at path, and returns it visited (containers are changed in place:
// the document is the walk's own).
func (w *stringWalk) value(v any, template bool, path *field.Path) any {
	switch t := v.(type) {
	case string:
		out, _ := w.leaf(t, template, path)
		return out
	case map[string]any:
		for _, k := range sortedKeys(t) {
			w.leaf(k, false, path.Key(k))
			t[k] = w.value(t[k], template, path.Child(k))
		}
	case []any:
		for i := range t {
			t[i] = w.value(t[i], template, path.Index(i))
		}
	}
	return v
}

// decodeJSON decodes one JSON value keeping numbers as written (json.Number), as the API server stored it.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// sortedKeys returns the keys of m in order, for deterministic walks and output.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
