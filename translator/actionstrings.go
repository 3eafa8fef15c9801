package translator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// stringVisitor is called for every user-written string of an action config. template is false for text the
// user marked literal. It returns the (possibly rewritten) value; an error stops nothing, it is collected.
type stringVisitor func(path *field.Path, value string, template bool) (string, *field.Error)

// visitActionStrings calls visit for every string field of body's config block (not the nested rollback),
// writing back what visit returns. String leaves of free-form specs are visited too (map keys are visited as
// non-templates: they are checked, never rendered). Callers that must not mutate pass a copy.
func visitActionStrings(body *v1alpha1.ActionBody, path *field.Path, visit stringVisitor) field.ErrorList {
	var errs field.ErrorList
	str := func(p *field.Path, s *string, template bool) {
		out, err := visit(p, *s, template)
		if err != nil {
			errs = append(errs, err)
			return
		}
		*s = out
	}
	switch {
	case body.HTTP != nil:
		h := body.HTTP
		p := path.Child("http")
		str(p.Child("url"), &h.URL, true)
		if len(h.Headers) > 0 {
			headers := make(map[string]string, len(h.Headers))
			for _, k := range sortedKeys(h.Headers) {
				v := h.Headers[k]
				str(p.Child("headers").Key(k), &v, true)
				headers[k] = v
			}
			h.Headers = headers
		}
		str(p.Child("body"), &h.Body, true)
	case body.Job != nil:
		j := body.Job
		p := path.Child("job")
		str(p.Child("namespace"), &j.Namespace, true)
		tp := p.Child("template")
		j.Template.Metadata.Labels = visitStringMap(j.Template.Metadata.Labels, tp.Child("metadata", "labels"), !j.Literal, str)
		j.Template.Metadata.Annotations = visitStringMap(j.Template.Metadata.Annotations, tp.Child("metadata", "annotations"), !j.Literal, str)
		errs = append(errs, visitRawStrings(&j.Template.Spec, tp.Child("spec"), !j.Literal, visit)...)
	case body.Localization != nil:
		l := body.Localization
		p := path.Child("localization")
		str(p.Child("name"), &l.Name, true)
		str(p.Child("namespace"), &l.Namespace, true)
		if l.Spec != nil {
			errs = append(errs, visitRawStrings(l.Spec, p.Child("spec"), !l.Literal, visit)...)
		}
	case body.Subscription != nil:
		s := body.Subscription
		p := path.Child("subscription")
		str(p.Child("name"), &s.Name, true)
		str(p.Child("namespace"), &s.Namespace, true)
		if s.Spec != nil {
			errs = append(errs, visitRawStrings(s.Spec, p.Child("spec"), !s.Literal, visit)...)
		}
	case body.Resource != nil:
		r := body.Resource
		str(path.Child("resource", "manifest"), &r.Manifest, !r.Literal)
	}
	return errs
}

// visitStringMap visits the values of m in key order and returns the rewritten map (m itself when empty).
func visitStringMap(m map[string]string, p *field.Path, template bool, str func(*field.Path, *string, bool)) map[string]string {
	if len(m) == 0 {
		return m
	}
	out := make(map[string]string, len(m))
	for _, k := range sortedKeys(m) {
		v := m[k]
		str(p.Key(k), &v, template)
		out[k] = v
	}
	return out
}

// visitRawStrings decodes a free-form JSON spec, visits its string leaves (keys as non-templates) and
// re-encodes it when a leaf changed. JSON numbers are kept as written.
func visitRawStrings(raw *runtime.RawExtension, p *field.Path, template bool, visit stringVisitor) field.ErrorList {
	if raw == nil || len(raw.Raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw.Raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return field.ErrorList{field.Invalid(p, field.OmitValueType{}, fmt.Sprintf("not valid JSON: %v", err))}
	}
	var errs field.ErrorList
	changed := false
	var walk func(v any, p *field.Path) any
	walk = func(v any, p *field.Path) any {
		switch t := v.(type) {
		case string:
			out, err := visit(p, t, template)
			if err != nil {
				errs = append(errs, err)
				return t
			}
			if out != t {
				changed = true
			}
			return out
		case map[string]any:
			for _, k := range sortedKeys(t) {
				if _, err := visit(p.Key(k), k, false); err != nil {
					errs = append(errs, err)
				}
				t[k] = walk(t[k], p.Child(k))
			}
			return t
		case []any:
			for i := range t {
				t[i] = walk(t[i], p.Index(i))
			}
			return t
		default:
			return v
		}
	}
	doc = walk(doc, p)
	if changed {
		out, err := json.Marshal(doc)
		if err != nil {
			return append(errs, field.InternalError(p, err))
		}
		raw.Raw = out
		raw.Object = nil
	}
	return errs
}

// sortedKeys returns the keys of m in order, for deterministic walks and output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
