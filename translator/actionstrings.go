package translator

import (
	"encoding/json"
	"errors"
	"slices"
	"sort"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// stringVisitor is called for every user-written string of an action config. template is false for text the
// user marked literal. It returns the (possibly rewritten) value, or why the value is wrong; the caller turns
// that into a field error with the string's path (paths are only built for errors: they cost allocations).
type stringVisitor func(value string, template bool) (string, error)

// visitOptions tune visitActionStrings.
type visitOptions struct {
	// write stores what the visitor returns into body.
	write bool
	// cache decodes free-form specs once per compile.
	cache *compileCache
	// spec, when set, receives the visited (rendered) free-form spec of body, decoded; the RawExtension
	// itself is then left as it was, saving a re-encode and a decode.
	spec *map[string]any
	// pure says the visitor's answer depends only on its arguments for the whole compile (cache's
	// lifetime): a spec several actions share is then walked once, clean checks and renderings kept in
	// cache for the others. Errors are never kept: each action reports its own, with its own paths.
	pure bool
}

// visitActionStrings calls visit for every string field of body's config block (not the nested rollback).
// With write, what visit returns is written back (callers pass a copy they own); without, body is only read,
// so shared objects (informer caches) are safe. String leaves of free-form specs are visited too; map keys are
// visited as non-templates: checked, never rendered.
func visitActionStrings(body *v1alpha1.ActionBody, at func() *field.Path, opts visitOptions, visit stringVisitor) field.ErrorList {
	var errs field.ErrorList
	write := opts.write
	// str visits one field; the path is at().<block>.<names...>, built only on error.
	str := func(s *string, template bool, names ...string) {
		out, err := visit(*s, template)
		if err != nil {
			errs = append(errs, field.Invalid(at().Child(names[0], names[1:]...), field.OmitValueType{}, err.Error()))
			return
		}
		if write {
			*s = out
		}
	}
	strMap := func(m map[string]string, template bool, names ...string) map[string]string {
		if len(m) == 0 {
			return m
		}
		var out map[string]string
		if write {
			out = make(map[string]string, len(m))
		}
		var stack [8]string
		for _, k := range sortedKeysInto(stack[:0], m) {
			v, err := visit(m[k], template)
			if err != nil {
				errs = append(errs, field.Invalid(at().Child(names[0], names[1:]...).Key(k), field.OmitValueType{}, err.Error()))
				v = m[k]
			}
			if write {
				out[k] = v
			}
		}
		if !write {
			return m
		}
		return out
	}
	switch {
	case body.HTTP != nil:
		h := body.HTTP
		str(&h.URL, true, "http", "url")
		h.Headers = strMap(h.Headers, true, "http", "headers")
		str(&h.Body, true, "http", "body")
	case body.Job != nil:
		j := body.Job
		str(&j.Namespace, true, "job", "namespace")
		j.Template.Metadata.Labels = strMap(j.Template.Metadata.Labels, !j.Literal, "job", "template", "metadata", "labels")
		j.Template.Metadata.Annotations = strMap(j.Template.Metadata.Annotations, !j.Literal, "job", "template", "metadata", "annotations")
		errs = append(errs, visitRawStrings(&j.Template.Spec, at, []string{"job", "template", "spec"}, !j.Literal, opts, visit)...)
	case body.Localization != nil:
		l := body.Localization
		str(&l.Name, true, "localization", "name")
		str(&l.Namespace, true, "localization", "namespace")
		if l.Spec != nil {
			errs = append(errs, visitRawStrings(l.Spec, at, []string{"localization", "spec"}, !l.Literal, opts, visit)...)
		}
	case body.Subscription != nil:
		s := body.Subscription
		str(&s.Name, true, "subscription", "name")
		str(&s.Namespace, true, "subscription", "namespace")
		if s.Spec != nil {
			errs = append(errs, visitRawStrings(s.Spec, at, []string{"subscription", "spec"}, !s.Literal, opts, visit)...)
		}
	case body.Resource != nil:
		r := body.Resource
		str(&r.Manifest, !r.Literal, "resource", "manifest")
	}
	return errs
}

// pathSegment is one step below a spec's root: a map key or a list index.
type pathSegment struct {
	key   string
	index int // -1 for a key
}

// visitRawStrings decodes a free-form JSON spec, visits its string leaves (keys as non-templates) and, when
// writing, hands the result to opts.spec or re-encodes it into raw if a leaf changed. base().names... is the
// spec's path; paths are built only for errors.
func visitRawStrings(raw *runtime.RawExtension, base func() *field.Path, names []string, template bool, opts visitOptions, visit stringVisitor) field.ErrorList {
	if raw == nil || len(raw.Raw) == 0 {
		return nil
	}
	specPath := func() *field.Path { return base().Child(names[0], names[1:]...) }
	memo := opts.pure && (!opts.write || opts.spec != nil)
	if memo && opts.write {
		if doc, ok := opts.cache.takeRendered(raw.Raw, template); ok {
			if m, ok := doc.(map[string]any); ok {
				*opts.spec = m
			}
			return nil
		}
	}
	doc, shared, err := opts.cache.decodeSpecShared(raw.Raw, opts.write)
	if err != nil {
		return field.ErrorList{field.Invalid(specPath(), field.OmitValueType{}, "not valid JSON: "+err.Error())}
	}
	if memo && !opts.write && opts.cache.specClean(raw.Raw, template) {
		return nil
	}
	// Most specs are clean: walk them in map order without keeping paths, and only when that finds
	// something wrong walk again, in key order with paths, to report every error where it is.
	lw := leafWalker{visit: visit, template: template, shared: shared}
	if out, _ := lw.walk(doc); !lw.failed {
		return finishSpec(raw, out, lw.changed, shared, memo, template, opts, specPath)
	}
	if opts.write && !shared {
		// The failed pass rendered part of doc in place: start again from the spec as written.
		doc, err = (*compileCache)(nil).decodeSpec(raw.Raw, true)
		if err != nil {
			return field.ErrorList{field.Invalid(specPath(), field.OmitValueType{}, "not valid JSON: "+err.Error())}
		}
	}
	var errs field.ErrorList
	var stack []pathSegment
	pathAt := func(key *string) *field.Path {
		p := specPath()
		for _, s := range stack {
			if s.index >= 0 {
				p = p.Index(s.index)
			} else {
				p = p.Child(s.key)
			}
		}
		if key != nil {
			p = p.Key(*key)
		}
		return p
	}
	changed := false
	stack = make([]pathSegment, 0, 8)
	// walk returns the new value of v and whether it differs; containers are changed in place, and only
	// changed leaves are stored back (storing a string in an interface allocates). A shared document (the
	// cache's, also taken by other actions) is copied as it is walked instead: one pass instead of a deep
	// copy and then a walk.
	var walk func(v any) (any, bool)
	walk = func(v any) (any, bool) {
		switch t := v.(type) {
		case string:
			out, err := visit(t, template)
			if err != nil {
				errs = append(errs, field.Invalid(pathAt(nil), field.OmitValueType{}, err.Error()))
				return v, false
			}
			if out == t {
				return v, false
			}
			changed = true
			return out, true
		case map[string]any:
			dst := t
			if shared {
				dst = make(map[string]any, len(t))
			}
			var keys [16]string
			for _, k := range sortedKeysInto(keys[:0], t) {
				if _, err := visit(k, false); err != nil {
					errs = append(errs, field.Invalid(pathAt(&k), field.OmitValueType{}, err.Error()))
				}
				stack = append(stack, pathSegment{key: k, index: -1})
				if nv, ok := walk(t[k]); ok || shared {
					dst[k] = nv
				}
				stack = stack[:len(stack)-1]
			}
			return dst, shared
		case []any:
			dst := t
			if shared {
				dst = make([]any, len(t))
			}
			for i := range t {
				stack = append(stack, pathSegment{index: i})
				if nv, ok := walk(t[i]); ok || shared {
					dst[i] = nv
				}
				stack = stack[:len(stack)-1]
			}
			return dst, shared
		}
		return v, false
	}
	doc, _ = walk(doc)
	if len(errs) == 0 {
		// The visitor is pure, so a second pass cannot disagree with the first; say so if it does.
		errs = field.ErrorList{field.InternalError(specPath(), errors.New("a string was rejected once, then accepted"))}
	}
	if !opts.write {
		return errs
	}
	return append(errs, finishSpec(raw, doc, changed, shared, false, template, opts, specPath)...)
}

// finishSpec records a walked spec: without write, a clean check (memo); with write, the rendered document
// into opts.spec (kept for the other actions sharing the spec when memo and clean), or re-encoded into raw
// when a leaf changed.
func finishSpec(raw *runtime.RawExtension, doc any, changed, shared, memo, template bool, opts visitOptions, specPath func() *field.Path) field.ErrorList {
	if !opts.write {
		if memo {
			opts.cache.markSpecClean(raw.Raw, template)
		}
		return nil
	}
	if opts.spec != nil {
		if memo && shared {
			// Later takers share this rendering instead of walking the spec again.
			opts.cache.keepRendered(raw.Raw, template, doc)
		}
		if m, ok := doc.(map[string]any); ok {
			*opts.spec = m
		}
		return nil
	}
	if changed {
		out, err := json.Marshal(doc)
		if err != nil {
			return field.ErrorList{field.InternalError(specPath(), err)}
		}
		raw.Raw = out
		raw.Object = nil
	}
	return nil
}

// leafWalker visits the string leaves of a decoded spec in map order, stopping at the first error (failed):
// the quick pass of visitRawStrings over clean specs. Containers are changed in place and only changed
// leaves stored back (storing a string in an interface allocates); a shared document (the cache's, also
// taken by other actions) is copied as it is walked instead.
type leafWalker struct {
	visit            stringVisitor
	template, shared bool
	changed, failed  bool
}

// walk returns the new value of v and whether it must be stored back.
func (w *leafWalker) walk(v any) (any, bool) {
	switch t := v.(type) {
	case string:
		out, err := w.visit(t, w.template)
		if err != nil {
			w.failed = true
			return v, false
		}
		if out == t {
			return v, false
		}
		w.changed = true
		return out, true
	case map[string]any:
		dst := t
		if w.shared {
			dst = make(map[string]any, len(t))
		}
		for k, x := range t {
			if _, err := w.visit(k, false); err != nil {
				w.failed = true
			}
			if nv, ok := w.walk(x); ok || w.shared {
				dst[k] = nv // (assigning to a key being ranged over is allowed)
			}
			if w.failed {
				break
			}
		}
		return dst, w.shared
	case []any:
		dst := t
		if w.shared {
			dst = make([]any, len(t))
		}
		for i, x := range t {
			if nv, ok := w.walk(x); ok || w.shared {
				dst[i] = nv
			}
			if w.failed {
				break
			}
		}
		return dst, w.shared
	}
	return v, false
}

// sortedKeysInto appends the keys of m to buf in order and returns it. Hot callers pass a slice of a stack
// array: maps here have a handful of keys, which then cost no allocation (slices.Sort does not make buf
// escape, sort.Strings would).
func sortedKeysInto[V any](buf []string, m map[string]V) []string {
	for k := range m {
		buf = append(buf, k)
	}
	slices.Sort(buf)
	return buf
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
